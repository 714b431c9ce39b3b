//go:build linux

package users

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// preciseSleeper waits for an instant to within tens of microseconds. Go's
// timers sleep in the network poller, which on Linux waits in whole
// milliseconds, so a dispatcher on timers sends up to a millisecond late;
// a timerfd in the same poller wakes it when the kernel's high-resolution
// timer fires, at the cost of about three system calls a wait.
type preciseSleeper struct {
	f    *os.File
	fd   int // f's descriptor: f.Fd() would make it blocking
	spec unix.ItimerSpec
	buf  [8]byte
	stop func() bool // unregisters the ctx callback
}

// newPreciseSleeper returns a sleeper whose waits end early when ctx ends,
// or nil when the system has no timerfd: the caller then uses Go's timers.
func newPreciseSleeper(ctx context.Context) *preciseSleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil
	}
	// A non-blocking descriptor makes os.File use the runtime's poller,
	// so a wait parks the goroutine instead of blocking a thread.
	s := &preciseSleeper{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}
	s.stop = context.AfterFunc(ctx, func() { _ = s.f.SetReadDeadline(time.Unix(1, 0)) })
	return s
}

// sleep waits d, or until the context ends.
func (s *preciseSleeper) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	s.spec.Value = unix.NsecToTimespec(int64(d))
	if err := unix.TimerfdSettime(s.fd, 0, &s.spec, nil); err != nil {
		time.Sleep(d)
		return
	}
	// The read returns the expiry count once the timer fires, or an error
	// once the context's callback has set a past deadline.
	_, _ = s.f.Read(s.buf[:])
}

func (s *preciseSleeper) close() {
	s.stop()
	_ = s.f.Close()
}
