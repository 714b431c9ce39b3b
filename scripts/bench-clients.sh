#!/usr/bin/env bash
# Benchmarks each client's request path with the server in another process,
# each pinned to its own core, so that cpu-us/op is the client's CPU alone.
# Usage: scripts/bench-clients.sh [benchtime]   (default 3s)
set -euo pipefail

benchtime=${1:-3s}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
server_pid=
cleanup() {
	if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# Pin each side to its own core when the machine has two and taskset exists.
server_pin=() client_pin=()
if command -v taskset >/dev/null && (($(nproc) > 1)); then
	server_pin=(taskset -c 1) client_pin=(taskset -c 0)
fi

go test -c -o "$tmp/client.test" ./loadgen/client

LOADGEN_CLIENT_BENCH_SERVE=127.0.0.1:0 "${server_pin[@]}" "$tmp/client.test" >"$tmp/url" 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 50); do
	[[ -s $tmp/url ]] && break
	sleep 0.1
done
url=$(head -n1 "$tmp/url")
if [[ -z $url ]]; then
	echo "bench-clients: the server did not start" >&2
	cat "$tmp/server.log" >&2
	exit 1
fi

LOADGEN_CLIENT_BENCH_URL=$url "${client_pin[@]}" "$tmp/client.test" \
	-test.run '^$' -test.bench 'BenchmarkDo(Users)?/' -test.benchmem -test.benchtime "$benchtime"
