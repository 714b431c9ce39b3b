#!/usr/bin/env bash
# make smoke: a CI smoke load test. Starts albumsvc on a free loopback port,
# runs profiles/smoke.yaml (about 10 s) with its thresholds, and exits with
# loadgen's code: 0 when every threshold held, 3 when one was breached.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-bin}"
log=$(mktemp)
"$BIN/albumsvc" --addr 127.0.0.1:0 --store "${STORE:-rwmutex}" 2>"$log" &
svc=$!
trap 'kill $svc 2>/dev/null || true; wait $svc 2>/dev/null || true; rm -f "$log"' EXIT
addr=""
for _ in $(seq 100); do
	addr=$(sed -n 's/.*msg=listening.* addr=\([0-9.:]*\).*/\1/p' "$log" | head -1)
	[ -n "$addr" ] && break
	sleep 0.1
done
if [ -z "$addr" ]; then
	echo "smoke: albumsvc did not start:" >&2
	cat "$log" >&2
	exit 1
fi
echo "smoke: albumsvc at $addr"
set +e
"$BIN/loadgen" --host "http://$addr" --profile smoke --only-summary --json "${SMOKE_JSON:-/dev/null}" "$@"
code=$?
set -e
echo "smoke: loadgen exited with $code"
exit $code
