//go:build !linux

package users

import "time"

// preciseSleeper is Linux's timerfd waiter; elsewhere there is none and the
// dispatcher uses Go's timers.
type preciseSleeper struct{}

func newPreciseSleeper() *preciseSleeper { return nil }

func (*preciseSleeper) sleep(d time.Duration) { time.Sleep(d) }

func (*preciseSleeper) close() {}
