#!/usr/bin/env bash
# Album service benchmarks, printed as Markdown tables:
#  1. each store under the write-only workload (50 goroutines x 1000
#     distinct inserts into a fresh store; ns and allocs per insert), the
#     read-heavy mix (90% get / 10% put over 10k keys) and the 50/50 mix
#     (b.RunParallel, GOMAXPROCS goroutines; ns and allocs per operation),
#     and a listing mix (90% pages of 50 albums / 10% put);
#  2. POST /albums over loopback HTTP with the journal fsynced before each
#     201: group commit (--fsync always) against one fsync per request, and
#     the throughput ratio between them.
# Every benchmark runs COUNT times and the tables show the median, since a
# shared two-core machine is noisy. Takes about a minute on two cores.
# STORE_TIME and POST_TIME set -benchtime. Absolute figures move with
# machine load; compare within a run.
set -euo pipefail
cd "$(dirname "$0")/.."
STORE_TIME="${STORE_TIME:-200ms}"
POST_TIME="${POST_TIME:-1s}"
COUNT="${COUNT:-5}"
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT

bench() { # PATTERN BENCHTIME
	if ! go test -run '^$' -bench "$1" -benchmem -benchtime "$2" -count "$COUNT" ./albumsvc/ >>"$raw" 2>&1; then
		cat "$raw" >&2
		exit 1
	fi
}
load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
bench '^BenchmarkStore(Write|Read90|Mix50|Pages)$' "$STORE_TIME"
bench '^BenchmarkPOSTFsync$' "$POST_TIME"

cpu=$(grep -m1 '^cpu:' "$raw" | cut -d: -f2- | sed 's/^ *//; s/ *$//')
load_after=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
echo "Machine: $(nproc) cores ($cpu), $(go version | cut -d' ' -f3-4); 1-minute load average $load_before before, $load_after after"
echo

awk '
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	n = split(name, part, "/"); group = part[1]; sub(/^Benchmark/, "", group); sub_ = part[2]
	for (i = 3; i < NF; i += 2) { k = group SUBSEP sub_ SUBSEP $(i + 1); runs[k] = runs[k] " " $i }
	if (group ~ /^Store/ && !(sub_ in seen)) { seen[sub_] = 1; stores[++ns] = sub_ }
	if (group == "POSTFsync" && !(("m" sub_) in seen)) { seen["m" sub_] = 1; modes[++nm] = sub_ }
}
function median(list,    a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n ? a[int((n + 1) / 2)] : 0
}
END {
	for (k in runs) v[k] = median(runs[k])
	print "| store | write ns/insert | allocs/insert | read 90% ns/op | allocs/op | mix 50/50 ns/op | allocs/op | pages 90% ns/op |"
	print "|---|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= ns; i++) {
		s = stores[i]
		printf "| %s | %.0f | %s | %.1f | %s | %.1f | %s | %.0f |\n", s,
			v["StoreWrite", s, "ns/op"], v["StoreWrite", s, "allocs/op"],
			v["StoreRead90", s, "ns/op"], v["StoreRead90", s, "allocs/op"],
			v["StoreMix50", s, "ns/op"], v["StoreMix50", s, "allocs/op"], v["StorePages", s, "ns/op"]
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
