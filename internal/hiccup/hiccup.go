// Package hiccup measures stalls: a thread that only sleeps and wakes
// notes how much later than asked it wakes. A process sharing its core is
// held up as long, so a load generator's late sends and long latencies
// that coincide with such a stall are not the target's (a virtual
// machine's host that pauses it, a noisy neighbour, a process that keeps
// its own runtime from running). Measure runs for a given count, as make
// bench does beside its open-model run, in a process of its own; a Meter
// runs in the background of a load generator, which reports what it saw.
package hiccup

import (
	"runtime"
	"sync"
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

// note counts one wake-up that came late past its time.
func (s *Stats) note(late, threshold time.Duration) {
	s.Wakeups++
	s.Max = max(s.Max, late)
	if late > threshold {
		s.Stalls++
		s.Stalled += late
	}
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
		s.note(now.Sub(prev)-period, threshold)
		prev = now
	}
	return s
}

// Meter measures stalls in the background until Stop: a goroutine that
// sleeps period at a time on the runtime's own timers, which cost less
// than a thread of its own in a system call. A wake-up more than threshold
// late is a stall: the machine did not run the process, or its runtime did
// not run the goroutine, every processor busy. A stall shows as up to
// period shorter than it was, since part of it can fall in the sleep, and
// one shorter than period plus threshold can go unseen. The runtime's
// timers can wake a millisecond late, so a threshold of a few
// milliseconds or more is what it can tell. Its methods are safe for
// concurrent use.
type Meter struct {
	period, threshold time.Duration
	stop              chan struct{}
	stopOnce          sync.Once
	done              chan struct{}

	mu sync.Mutex
	s  Stats // since the last Take
}

// StartMeter starts a Meter.
func StartMeter(period, threshold time.Duration) *Meter {
	m := &Meter{period: period, threshold: threshold, stop: make(chan struct{}), done: make(chan struct{})}
	go m.run()
	return m
}

func (m *Meter) run() {
	defer close(m.done)
	t := time.NewTimer(m.period)
	defer t.Stop()
	prev := time.Now()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		now := time.Now()
		t.Reset(m.period)
		m.mu.Lock()
		m.s.note(now.Sub(prev)-m.period, m.threshold)
		m.mu.Unlock()
		prev = now
	}
}

// Take returns what the meter saw since the last Take, and starts again.
func (m *Meter) Take() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.s
	m.s = Stats{}
	return s
}

// Stop ends the meter and waits for it; what it saw until then is left
// for Take. Calling it again does nothing.
func (m *Meter) Stop() {
	m.stopOnce.Do(func() { close(m.stop) })
	<-m.done
}
