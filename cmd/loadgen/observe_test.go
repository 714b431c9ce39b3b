package main

import (
	"bufio"
	"encoding/json"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/internal/promtest"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/metrics"
	"github.com/loadgen/loadgen/results/report"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestPrometheusScrapesADistributedRun has a real Prometheus server scrape
// a --workers 2 run's --metrics endpoint, and compares what its query API
// gives with the run's JSON: request counts equal (the endpoint stays up
// after the run until scraped once more), the p99 that histogram_quantile
// estimates in the latency bucket of the JSON's exact p99, and a series
// per worker.
func TestPrometheusScrapesADistributedRun(t *testing.T) {
	addr := freeAddr(t)
	prom := promtest.Start(t, promtest.Target{URL: "http://" + addr + "/metrics"})
	jsonPath := filepath.Join(t.TempDir(), "run.json")
	code, out, stderr := runCLI(t, nil, "--workers", "2", "-u", "4", "-r", "0", "-t", "4s", "--metrics", addr,
		"--metrics-linger", "20s", "--json", jsonPath, "--only-summary")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	rep := readReport(t, jsonPath)
	got := prom.WaitFor(t, "sum(loadgen_requests_total)", 10*time.Second, func(v float64) bool { return v == float64(rep.Aggregated.Count) })
	if got != float64(rep.Aggregated.Count) {
		t.Fatalf("Prometheus has %v requests, the JSON %d", got, rep.Aggregated.Count)
	}
	for _, e := range rep.Entries {
		v, _ := prom.Scalar(t, `loadgen_requests_total{method="`+e.Method+`",name="`+e.Name+`"}`)
		if v != float64(e.Count) {
			t.Errorf("%s %s: Prometheus has %v requests, the JSON %d", e.Method, e.Name, v, e.Count)
		}
	}
	est, _ := prom.Scalar(t, "histogram_quantile(0.99, sum by (le) (loadgen_response_time_seconds_bucket))")
	p99 := rep.Aggregated.Percentiles["99"] / 1000
	var lo, hi float64 = 0, math.Inf(1)
	for _, b := range metrics.DefaultBuckets() {
		if b.Seconds() >= p99 {
			hi = b.Seconds()
			break
		}
		lo = b.Seconds()
	}
	if est < lo || est > hi {
		t.Errorf("Prometheus p99 %v s, the JSON's %v s: not in its bucket (%v, %v]", est, p99, lo, hi)
	}
	workers := prom.Query(t, "loadgen_worker_requests_total")
	var sum float64
	for _, w := range workers {
		sum += w.Value
	}
	if len(workers) != 2 || sum != float64(rep.Aggregated.Count) {
		t.Errorf("%d worker series summing to %v; want 2 summing to %d", len(workers), sum, rep.Aggregated.Count)
	}
}

// TestIntervalLogAndJSONLinesOfARun reads a run's --hdr-log back with
// hdrhistogram-go's own reader: merged, its intervals give the JSON's
// percentiles, the warm-up left out as the JSON leaves it out; and its
// --jsonl has one line per second whose last counts are the JSON's.
func TestIntervalLogAndJSONLinesOfARun(t *testing.T) {
	dir := t.TempDir()
	hlog, jsonl, jsonPath := filepath.Join(dir, "run.hlog"), filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "run.json")
	code, out, stderr := runCLI(t, nil, "-u", "3", "-r", "0", "-t", "4s", "--warmup", "1s",
		"--hdr-log", hlog, "--jsonl", jsonl, "--json", jsonPath, "--only-summary")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	rep := readReport(t, jsonPath)
	f, err := os.Open(hlog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := hdrhistogram.NewHistogramLogReader(f)
	merged := map[string]*hdrhistogram.Histogram{}
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		if merged[h.Tag()] == nil {
			merged[h.Tag()] = results.NewHistogram()
		}
		merged[h.Tag()].Merge(h)
	}
	check := func(tag string, e report.Entry) {
		h := merged[tag]
		if h == nil || h.TotalCount() != e.Count {
			t.Fatalf("%q: the log holds %d values, the JSON %d", tag, count(h), e.Count)
		}
		p := results.NewPackedHistogram()
		p.MergeFrom(h)
		d := results.NewDistribution(p, time.Duration(math.Round(e.MinMs*1e6)), time.Duration(math.Round(e.MaxMs*1e6)))
		for i, q := range results.ReportedPercentiles() {
			want := e.Percentiles[results.PercentileKey(q)]
			if got := float64(d.Reported()[i]) / 1e6; got != want {
				t.Errorf("%q p%s: %v ms from the log, %v ms in the JSON", tag, results.PercentileKey(q), got, want)
			}
		}
	}
	check("", rep.Aggregated)
	for _, e := range rep.Entries {
		check(report.HDRLogTag(results.EntryKey{Method: e.Method, Name: e.Name}), e)
	}

	jf, err := os.Open(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	defer jf.Close()
	var rows []report.HistoryRow
	sc := bufio.NewScanner(jf)
	for sc.Scan() {
		var row report.HistoryRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		rows = append(rows, row)
	}
	if len(rows) < 3 || len(rows) > 5 {
		t.Fatalf("%d JSON lines for 3 s after the warm-up", len(rows))
	}
	last := rows[len(rows)-1]
	if last.Aggregated.Count != rep.Aggregated.Count || len(last.Entries) != len(rep.Entries) {
		t.Errorf("last line: %d requests in %d entries; the JSON has %d in %d", last.Aggregated.Count, len(last.Entries), rep.Aggregated.Count, len(rep.Entries))
	}
	if rows[0].Aggregated.Count > rep.Aggregated.Count/2 {
		t.Errorf("the first line already has %d of %d requests: the warm-up is in it", rows[0].Aggregated.Count, rep.Aggregated.Count)
	}
}

func TestMetricsRefusesAnOpenAddressWithoutCredentials(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "-t", "1s", "--metrics", "0.0.0.0:0")
	if code != exitUsage || !strings.Contains(stderr, "--metrics 0.0.0.0:0") || !strings.Contains(stderr, "credentials") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}

func count(h *hdrhistogram.Histogram) int64 {
	if h == nil {
		return 0
	}
	return h.TotalCount()
}
