#!/usr/bin/env bash
# make smoke: a CI smoke load test. Starts albumsvc on a free loopback port,
# runs profiles/smoke.yaml (about 10 s) with its thresholds, and exits with
# loadgen's code: 0 when every threshold held, 3 when one was breached.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-bin}"
. scripts/lib.sh
log=$(mktemp)
trap 'stop_albumsvc; rm -f "$log"' EXIT
start_albumsvc "$log" --store "${STORE:-rwmutex}"
addr=$svc_addr
echo "smoke: albumsvc at $addr"
set +e
"$BIN/loadgen" --host "http://$addr" --profile smoke --only-summary --json "${SMOKE_JSON:-/dev/null}" "$@"
code=$?
set -e
echo "smoke: loadgen exited with $code"
exit $code
