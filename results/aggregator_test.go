package results

import (
	"math"
	"testing"
	"time"
)

// feed records n requests of entry e (f of them failed) and adds them to a.
func feed(t *testing.T, a *Aggregator, e int, n, f int, lat time.Duration) {
	t.Helper()
	r := NewRecorder(testKeys)
	for i := range n {
		if i < f {
			r.Observe(e, Observation{Latency: lat, Err: "boom", At: time.Unix(100, 0)})
		} else {
			r.Success(e, lat, 10)
		}
	}
	d := NewDelta()
	r.Drain(d)
	if err := a.Add(d); err != nil {
		t.Fatal(err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

func TestCurrentRatesUseTheLastTenClosedSeconds(t *testing.T) {
	start := time.Unix(1000, 0)
	a := NewAggregator(start, AggregatorOptions{})
	// Seconds 1..15 carry 10·s requests, one of them failed.
	for s := 1; s <= 15; s++ {
		feed(t, a, 0, 10*s, 1, time.Millisecond)
		a.Tick(start.Add(time.Duration(s)*time.Second), s)
	}
	// Added after the last tick: part of the open interval, not current.
	feed(t, a, 0, 1000, 0, time.Millisecond)

	snap := a.Snapshot(start.Add(15 * time.Second))
	e := snap.Entries[0]
	// Seconds 6..15: 10·(6+...+15) = 1050 requests over 10 s.
	if !near(e.CurrentRPS(), 105) || !near(e.CurrentFailPerSec(), 1) {
		t.Errorf("current %v req/s, %v fail/s; want 105 and 1", e.CurrentRPS(), e.CurrentFailPerSec())
	}
	if !near(snap.Total.CurrentRPS(), 105) {
		t.Errorf("aggregated current %v req/s, want 105", snap.Total.CurrentRPS())
	}
	total := 10*120 + 1000
	if e.Count() != int64(total) || !near(e.TotalRPS(), float64(total)/15) {
		t.Errorf("count %d total rps %v; want %d and %v", e.Count(), e.TotalRPS(), total, float64(total)/15)
	}
	if snap.Users != 15 {
		t.Errorf("users %d, want 15", snap.Users)
	}
}

func TestCurrentRatesFollowActualIntervalLengths(t *testing.T) {
	start := time.Unix(0, 0)
	a := NewAggregator(start, AggregatorOptions{})
	feed(t, a, 0, 300, 0, time.Millisecond)
	a.Tick(start.Add(1500*time.Millisecond), 1) // a late tick
	feed(t, a, 0, 100, 0, time.Millisecond)
	a.Tick(start.Add(2500*time.Millisecond), 1)
	a.Tick(start.Add(2500*time.Millisecond), 3) // repeated: only the users change
	s := a.Snapshot(start.Add(3 * time.Second))
	if got := s.Entries[0].CurrentRPS(); !near(got, 400/2.5) {
		t.Errorf("current rps %v, want %v", got, 400/2.5)
	}
	if s.Users != 3 || len(s.History) != 2 {
		t.Errorf("users %d, %d history rows; want 3 and 2", s.Users, len(s.History))
	}
}

func TestEntriesAreSortedByNameThenMethod(t *testing.T) {
	keys := []EntryKey{{"POST", "/b"}, {"GET", "/b"}, {"GET", "/a"}, {"DELETE", "/c"}}
	r := NewRecorder(keys)
	for i := range keys {
		r.Success(i, time.Millisecond, 0)
	}
	d := NewDelta()
	r.Drain(d)
	a := NewAggregator(time.Unix(0, 0), AggregatorOptions{})
	if err := a.Add(d); err != nil {
		t.Fatal(err)
	}
	s := a.Snapshot(time.Unix(1, 0))
	want := []EntryKey{{"GET", "/a"}, {"GET", "/b"}, {"POST", "/b"}, {"DELETE", "/c"}}
	for i, e := range s.Entries {
		if e.Key() != want[i] {
			t.Errorf("entry %d is %v, want %v", i, e.Key(), want[i])
		}
	}
	if s.Total.Name() != AggregatedName || s.Total.Method() != "" || s.Total.Count() != 4 {
		t.Errorf("total is %v with %d requests", s.Total.Key(), s.Total.Count())
	}
	if got, ok := s.Entry(EntryKey{Name: AggregatedName}); !ok || got.Count() != 4 {
		t.Error("Entry(Aggregated) does not return the total")
	}
	if _, ok := s.Entry(EntryKey{"GET", "/nope"}); ok {
		t.Error("Entry found an unknown key")
	}
}

func TestSnapshotIsUnaffectedByLaterRecording(t *testing.T) {
	start := time.Unix(0, 0)
	a := NewAggregator(start, AggregatorOptions{EntryHistory: true})
	feed(t, a, 0, 100, 5, 10*time.Millisecond)
	a.Tick(start.Add(time.Second), 1)
	s := a.Snapshot(start.Add(time.Second))
	p99 := s.Entries[0].Percentile(0.99)

	feed(t, a, 0, 10_000, 0, time.Second)
	a.Tick(start.Add(2*time.Second), 2)
	a.Reset(start.Add(2 * time.Second))
	feed(t, a, 1, 10, 0, time.Second)

	e := s.Entries[0]
	if len(s.Entries) != 1 || e.Count() != 100 || e.Failures() != 5 || e.Percentile(0.99) != p99 || e.Latency().Count() != 100 {
		t.Errorf("old snapshot changed: %d entries, count %d, failures %d, p99 %v (was %v)", len(s.Entries), e.Count(), e.Failures(), e.Percentile(0.99), p99)
	}
	if len(s.History) != 1 || s.History[0].Total.Count() != 100 {
		t.Errorf("old snapshot history changed: %d rows", len(s.History))
	}
}

func TestResetClearsStatsAndKeepsHistory(t *testing.T) {
	start := time.Unix(0, 0)
	a := NewAggregator(start, AggregatorOptions{})
	feed(t, a, 0, 100, 5, 10*time.Millisecond)
	a.Tick(start.Add(time.Second), 1)
	a.Reset(start.Add(time.Second))
	feed(t, a, 0, 7, 0, time.Millisecond)
	s := a.Snapshot(start.Add(2 * time.Second))
	if s.Total.Count() != 7 || s.Total.Failures() != 0 || len(s.Errors) != 0 {
		t.Errorf("after reset: count %d failures %d errors %d; want 7, 0, 0", s.Total.Count(), s.Total.Failures(), len(s.Errors))
	}
	if s.Total.Max() != time.Millisecond || s.Total.Percentile(1) != time.Millisecond {
		t.Errorf("after reset: max %v p100 %v; want 1ms", s.Total.Max(), s.Total.Percentile(1))
	}
	if !s.Start.Equal(start.Add(time.Second)) || s.Total.CurrentRPS() != 0 {
		t.Errorf("after reset: start %v current rps %v", s.Start, s.Total.CurrentRPS())
	}
	if len(s.History) != 1 {
		t.Errorf("history has %d rows, want the 1 from before the reset", len(s.History))
	}
}

func TestHistoryRows(t *testing.T) {
	start := time.Unix(0, 0)
	a := NewAggregator(start, AggregatorOptions{EntryHistory: true})
	feed(t, a, 0, 10, 0, 10*time.Millisecond)
	a.Tick(start.Add(time.Second), 5)
	feed(t, a, 1, 10, 10, 30*time.Millisecond)
	feed(t, a, 0, 10, 0, 20*time.Millisecond)
	a.Tick(start.Add(2*time.Second), 6)
	s := a.Snapshot(start.Add(2 * time.Second))
	if len(s.History) != 2 {
		t.Fatalf("%d rows, want 2", len(s.History))
	}
	get, post := s.Entries[0], s.Entries[1]
	if get.Method() != "GET" {
		get, post = post, get
	}
	r0, r1 := s.History[0], s.History[1]
	if !r0.Time.Equal(start.Add(time.Second)) || r0.Users != 5 || r1.Users != 6 {
		t.Errorf("rows at %v with %d then %d users", r0.Time, r0.Users, r1.Users)
	}
	if _, ok := r0.Entry(post); ok {
		t.Error("row 0 has a point for an entry that had no request yet")
	}
	p, ok := r1.Entry(get)
	if !ok || p.Count() != 20 || p.Median() < 10*time.Millisecond || p.Max() != 20*time.Millisecond || !near(p.RPS(), 10) {
		t.Errorf("GET point in row 1: %v count %d median %v max %v rps %v", ok, p.Count(), p.Median(), p.Max(), p.RPS())
	}
	q, _ := r1.Entry(post)
	if q.Failures() != 10 || !near(q.FailPerSec(), 5) || q.Avg() != 30*time.Millisecond {
		t.Errorf("POST point: failures %d fail/s %v avg %v", q.Failures(), q.FailPerSec(), q.Avg())
	}
	tot, _ := r1.Entry(s.Total)
	if tot.Count() != 30 || tot.Reported()[NumReportedPercentiles-1] != 30*time.Millisecond || math.Abs(tot.AvgContentSize()-20.0/3) > 1e-5 {
		t.Errorf("total point: count %d p100 %v avg size %v", tot.Count(), tot.Reported()[NumReportedPercentiles-1], tot.AvgContentSize())
	}
}

func TestHistoryStaysBounded(t *testing.T) {
	start := time.Unix(0, 0)
	a := NewAggregator(start, AggregatorOptions{MaxHistoryRows: 100})
	for s := 1; s <= 1000; s++ {
		feed(t, a, 0, 1, 0, time.Millisecond)
		a.Tick(start.Add(time.Duration(s)*time.Second), 1)
		if n := len(a.history); n >= 100 {
			t.Fatalf("after %d ticks: %d rows, bound is 100", s, n)
		}
	}
	snap := a.Snapshot(start.Add(1000 * time.Second))
	h := snap.History
	if len(h) < 50 {
		t.Fatalf("only %d rows kept", len(h))
	}
	if last := h[len(h)-1]; !last.Time.Equal(start.Add(1000*time.Second)) && last.Time.Before(start.Add(990*time.Second)) {
		t.Errorf("newest row at %v, want a recent one", last.Time)
	}
	for i := 1; i < len(h); i++ {
		if !h[i].Time.After(h[i-1].Time) || h[i].Total.Count() <= h[i-1].Total.Count() {
			t.Fatalf("rows %d and %d out of order", i-1, i)
		}
	}
}

func TestErrorGroupsAreBounded(t *testing.T) {
	a := NewAggregator(time.Unix(0, 0), AggregatorOptions{})
	r := NewRecorder(testKeys)
	d := NewDelta()
	for i := range maxErrorGroups + 50 {
		r.Observe(0, Observation{Latency: time.Millisecond, Err: "distinct " + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)), At: time.Unix(1, 0)})
	}
	r.Drain(d)
	if err := a.Add(d); err != nil {
		t.Fatal(err)
	}
	s := a.Snapshot(time.Unix(2, 0))
	var total int64
	for _, e := range s.Errors {
		total += e.Count
	}
	if len(s.Errors) > maxErrorGroups+1 || total != maxErrorGroups+50 {
		t.Errorf("%d groups holding %d failures; want at most %d holding %d", len(s.Errors), total, maxErrorGroups+1, maxErrorGroups+50)
	}
}

func TestCorrectedAndServiceSeries(t *testing.T) {
	r := NewRecorder(testKeys)
	for range 99 {
		r.SuccessCO(0, 10*time.Millisecond, 0, 100*time.Millisecond)
	}
	// One stall of a second at a 100 ms pacing hides 9 requests.
	r.SuccessCO(0, time.Second, 0, 100*time.Millisecond)
	r.Observe(1, Observation{Latency: 50 * time.Millisecond, Service: 5 * time.Millisecond})
	d := NewDelta()
	r.Drain(d)
	a := NewAggregator(time.Unix(0, 0), AggregatorOptions{})
	if err := a.Add(d); err != nil {
		t.Fatal(err)
	}
	s := a.Snapshot(time.Unix(1, 0))
	get, _ := s.Entry(testKeys[0])
	c, ok := get.Corrected()
	if !ok || c.Count() != 109 || get.Count() != 100 {
		t.Fatalf("corrected series %v with %d values (raw %d); want 109 over 100 raw", ok, c.Count(), get.Count())
	}
	if raw, cor := get.Percentile(0.95), c.Percentile(0.95); !within(raw, 10*time.Millisecond) || cor < 500*time.Millisecond {
		t.Errorf("p95 raw %v corrected %v; want 10ms and a stall-sized value", raw, cor)
	}
	if _, ok := get.Service(); ok {
		t.Error("GET has a service series it never recorded")
	}
	post, _ := s.Entry(testKeys[1])
	sv, ok := post.Service()
	if !ok || !within(sv.Median(), 5*time.Millisecond) || post.Median() != 50*time.Millisecond {
		t.Errorf("service median %v, latency median %v", sv.Median(), post.Median())
	}
	if tc, ok := s.Total.Corrected(); !ok || tc.Count() != 109 {
		t.Errorf("aggregated corrected series: %v, %d values", ok, tc.Count())
	}
}

// TestSnapshotsAreSafeToReadConcurrently reads a snapshot from several
// goroutines while the aggregator goes on; the race detector checks that
// nothing is shared with the aggregator's later work.
func TestSnapshotsAreSafeToReadConcurrently(t *testing.T) {
	start := time.Unix(0, 0)
	a := NewAggregator(start, AggregatorOptions{EntryHistory: true})
	feed(t, a, 0, 500, 5, 3*time.Millisecond)
	a.Tick(start.Add(time.Second), 1)
	s := a.Snapshot(start.Add(time.Second))
	want := s.Total.Percentile(0.999)

	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 200 {
				for _, e := range s.Entries {
					_ = e.Percentile(0.123)
					_ = e.Latency().Histogram()
				}
				if s.Total.Percentile(0.999) != want || len(s.History) != 1 {
					t.Error("snapshot changed while being read")
					return
				}
				_, _ = s.History[0].Entry(s.Entries[0])
			}
		}()
	}
	for i := 2; i < 50; i++ {
		feed(t, a, i%2, 50, 1, time.Duration(i)*time.Millisecond)
		a.Tick(start.Add(time.Duration(i)*time.Second), i)
		_ = a.Snapshot(start.Add(time.Duration(i) * time.Second))
	}
	a.Reset(start.Add(time.Minute))
	for range 4 {
		<-done
	}
}
