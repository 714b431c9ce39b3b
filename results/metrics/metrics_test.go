package metrics

import (
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/loadgen/loadgen/results"
)

var start = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// snapshot runs an aggregator over seconds of synthetic requests on the
// given number of entries, with failures of several texts.
func snapshot(t *testing.T, entries, seconds int) *results.Snapshot {
	t.Helper()
	var keys []results.EntryKey
	for i := range entries {
		keys = append(keys, results.EntryKey{Method: "GET", Name: fmt.Sprintf("/e%02d", i)})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	agg := results.NewAggregator(start, results.AggregatorOptions{})
	rec := results.NewRecorder(keys)
	d := results.NewDelta()
	for sec := 1; sec <= seconds; sec++ {
		for i := range 500 {
			e := min(rng.IntN(entries*entries), entries*entries-1)
			e = entries - 1 - intSqrt(e) // more requests for the first entries
			lat := time.Duration(50+rng.IntN(20000)) * time.Microsecond
			if i%25 == 0 {
				rec.Failure(e, lat, 0, fmt.Sprintf("HTTP %d", 500+i%7))
			} else {
				rec.Success(e, lat, 10)
			}
		}
		rec.Drain(d)
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
		d.Reset()
		agg.Tick(start.Add(time.Duration(sec)*time.Second), 7)
	}
	return agg.Snapshot(start.Add(time.Duration(seconds) * time.Second))
}

func intSqrt(n int) int {
	r := 0
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}

func gather(t *testing.T, c *Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func labels(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, ",")
}

func find(t *testing.T, mfs map[string]*dto.MetricFamily, name, lbls string) *dto.Metric {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		t.Fatalf("no metric %s", name)
	}
	for _, m := range mf.GetMetric() {
		if labels(m) == lbls {
			return m
		}
	}
	t.Fatalf("no %s{%s}", name, lbls)
	return nil
}

func TestCollectorGivesTheSnapshotsNumbers(t *testing.T) {
	s := snapshot(t, 3, 15)
	s.Pauses = results.PauseStats{Count: 2, Total: 1500 * time.Millisecond, Max: time.Second}
	c := NewCollector(Source{
		Snapshot: func() *results.Snapshot { return s },
		Open:     func() *results.OpenStats { return &results.OpenStats{Scheduled: 10, Sent: 9, Late: 2, Dropped: 1} },
		Workers: func() []results.WorkerStatus {
			return []results.WorkerStatus{{ID: "w1", State: "running", Users: 4, Requests: 99}, {ID: "w2", State: "missing"}}
		},
	}, Options{})
	mfs := gather(t, c)
	for _, e := range s.Entries {
		l := "method=GET,name=" + e.Name()
		if got := find(t, mfs, "loadgen_requests_total", l).GetCounter().GetValue(); got != float64(e.Count()) {
			t.Errorf("%s: requests %v, want %d", e.Name(), got, e.Count())
		}
		if got := find(t, mfs, "loadgen_request_failures_total", l).GetCounter().GetValue(); got != float64(e.Failures()) {
			t.Errorf("%s: failures %v, want %d", e.Name(), got, e.Failures())
		}
		h := find(t, mfs, "loadgen_response_time_seconds", l).GetHistogram()
		if h.GetSampleCount() != uint64(e.Count()) || h.GetSampleSum() != e.Sum().Seconds() {
			t.Errorf("%s: histogram count %d sum %v, want %d and %v", e.Name(), h.GetSampleCount(), h.GetSampleSum(), e.Count(), e.Sum().Seconds())
		}
		// Each bucket holds the requests at or below its bound; check one
		// against the snapshot's own percentiles.
		for _, b := range h.GetBucket() {
			if b.GetUpperBound() == 0.01 {
				p := float64(b.GetCumulativeCount()) / float64(e.Count())
				if e.Percentile(p-0.01) > 10*time.Millisecond || e.Percentile(min(p+0.01, 1)) < 10*time.Millisecond {
					t.Errorf("%s: %.3f of the requests under 10 ms, but the percentiles around it are %v and %v", e.Name(), p, e.Percentile(p-0.01), e.Percentile(p+0.01))
				}
			}
		}
		w := e.Window()
		for _, q := range []float64{0.5, 0.99, 1} {
			got := find(t, mfs, "loadgen_window_response_time_seconds", fmt.Sprintf("method=GET,name=%s,quantile=%g", e.Name(), q)).GetGauge().GetValue()
			if got != w.Percentile(q).Seconds() {
				t.Errorf("%s: window p%g %v, want %v", e.Name(), q*100, got, w.Percentile(q).Seconds())
			}
		}
		if got := find(t, mfs, "loadgen_window_requests_per_second", l).GetGauge().GetValue(); got != e.CurrentRPS() {
			t.Errorf("%s: window rps %v, want %v", e.Name(), got, e.CurrentRPS())
		}
	}
	total := s.Total.Window()
	if got := find(t, mfs, "loadgen_window_response_time_seconds", "method=,name=Aggregated,quantile=0.99").GetGauge().GetValue(); got != total.Percentile(0.99).Seconds() {
		t.Errorf("aggregated window p99 %v, want %v", got, total.Percentile(0.99).Seconds())
	}
	if _, ok := mfs["loadgen_requests_total"]; ok {
		for _, m := range mfs["loadgen_requests_total"].GetMetric() {
			if strings.Contains(labels(m), "Aggregated") {
				t.Error("the counters hold an Aggregated series: sum() would count every request twice")
			}
		}
	}
	var errSum float64
	for _, m := range mfs["loadgen_errors_total"].GetMetric() {
		errSum += m.GetCounter().GetValue()
	}
	if errSum != float64(s.Total.Failures()) {
		t.Errorf("errors_total sums to %v, want %d", errSum, s.Total.Failures())
	}
	if got := find(t, mfs, "loadgen_users", "").GetGauge().GetValue(); got != 7 {
		t.Errorf("users %v, want 7", got)
	}
	if got := find(t, mfs, "loadgen_generator_pauses_total", "").GetCounter().GetValue(); got != 2 {
		t.Errorf("generator pauses %v, want 2", got)
	}
	if got := find(t, mfs, "loadgen_generator_paused_seconds_total", "").GetCounter().GetValue(); got != 1.5 {
		t.Errorf("generator paused %vs, want 1.5s", got)
	}
	if got := find(t, mfs, "loadgen_open_dropped_total", "").GetCounter().GetValue(); got != 1 {
		t.Errorf("open dropped %v", got)
	}
	if got := find(t, mfs, "loadgen_worker_up", "state=missing,worker=w2").GetGauge().GetValue(); got != 0 {
		t.Errorf("a missing worker is up: %v", got)
	}
	if got := find(t, mfs, "loadgen_worker_requests_total", "worker=w1").GetCounter().GetValue(); got != 99 {
		t.Errorf("worker requests %v", got)
	}
}

