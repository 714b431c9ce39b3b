package users

import (
	"context"
	"fmt"
	"time"
)

// PanicError is the failure of a task run that panicked: user code with a
// bug, or a response it did not expect, costs one failed request rather
// than the whole run.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
}

// Error reads "panic: " and the value, so that failures group by it.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// runTask runs t once, turning a panic into a PanicError.
func runTask(ctx context.Context, t *Task, u *User) (n int64, err error) {
	defer func() {
		if v := recover(); v != nil {
			n, err = 0, &PanicError{Value: v}
		}
	}()
	return t.Run(ctx, u)
}

// nextWait asks w for the wait after a task run; a Waiter that panics
// waits not at all, and its panic is returned to be counted.
func nextWait(w Waiter, u *User, took time.Duration) (d time.Duration, err error) {
	defer func() {
		if v := recover(); v != nil {
			d, err = 0, &PanicError{Value: v}
		}
	}()
	return w.Next(u.Rand, took), nil
}

// initUser runs a Config's InitUser, turning a panic into an error.
func initUser(init func(*User), u *User) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("preparing the user: %w", &PanicError{Value: v})
		}
	}()
	init(u)
	return nil
}
