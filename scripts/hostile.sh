#!/usr/bin/env bash
# Measures what a misbehaving target costs a loadgen process: for each mode
# of the hostile test target (internal/hostile) and each client, one run of
# 2 users sending GET / for 4 s with a 5 s timeout, and its exit code, wall
# time, peak RSS and summary line. LOADGEN names the binary measured (default bin/loadgen,
# built first); MODES and CLIENTS narrow the table.
set -uo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
if [ -z "${LOADGEN:-}" ]; then
	make -s build || exit 1
	LOADGEN=bin/loadgen
fi
go build -o "$tmp/hostile" ./internal/hostile/cmd/hostile || exit 1
printf 'name: get\ntasks:\n  - method: GET\n    path: /\n' >"$tmp/get.yaml"
MODES=${MODES:-"huge-length huge-chunk endless big-body big-headers endless-headers garbage-status never slow-body"}
CLIENTS=${CLIENTS:-"fasthttp nethttp"}
printf '%-16s %-9s %4s %7s %9s  %s\n' mode client exit wall_s peak_MB summary
for mode in $MODES; do
	for client in $CLIENTS; do
		rm -f "$tmp/url" # the redirection below happens in the background
		"$tmp/hostile" --mode "$mode" --body-size $((500 << 20)) >"$tmp/url" &
		pid=$!
		for _ in $(seq 50); do [ -s "$tmp/url" ] && break; sleep 0.1; done
		url=$(head -1 "$tmp/url")
		/usr/bin/time -f '%e %M' -o "$tmp/time" timeout -s KILL 120 \
			"$LOADGEN" -H "$url" --profile "$tmp/get.yaml" --client "$client" -u 2 -r 0 -t 4s --timeout 5s \
			--only-summary --json "$tmp/out.json" >"$tmp/out" 2>"$tmp/err"
		code=$?
		read -r wall rss < <(tail -1 "$tmp/time")
		summary=$(grep -a '^requests=' "$tmp/out" | cut -d' ' -f1-2)
		[ -z "$summary" ] && summary="(no summary) $(grep -a -m1 -E 'panic|fatal error' "$tmp/err" | cut -c1-60)"
		printf '%-16s %-9s %4s %7s %9.0f  %s\n' "$mode" "$client" "$code" "$wall" "$((rss / 1024))" "$summary"
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=""
	done
done
