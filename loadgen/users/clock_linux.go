//go:build linux

package users

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// preciseSleeper waits for an instant to within tens of microseconds. Go's
// timers sleep in the network poller, which on Linux waits in whole
// milliseconds, so a dispatcher on timers sends up to a millisecond late;
// a timerfd in the same poller wakes it when the kernel's high-resolution
// timer fires, at the cost of about three system calls a wait. The poller
// is only consulted when the processor has nothing else to run, though,
// while Go's timers are checked at every scheduling round; so each wait
// also sets a read deadline at the same instant, and whichever notices
// first ends it: on an idle processor the timerfd, on a busy one the
// deadline.
type preciseSleeper struct {
	f    *os.File
	fd   int // f's descriptor: f.Fd() would make it blocking
	spec unix.ItimerSpec
	buf  [8]byte
}

// newPreciseSleeper returns a sleeper, or nil when the system has no
// timerfd: the caller then uses Go's timers. Its waits are short, and the
// caller checks its context between them.
func newPreciseSleeper() *preciseSleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil
	}
	// A non-blocking descriptor makes os.File use the runtime's poller,
	// so a wait parks the goroutine instead of blocking a thread.
	return &preciseSleeper{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}
}

// sleep waits about d: it may return early only when the caller is to
// look at the time again.
func (s *preciseSleeper) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	s.spec.Value = unix.NsecToTimespec(int64(d))
	if err := unix.TimerfdSettime(s.fd, 0, &s.spec, nil); err != nil {
		time.Sleep(d)
		return
	}
	if err := s.f.SetReadDeadline(time.Now().Add(d)); err != nil {
		time.Sleep(d)
		return
	}
	// The read returns the expiry count once the timer fires, or a
	// timeout once the deadline passes.
	_, _ = s.f.Read(s.buf[:])
}

func (s *preciseSleeper) close() { _ = s.f.Close() }
