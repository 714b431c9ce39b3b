package chart

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{7, "7"},
		{-3, "-3"},
		{999, "999"},
		{1000, "1\u2009000"},
		{12500, "12\u2009500"},
		{-1234567, "-1\u2009234\u2009567"},
		{1499.6, "1\u2009500"},
		{2.5, "2.5"},
		{0.125, "0.125"},
		{0.0001, "0.0001"},
		{3e15, "3e+15"},
	}
	for _, tc := range tests {
		if got := formatNumber(tc.v); got != tc.want {
			t.Errorf("formatNumber(%g) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestFormatElapsed(t *testing.T) {
	tests := []struct {
		s    float64
		want string
	}{
		{0, "0:00"}, {9.6, "0:10"}, {59, "0:59"}, {600, "10:00"}, {3599, "59:59"}, {3600, "1:00:00"}, {90061, "25:01:01"}, {-5, "-0:05"},
	}
	for _, tc := range tests {
		if got := formatElapsed(tc.s); got != tc.want {
			t.Errorf("formatElapsed(%g) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestTimeTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		step   float64
	}{
		{0, 5, 1},
		{0, 60, 10},
		{0, 300, 60},
		{0, 3600, 600},
		{17, 3617, 600},
		{0, 86400, 21600},
		{0, 30 * 86400, 0}, // a month of seconds: the step doubles beyond a day
	}
	for _, tc := range tests {
		ts := timeTicks{}.Ticks(tc.lo, tc.hi)
		if len(ts) < 2 || len(ts) > 8 {
			t.Errorf("[%g, %g]: %d ticks, want 2 to 8", tc.lo, tc.hi, len(ts))
			continue
		}
		for i, tk := range ts {
			if tk.Value < tc.lo || tk.Value > tc.hi || tk.Label != formatElapsed(tk.Value) {
				t.Errorf("[%g, %g]: tick %+v", tc.lo, tc.hi, tk)
			}
			if i > 0 && tc.step > 0 && ts[i].Value-ts[i-1].Value != tc.step {
				t.Errorf("[%g, %g]: step %g, want %g", tc.lo, tc.hi, ts[i].Value-ts[i-1].Value, tc.step)
			}
		}
	}
}

func TestNumberTicks(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for range 500 {
		lo := 0.0
		if r.IntN(2) == 0 {
			lo = r.Float64() * 100
		}
		hi := lo + math.Pow(10, r.Float64()*12-4)
		ts := numberTicks{}.Ticks(lo, hi)
		if len(ts) < 3 || len(ts) > 11 {
			t.Fatalf("[%g, %g]: %d ticks, want 3 to 11", lo, hi, len(ts))
		}
		step := ts[1].Value - ts[0].Value
		for i, tk := range ts {
			if tk.Value < lo-step*1e-6 || tk.Value > hi+step*1e-6 || tk.Label == "" {
				t.Fatalf("[%g, %g]: tick %+v", lo, hi, tk)
			}
			if i > 0 && math.Abs(ts[i].Value-ts[i-1].Value-step) > step*1e-6 {
				t.Fatalf("[%g, %g]: uneven ticks %v", lo, hi, ts)
			}
		}
		// The step is 1, 2, 2.5 or 5 times a power of ten.
		m := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9))
		if !nearAny(m, 1, 2, 2.5, 5, 10) {
			t.Fatalf("[%g, %g]: step %g is not round", lo, hi, step)
		}
	}
	if ts := (numberTicks{}).Ticks(5, 5); len(ts) != 1 || ts[0].Label != "5" {
		t.Errorf("degenerate range: %v", ts)
	}
}

func nearAny(v float64, opts ...float64) bool {
	for _, o := range opts {
		if math.Abs(v-o) < 1e-6 {
			return true
		}
	}
	return false
}

func TestNiceTop(t *testing.T) {
	tests := []struct{ v, want float64 }{
		{0, 1}, {-3, 1}, {math.NaN(), 1}, {math.Inf(1), 1}, {0.7, 0.8}, {1, 1}, {1.01, 1.2}, {7397, 8000}, {9100, 10000}, {26, 30},
	}
	for _, tc := range tests {
		if got := niceTop(tc.v); math.Abs(got-tc.want) > 1e-9*tc.want {
			t.Errorf("niceTop(%g) = %g, want %g", tc.v, got, tc.want)
		}
	}
}
