#!/usr/bin/env bash
# The server's CPU per live session-second as a ratio to 15 × the engine's
# per-frame CPU time, both measured in this one command (README "Load").
#
#   scripts/load-ratio.sh [-n SESSIONS] [-size WxH] [-runs K] [-profile FILE] [-server BIN]
#
# -server runs that server binary instead of building this tree's (to
# compare an older build, e.g. alternating two in one loop: README "Load").
#
# It builds the server and cmd/livegate-client, renders the load clip with
# facegen at -size (cached in $TMPDIR/livegate-load), and for each run
# times BenchmarkEngineProcessReal (tracked+detect-every-300ms at that size,
# its cpu-ns/op), then starts the server (with LIVEGATE_CPU_PROFILE when
# -profile is given) and plays the clip into SESSIONS sessions (-retry, so
# every session streams its three attempts). It prints one line per run:
# the client's summary figures and the ratio.
set -euo pipefail
n=12 size=640x480 runs=1 profile="" server_bin="" port=${LOAD_PORT:-18097}
while [ $# -gt 0 ]; do
	case $1 in
	-n) n=$2; shift 2 ;;
	-size) size=$2; shift 2 ;;
	-runs) runs=$2; shift 2 ;;
	-profile) profile=$2; shift 2 ;;
	-server) server_bin=$2; shift 2 ;;
	*) echo "usage: $0 [-n SESSIONS] [-size WxH] [-runs K] [-profile FILE] [-server BIN]" >&2; exit 2 ;;
	esac
done
dir=${TMPDIR:-/tmp}/livegate-load
mkdir -p "$dir"
if [ -z "$server_bin" ]; then
	server_bin=$dir/server
	go build -o "$server_bin" ./cmd/server
fi
go build -o "$dir/client" ./cmd/livegate-client
clip=$dir/load-$size.y4m
[ -f "$clip" ] || go run ./cmd/facegen -size "$size" -script "neutral 8s; HEAD_LEFT 30deg 1.5s; neutral 1s" -out "$clip" >/dev/null
go test -c -o "$dir/gesture.test" ./internal/gesture
for run in $(seq "$runs"); do
	engine=$(cd internal/gesture && "$dir/gesture.test" -test.run '^$' -test.bench "EngineProcessReal/$size/tracked\+detect" -test.benchtime 200x |
		awk '/cpu-ns\/op/ { for (i = 1; i < NF; i++) if ($(i+1) == "cpu-ns/op") print $i }')
	[ -n "$engine" ] || { echo "no engine benchmark at $size (BenchmarkEngineProcessReal sizes)" >&2; exit 1; }
	(
		export LIVEGATE_ADDR=127.0.0.1:$port LIVEGATE_API_KEYS=test-key-0123456789abcdef LIVEGATE_CREATE_RATE=1000 \
			LIVEGATE_CREATE_BURST=1000 LIVEGATE_MAX_LIVE=64 LIVEGATE_MAX_LIVE_PER_KEY=64 LIVEGATE_LOG_LEVEL=error \
			LIVEGATE_OFFER_LIMIT_IP=off LIVEGATE_PAGE_LIMIT_IP=off LIVEGATE_ATTEMPT_LOCKOUT=off
		[ -n "$profile" ] && export LIVEGATE_CPU_PROFILE=$profile
		exec "$server_bin"
	) &
	server=$!
	for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
	out=$("$dir/client" -server "http://127.0.0.1:$port" -api-key test-key-0123456789abcdef -clip "$clip" \
		-n "$n" -retry -quiet -stagger 50ms | tail -1) || true
	kill -INT "$server"
	wait "$server" || true
	echo "$out" | jq -c --argjson engine "$engine" --arg size "$size" '{
		size: $size, sessions, outcomes,
		engine_cpu_ms_per_frame: ($engine / 1e6 * 100 | round / 100),
		server_cpu_per_session_second: .server.cpu_per_session_second,
		ratio_to_15_engine_frames: (.server.cpu_per_session_second / (15 * $engine / 1e9) * 100 | round / 100),
		server_cpu_ms_per_analysed_frame: .server.cpu_ms_per_analysed_frame,
		dropped_pct: .server.dropped_pct, frame_delay_p99_ms_le: .server.frame_delay_ms_le.p99,
		client_cpu_cores}'
done
