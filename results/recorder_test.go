package results

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var testKeys = []EntryKey{{"GET", "/albums"}, {"POST", "/albums"}}

func TestRecorderDrainMovesEverything(t *testing.T) {
	r := NewRecorder(testKeys)
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	r.Success(0, 10*time.Millisecond, 100)
	r.Success(0, 30*time.Millisecond, 300)
	r.Observe(1, Observation{Latency: 5 * time.Millisecond, Bytes: 7, Err: "HTTP 500 Internal Server Error", At: t0})
	r.Observe(1, Observation{Latency: 7 * time.Millisecond, Bytes: 9, Err: "HTTP 500 Internal Server Error", At: t0.Add(time.Second)})

	d := NewDelta()
	r.Drain(d)
	if n, f := d.Totals(); n != 4 || f != 2 {
		t.Fatalf("Totals = %d, %d; want 4, 2", n, f)
	}
	get := d.index[testKeys[0]].counters
	want := counters{count: 2, sumUs: 40_000, minUs: 10_000, maxUs: 30_000, bytes: 400}
	if get != want {
		t.Errorf("GET counters = %+v, want %+v", get, want)
	}
	post := d.index[testKeys[1]].counters
	want = counters{count: 2, failures: 2, sumUs: 12_000, minUs: 5_000, maxUs: 7_000, bytes: 16}
	if post != want {
		t.Errorf("POST counters = %+v, want %+v", post, want)
	}
	if n := d.index[testKeys[0]].series.latency.total; n != 2 {
		t.Errorf("GET histogram holds %d, want 2", n)
	}
	e := d.errors[ErrorKey{"POST", "/albums", "HTTP 500 Internal Server Error"}]
	if e == nil || e.count != 2 || !e.first.Equal(t0) || !e.last.Equal(t0.Add(time.Second)) {
		t.Fatalf("error group = %+v, want 2 occurrences from %v to %v", e, t0, t0.Add(time.Second))
	}

	// A second drain finds nothing new.
	d2 := NewDelta()
	r.Drain(d2)
	if !d2.Empty() {
		n, f := d2.Totals()
		t.Errorf("second drain not empty: %d requests, %d failures, %d error groups", n, f, len(d2.errors))
	}
	// And the recorder keeps working after drains.
	r.Success(1, time.Millisecond, 1)
	r.Drain(d2)
	if n, _ := d2.Totals(); n != 1 {
		t.Errorf("after reuse: %d requests, want 1", n)
	}
}

// TestRecorderErrorTimesAreExtremes records one failure text at times
// out of order, as users sharing a recorder do: its first and last seen
// are the earliest and the latest, not the first and last recorded.
func TestRecorderErrorTimesAreExtremes(t *testing.T) {
	r := NewRecorder(testKeys)
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range []int{5, 9, 1, 7} {
		r.Observe(0, Observation{Latency: time.Millisecond, Err: "timeout", At: t0.Add(time.Duration(s) * time.Second)})
	}
	d := NewDelta()
	r.Drain(d)
	e := d.errors[ErrorKey{"GET", "/albums", "timeout"}]
	if e == nil || e.count != 4 || !e.first.Equal(t0.Add(time.Second)) || !e.last.Equal(t0.Add(9*time.Second)) {
		t.Fatalf("error group = %+v, want 4 occurrences from %v to %v", e, t0.Add(time.Second), t0.Add(9*time.Second))
	}
}

func TestRecorderSpillsWhenNotDrained(t *testing.T) {
	r := NewRecorder(testKeys)
	const n = 3*maxBufferedSamples + 17
	var sum int64
	for i := range n {
		us := int64(1 + i%5000)
		sum += us
		r.SuccessCO(i%2, time.Duration(us)*time.Microsecond, 1, time.Millisecond)
	}
	d := NewDelta()
	r.Drain(d)
	total, _ := d.Totals()
	if total != n {
		t.Fatalf("drained %d requests, want %d", total, n)
	}
	var hist, sumGot int64
	for _, e := range d.entries {
		hist += e.series.latency.total
		sumGot += e.counters.sumUs
		if e.series.corrected.total < e.counters.count {
			t.Errorf("%v: corrected series holds %d, fewer than %d requests", e.key, e.series.corrected.total, e.counters.count)
		}
	}
	if hist != n || sumGot != sum {
		t.Errorf("histograms hold %d values and sum %d; want %d and %d", hist, sumGot, n, sum)
	}
}

