//go:build linux

package pausetest

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Pause stops every thread of this process with SIGSTOP for about d: a
// shell started first sends SIGCONT after d. Tests that use it must not
// run in parallel with timing-sensitive ones.
func Pause(t testing.TB, d time.Duration) {
	t.Helper()
	cont := exec.Command("sh", "-c", "sleep "+strconv.FormatFloat(d.Seconds(), 'f', 3, 64)+"; kill -CONT "+strconv.Itoa(os.Getpid()))
	if err := cont.Start(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := cont.Wait(); err != nil {
		t.Fatal(err)
	}
}
