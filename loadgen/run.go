// Package loadgen runs load tests: simulated users against an HTTP target,
// with every request recorded in HDR histograms. It is the library under the
// loadgen command; it never parses flags, prints, or exits, so a Go program
// can run a test with its own user code.
package loadgen

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
)

// Options describe one closed-model run: users that each run tasks back to
// back, as Locust's users do.
type Options struct {
	// Tasks are the weighted actions of every user.
	Tasks []users.Task
	// Wait is the pause after each task; nil means none.
	Wait users.Waiter
	// ExpectedInterval, when positive, is the time between the starts of a
	// user's tasks that Wait aims for (pacing or throughput waits): every
	// request is then also recorded into the coordinated-omission corrected
	// series (see users.Config.ExpectedInterval).
	ExpectedInterval time.Duration
	// InitUser prepares each new user (see users.Config.InitUser).
	InitUser func(u *users.User)
	// NewRand makes each user's random source (see users.Config.NewRand).
	NewRand func(id int) *rand.Rand
	// Client names the HTTP client: "fasthttp" (the default) or "nethttp".
	Client string
	// ClientOptions configure each user's client.
	ClientOptions client.Options
	// Users is the number of users to ramp to.
	Users int
	// SpawnRate is users started per second; zero or less starts them all
	// at once.
	SpawnRate float64
	// RunTime ends the run; zero runs until ctx ends.
	RunTime time.Duration
	// StopTimeout is how long tasks in flight at the end may take to finish.
	StopTimeout time.Duration
	// Seed makes task choice and generated data reproducible.
	Seed uint64
	// Interval is how often statistics are collected; default one second.
	Interval time.Duration
	// EntryHistory keeps a per-entry history row each second, not only the
	// Aggregated one (Locust's --csv-full-history).
	EntryHistory bool
	// OnTick, when set, gets a snapshot after each collection. It runs on
	// the collecting goroutine, so it should return quickly.
	OnTick func(*results.Snapshot)
	// Warmup is the first part of RunTime that is not counted: when it
	// ends, the statistics restart, and the final ones cover only the rest.
	Warmup time.Duration
	// OnWarmupEnd, when set, gets the statistics the warm-up excluded.
	OnWarmupEnd func(*results.Snapshot)
}

// Run runs a test to its end, or until ctx ends, and returns the final
// statistics. A cancelled ctx is a normal way to stop (Ctrl-C): Run then
// still returns the complete statistics of what was measured, with a nil
// error. It is a Session that nobody steers.
func Run(ctx context.Context, opts Options) (*results.Snapshot, error) {
	s, err := StartSession(ctx, opts)
	if err != nil {
		return nil, err
	}
	snap, err := s.Wait()
	if err != nil {
		return nil, err
	}
	return snap, nil
}
