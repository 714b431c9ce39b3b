package hiccup

import (
	"syscall"
	"time"
)

// nanosleep blocks the calling thread in the kernel: the runtime sees a
// system call, and no timer of its own is involved.
func nanosleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