func TestCollectorBoundsItsLabels(t *testing.T) {
	s := snapshot(t, 6, 3)
	c := NewCollector(Source{Snapshot: func() *results.Snapshot { return s }}, Options{MaxEntries: 3, MaxErrors: 4})
	mfs := gather(t, c)
	names := map[string]float64{}
	for _, m := range mfs["loadgen_requests_total"].GetMetric() {
		names[labels(m)] = m.GetCounter().GetValue()
	}
	if len(names) != 3 {
		t.Fatalf("%d entry series, want 3 (2 entries and the others): %v", len(names), names)
	}
	var sum float64
	for _, v := range names {
		sum += v
	}
	if sum != float64(s.Total.Count()) || names["method=,name="+OtherEntries] == 0 {
		t.Errorf("entry series sum to %v, want %d, with the others summed: %v", sum, s.Total.Count(), names)
	}
	errs := mfs["loadgen_errors_total"].GetMetric()
	var errSum float64
	texts := map[string]bool{}
	for _, m := range errs {
		errSum += m.GetCounter().GetValue()
		texts[labels(m)] = true
	}
	if errSum != float64(s.Total.Failures()) {
		t.Errorf("errors sum to %v, want %d", errSum, s.Total.Failures())
	}
	// 4 groups of their own, then the rest of the kept entries' and the
	// other entries' under one text each.
	if len(errs) > 4+2+1 {
		t.Errorf("%d error series, want at most 7: %v", len(errs), texts)
	}
}

func TestCollectorBeforeAnyRun(t *testing.T) {
	c := NewCollector(Source{Snapshot: func() *results.Snapshot { return nil }}, Options{})
	if mfs := gather(t, c); len(mfs) != 0 {
		t.Errorf("metrics before a run: %v", mfs)
	}
}

// BenchmarkScrape is one scrape of a run with 20 entries: collecting, and
// encoding in the text format as Prometheus asks for it. Its ns/op is the
// CPU a scrape costs the load generator; at Prometheus's usual 15 s
// interval, divide by 15 s for the share of a core.
func BenchmarkScrape(b *testing.B) {
	t := &testing.T{}
	s := snapshot(t, 20, 12)
	h := Handler(NewCollector(Source{Snapshot: func() *results.Snapshot { return s }}, Options{}))
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	b.ReportAllocs()
	var size int
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/scrape")
}
