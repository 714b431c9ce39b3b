package schedule

import (
	"math"
	"slices"
	"testing"
	"testing/quick"
)

func TestSplitUsers(t *testing.T) {
	tests := []struct {
		total, n int
		want     []int
	}{
		{50, 4, []int{13, 13, 12, 12}},
		{50, 3, []int{17, 17, 16}},
		{10, 1, []int{10}},
		{3, 5, []int{1, 1, 1, 0, 0}},
		{0, 2, []int{0, 0}},
		{-4, 2, []int{0, 0}},
		{8, 0, nil},
	}
	for _, tt := range tests {
		if got := SplitUsers(tt.total, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("SplitUsers(%d, %d) = %v, want %v", tt.total, tt.n, got, tt.want)
		}
	}
}

// TestSplitProperties checks every split: it adds up, no two workers
// differ by more than one user, and the larger shares come first.
func TestSplitProperties(t *testing.T) {
	f := func(total uint16, n uint8) bool {
		if n == 0 {
			return SplitUsers(int(total), 0) == nil
		}
		s := SplitUsers(int(total), int(n))
		sum := 0
		for i, v := range s {
			sum += v
			if s[0]-v > 1 || (i > 0 && v > s[i-1]) {
				return false
			}
		}
		return len(s) == int(n) && sum == int(total)
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
}

func TestRampRates(t *testing.T) {
	tests := []struct {
		name            string
		rate            float64
		current, target []int
		want            []float64
	}{
		{"initial ramp shares the rate by share", 10, []int{0, 0, 0, 0}, []int{13, 13, 12, 12}, []float64{2.6, 2.6, 2.4, 2.4}},
		{"a lost worker's users spread at the fleet rate", 10, []int{13, 12, 12}, []int{17, 17, 16}, []float64{40.0 / 13, 50.0 / 13, 40.0 / 13}},
		// A joining worker gains 12 at the full rate while the three others
		// give up 4 each, also at the full rate between them.
		{"a joining worker", 12, []int{16, 16, 16, 0}, []int{12, 12, 12, 12}, []float64{4, 4, 4, 12}},
		{"all at once stays all at once", 0, []int{0, 0}, []int{5, 5}, []float64{0, 0}},
		{"no change keeps a rate", 6, []int{5, 5}, []int{5, 5}, []float64{3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RampRates(tt.rate, tt.current, tt.target)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if math.Abs(got[i]-tt.want[i]) > 1e-9 {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// TestRatesSumToFleetRate checks that the workers that gain users ramp at
// the fleet's rate together, whatever the split.
func TestRatesSumToFleetRate(t *testing.T) {
	f := func(cur []uint8, rate uint8) bool {
		if len(cur) == 0 || rate == 0 {
			return true
		}
		current := make([]int, len(cur))
		total := 0
		for i, c := range cur {
			current[i] = int(c)
			total += int(c)
		}
		target := SplitUsers(total+len(cur)*3, len(cur))
		r := RampRates(float64(rate), current, target)
		up := 0.0
		for i := range r {
			if target[i] > current[i] {
				up += r[i]
			}
		}
		return math.Abs(up-float64(rate)) < 1e-6
	}
	if err := quick.Check(f, nil); err != nil {
		t.Error(err)
	}
}
