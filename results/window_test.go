package results

import (
	"math/rand/v2"
	"testing"
	"time"
)

// windowFeed records the given latencies (microseconds) for an entry into a
// fresh delta and adds it.
func windowFeed(t *testing.T, a *Aggregator, entry int, us []int64) {
	t.Helper()
	r := NewRecorder(testKeys)
	for _, v := range us {
		r.Success(entry, time.Duration(v)*time.Microsecond, 1)
	}
	d := NewDelta()
	r.Drain(d)
	if err := a.Add(d); err != nil {
		t.Fatal(err)
	}
}

// bruteWindow is what a window should hold: a fresh histogram of exactly
// the values of the given seconds.
func bruteWindow(values [][]int64, from, to int) Distribution {
	h := NewPackedHistogram()
	var lo, hi int64
	n := 0
	for s := max(from, 0); s < to; s++ {
		for _, v := range values[s] {
			_ = h.RecordValue(v)
			if n == 0 || v < lo {
				lo = v
			}
			hi = max(hi, v)
			n++
		}
	}
	return NewDistribution(h, micros(lo), micros(hi))
}

func TestWindowPercentilesAreThoseOfTheWindowsRequestsExactly(t *testing.T) {
	start := time.Unix(5000, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	const seconds = 40
	// Two entries with their own latency levels, changing every second, so
	// that any interval wrongly in or out of the window moves percentiles.
	values := [2][][]int64{}
	for e := range values {
		values[e] = make([][]int64, seconds)
	}
	for _, window := range []time.Duration{0, 3 * time.Second} {
		a := NewAggregator(start, AggregatorOptions{Window: window, EntryHistory: true})
		span := 10
		if window > 0 {
			span = int(window / time.Second)
		}
		for s := range seconds {
			for e := range values {
				n := 50 + rng.IntN(200)
				vs := make([]int64, n)
				for i := range vs {
					vs[i] = int64(1+e*5000+s*300) + rng.Int64N(int64(2000+s*100))
				}
				values[e][s] = vs
				windowFeed(t, a, e, vs)
			}
			now := start.Add(time.Duration(s+1) * time.Second)
			a.Tick(now, s)
			snap := a.Snapshot(now)
			var all [][]int64
			for i := range seconds {
				all = append(all, append(append([]int64{}, values[0][i]...), values[1][i]...))
			}
			for i, es := range snap.Entries {
				want := bruteWindow(values[i], s+1-span, s+1)
				checkWindow(t, es.Window(), want, s)
				wantLast := bruteWindow(values[i], s, s+1)
				checkWindow(t, es.Interval(), wantLast, s)
				if d := es.Interval().Duration(); d != time.Second {
					t.Fatalf("second %d: interval lasts %v", s, d)
				}
			}
			checkWindow(t, snap.Total.Window(), bruteWindow(all, s+1-span, s+1), s)
			if got, want := snap.Total.Window().Duration(), time.Duration(min(s+1, span))*time.Second; got != want {
				t.Fatalf("second %d: window spans %v, want %v", s, got, want)
			}
			// The history row keeps the window's percentiles too.
			row := snap.History[len(snap.History)-1]
			if row.Total.WindowCount() != snap.Total.Window().Count() || row.Total.WindowReported() != snap.Total.Window().Latency().Reported() {
				t.Fatalf("second %d: history row's window %d %v, snapshot's %d %v", s,
					row.Total.WindowCount(), row.Total.WindowReported(), snap.Total.Window().Count(), snap.Total.Window().Latency().Reported())
			}
		}
	}
}

func checkWindow(t *testing.T, got Window, want Distribution, second int) {
	t.Helper()
	if got.Count() != want.Count() || got.Latency().Count() != want.Count() {
		t.Fatalf("second %d: window holds %d requests (histogram %d), want %d", second, got.Count(), got.Latency().Count(), want.Count())
	}
	if got.Min() != want.Min() || got.Max() != want.Max() {
		t.Fatalf("second %d: window min %v max %v, want %v %v", second, got.Min(), got.Max(), want.Min(), want.Max())
	}
	if got.Latency().Reported() != want.Reported() {
		t.Fatalf("second %d: window percentiles %v, want %v", second, got.Latency().Reported(), want.Reported())
	}
	if q := 0.937; got.Percentile(q) != want.Percentile(q) {
		t.Fatalf("second %d: window p93.7 %v, want %v", second, got.Percentile(q), want.Percentile(q))
	}
}

func TestAStallShowsInTheWindowsThatHoldItAndNoOther(t *testing.T) {
	// One request every 10 ms for 30 s; from 12 s to 15 s the target stalls,
	// and the requests it held all complete at 15 s with up to 3 s of
	// latency, in the interval that closes at 15 s. With a 2 s window, the
	// windowed p99 must show the stall in the windows that hold that
	// interval, and only there; the cumulative p99 goes on showing it.
	start := time.Unix(0, 0)
	a := NewAggregator(start, AggregatorOptions{Window: 2 * time.Second})
	var p99 []time.Duration
	var cum []time.Duration
	for s := range 30 {
		var us []int64
		for i := range 100 {
			at := time.Duration(s)*time.Second + time.Duration(i)*10*time.Millisecond
			switch {
			case at >= 12*time.Second && at < 15*time.Second:
				if s == 15-1 && i == 99 {
					// The whole stall's worth completes at once.
					for held := 12 * time.Second; held < 15*time.Second; held += 10 * time.Millisecond {
						us = append(us, int64((15*time.Second-held)/time.Microsecond))
					}
				}
			default:
				us = append(us, 2000+int64(i))
			}
		}
		windowFeed(t, a, 0, us)
		now := start.Add(time.Duration(s+1) * time.Second)
		a.Tick(now, 1)
		snap := a.Snapshot(now)
		p99 = append(p99, snap.Total.Window().Percentile(0.99))
		cum = append(cum, snap.Total.Percentile(0.99))
	}
	for s, v := range p99 {
		end := s + 1 // the window ends at end seconds and holds (end-2, end]
		holds := end >= 15 && end-2 < 15
		switch {
		case holds && v < 2900*time.Millisecond:
			t.Errorf("window ending at %ds holds the stall but its p99 is %v", end, v)
		case end == 14 && v != 0:
			t.Errorf("window ending at %ds has only stalled seconds with nothing completed, p99 %v", end, v)
		case !holds && v > 3*time.Millisecond:
			t.Errorf("window ending at %ds does not hold the stall but its p99 is %v", end, v)
		}
	}
	if cum[len(cum)-1] < 100*time.Millisecond {
		t.Errorf("the cumulative p99 at the end is %v: the stall's 300 of 2,900 requests should keep it high", cum[len(cum)-1])
	}
}

func TestWindowFollowsTimeNotTickCount(t *testing.T) {
	start := time.Unix(0, 0)
	a := NewAggregator(start, AggregatorOptions{Window: 10 * time.Second})
	// Ticks every 250 ms: the window holds 40 intervals, not 10.
	for i := 1; i <= 80; i++ {
		windowFeed(t, a, 0, []int64{int64(i)})
		a.Tick(start.Add(time.Duration(i)*250*time.Millisecond), 1)
	}
	w := a.Snapshot(start.Add(20 * time.Second)).Total.Window()
	if w.Count() != 40 || w.Duration() != 10*time.Second || w.Min() != 41*time.Microsecond || w.RPS() != 4 {
		t.Errorf("window: %d requests over %v from %v at %v/s; want 40 over 10s from 41us at 4/s", w.Count(), w.Duration(), w.Min(), w.RPS())
	}
	// Ticks a little late or early neither add nor drop an interval.
	b := NewAggregator(start, AggregatorOptions{})
	at := time.Duration(0)
	for i := 1; i <= 30; i++ {
		at += time.Second + time.Duration(i%3-1)*7*time.Millisecond
		windowFeed(t, b, 0, []int64{100})
		b.Tick(start.Add(at), 1)
		if n := b.Snapshot(start.Add(at)).Total.Window().Count(); n != int64(min(i, 10)) {
			t.Fatalf("tick %d: the window holds %d intervals, want %d", i, n, min(i, 10))
		}
	}
}

func TestResetEmptiesTheWindow(t *testing.T) {
	start := time.Unix(0, 0)
	a := NewAggregator(start, AggregatorOptions{})
	for i := 1; i <= 5; i++ {
		windowFeed(t, a, 0, []int64{1_000_000})
		a.Tick(start.Add(time.Duration(i)*time.Second), 1)
	}
	a.Reset(start.Add(5 * time.Second))
	s := a.Snapshot(start.Add(5 * time.Second))
	if w := s.Total.Window(); w.Count() != 0 || w.Percentile(0.99) != 0 || s.Total.CurrentRPS() != 0 {
		t.Errorf("after a reset the window holds %d requests, p99 %v, %v req/s", w.Count(), w.Percentile(0.99), s.Total.CurrentRPS())
	}
	windowFeed(t, a, 0, []int64{500})
	a.Tick(start.Add(6*time.Second), 1)
	s = a.Snapshot(start.Add(6 * time.Second))
	if w := s.Total.Window(); w.Count() != 1 || w.Max() != 500*time.Microsecond || !w.Start().Equal(start.Add(5*time.Second)) {
		t.Errorf("after a reset and a tick: %d requests, max %v, from %v", w.Count(), w.Max(), w.Start())
	}
	if s.Intervals != 6 {
		t.Errorf("Intervals %d, want 6: it counts across resets", s.Intervals)
	}
}

func TestRowMatchesTheHistoryRowOfTheSameTick(t *testing.T) {
	start := time.Unix(0, 0)
	a := NewAggregator(start, AggregatorOptions{EntryHistory: true})
	for i := 1; i <= 12; i++ {
		windowFeed(t, a, 0, []int64{int64(100 * i), 7})
		windowFeed(t, a, 1, []int64{int64(3 * i)})
		a.Tick(start.Add(time.Duration(i)*time.Second), i)
	}
	s := a.Snapshot(start.Add(12 * time.Second))
	kept, row := s.History[len(s.History)-1], s.Row()
	if row.Time != kept.Time || row.Users != kept.Users || row.Total != kept.Total {
		t.Errorf("Row() %+v differs from the history row %+v", row, kept)
	}
	for _, e := range s.Entries {
		p, ok := row.Entry(e)
		q, _ := kept.Entry(e)
		if !ok || p != q {
			t.Errorf("%v: Row() point %+v, history %+v", e.Key(), p, q)
		}
	}
}

func TestSubtractUndoesMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var sum sparseCounts
	var parts []*sparseCounts
	for range 50 {
		var p sparseCounts
		ix := make([]int32, rng.IntN(30))
		for i := range ix {
			ix[i] = indexOf(rng.Int64N(5000))
		}
		flush(&ix, &p)
		parts = append(parts, &p)
		sum.merge(&p)
	}
	for _, p := range parts[:49] {
		sum.subtract(p)
	}
	last := parts[49]
	if sum.total != last.total || len(sum.idx) != len(last.idx) {
		t.Fatalf("after subtracting all but the last part: %d values in %d buckets, want %d in %d", sum.total, len(sum.idx), last.total, len(last.idx))
	}
	for i := range sum.idx {
		if sum.idx[i] != last.idx[i] || sum.cnt[i] != last.cnt[i] {
			t.Fatalf("bucket %d: %d×%d, want %d×%d", i, sum.idx[i], sum.cnt[i], last.idx[i], last.cnt[i])
		}
	}
}

