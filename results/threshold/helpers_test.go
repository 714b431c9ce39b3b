package threshold

import (
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
)

// t0 is the start of every recorded test run.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// sample is one request of a scripted run.
type sample struct {
	method, name string
	latency      time.Duration
	fail         bool
}

// second is what happens in one second of a scripted run.
type second []sample

// record plays a scripted run through the real pipeline (Recorder, Delta,
// Aggregator), one drain and tick per second, and returns the snapshot
// taken at t0+elapsed.
func record(t testing.TB, elapsed time.Duration, seconds ...second) *results.Snapshot {
	t.Helper()
	var keys []results.EntryKey
	index := map[results.EntryKey]int{}
	for _, sec := range seconds {
		for _, s := range sec {
			k := results.EntryKey{Method: s.method, Name: s.name}
			if _, ok := index[k]; !ok {
				index[k] = len(keys)
				keys = append(keys, k)
			}
		}
	}
	rec := results.NewRecorder(keys)
	agg := results.NewAggregator(t0, results.AggregatorOptions{})
	d := results.NewDelta()
	for i, sec := range seconds {
		for _, s := range sec {
			e := index[results.EntryKey{Method: s.method, Name: s.name}]
			if s.fail {
				rec.Failure(e, s.latency, 0, "HTTP 500 Internal Server Error")
			} else {
				rec.Success(e, s.latency, 100)
			}
		}
		d.Reset()
		rec.Drain(d)
		if err := agg.Add(d); err != nil {
			t.Fatalf("Add: %v", err)
		}
		agg.Tick(t0.Add(time.Duration(i+1)*time.Second), 1)
	}
	return agg.Snapshot(t0.Add(elapsed))
}

// ramp returns n requests to one entry whose latencies are step, 2·step, …,
// n·step, with the given failures among them (the slowest ones).
func ramp(method, name string, n int, step time.Duration, failures int) second {
	out := make(second, n)
	for i := range out {
		out[i] = sample{method: method, name: name, latency: time.Duration(i+1) * step, fail: i >= n-failures}
	}
	return out
}

// repeat returns n identical requests.
func repeat(method, name string, n int, latency time.Duration) second {
	out := make(second, n)
	for i := range out {
		out[i] = sample{method: method, name: name, latency: latency}
	}
	return out
}

func join(secs ...second) second {
	var out second
	for _, s := range secs {
		out = append(out, s...)
	}
	return out
}

func mustParse(t testing.TB, expr string) *Threshold {
	t.Helper()
	th, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	return th
}
