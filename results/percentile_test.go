package results

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// within reports whether got is within HDR precision (0.1 %, and at least
// one microsecond) of want.
func within(got, want time.Duration) bool {
	tol := want / 1000
	if tol < time.Microsecond {
		tol = time.Microsecond
	}
	d := got - want
	return -tol <= d && d <= tol
}

// statsOf records the latencies through a recorder, a delta and an
// aggregator, the way a run does, and returns the entry's stats.
func statsOf(t testing.TB, lat []time.Duration) EntryStats {
	t.Helper()
	r := NewRecorder([]EntryKey{{"GET", "/x"}})
	d := NewDelta()
	a := NewAggregator(time.Unix(0, 0), AggregatorOptions{})
	for i, l := range lat {
		r.Success(0, l, 0)
		if i%1000 == 999 {
			r.Drain(d)
		}
	}
	r.Drain(d)
	if err := a.Add(d); err != nil {
		t.Fatal(err)
	}
	s := a.Snapshot(time.Unix(10, 0))
	if len(s.Entries) != 1 {
		t.Fatalf("%d entries, want 1", len(s.Entries))
	}
	return s.Entries[0]
}

func TestPercentilesOfKnownDistribution(t *testing.T) {
	// Every 100th request takes 100 ms, the others 10 ms.
	var lat []time.Duration
	for i := range 10_000 {
		if i%100 == 99 {
			lat = append(lat, 100*time.Millisecond)
		} else {
			lat = append(lat, 10*time.Millisecond)
		}
	}
	e := statsOf(t, lat)
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0, 10 * time.Millisecond},
		{0.5, 10 * time.Millisecond},
		{0.9, 10 * time.Millisecond},
		{0.99, 10 * time.Millisecond},
		{0.995, 100 * time.Millisecond},
		{0.999, 100 * time.Millisecond},
		{1, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := e.Percentile(tt.q); !within(got, tt.want) {
			t.Errorf("Percentile(%v) = %v, want %v within HDR precision", tt.q, got, tt.want)
		}
	}
	if e.Percentile(1) != e.Max() || e.Max() != 100*time.Millisecond {
		t.Errorf("Percentile(1) = %v, Max = %v; want both exactly 100ms", e.Percentile(1), e.Max())
	}
	if e.Median() != e.Percentile(0.5) {
		t.Errorf("Median %v != Percentile(0.5) %v", e.Median(), e.Percentile(0.5))
	}
	if e.Avg() != 10900*time.Microsecond {
		t.Errorf("Avg = %v, want exactly 10.9ms", e.Avg())
	}
}

// TestPercentilesMatchNearestRank compares against the exact nearest-rank
// percentile of random data.
func TestPercentilesMatchNearestRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 10, 99, 1000, 12345} {
		lat := make([]time.Duration, n)
		for i := range lat {
			// Log-uniform between 50 us and 5 s.
			lat[i] = time.Duration(50e3*math.Pow(1e5, rng.Float64())) / time.Microsecond * time.Microsecond
		}
		e := statsOf(t, lat)
		sorted := slices.Clone(lat)
		slices.Sort(sorted)
		for _, q := range []float64{0, 0.01, 0.25, 0.5, 0.66, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1} {
			k := rankOf(q, int64(n))
			want := sorted[k-1]
			if q == 0 {
				want = sorted[0]
			}
			if got := e.Percentile(q); !within(got, want) {
				t.Errorf("n=%d: Percentile(%v) = %v, exact %v", n, q, got, want)
			}
		}
		if e.Percentile(1) != sorted[n-1] || e.Percentile(0) != sorted[0] {
			t.Errorf("n=%d: extremes %v..%v, want exactly %v..%v", n, e.Percentile(0), e.Percentile(1), sorted[0], sorted[n-1])
		}
	}
}

func TestRankOf(t *testing.T) {
	tests := []struct {
		q    float64
		n    int64
		want int64
	}{
		{0, 10, 1},
		{0.5, 1, 1},
		{0.5, 2, 1},
		{0.5, 3, 2},
		{0.63, 10, 7},
		{0.99, 100, 99}, // 0.99*100 is 99.00000000000001 in float64
		{0.995, 100, 100},
		{0.999, 1000, 999},
		{0.2, 10, 2},
		{1, 7, 7},
		{1.5, 7, 7},
		{-1, 7, 1},
	}
	for _, tt := range tests {
		if got := rankOf(tt.q, tt.n); got != tt.want {
			t.Errorf("rankOf(%v, %d) = %d, want %d", tt.q, tt.n, got, tt.want)
		}
	}
}

func TestPercentileLabels(t *testing.T) {
	want := []string{"50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"}
	levels := ReportedPercentiles()
	for i, q := range levels {
		if got := PercentileLabel(q); got != want[i] {
			t.Errorf("PercentileLabel(%v) = %q, want %q", q, got, want[i])
		}
	}
	if got := PercentileKey(0.999); got != "99.9" {
		t.Errorf("PercentileKey(0.999) = %q", got)
	}
}

func TestEmptyDistribution(t *testing.T) {
	var d Distribution
	if d.Count() != 0 || d.Percentile(0.5) != 0 || d.Max() != 0 || d.Mean() != 0 {
		t.Errorf("empty distribution is not all zeros: %d %v %v %v", d.Count(), d.Percentile(0.5), d.Max(), d.Mean())
	}
	s, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	h, err := DecodeHistogram(s)
	if err != nil || h.TotalCount() != 0 {
		t.Fatalf("decode empty: %v, %d values", err, h.TotalCount())
	}
}
