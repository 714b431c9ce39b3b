package schedule

import (
	"testing"
	"testing/quick"
	"time"
)

func TestRampUsersAt(t *testing.T) {
	s := time.Second
	tests := []struct {
		name string
		r    Ramp
		at   time.Duration
		want int
	}{
		{"before start", Ramp{0, 50, 10}, -1, 0},
		{"first user at zero", Ramp{0, 50, 10}, 0, 1},
		{"just before second user", Ramp{0, 50, 10}, 99 * time.Millisecond, 1},
		{"second user at 100ms", Ramp{0, 50, 10}, 100 * time.Millisecond, 2},
		{"ten users by 0.9s", Ramp{0, 50, 10}, 900 * time.Millisecond, 10},
		{"eleven at 1s", Ramp{0, 50, 10}, s, 11},
		{"last user at 4.9s", Ramp{0, 50, 10}, 4900 * time.Millisecond, 50},
		{"just before last", Ramp{0, 50, 10}, 4899 * time.Millisecond, 49},
		{"capped after ramp", Ramp{0, 50, 10}, time.Hour, 50},
		{"instant with zero rate", Ramp{0, 50, 0}, 0, 50},
		{"instant with negative rate", Ramp{5, 50, -1}, 0, 50},
		{"ramp down", Ramp{10, 4, 2}, 0, 9},
		{"ramp down done", Ramp{10, 4, 2}, 2500 * time.Millisecond, 4},
		{"ramp from nonzero", Ramp{20, 30, 5}, s, 26},
		{"no change", Ramp{7, 7, 3}, s, 7},
		{"fractional rate", Ramp{0, 3, 0.5}, 3999 * time.Millisecond, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.UsersAt(tt.at); got != tt.want {
				t.Errorf("%+v.UsersAt(%v) = %d, want %d", tt.r, tt.at, got, tt.want)
			}
		})
	}
}

func TestRampDuration(t *testing.T) {
	if got, want := (Ramp{0, 50, 10}).Duration(), 4900*time.Millisecond; got != want {
		t.Errorf("Duration = %v, want %v", got, want)
	}
	if got := (Ramp{3, 3, 10}).Duration(); got != 0 {
		t.Errorf("empty ramp Duration = %v, want 0", got)
	}
}

// TestRampProperties checks, for arbitrary ramps, that the count moves
// monotonically towards To one user per change and that NextChange points at
// exactly the instant where UsersAt changes.
func TestRampProperties(t *testing.T) {
	f := func(from, to uint8, rate10 uint16, atMs uint16) bool {
		r := Ramp{int(from), int(to), float64(rate10%500+1) / 10}
		at := time.Duration(atMs) * time.Millisecond
		u := r.UsersAt(at)
		lo, hi := r.From, r.To
		if lo > hi {
			lo, hi = hi, lo
		}
		if u < lo || u > hi {
			return false
		}
		if r.UsersAt(at+time.Millisecond) != u && absInt(r.UsersAt(at+time.Millisecond)-u) > int(r.Rate/1000)+1 {
			return false
		}
		next, ok := r.NextChange(at)
		if !ok {
			return u == r.To
		}
		if next <= at {
			return false
		}
		// Just before the next change the count is unchanged; at it, it moved.
		return r.UsersAt(next-1) == u && r.UsersAt(next) != u
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5000}); err != nil {
		t.Error(err)
	}
}
