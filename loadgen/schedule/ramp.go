// Package schedule holds the pure functions of elapsed time that decide how
// many users should be running and when requests are due. Nothing here reads
// a clock or starts a goroutine, so every schedule can be tested exactly,
// without sleeping.
package schedule

import (
	"math"
	"time"
)

// Ramp moves the user count from From to To at Rate users per second, with
// users started evenly through each second rather than in once-a-second
// bursts. The first change happens at elapsed zero, so a ramp from 0 starts
// its first user at once. A Rate that is zero, negative, NaN or infinite
// means "all at once".
type Ramp struct {
	From, To int
	Rate     float64
}

// instant reports whether the ramp has no duration.
func (r Ramp) instant() bool {
	return r.Rate <= 0 || math.IsNaN(r.Rate) || math.IsInf(r.Rate, 0) || r.From == r.To
}

// steps is how many single-user changes the ramp makes.
func (r Ramp) steps() int {
	if r.To > r.From {
		return r.To - r.From
	}
	return r.From - r.To
}

// UsersAt is the user count the ramp asks for at elapsed time t. Before zero
// it is From; from the end of the ramp on it is To.
func (r Ramp) UsersAt(t time.Duration) int {
	if t < 0 {
		return r.From
	}
	if r.instant() {
		return r.To
	}
	// Change k (0-based) happens at k/Rate seconds, so by time t the ramp has
	// made about floor(t*Rate)+1 changes. The estimate is then settled against
	// changeAt itself, so that UsersAt and ChangeAt never disagree by a
	// rounding error at the instant of a change.
	n := r.steps()
	done := n
	if est := math.Floor(t.Seconds()*r.Rate) + 1; est < float64(n) {
		done = int(est)
	}
	for done > 0 && r.changeAt(done-1) > t {
		done--
	}
	for done < n && r.changeAt(done) <= t {
		done++
	}
	if r.To > r.From {
		return r.From + done
	}
	return r.From - done
}

// ChangeAt is the elapsed time of the k-th (0-based) single-user change.
// It returns false when the ramp makes no k-th change.
func (r Ramp) ChangeAt(k int) (time.Duration, bool) {
	if k < 0 || k >= r.steps() {
		return 0, false
	}
	if r.instant() {
		return 0, true
	}
	return r.changeAt(k), true
}

// changeAt rounds up to the nanosecond, so that a change never happens
// before its exact instant.
func (r Ramp) changeAt(k int) time.Duration {
	return time.Duration(math.Ceil(float64(k) * float64(time.Second) / r.Rate))
}

// Duration is the elapsed time at which the ramp reaches To.
func (r Ramp) Duration() time.Duration {
	d, ok := r.ChangeAt(r.steps() - 1)
	if !ok {
		return 0
	}
	return d
}

// NextChange is the elapsed time of the first change strictly after t, and
// false when the ramp has already reached To by t.
func (r Ramp) NextChange(t time.Duration) (time.Duration, bool) {
	if r.UsersAt(t) == r.To && t >= 0 {
		return 0, false
	}
	if t < 0 {
		return r.ChangeAt(0)
	}
	k := r.steps() - absInt(r.To-r.UsersAt(t))
	return r.ChangeAt(k)
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
