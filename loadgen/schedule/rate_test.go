package schedule

import (
	"reflect"
	"testing"
	"time"
)

func TestRateAt(t *testing.T) {
	r := Rate{Start: 10, Stages: []Stage{{10 * s, 110}, {0, 0}, {5 * s, 0}, {0, 40}, {2 * s, 20}}}
	tests := []struct {
		at   time.Duration
		want float64
	}{
		{-1, 0},
		{0, 10},
		{5 * s, 60},
		{10*s - 1, 110 - 1e-8},
		{10 * s, 0}, // the step to zero happens at 10 s
		{12 * s, 0},
		{15 * s, 40},
		{16 * s, 30},
		{17 * s, 0}, // after the last stage
	}
	for _, tt := range tests {
		if got := r.At(tt.at); got < tt.want-1e-6 || got > tt.want+1e-6 {
			t.Errorf("At(%v) = %g, want %g", tt.at, got, tt.want)
		}
	}
	if got := Constant(7).At(time.Hour); got != 7 {
		t.Errorf("Constant(7).At(1h) = %g", got)
	}
	if d := r.Duration(); d != 17*s || !r.Bounded() {
		t.Errorf("Duration = %v, Bounded = %v", d, r.Bounded())
	}
	if Constant(7).Bounded() || Constant(7).Duration() != 0 {
		t.Error("a constant rate is bounded")
	}
}

func TestRateUntil(t *testing.T) {
	stages := Rate{Start: 0, Stages: []Stage{{10 * s, 100}, {0, 50}, {10 * s, 50}}}
	tests := []struct {
		name string
		r    Rate
		d    time.Duration
		want Rate
	}{
		{"constant becomes one stage", Constant(200), 10 * s, Rate{Start: 200, Stages: []Stage{{10 * s, 200}}}},
		{"zero keeps", Constant(200), 0, Constant(200)},
		{"cut inside a ramp", stages, 5 * s, Rate{Start: 0, Stages: []Stage{{5 * s, 50}}}},
		{"cut at a boundary", stages, 10 * s, Rate{Start: 0, Stages: []Stage{{10 * s, 100}}}},
		{"cut after a step", stages, 15 * s, Rate{Start: 0, Stages: []Stage{{10 * s, 100}, {0, 50}, {5 * s, 50}}}},
		{"beyond the end keeps all", stages, time.Hour, stages},
	}
	for _, tt := range tests {
		if got := tt.r.Until(tt.d); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Until(%v) = %+v, want %+v", tt.name, tt.d, got, tt.want)
		}
	}
	// Cutting never moves the requests it keeps.
	whole := mustPacer(t, stages, 0)
	cut := mustPacer(t, stages.Until(15*s), 0)
	n, _ := cut.Total()
	if want := whole.Due(15*s - 1); n != want {
		t.Errorf("cut at 15s keeps %d requests, want the %d before 15s", n, want)
	}
	for i := range n {
		a, _ := whole.Intended(i)
		b, _ := cut.Intended(i)
		if absDur(a-b) > 1 {
			t.Fatalf("request %d moved from %v to %v", i, a, b)
		}
	}
}

func TestRateScale(t *testing.T) {
	r := Rate{Start: 10, Stages: []Stage{{s, 100}}}
	got := r.Scale(0.5)
	if want := (Rate{Start: 5, Stages: []Stage{{s, 50}}}); !reflect.DeepEqual(got, want) {
		t.Errorf("Scale(0.5) = %+v, want %+v", got, want)
	}
	if r.Stages[0].Target != 100 {
		t.Error("Scale changed its receiver")
	}
}

func TestShareSeeds(t *testing.T) {
	if ShareSeed(42, 0, 0) != 42 || ShareSeed(42, 3, 0) != 45 {
		t.Errorf("first split's seeds %d, %d; want the run's seed plus the share's index", ShareSeed(42, 0, 0), ShareSeed(42, 3, 0))
	}
	seen := map[uint64]bool{}
	for gen := range uint64(4) {
		for k := range 4 {
			s := ShareSeed(42, k, gen)
			if seen[s] {
				t.Fatalf("split %d share %d repeats a seed", gen, k)
			}
			seen[s] = true
		}
	}
}
