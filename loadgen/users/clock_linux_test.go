//go:build linux

package users

import (
	"testing"
	"time"
)

// TestPreciseSleeperNeverWakesEarly checks the timerfd waiter's contract:
// a sleep lasts at least as asked, whether the processor is idle or busy.
func TestPreciseSleeperNeverWakesEarly(t *testing.T) {
	s := newPreciseSleeper()
	if s == nil {
		t.Fatal("no timerfd on Linux")
	}
	defer s.close()
	check := func() {
		for _, d := range []time.Duration{time.Microsecond, 50 * time.Microsecond, 300 * time.Microsecond, 3 * time.Millisecond} {
			t0 := time.Now()
			s.sleep(d)
			if got := time.Since(t0); got < d {
				t.Errorf("sleep(%v) returned after %v", d, got)
			}
		}
	}
	check()
	// Goroutines that never block keep the processor busy, so the
	// poller is rarely consulted: the deadline ends the waits.
	stop := make(chan struct{})
	defer close(stop)
	for range 4 {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	check()
}
