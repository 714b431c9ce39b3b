package loadgen

import (
	"fmt"
	"math"
)

// Bounds on the size of a run, wherever it is described (flags, a profile,
// the web UI's start form, a coordinator's command): far above any real
// test, low enough that a typo or a hostile request is refused with a
// message rather than taking the machine's memory.
const (
	// MaxUsers bounds the users of a run, over all its workers.
	MaxUsers = 10_000_000
	// MaxSpawnRate bounds the users started per second.
	MaxSpawnRate = 1e6
)

// CheckUsers checks a run's user count; the error reads after the name of
// the setting ("users 20000000000 is out of range...").
func CheckUsers(n int) error {
	if n < 0 || n > MaxUsers {
		return fmt.Errorf("%d is out of range: want 0 to %d", n, MaxUsers)
	}
	return nil
}

// CheckSpawnRate checks a run's spawn rate, as CheckUsers does its users.
func CheckSpawnRate(r float64) error {
	if r < 0 || r > MaxSpawnRate || math.IsNaN(r) {
		return fmt.Errorf("%g is out of range: want 0 (all at once) to %g users per second", r, float64(MaxSpawnRate))
	}
	return nil
}
