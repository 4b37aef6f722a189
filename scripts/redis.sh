#!/usr/bin/env bash
# Starts a throwaway Redis on 127.0.0.1:6379 for the tests unless one answers.
set -euo pipefail
if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
	exit 0
fi
echo "redis: starting redis-server on 127.0.0.1:6379"
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
for _ in $(seq 50); do
	redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && exit 0
	sleep 0.1
done
echo "redis: did not answer on 127.0.0.1:6379" >&2
exit 1