func TestCheckWindow(t *testing.T) {
	for _, d := range []time.Duration{0, time.Second, MaxWindow} {
		if err := CheckWindow(d); err != nil {
			t.Errorf("CheckWindow(%v): %v", d, err)
		}
	}
	for _, d := range []time.Duration{-time.Second, MaxWindow + 1} {
		if err := CheckWindow(d); err == nil {
			t.Errorf("CheckWindow(%v) accepted it", d)
		}
	}
}

func TestCountsAtOrBelow(t *testing.T) {
	h := NewPackedHistogram()
	vals := []int64{5, 10, 10, 999, 1000, 1001, 250_000, 3_000_000}
	for _, v := range vals {
		_ = h.RecordValue(v)
	}
	d := DistributionOf(h)
	bounds := []time.Duration{time.Microsecond, 10 * time.Microsecond, time.Millisecond, 250 * time.Millisecond, time.Second, time.Minute}
	got := d.CountsAtOrBelow(bounds)
	want := []uint64{0, 3, 5, 7, 7, 8}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("at or below %v: %d, want %d", bounds[i], got[i], want[i])
		}
	}
	if c := (Distribution{}).CountsAtOrBelow(bounds); c[len(c)-1] != 0 {
		t.Errorf("empty distribution: %v", c)
	}
}
