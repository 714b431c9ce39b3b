package schedule

import (
	"math"
	"slices"
	"testing"
	"time"
)

// TestArrivalsFromAreTheRestOfTheSchedule checks that constant arrivals
// from a point are exactly the arrivals of the whole schedule at or after
// it, for steady rates, ramps, phases and points on and between arrivals.
func TestArrivalsFromAreTheRestOfTheSchedule(t *testing.T) {
	ramp := Rate{Start: 0, Stages: []Stage{{2 * s, 300}, {0, 50}, {s, 50}, {s, 0}}}
	tests := []struct {
		name  string
		r     Rate
		phase float64
		from  time.Duration
	}{
		{"steady, between arrivals", Rate{Start: 100, Stages: []Stage{{3 * s, 100}}}, 0, 1234567 * time.Microsecond},
		{"steady, on an arrival", Rate{Start: 100, Stages: []Stage{{3 * s, 100}}}, 0, 1500 * time.Millisecond},
		{"steady, phase", Rate{Start: 100, Stages: []Stage{{3 * s, 100}}}, 0.5, 1500 * time.Millisecond},
		{"ramp", ramp, 0.25, 1900 * time.Millisecond},
		{"after a step", ramp, 0, 2500 * time.Millisecond},
		{"past the end", ramp, 0, 5 * s},
		{"zero", ramp, 0.5, 0},
		{"negative", ramp, 0.5, -s},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			all, err := NewArrivals(ArrivalConstant, tc.r, tc.phase, 0)
			if err != nil {
				t.Fatal(err)
			}
			var want []time.Duration
			for _, at := range collect(t, all, 100000) {
				if at >= tc.from {
					want = append(want, at)
				}
			}
			rest, err := NewArrivalsFrom(ArrivalConstant, tc.r, tc.phase, 0, tc.from)
			if err != nil {
				t.Fatal(err)
			}
			got := collect(t, rest, 100000)
			if !slices.Equal(got, want) {
				t.Fatalf("%d arrivals from %v, want %d; first %v, want %v", len(got), tc.from, len(want), head(got), head(want))
			}
		})
	}
}

func head(ds []time.Duration) []time.Duration { return ds[:min(len(ds), 3)] }

// TestSplitSharesFromAPointKeepTheSchedule hands a schedule from 2 shares
// over to 3 at a point: together the shares send the one-generator
// schedule, each request once, to within the nanosecond rounding of the
// shares' own curves.
func TestSplitSharesFromAPointKeepTheSchedule(t *testing.T) {
	r := Rate{Start: 120, Stages: []Stage{{s, 120}, {2 * s, 600}}}
	cut := 1700*time.Millisecond + 123
	var got []time.Duration
	for k := range 2 {
		share, phase := r.Split(k, 2)
		a, err := NewArrivals(ArrivalConstant, share, phase, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range collect(t, a, 100000) {
			if at < cut {
				got = append(got, at)
			}
		}
	}
	for k := range 3 {
		share, phase := r.Split(k, 3)
		a, err := NewArrivalsFrom(ArrivalConstant, share, phase, 0, cut)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, collect(t, a, 100000)...)
	}
	slices.Sort(got)
	one, err := NewArrivals(ArrivalConstant, r, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := collect(t, one, 100000)
	if len(got) != len(want) {
		t.Fatalf("the shares send %d requests, one generator %d", len(got), len(want))
	}
	for i := range want {
		if d := got[i] - want[i]; d < -1 || d > 1 {
			t.Fatalf("request %d at %v, one generator sends it at %v", i, got[i], want[i])
		}
	}
}

// TestPoissonArrivalsFrom checks that Poisson arrivals from a point fall
// after it, are reproducible from the seed, and come at the rate's mean
// count over the rest of the schedule.
func TestPoissonArrivalsFrom(t *testing.T) {
	r := Rate{Start: 0, Stages: []Stage{{10 * s, 2000}}}
	from := 4 * s
	draw := func(seed uint64) []time.Duration {
		a, err := NewArrivalsFrom(ArrivalPoisson, r, 0, seed, from)
		if err != nil {
			t.Fatal(err)
		}
		return collect(t, a, 100000)
	}
	got := draw(7)
	if len(got) == 0 || got[0] < from {
		t.Fatalf("first arrival %v, want one at or after %v", head(got), from)
	}
	if again := draw(7); !slices.Equal(got, again) {
		t.Error("the same seed gave other arrivals")
	}
	if other := draw(8); slices.Equal(got, other) {
		t.Error("another seed gave the same arrivals")
	}
	// The integral of the ramp from 4 s to 10 s: 200·10²/2·(1 - 0.16).
	want := 8400.0
	if d := math.Abs(float64(len(got)) - want); d > 5*math.Sqrt(want) {
		t.Errorf("%d arrivals after %v, want %.0f within 5 standard deviations", len(got), from, want)
	}
}

func TestArrivalsFromUnknownKind(t *testing.T) {
	if _, err := NewArrivalsFrom(Arrival(9), Constant(1), 0, 0, s); err == nil {
		t.Error("no error for an unknown arrival kind")
	}
	if _, err := NewArrivalsFrom(ArrivalPoisson, Constant(-1), 0, 0, s); err == nil {
		t.Error("no error for a negative rate")
	}
}
