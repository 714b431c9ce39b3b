package metrics

import (
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/promtest"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// TestPrometheusScrapesWhatTheReportSays has a real Prometheus server
// scrape the collector while statistics accumulate, then reads the values
// back through Prometheus's query API and compares them with the JSON
// report of the same statistics: request counts equal, the p99 that
// histogram_quantile estimates from the buckets in the bucket that holds
// the report's exact p99, and the window gauge exactly the window's p99.
func TestPrometheusScrapesWhatTheReportSays(t *testing.T) {
	var snap atomic.Pointer[results.Snapshot]
	c := NewCollector(Source{Snapshot: snap.Load}, Options{})
	srv := httptest.NewServer(Handler(c))
	defer srv.Close()
	prom := promtest.Start(t, promtest.Target{URL: srv.URL + "/metrics"})

	keys := []results.EntryKey{{Method: "GET", Name: "/albums"}, {Method: "POST", Name: "/albums"}}
	begin := time.Now()
	agg := results.NewAggregator(begin, results.AggregatorOptions{})
	rec := results.NewRecorder(keys)
	d := results.NewDelta()
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 1; i <= 8; i++ {
		for range 2000 {
			e := rng.IntN(2)
			lat := time.Duration(200+rng.IntN(3000*(e+1))) * time.Microsecond
			if rng.IntN(100) == 0 {
				lat = time.Duration(100+rng.IntN(400)) * time.Millisecond
			}
			rec.Success(e, lat, 1)
		}
		time.Sleep(500 * time.Millisecond)
		d.Reset()
		rec.Drain(d)
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		agg.Tick(now, i)
		snap.Store(agg.Snapshot(now))
	}
	final := snap.Load()
	rep, err := report.NewReport(final, report.JSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Wait for a scrape of the final snapshot.
	prom.WaitFor(t, "sum(loadgen_requests_total)", 20*time.Second, func(v float64) bool { return v == float64(rep.Aggregated.Count) })
	for _, e := range rep.Entries {
		got, _ := prom.Scalar(t, `loadgen_requests_total{method="`+e.Method+`",name="`+e.Name+`"}`)
		if got != float64(e.Count) {
			t.Errorf("%s %s: Prometheus has %v requests, the report %d", e.Method, e.Name, got, e.Count)
		}
	}
	est, ok := prom.Scalar(t, "histogram_quantile(0.99, sum by (le) (loadgen_response_time_seconds_bucket))")
	if !ok {
		t.Fatal("no p99 from Prometheus")
	}
	p99 := rep.Aggregated.Percentiles["99"] / 1000
	lo, hi := bucketAround(p99)
	if est < lo || est > hi || p99 < lo*0.999 || p99 > hi*1.001 {
		t.Errorf("Prometheus p99 %v s, the report's %v s: not in the same bucket (%v, %v]", est, p99, lo, hi)
	}
	w, _ := prom.Scalar(t, `loadgen_window_response_time_seconds{name="Aggregated",quantile="0.99"}`)
	if want := final.Total.Window().Percentile(0.99).Seconds(); w != want {
		t.Errorf("window p99 gauge %v s, the window's %v s", w, want)
	}
	if n, _ := prom.Scalar(t, "loadgen_users"); n != 8 {
		t.Errorf("users %v, want 8", n)
	}
}

// bucketAround returns the default buckets' bounds around v seconds.
func bucketAround(v float64) (lo, hi float64) {
	for _, b := range DefaultBuckets() {
		if b.Seconds() >= v {
			return lo, b.Seconds()
		}
		lo = b.Seconds()
	}
	return lo, math.Inf(1)
}
