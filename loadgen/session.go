package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
)

// SessionState is where a Session is in its life, named as Locust names
// its runner's states.
type SessionState string

// The states of a Session, in the order it goes through them. A session
// goes back from running to spawning when its user count is edited.
const (
	StateSpawning SessionState = "spawning"
	StateRunning  SessionState = "running"
	StateStopping SessionState = "stopping"
	StateStopped  SessionState = "stopped"
)

// ErrSessionEnded is returned by a Session's controls once it is stopping
// or stopped.
var ErrSessionEnded = errors.New("loadgen: the run has ended")

// Session is a closed-model run that can be steered while it goes on, as a
// web UI steers it: its user count and spawn rate edited, its statistics
// reset, its latest snapshot read at any time, and stopped.
//
// One goroutine owns the run's users and statistics; the methods talk to
// it, so they are safe for concurrent use, and a slow caller never holds up
// the collection.
type Session struct {
	runner *users.Runner
	opts   Options

	cmds chan sessionCmd
	// stop is closed by Stop; ended when the run leaves its running phase,
	// after which no command is taken; done once it has fully stopped.
	stop     chan struct{}
	stopOnce sync.Once
	ended    chan struct{}
	done     chan struct{}

	snap   atomic.Pointer[results.Snapshot]
	state  atomic.Pointer[SessionState]
	target atomic.Pointer[sessionTarget]
	// err is why the run failed, if it did; written before done is closed.
	err error
}

type sessionTarget struct {
	users     int
	spawnRate float64
}

type sessionCmd struct {
	edit  *sessionTarget // nil: reset the statistics
	reply chan error
}

// StartSession checks opts, starts the run and returns at once; the users
// ramp up in the background. The session ends at opts.RunTime, when ctx
// ends or on Stop, whichever comes first, with its final statistics
// available from Wait.
func StartSession(ctx context.Context, opts Options) (*Session, error) {
	if err := CheckUsers(opts.Users); err != nil {
		return nil, fmt.Errorf("loadgen: users %w", err)
	}
	if err := CheckSpawnRate(opts.SpawnRate); err != nil {
		return nil, fmt.Errorf("loadgen: spawn rate %w", err)
	}
	kind := opts.Client
	if kind == "" {
		kind = "fasthttp"
	}
	copts := opts.ClientOptions
	if _, err := client.New(kind, copts); err != nil {
		return nil, err
	}
	r, err := users.New(users.Config{
		Tasks:            opts.Tasks,
		Wait:             opts.Wait,
		Seed:             opts.Seed,
		InitUser:         opts.InitUser,
		NewRand:          opts.NewRand,
		NewClient:        func() (client.Client, error) { return client.New(kind, copts) },
		ExpectedInterval: opts.ExpectedInterval,
	})
	if err != nil {
		return nil, err
	}
	s := &Session{
		runner: r,
		opts:   opts,
		cmds:   make(chan sessionCmd),
		stop:   make(chan struct{}),
		ended:  make(chan struct{}),
		done:   make(chan struct{}),
	}
	s.setState(StateSpawning)
	s.target.Store(&sessionTarget{users: opts.Users, spawnRate: opts.SpawnRate})
	start := time.Now()
	c := newCollector(start, opts.EntryHistory, r.Drain)
	s.snap.Store(c.agg.Snapshot(start))
	var runCtx context.Context
	var cancel context.CancelFunc
	if opts.RunTime > 0 {
		runCtx, cancel = context.WithDeadline(ctx, start.Add(opts.RunTime))
	} else {
		runCtx, cancel = context.WithCancel(ctx)
	}
	c.withWarmup(start, opts.Warmup, opts.OnWarmupEnd)
	go func() {
		defer cancel()
		s.loop(runCtx, c)
	}()
	return s, nil
}

// ramp is the one ramp a session runs at a time.
type ramp struct {
	cancel context.CancelFunc
	done   chan error
}

func (s *Session) startRamp(ctx context.Context, t sessionTarget) *ramp {
	rctx, cancel := context.WithCancel(ctx)
	rp := &ramp{cancel: cancel, done: make(chan error, 1)}
	go func() { rp.done <- s.runner.Ramp(rctx, t.users, t.spawnRate) }()
	s.setState(StateSpawning)
	return rp
}

