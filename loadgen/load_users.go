package loadgen

import (
	"context"
	"sync"
	"time"

	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
)

// Users are a closed-model run's users in this process, ramped to a
// target: the part of a run that makes its requests, without its
// statistics, so that a run in one process and each worker of a
// distributed run run them the same way.
type Users struct {
	runner *users.Runner
	pauses pauses

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewUsers makes the Plan's users, requesting host and numbered from
// firstID+1, as worker index of workers (0 of 1 in one process): see
// Place. None runs until Ramp.
func NewUsers(p *Plan, host string, firstID, index, workers int) (*Users, error) {
	r, err := users.New(p.UsersConfig(host, firstID, index, workers))
	if err != nil {
		return nil, err
	}
	return &Users{runner: r, pauses: startPauses()}, nil
}

// Ramp moves to n users at rate users per second (zero: all at once), in
// the background, abandoning the ramp in progress. The channel gets the
// ramp's outcome: nil once n users run, an error if users could not be
// started; nothing when a later ramp, Pause or Stop ends it first.
func (u *Users) Ramp(n int, rate float64) <-chan error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.haltLocked()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	out := make(chan error, 1)
	u.cancel, u.done = cancel, done
	go func() {
		defer close(done)
		err := u.runner.Ramp(ctx, n, rate)
		if ctx.Err() == nil {
			out <- err
		}
	}()
	return out
}

// haltLocked ends the ramp in progress and waits for it, so that two never
// set the user count at once.
func (u *Users) haltLocked() {
	if u.cancel == nil {
		return
	}
	u.cancel()
	<-u.done
	u.cancel, u.done = nil, nil
}

// Count is the number of users running now.
func (u *Users) Count() int { return u.runner.Users() }

// Drain moves what the users recorded since the last drain into d, with
// the generator's pauses meanwhile.
func (u *Users) Drain(d *results.Delta) {
	u.runner.Drain(d)
	u.pauses.drain(d)
}

// Pause retires every user, each after the task it is in, but keeps them
// ready to ramp again: a worker that lost its coordinator runs no load
// unwatched.
func (u *Users) Pause() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.haltLocked()
	_ = u.runner.SetUsers(0)
}

// Stop retires every user for good and waits up to grace for the tasks in
// flight; requests still running then are not counted.
func (u *Users) Stop(grace time.Duration) {
	u.mu.Lock()
	u.haltLocked()
	u.mu.Unlock()
	u.runner.Stop(grace)
	u.pauses.stop()
}

// Place sets the users' place in the fleet for the users started from now
// on: the fleet's users k with k mod workers == index are theirs, which
// decides their classes and per-user data rows. Users already running
// keep theirs.
func (u *Users) Place(index, workers int) { u.runner.Place(index, workers) }
