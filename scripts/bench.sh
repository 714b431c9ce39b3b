#!/usr/bin/env bash
# make bench: the figures the README quotes, from one run on this machine.
#  1. Generator CPU per request for each client: albumsvc pinned to one core,
#     loadgen (albums-by-id, 50 users, no wait) pinned to the other.
#  2. A journey's cost: a three-step journey with a JSON capture, a cookie
#     and status checks (scripts/bench-journey.yaml) against albums-by-id,
#     per request, in the same run; a capture's allocations.
#  3. Go benchmarks of the hot path: recording, rendering, each client.
#  4. Many users: users that think, a ramp, the open model at high rates
#     (scripts/bench-users.sh).
#  5. The album service's store and journal benchmarks.
# Compare ratios within one run: absolute figures move with machine noise.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-8}"
USERS="${USERS:-50}"
BIN=bin
out=$(mktemp -d)
. scripts/lib.sh
trap 'stop_albumsvc; rm -rf "$out"' EXIT

pin() { # CORE CMD...: run pinned when taskset exists and there are 2 cores
	local core=$1; shift
	if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then taskset -c "$core" "$@"; else "$@"; fi
}

echo "== generator CPU per request (albums-by-id, $USERS users, ${DURATION}s, $(nproc) cores, $(go version | cut -d' ' -f3))"
printf '%-10s %10s %12s %10s %10s %14s\n' client requests req/s p50_ms p99_ms cpu_us/req
for client in fasthttp nethttp; do
	PIN_CPU=0 start_albumsvc "$out/svc.log" --store rwmutex
	pin 1 "$BIN/loadgen" --host "http://$svc_addr" --profile albums-by-id --users "$USERS" --spawn-rate 0 \
		--run-time "${DURATION}s" --client "$client" --only-summary --json "$out/$client.json" >"$out/$client.txt" 2>&1 || true
	stop_albumsvc
	line=$(grep -E '^requests=' "$out/$client.txt" | tail -1)
	get() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	printf '%-10s %10s %12s %10s %10s %14s\n' "$client" "$(get requests)" "$(get rps)" "$(get p50_ms)" "$(get p99_ms)" "$(get cpu_us_per_req)"
	eval "cpu_$client=$(get cpu_us_per_req)"
done
awk -v f="$cpu_fasthttp" -v n="$cpu_nethttp" 'BEGIN { if (f > 0) printf "nethttp/fasthttp CPU per request: %.2fx\n", n / f }'
echo "(goal: fasthttp <= 25 us, nethttp <= 50 us; reference here: wrk 20, bombardier 33, hey 52, vegeta 65, Locust FastHttpUser 223)"
echo

echo "== distribution cost (fasthttp, generator CPU per request: coordinator plus workers)"
printf '%-10s %10s %12s %14s\n' workers requests req/s cpu_us/req
for n in 1 4; do
	PIN_CPU=0 start_albumsvc "$out/svc.log" --store rwmutex
	pin 1 "$BIN/loadgen" --host "http://$svc_addr" --profile albums-by-id --users "$USERS" --spawn-rate 0 \
		--run-time "${DURATION}s" --workers "$n" --only-summary >"$out/w$n.txt" 2>&1 || true
	stop_albumsvc
	line=$(grep -E '^requests=' "$out/w$n.txt" | tail -1)
	printf '%-10s %10s %12s %14s\n' "$n" "$(get requests)" "$(get rps)" "$(get cpu_us_per_req)"
	eval "cpu_w$n=$(get cpu_us_per_req)"
done
awk -v a="$cpu_w1" -v b="$cpu_w4" 'BEGIN { if (a > 0) printf "--workers 4 / --workers 1 CPU per request: %.2fx (goal: at most 1.3x)\n", b / a }'
echo

echo "== journeys (fasthttp, $USERS users, ${DURATION}s, generator CPU per request)"
printf '%-14s %10s %12s %10s %14s\n' profile requests req/s failures cpu_us/req
for prof in albums-by-id journey; do
	file=$prof
	[ "$prof" = journey ] && file=scripts/bench-journey.yaml
	PIN_CPU=0 start_albumsvc "$out/svc.log" --store rwmutex
	pin 1 "$BIN/loadgen" --host "http://$svc_addr" --profile "$file" --users "$USERS" --spawn-rate 0 \
		--run-time "${DURATION}s" --only-summary >"$out/j-$prof.txt" 2>&1 || true
	stop_albumsvc
	line=$(grep -E '^requests=' "$out/j-$prof.txt" | tail -1)
	printf '%-14s %10s %12s %10s %14s\n' "$prof" "$(get requests)" "$(get rps)" "$(get errors)" "$(get cpu_us_per_req)"
	eval "cpu_j_${prof//-/_}=$(get cpu_us_per_req)"
done
awk -v a="$cpu_j_albums_by_id" -v b="$cpu_j_journey" 'BEGIN { if (a > 0) printf "journey / albums-by-id CPU per request: %.2fx (goal: at most 1.5x)\n", b / a }'
allocs=$(go test -run '^$' -bench 'CaptureJSON' -benchmem -benchtime 200ms ./profiles/capture/ 2>&1 | awk '/^BenchmarkCaptureJSON/ { print $1, $(NF-1) }')
echo "$allocs" | sed 's/^/allocs\/op of a capture from a 1 KB body: /'
echo "$allocs" | awk '{ if ($2 > 2) bad = 1 } END { print (bad ? "goal missed: at most 2 allocations" : "(goal: at most 2 allocations)") }'
echo

echo "== hot-path benchmarks"
go test -run '^$' -bench . -benchmem -benchtime 200ms ./results/ ./loadgen/client/ ./loadgen/users/ ./profiles/ 2>&1 | grep -E '^(Benchmark|ok|FAIL)'
echo

scripts/bench-users.sh
echo

if [ -x scripts/bench-albumsvc.sh ]; then
	echo "== album service"
	scripts/bench-albumsvc.sh
fi
