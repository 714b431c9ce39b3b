package schedule

import (
	"math"
	"testing"
	"time"
)

func TestParseArrival(t *testing.T) {
	for in, want := range map[string]Arrival{"constant": ArrivalConstant, " Uniform ": ArrivalConstant, "POISSON": ArrivalPoisson} {
		got, err := ParseArrival(in)
		if err != nil || got != want {
			t.Errorf("ParseArrival(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := ParseArrival(got.String()); back != got {
			t.Errorf("%v does not read back", got)
		}
	}
	for _, in := range []string{"", "exponential", "const"} {
		if _, err := ParseArrival(in); err == nil {
			t.Errorf("ParseArrival(%q): no error", in)
		}
	}
}

// collect takes every arrival of a bounded schedule, checking that they
// never go back in time.
func collect(t *testing.T, a Arrivals, limit int) []time.Duration {
	t.Helper()
	var out []time.Duration
	for len(out) <= limit {
		at, ok := a.Next()
		if !ok {
			return out
		}
		if len(out) > 0 && at < out[len(out)-1] {
			t.Fatalf("arrival %d at %v, before the previous at %v", len(out), at, out[len(out)-1])
		}
		out = append(out, at)
	}
	t.Fatalf("more than %d arrivals", limit)
	return nil
}

func TestConstantArrivalsWalkThePacer(t *testing.T) {
	r := Rate{Start: 0, Stages: []Stage{{2 * s, 300}, {s, 0}}}
	a, err := NewArrivals(ArrivalConstant, r, 0.3, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := mustPacer(t, r, 0.3)
	got := collect(t, a, 10000)
	total, _ := p.Total()
	if uint64(len(got)) != total {
		t.Fatalf("%d arrivals, pacer total %d", len(got), total)
	}
	for i, at := range got {
		if want, _ := p.Intended(uint64(i)); at != want {
			t.Fatalf("arrival %d at %v, pacer says %v", i, at, want)
		}
	}
	if _, ok := a.Next(); ok {
		t.Error("arrivals go on after the end")
	}
}

func TestPoissonIsReproducible(t *testing.T) {
	r := Constant(1000).Until(s)
	first := func(seed uint64) []time.Duration {
		a, err := NewArrivals(ArrivalPoisson, r, 0, seed)
		if err != nil {
			t.Fatal(err)
		}
		return collect(t, a, 5000)
	}
	a, b, c := first(1), first(1), first(2)
	if len(a) != len(b) {
		t.Fatalf("same seed, %d and %d arrivals", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed differs at %d: %v vs %v", i, a[i], b[i])
		}
	}
	same := 0
	for i := range min(len(a), len(c)) {
		if a[i] == c[i] {
			same++
		}
	}
	if same > 10 {
		t.Errorf("seeds 1 and 2 share %d arrival times", same)
	}
}

// TestPoissonStatistics checks the counts and gaps of Poisson arrivals
// against what theory gives, with bounds of five standard deviations so
// that a correct generator fails about once in a million runs (and, being
// seeded, never flakes).
func TestPoissonStatistics(t *testing.T) {
	const rate, dur = 2000.0, 50 * s
	a, err := NewPoisson(Constant(rate).Until(dur), 42)
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, a, 200000)
	n := float64(len(got))
	mean := rate * dur.Seconds()
	if math.Abs(n-mean) > 5*math.Sqrt(mean) {
		t.Errorf("%g arrivals in %v at %g/s, want %g ± %g", n, dur, rate, mean, 5*math.Sqrt(mean))
	}
	// Exponential gaps: mean 1/rate, standard deviation equal to the mean.
	var sum, sumSq float64
	prev := time.Duration(0)
	for _, at := range got {
		g := (at - prev).Seconds()
		sum += g
		sumSq += g * g
		prev = at
	}
	m := sum / n
	sd := math.Sqrt(sumSq/n - m*m)
	if cv := sd / m; cv < 0.97 || cv > 1.03 {
		t.Errorf("gaps have mean %.3gs, sd %.3gs: coefficient of variation %.3f, want 1", m, sd, cv)
	}
	// Counts per second vary like a Poisson count: variance equal to mean.
	per := make([]float64, int(dur/s))
	for _, at := range got {
		per[at/s]++
	}
	var v float64
	for _, c := range per {
		v += (c - rate) * (c - rate)
	}
	v /= float64(len(per))
	if v < rate/2 || v > rate*2 {
		t.Errorf("per-second counts vary by %g, want about %g", v, rate)
	}
}

// TestPoissonFollowsTheRate checks that time-rescaled arrivals follow a
// ramp (a quarter of a linear ramp's requests fall in its first half) and
// keep out of a stretch at rate zero.
func TestPoissonFollowsTheRate(t *testing.T) {
	r := Rate{Start: 0, Stages: []Stage{{20 * s, 2000}, {0, 0}, {5 * s, 0}, {0, 500}, {10 * s, 500}}}
	a, err := NewPoisson(r, 7)
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, a, 100000)
	var firstHalf, ramp, zero, last float64
	for _, at := range got {
		switch {
		case at < 10*s:
			firstHalf++
			ramp++
		case at < 20*s:
			ramp++
		case at < 25*s:
			zero++
		default:
			last++
		}
		if at > r.Duration() {
			t.Fatalf("arrival at %v, after the end at %v", at, r.Duration())
		}
	}
	if zero != 0 {
		t.Errorf("%g arrivals while the rate was zero", zero)
	}
	if want := 20000.0; math.Abs(ramp-want) > 5*math.Sqrt(want) {
		t.Errorf("%g arrivals in the ramp, want %g", ramp, want)
	}
	if frac := firstHalf / ramp; math.Abs(frac-0.25) > 0.02 {
		t.Errorf("%.3f of the ramp's arrivals in its first half, want 0.25", frac)
	}
	if want := 5000.0; math.Abs(last-want) > 5*math.Sqrt(want) {
		t.Errorf("%g arrivals in the last stage, want %g", last, want)
	}
}

func TestNewArrivalsRejects(t *testing.T) {
	if _, err := NewArrivals(ArrivalPoisson, Constant(-1), 0, 1); err == nil {
		t.Error("negative Poisson rate: no error")
	}
	if _, err := NewArrivals(ArrivalConstant, Constant(1), 2, 1); err == nil {
		t.Error("phase 2: no error")
	}
	if _, err := NewArrivals(Arrival(9), Constant(1), 0, 1); err == nil {
		t.Error("unknown kind: no error")
	}
}

// BenchmarkConstantArrivals measures the cost of one intended time, a
// binary search and a square root along a staged rate.
func BenchmarkConstantArrivals(b *testing.B) {
	r := Rate{Stages: []Stage{{time.Hour, 1e6}, {time.Hour, 1e3}, {time.Hour, 1e5}}}
	a, err := NewArrivals(ArrivalConstant, r, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := a.Next(); !ok {
			b.Fatal("schedule ended")
		}
	}
}

// BenchmarkPoissonArrivals adds an exponential draw to the same.
func BenchmarkPoissonArrivals(b *testing.B) {
	r := Rate{Stages: []Stage{{time.Hour, 1e6}, {time.Hour, 1e3}, {time.Hour, 1e5}}}
	a, err := NewArrivals(ArrivalPoisson, r, 0, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := a.Next(); !ok {
			b.Fatal("schedule ended")
		}
	}
}
