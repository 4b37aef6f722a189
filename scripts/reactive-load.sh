#!/usr/bin/env bash
# Reactive sessions (issue 16's live person) under issue 15's load (README
# "Replay resistance", "Under load"): one server, a background of -n
# sessions playing the load clip with -retry, kept up for the whole run by
# two clients whose batches overlap by half a batch, and, once the
# background is up, a reactive session per face, gesture count and reaction
# delay, -react-at-once at a time, each counted in the load's total.
#
#   scripts/reactive-load.sh [-n TOTAL] [-react-at-once K] [-faces a,b] [-gestures 1,2,3] [-reactions 0.3s,1s,2s]
#
# It prints one JSON line per reactive session (face, gestures, reaction,
# outcome, attempt failures), the background's summaries (dropped frames,
# p99 frame delay, CPU per session-second) and a last line of totals.
set -euo pipefail
total=40 at_once=1 faces="" gestures=1,2,3 reactions=0.3s,1s,2s port=${LOAD_PORT:-18098}
while [ $# -gt 0 ]; do
	case $1 in
	-n) total=$2; shift 2 ;;
	-react-at-once) at_once=$2; shift 2 ;;
	-faces) faces=$2; shift 2 ;;
	-gestures) gestures=$2; shift 2 ;;
	-reactions) reactions=$2; shift 2 ;;
	*) echo "usage: $0 [-n TOTAL] [-react-at-once K] [-faces a,b] [-gestures 1,2,3] [-reactions 0.3s,1s,2s]" >&2; exit 2 ;;
	esac
done
[ "$total" -gt "$at_once" ] || { echo "-n must exceed -react-at-once" >&2; exit 2; }
[ -n "$faces" ] || faces=$(cd testdata/faces && ls -- *.jpg *.png | paste -sd, -)
dir=${TMPDIR:-/tmp}/livegate-load
mkdir -p "$dir"
go build -o "$dir/server" ./cmd/server
go build -o "$dir/client" ./cmd/livegate-client
clip=$dir/load-640x480.y4m
[ -f "$clip" ] || go run ./cmd/facegen -size 640x480 -script "neutral 8s; HEAD_LEFT 30deg 1.5s; neutral 1s" -out "$clip" >/dev/null
key=test-key-0123456789abcdef
base=http://127.0.0.1:$port
(
	export LIVEGATE_ADDR=127.0.0.1:$port LIVEGATE_API_KEYS=$key LIVEGATE_CREATE_RATE=1000 \
		LIVEGATE_CREATE_BURST=1000 LIVEGATE_MAX_LIVE=64 LIVEGATE_MAX_LIVE_PER_KEY=64 LIVEGATE_LOG_LEVEL=error \
		LIVEGATE_OFFER_LIMIT_IP=off LIVEGATE_PAGE_LIMIT_IP=off LIVEGATE_ATTEMPT_LOCKOUT=off
	exec "$dir/server"
) &
server=$!
out=$(mktemp -d)
trap 'touch "$out/stop"; kill -INT "$server" 2>/dev/null || true; wait' EXIT
for _ in $(seq 100); do curl -fs -o /dev/null "$base/healthz" && break; sleep 0.1; done

# The background: two loops of half the sessions each, the second started
# half a batch (about 15 s) later, so that one batch's ramp-down is the
# other's plateau.
bg=$((total - at_once))
half=$((bg / 2))
background() { # sessions, log
	while [ ! -e "$out/stop" ]; do
		"$dir/client" -server "$base" -api-key "$key" -clip "$clip" -n "$1" -retry -quiet -stagger 50ms | tail -1 >>"$2" || true
	done
}
background "$half" "$out/bg1" &
bg1=$!
sleep 15
background "$((bg - half))" "$out/bg2" &
bg2=$!
sleep 5

faces_dir=$(pwd)/testdata/faces
pids=()
for face in ${faces//,/ }; do
	for g in ${gestures//,/ }; do
		for r in ${reactions//,/ }; do
			(
				lines=$("$dir/client" -server "$base" -api-key "$key" -react "$faces_dir/$face" -reaction "$r" \
					-number "$g" -timeout 120s -retry) || true
				# The session's result line and the summary's client CPU; "all
				# matched" with outcome failed is the liveness verdict's failure.
				echo "$lines" | jq -s -c --arg face "$face" --arg g "$g" --arg r "$r" '
					(map(select(.outcome != null)) | last) as $s | (map(select(.summary)) | last) as $sum |
					{face: $face, gestures: ($g | tonumber), reaction: $r, outcome: $s.outcome,
					 failed_reasons: ($s.failed_reasons // []), react_ms: ($s.react_ms // []),
					 all_matched: ((($s.react_ms // []) | (map(.attempt) | max) as $a |
						map(select(.attempt == $a and .instruction_to_match_ms > 0)) | length) == ($g | tonumber)),
					 client_cpu_cores: $sum.client_cpu_cores}'
			) >>"$out/react" &
			pids+=($!)
			if [ "${#pids[@]}" -ge "$at_once" ]; then
				wait "${pids[0]}"
				pids=("${pids[@]:1}")
			fi
		done
	done
done
for p in "${pids[@]}"; do wait "$p"; done
touch "$out/stop"
wait "$bg1" "$bg2" || true
cat "$out/react"
echo "background batches (sessions, dropped %, p99 frame delay <= ms, server CPU per session-second):"
cat "$out/bg1" "$out/bg2" 2>/dev/null | jq -c '{sessions, dropped_pct: .server.dropped_pct,
	frame_delay_p99_ms_le: .server.frame_delay_ms_le.p99, cpu_per_session_second: .server.cpu_per_session_second,
	client_cpu_cores}'
jq -s -c --argjson total "$total" '{load_sessions: $total, reactive_sessions: length,
	reactive_passed: map(select(.outcome == "success")) | length,
	challenge_passed_liveness_failed: map(select(.outcome == "failed" and .all_matched and (.failed_reasons | length) == 0)) | length}' "$out/react"