// halt ends a ramp and waits for it, so that two never set the user count
// at once.
func (rp *ramp) halt() {
	if rp == nil {
		return
	}
	rp.cancel()
	<-rp.done
}

func (s *Session) loop(ctx context.Context, c *collector) {
	defer close(s.done)
	defer c.stop()
	ticker := time.NewTicker(intervalOr(s.opts.Interval))
	defer ticker.Stop()
	rp := s.startRamp(ctx, *s.target.Load())
	rampDone := rp.done
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-s.stop:
			break loop
		case err := <-rampDone:
			rampDone = nil
			rp.cancel()
			rp = nil
			if err != nil && ctx.Err() == nil {
				s.err = fmt.Errorf("loadgen: starting users: %w", err)
				break loop
			}
			s.setState(StateRunning)
		case cmd := <-s.cmds:
			if cmd.edit == nil {
				now := time.Now()
				c.collect(now, s.runner.Users())
				c.agg.Reset(now)
				s.snap.Store(c.agg.Snapshot(now))
			} else {
				rp.halt()
				s.target.Store(cmd.edit)
				rp = s.startRamp(ctx, *cmd.edit)
				rampDone = rp.done
			}
			cmd.reply <- nil
		case now := <-c.warmupC():
			c.endWarmup(now, s.runner.Users())
		case now := <-ticker.C:
			snap := c.collect(now, s.runner.Users())
			s.snap.Store(snap)
			if s.opts.OnTick != nil {
				s.opts.OnTick(snap)
			}
		}
	}
	close(s.ended)
	s.setState(StateStopping)
	rp.halt()
	// The final statistics report the users that ran, not the zero left
	// after stopping them.
	n := s.runner.Users()
	s.runner.Stop(s.opts.StopTimeout)
	s.snap.Store(c.collect(time.Now(), n))
	s.setState(StateStopped)
}

func (s *Session) setState(st SessionState) { s.state.Store(&st) }

// State returns where the session is now.
func (s *Session) State() SessionState { return *s.state.Load() }

// Snapshot returns the latest statistics: those of the last collection,
// or, once stopped, the final ones. It never returns nil.
func (s *Session) Snapshot() *results.Snapshot { return s.snap.Load() }

// Users returns the number of users running now.
func (s *Session) Users() int { return s.runner.Users() }

// Target returns the user count and spawn rate the session is ramping to
// or running at.
func (s *Session) Target() (users int, spawnRate float64) {
	t := s.target.Load()
	return t.users, t.spawnRate
}

// Edit ramps to a new user count at a new spawn rate, from the users
// running now: Locust's "edit running test". A ramp in progress is
// abandoned for the new one.
func (s *Session) Edit(users int, spawnRate float64) error {
	if users < 0 {
		return fmt.Errorf("loadgen: users %d: must be zero or more", users)
	}
	if spawnRate < 0 {
		return fmt.Errorf("loadgen: spawn rate %g: must be zero (all at once) or more", spawnRate)
	}
	return s.send(sessionCmd{edit: &sessionTarget{users: users, spawnRate: spawnRate}})
}

// Reset restarts the statistics from now, as Locust's reset does; the
// history is kept, so the charts still show the whole run.
func (s *Session) Reset() error { return s.send(sessionCmd{}) }

func (s *Session) send(cmd sessionCmd) error {
	cmd.reply = make(chan error, 1)
	select {
	case s.cmds <- cmd:
		return <-cmd.reply
	case <-s.ended:
		return ErrSessionEnded
	}
}

// Stop asks the session to stop and waits until it has, or until ctx ends.
// Tasks in flight get Options.StopTimeout to finish. It returns the final
// statistics, as Wait does; calling it again is harmless.
func (s *Session) Stop(ctx context.Context) (*results.Snapshot, error) {
	s.stopOnce.Do(func() { close(s.stop) })
	select {
	case <-s.done:
		return s.Snapshot(), s.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Done is closed once the session has stopped.
func (s *Session) Done() <-chan struct{} { return s.done }

// Wait waits for the session to stop and returns its final statistics, and
// an error if its users could not be started. A run stopped by its run
// time, its context or Stop has no error.
func (s *Session) Wait() (*results.Snapshot, error) {
	<-s.done
	return s.Snapshot(), s.err
}