func TestRecorderHotPathDoesNotAllocate(t *testing.T) {
	r := NewRecorder(testKeys)
	d := NewDelta()
	// Let both halves of the double buffer grow to the rate used below.
	for range 2 {
		for i := range 2000 {
			r.Success(i%2, time.Duration(i)*time.Microsecond, 10)
			r.SuccessCO(i%2, time.Duration(i)*time.Microsecond, 10, time.Millisecond)
			r.Observe(1, Observation{Latency: time.Millisecond, Err: "timeout", Service: time.Millisecond})
		}
		r.Drain(d)
		d.Reset()
	}
	i := 0
	tests := []struct {
		name string
		f    func()
	}{
		{"Success", func() { i++; r.Success(i&1, time.Duration(i)*time.Microsecond, 100) }},
		{"SuccessCO", func() { i++; r.SuccessCO(i&1, time.Duration(i)*time.Microsecond, 100, time.Millisecond) }},
		{"Failure with a known text", func() { r.Failure(1, time.Millisecond, 0, "timeout") }},
	}
	for _, tt := range tests {
		if a := testing.AllocsPerRun(500, tt.f); a != 0 {
			t.Errorf("%s allocates %v times per call, want 0", tt.name, a)
		}
	}
}

func TestRecorderSpillPathDoesNotAllocateOnceWarm(t *testing.T) {
	r := NewRecorder(testKeys)
	d := NewDelta()
	for range 2 {
		for i := range 3 * maxBufferedSamples {
			r.Success(0, time.Duration(i%100)*time.Microsecond, 1)
		}
		r.Drain(d)
		d.Reset()
	}
	i := 0
	a := testing.AllocsPerRun(3*maxBufferedSamples, func() {
		i++
		r.Success(0, time.Duration(i%100)*time.Microsecond, 1)
	})
	if a != 0 {
		t.Errorf("recording past the buffer cap allocates %v times per call, want 0", a)
	}
}

// TestConcurrentRecordAndDrain runs many users, each with its own recorder,
// against a flusher that drains every millisecond, and checks that every
// measurement arrives exactly once.
func TestConcurrentRecordAndDrain(t *testing.T) {
	const users = 16
	const perUser = 3000
	recs := make([]*Recorder, users)
	for i := range recs {
		recs[i] = NewRecorder(testKeys)
	}
	agg := NewAggregator(time.Unix(0, 0), AggregatorOptions{EntryHistory: true})
	var done atomic.Bool
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		d := NewDelta()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		sec := int64(0)
		for !done.Load() {
			<-tick.C
			for _, r := range recs {
				r.Drain(d)
			}
			if err := agg.Add(d); err != nil {
				t.Error(err)
				return
			}
			d.Reset()
			sec++
			agg.Tick(time.Unix(sec, 0), users)
			_ = agg.Snapshot(time.Unix(sec, 0))
		}
	}()

	var wg sync.WaitGroup
	var wantSum atomic.Int64
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(u), 7))
			var sum int64
			for i := range perUser {
				us := 1 + rng.Int64N(200_000)
				sum += us
				lat := time.Duration(us) * time.Microsecond
				if i%10 == 0 {
					recs[u].Failure((i/10)%2, lat, 5, "connection refused")
				} else {
					recs[u].Success(i%2, lat, 5)
				}
			}
			wantSum.Add(sum)
		}()
	}
	wg.Wait()
	done.Store(true)
	<-flushed

	d := NewDelta()
	for _, r := range recs {
		r.Drain(d)
	}
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	s := agg.Snapshot(time.Unix(1_000_000, 0))
	total := s.Total
	if total.Count() != users*perUser || total.Failures() != users*perUser/10 {
		t.Fatalf("count %d failures %d; want %d and %d", total.Count(), total.Failures(), users*perUser, users*perUser/10)
	}
	if total.Latency().Count() != users*perUser {
		t.Errorf("histogram holds %d, want %d", total.Latency().Count(), users*perUser)
	}
	if total.c.sumUs != wantSum.Load() || total.Bytes() != 5*users*perUser {
		t.Errorf("sum %d bytes %d; want %d and %d", total.c.sumUs, total.Bytes(), wantSum.Load(), 5*users*perUser)
	}
	if len(s.Errors) != 2 || s.Errors[0].Count+s.Errors[1].Count != users*perUser/10 {
		t.Errorf("errors = %+v, want two groups totalling %d", s.Errors, users*perUser/10)
	}
}
