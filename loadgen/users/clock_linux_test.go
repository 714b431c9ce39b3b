//go:build linux

package users

import (
	"context"
	"testing"
	"time"
)

// TestPreciseSleeperNeverWakesEarly checks the timerfd waiter's contract:
// a sleep lasts at least as asked, and ends soon after its context does.
func TestPreciseSleeperNeverWakesEarly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := newPreciseSleeper(ctx)
	if s == nil {
		t.Skip("no timerfd on this system")
	}
	defer s.close()
	for _, d := range []time.Duration{time.Microsecond, 50 * time.Microsecond, 300 * time.Microsecond, 3 * time.Millisecond} {
		t0 := time.Now()
		s.sleep(d)
		if got := time.Since(t0); got < d {
			t.Errorf("sleep(%v) returned after %v", d, got)
		}
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	t0 := time.Now()
	s.sleep(time.Minute)
	if got := time.Since(t0); got > 10*time.Second {
		t.Errorf("a sleep went on %v after its context ended", got)
	}
}
