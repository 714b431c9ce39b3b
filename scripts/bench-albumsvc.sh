#!/usr/bin/env bash
# Album service benchmarks, printed as Markdown tables:
#  1. each store under the write-only workload (50 goroutines x 1000
#     distinct inserts into a fresh store; ns and allocs per insert), the
#     read-heavy mix (90% get / 10% put over 10k keys) and the 50/50 mix
#     (b.RunParallel, GOMAXPROCS goroutines; ns and allocs per operation);
#  2. POST /albums over loopback HTTP with the journal fsynced before each
#     201: group commit (--fsync always) against one fsync per request, and
#     the throughput ratio between them.
# Takes well under two minutes on two cores. STORE_TIME and POST_TIME set
# -benchtime. Absolute figures move with machine load; compare within a run.
set -euo pipefail
cd "$(dirname "$0")/.."
STORE_TIME="${STORE_TIME:-300ms}"
POST_TIME="${POST_TIME:-2s}"
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT

bench() { # PATTERN BENCHTIME
	if ! go test -run '^$' -bench "$1" -benchmem -benchtime "$2" ./albumsvc/ >>"$raw" 2>&1; then
		cat "$raw" >&2
		exit 1
	fi
}
bench '^BenchmarkStore(Write|Read90|Mix50)$' "$STORE_TIME"
bench '^BenchmarkPOSTFsync$' "$POST_TIME"

cpu=$(grep -m1 '^cpu:' "$raw" | cut -d: -f2- | sed 's/^ *//; s/ *$//')
echo "Machine: $(nproc) cores ($cpu), $(go version | cut -d' ' -f3-4)"
echo

awk '
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	n = split(name, part, "/"); group = part[1]; sub(/^Benchmark/, "", group); sub_ = part[2]
	for (i = 3; i < NF; i += 2) v[group, sub_, $(i + 1)] = $i
	if (group ~ /^Store/ && !(sub_ in seen)) { seen[sub_] = 1; stores[++ns] = sub_ }
	if (group == "POSTFsync") modes[++nm] = sub_
}
END {
	print "| store | write ns/insert | allocs/insert | read 90% ns/op | allocs/op | mix 50/50 ns/op | allocs/op |"
	print "|---|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= ns; i++) {
		s = stores[i]
		printf "| %s | %.0f | %s | %.1f | %s | %.1f | %s |\n", s,
			v["StoreWrite", s, "ns/op"], v["StoreWrite", s, "allocs/op"],
			v["StoreRead90", s, "ns/op"], v["StoreRead90", s, "allocs/op"],
			v["StoreMix50", s, "ns/op"], v["StoreMix50", s, "allocs/op"]
	}
	print ""
	print "| POST /albums, journal fsynced before 201 | ns/op | posts/s | fsyncs/post | allocs/op |"
	print "|---|---:|---:|---:|---:|"
	for (i = 1; i <= nm; i++) {
		m = modes[i]
		printf "| %s | %.0f | %.0f | %.3f | %s |\n", m, v["POSTFsync", m, "ns/op"], v["POSTFsync", m, "posts/s"],
			v["POSTFsync", m, "fsyncs/op"], v["POSTFsync", m, "allocs/op"]
	}
	g = v["POSTFsync", "group-commit", "posts/s"]; p = v["POSTFsync", "per-request", "posts/s"]
	if (g > 0 && p > 0) printf "\nGroup commit / per-request fsync throughput: %.1fx\n", g / p
}' "$raw"
