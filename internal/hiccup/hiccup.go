// Package hiccup measures the stalls of the machine itself: a thread that
// only sleeps and wakes, outside Go's scheduler, notes how much later than
// asked it wakes. A process sharing its core is held up as long, so a
// load generator's late sends and long latencies that coincide with such
// a stall are the machine's, not the generator's or the target's (a
// virtual machine's host that pauses it, a noisy neighbour). make bench
// runs it beside the open-model run, whose latency goal a single stall of
// the machine can break.
package hiccup

import (
	"runtime"
	"time"
)

// Stats sums up the wake-ups of one measurement.
type Stats struct {
	// Wakeups is the number of sleeps measured.
	Wakeups int64
	// Max is the latest wake-up, past the time asked for.
	Max time.Duration
	// Stalls counts the wake-ups later than the threshold, and Stalled
	// adds up by how much each was late.
	Stalls  int64
	Stalled time.Duration
}

// Sleeper sleeps for about d; tests replace the real one.
type Sleeper func(d time.Duration)

// Measure sleeps n times for period on a thread of its own, and returns
// how late the wake-ups came; a wake-up more than threshold late is a
// stall. A nil sleep uses a plain system-call sleep, which Go's timers and
// scheduler do not delay.
func Measure(n int, period, threshold time.Duration, sleep Sleeper) Stats {
	if sleep == nil {
		sleep = nanosleep
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var s Stats
	prev := time.Now()
	for range n {
		sleep(period)
		now := time.Now()
		late := now.Sub(prev) - period
		prev = now
		s.Wakeups++
		s.Max = max(s.Max, late)
		if late > threshold {
			s.Stalls++
			s.Stalled += late
		}
	}
	return s
}
