package schedule

import (
	"math"
	"math/rand/v2"
	"testing"
	"testing/quick"
	"time"
)

const (
	ms = time.Millisecond
	s  = time.Second
)

func mustPacer(t *testing.T, r Rate, phase float64) *Pacer {
	t.Helper()
	p, err := NewPacer(r, phase)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// secs converts fractional seconds to a duration rounded to the
// nanosecond, as the pacer rounds.
func secs(f float64) time.Duration { return time.Duration(math.Round(f * 1e9)) }

func TestPacerIntended(t *testing.T) {
	ramp := Rate{Start: 0, Stages: []Stage{{10 * s, 100}}} // count 5t²
	down := Rate{Start: 100, Stages: []Stage{{10 * s, 0}}} // count 100t - 5t²
	steps := Rate{Start: 100, Stages: []Stage{{s, 100}, {0, 200}, {s, 200}}}
	gap := Rate{Stages: []Stage{{0, 100}, {s, 100}, {0, 0}, {2 * s, 0}, {0, 100}, {s, 100}}}
	late := Rate{Stages: []Stage{{5 * s, 0}, {0, 10}, {s, 10}}}
	tests := []struct {
		name   string
		r      Rate
		phase  float64
		i      uint64
		want   time.Duration
		wantOK bool
	}{
		{"constant first at once", Constant(100), 0, 0, 0, true},
		{"constant spacing", Constant(100), 0, 7, 70 * ms, true},
		{"constant far out", Constant(100), 0, 360000, time.Hour, true},
		{"phase shifts", Constant(100), 0.5, 0, 5 * ms, true},
		{"phase shifts later ones", Constant(100), 0.25, 3, 32500 * time.Microsecond, true},
		{"fractional rate", Constant(0.5), 0, 3, 6 * s, true},
		{"zero rate sends nothing", Constant(0), 0, 0, 0, false},
		{"ramp up first at start", ramp, 0, 0, 0, true},
		{"ramp up quadratic", ramp, 0, 5, s, true},
		{"ramp up quadratic 2", ramp, 0, 20, 2 * s, true},
		{"ramp up last", ramp, 0, 499, secs(math.Sqrt(499.0 / 5)), true},
		{"ramp up ends", ramp, 0, 500, 0, false},
		{"ramp down", down, 0, 375, 5 * s, true},
		{"ramp down last", down, 0, 499, secs((100 - math.Sqrt(20)) / 10), true},
		{"ramp down ends", down, 0, 500, 0, false},
		{"step exact at boundary", steps, 0, 100, s, true},
		{"step doubles the rate", steps, 0, 101, s + 5*ms, true},
		{"step last", steps, 0, 299, 2*s - 5*ms, true},
		{"step ends", steps, 0, 300, 0, false},
		{"zero stretch holds nothing", gap, 0, 99, 990 * ms, true},
		{"next after zero stretch", gap, 0, 100, 3 * s, true},
		{"leading zero stage", late, 0, 0, 5 * s, true},
		{"after leading zero stage", late, 0, 9, 5900 * ms, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := mustPacer(t, tt.r, tt.phase).Intended(tt.i)
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Errorf("Intended(%d) = %v, %v; want %v, %v", tt.i, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPacerDueAndTotal(t *testing.T) {
	steps := Rate{Start: 100, Stages: []Stage{{s, 100}, {0, 200}, {s, 200}}}
	gap := Rate{Stages: []Stage{{0, 100}, {s, 100}, {0, 0}, {2 * s, 0}, {0, 100}, {s, 100}}}
	tests := []struct {
		name string
		r    Rate
		at   time.Duration
		want uint64
	}{
		{"before start", Constant(100), -1, 0},
		{"first is due at zero", Constant(100), 0, 1},
		{"just before the second", Constant(100), 10*ms - 1, 1},
		{"second on time", Constant(100), 10 * ms, 2},
		{"one second", Constant(100), s, 101},
		{"zero rate", Constant(0), time.Hour, 0},
		{"at a step", steps, s, 101},
		{"after the end", steps, time.Hour, 300},
		{"in a zero stretch", gap, 2 * s, 100},
		{"end of zero stretch", gap, 3 * s, 101},
	}
	for _, tt := range tests {
		if got := mustPacer(t, tt.r, 0).Due(tt.at); got != tt.want {
			t.Errorf("%s: Due(%v) = %d, want %d", tt.name, tt.at, got, tt.want)
		}
	}
	totals := []struct {
		r       Rate
		phase   float64
		want    uint64
		bounded bool
	}{
		{Constant(100), 0, 0, false},
		{steps, 0, 300, true},
		{steps, 0.5, 300, true},
		{Constant(200).Until(10 * s), 0, 2000, true},
		{Rate{Stages: []Stage{{s, 0}}}, 0, 0, true},
		{Rate{Start: 3, Stages: []Stage{{s, 3}}}, 0.5, 3, true},
		{Rate{Start: 2.5, Stages: []Stage{{s, 2.5}}}, 0.6, 2, true},
		{Rate{Start: 2.5, Stages: []Stage{{s, 2.5}}}, 0.4, 3, true},
	}
	for _, tt := range totals {
		p := mustPacer(t, tt.r, tt.phase)
		n, bounded := p.Total()
		if n != tt.want || bounded != tt.bounded {
			t.Errorf("%+v phase %g: Total = %d, %v; want %d, %v", tt.r, tt.phase, n, bounded, tt.want, tt.bounded)
		}
		if bounded && n > 0 {
			if _, ok := p.Intended(n - 1); !ok {
				t.Errorf("%+v: no request %d of %d", tt.r, n-1, n)
			}
			if due := p.Due(math.MaxInt64); due != n {
				t.Errorf("%+v: Due(end) = %d, Total %d", tt.r, due, n)
			}
		}
	}
}

func TestNewPacerRejects(t *testing.T) {
	bad := []struct {
		r     Rate
		phase float64
	}{
		{Constant(-1), 0},
		{Constant(math.NaN()), 0},
		{Constant(math.Inf(1)), 0},
		{Constant(2 * MaxRate), 0},
		{Rate{Stages: []Stage{{-s, 10}}}, 0},
		{Rate{Stages: []Stage{{s, -10}}}, 0},
		{Rate{Stages: []Stage{{math.MaxInt64, 1}, {1, 1}}}, 0},
		{Rate{Start: MaxRate, Stages: []Stage{{200 * 24 * time.Hour, MaxRate}}}, 0},
		{Constant(1), 1},
		{Constant(1), -0.1},
		{Constant(1), math.NaN()},
	}
	for _, b := range bad {
		if _, err := NewPacer(b.r, b.phase); err == nil {
			t.Errorf("NewPacer(%+v, %g): no error", b.r, b.phase)
		}
	}
}

// randomRate builds a rate of up to five stages, some of them steps and
// some at rate zero, from quick's random numbers.
func randomRate(rnd *rand.Rand) Rate {
	r := Rate{Start: float64(rnd.IntN(4)) * float64(rnd.IntN(300))}
	for range rnd.IntN(6) {
		st := Stage{Duration: time.Duration(rnd.IntN(4000)) * ms}
		if rnd.IntN(4) == 0 {
			st.Duration = 0
		}
		if rnd.IntN(3) > 0 {
			st.Target = rnd.Float64() * 1000
		}
		r.Stages = append(r.Stages, st)
	}
	return r
}

// TestPacerProperties checks, for arbitrary rates and phases, that intended
// times never decrease, that Due and Intended agree exactly, that the count
// due by any time is within one of the rate's integral, and that no request
// falls inside a stretch at rate zero.
func TestPacerProperties(t *testing.T) {
	f := func(seed uint64, phase16 uint16, atMs uint16, i16 uint16) bool {
		rnd := rand.New(rand.NewPCG(seed, 1))
		r := randomRate(rnd)
		phase := float64(phase16) / 65536
		p, err := NewPacer(r, phase)
		if err != nil {
			t.Logf("%+v: %v", r, err)
			return false
		}
		at := time.Duration(atMs) * ms
		n := p.Due(at)
		// Due agrees with Intended at its edge.
		if n > 0 {
			if ti, ok := p.Intended(n - 1); !ok || ti > at {
				t.Logf("%+v: Due(%v)=%d but Intended(%d)=%v,%v", r, at, n, n-1, ti, ok)
				return false
			}
		}
		if ti, ok := p.Intended(n); ok && ti <= at {
			t.Logf("%+v: Due(%v)=%d but Intended(%d)=%v", r, at, n, n, ti)
			return false
		}
		// Within one of the integral (rates here are at most 1000 per
		// second, so a nanosecond of rounding is worth 1e-6 requests).
		want := p.Expected(at) - phase
		if float64(n) < want-1e-6 || float64(n) > want+1+1e-6 {
			t.Logf("%+v phase %g: Due(%v)=%d, integral-phase %g", r, phase, at, n, want)
			return false
		}
		// Monotonic, and never inside a stretch at rate zero.
		i := uint64(i16 % 2000)
		a, okA := p.Intended(i)
		b, okB := p.Intended(i + 1)
		if okB && (!okA || b < a) {
			t.Logf("%+v: Intended(%d)=%v,%v then %v,%v", r, i, a, okA, b, okB)
			return false
		}
		if okA && r.At(a) == 0 && rateZeroAround(r, a) {
			t.Logf("%+v: request %d at %v, inside a stretch at rate zero", r, i, a)
			return false
		}
		if total, bounded := p.Total(); bounded {
			if okA != (i < total) || p.Due(r.Duration()) != total {
				t.Logf("%+v: Total %d, Intended(%d) ok=%v, Due(end)=%d", r, total, i, okA, p.Due(r.Duration()))
				return false
			}
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5000}); err != nil {
		t.Error(err)
	}
}

// rateZeroAround reports whether r is zero just before and just after t,
// so that t lies strictly inside a stretch without requests.
func rateZeroAround(r Rate, t time.Duration) bool {
	return t > 0 && r.At(t-ms/10) == 0 && r.At(t+ms/10) == 0 && r.At(t) == 0
}

// TestSplitInterleaves checks that n workers, each with its share and
// phase, send between them exactly the requests one generator would.
func TestSplitInterleaves(t *testing.T) {
	rates := []Rate{
		Constant(300).Until(2 * s),
		{Start: 10, Stages: []Stage{{s, 500}, {0, 50}, {s, 0}}},
	}
	for _, r := range rates {
		whole := mustPacer(t, r, 0)
		total, _ := whole.Total()
		for _, n := range []int{2, 3, 7} {
			var got uint64
			for k := range n {
				share, phase := r.Split(k, n)
				p := mustPacer(t, share, phase)
				for i := uint64(0); ; i++ {
					ti, ok := p.Intended(i)
					if !ok {
						break
					}
					got++
					want, ok := whole.Intended(uint64(n)*i + uint64(k))
					if !ok || absDur(ti-want) > 2 {
						t.Fatalf("%+v, worker %d of %d: request %d at %v, the whole schedule's %d at %v (%v)", r, k, n, i, ti, uint64(n)*i+uint64(k), want, ok)
					}
				}
			}
			if got != total {
				t.Errorf("%+v split %d ways sends %d requests, want %d", r, n, got, total)
			}
		}
	}
	if r, phase := Constant(5).Split(0, 1); r.Start != 5 || phase != 0 {
		t.Errorf("Split(0, 1) = %+v, %g", r, phase)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
