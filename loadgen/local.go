package loadgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/results"
)

// ErrEnded is returned by a Run's controls once it is stopping or
// stopped.
var ErrEnded = errors.New("loadgen: the run has ended")

// ErrNotRunning is returned by a Run's controls when the run cannot be
// changed now: it is waiting for its workers, or stopping. Errors that
// wrap it, or ErrEnded, are about timing, not about the change asked for.
var ErrNotRunning = errors.New("the run is not running")

// Local runs tests in this process: closed-model users or an open-model
// dispatcher, two schedules of one run.
type Local struct{}

// Execute starts the Plan in this process. Use Start, which resolves the
// Spec first and adds what every run shares.
func (Local) Execute(ctx context.Context, p *Plan, h Hooks) (Run, error) {
	s := p.Spec
	r := &localRun{
		plan: p, spec: s, hooks: h,
		cmds:  make(chan localCmd),
		stop:  make(chan struct{}),
		ended: make(chan struct{}),
		done:  make(chan struct{}),
	}
	var err error
	if s.Open != nil {
		r.open, err = NewOpenLoad(p, s.Host, 0, time.Time{}, h.Logger)
		if err == nil {
			r.start = r.open.Origin()
		}
	} else {
		r.start = time.Now()
		r.users, err = NewUsers(p, s.Host, 0, 0, 1)
	}
	if err != nil {
		return nil, err
	}
	r.stats = NewStats(r.start, s.EntryHistory, h.Window)
	r.snap.Store(r.stats.Snapshot(r.start))
	r.target.Store(&Change{Users: s.Users, SpawnRate: s.SpawnRate})
	r.setState(StateSpawning)
	runCtx, cancel := context.WithCancel(ctx)
	if s.RunTime > 0 {
		runCtx, cancel = context.WithDeadline(ctx, r.start.Add(s.RunTime))
	}
	go func() {
		defer cancel()
		r.loop(runCtx)
	}()
	return r, nil
}

// localRun is a run in this process. One goroutine owns its load and its
// statistics; the methods talk to it, so a slow caller never holds up the
// collection.
type localRun struct {
	plan  *Plan
	spec  *Spec
	hooks Hooks
	start time.Time
	stats *Stats
	users *Users    // a closed-model run's
	open  *OpenLoad // an open-model run's
	warm  results.OpenStats

	cmds     chan localCmd
	stop     chan struct{}
	stopOnce sync.Once
	ended    chan struct{} // no command is taken after it is closed
	done     chan struct{}

	snap     atomic.Pointer[results.Snapshot]
	lastOpen atomic.Pointer[results.OpenStats]
	target   atomic.Pointer[Change]
	state    atomic.Pointer[State]
	// res and err are written before done is closed.
	res *Result
	err error
}

type localCmd struct {
	edit  *Change // nil: reset the statistics
	reply chan error
}

func (r *localRun) loop(ctx context.Context) {
	defer close(r.done)
	ticker := time.NewTicker(intervalOr(r.hooks.Interval))
	defer ticker.Stop()
	var warm <-chan time.Time
	if r.spec.Warmup > 0 {
		t := time.NewTimer(time.Until(r.start.Add(r.spec.Warmup)))
		defer t.Stop()
		warm = t.C
	}
	rampDone, scheduleDone := r.begin()
loop:
	for r.err == nil {
		select {
		case <-ctx.Done():
			break loop
		case <-r.stop:
			break loop
		case <-scheduleDone:
			r.err = r.open.Err()
			break loop
		case err := <-rampDone:
			rampDone = nil
			if err != nil && ctx.Err() == nil {
				r.err = fmt.Errorf("loadgen: starting users: %w", err)
				break loop
			}
			r.setState(StateRunning)
		case cmd := <-r.cmds:
			if ch := r.command(cmd); ch != nil {
				rampDone = ch
			}
		case now := <-warm:
			warm = nil
			r.endWarmup(now)
		case now := <-ticker.C:
			r.tick(now)
		}
	}
	close(r.ended)
	r.finish()
}

// begin starts the load: an open-model run's schedule, whose end it
// returns, or a closed-model run's ramp, whose outcome it returns.
func (r *localRun) begin() (rampDone <-chan error, scheduleDone <-chan struct{}) {
	if r.open == nil {
		return r.users.Ramp(r.spec.Users, r.spec.SpawnRate), nil
	}
	if err := r.open.Assign(Share{Model: r.model(r.spec.Open.Rate), Workers: 1, Seed: r.spec.Seed}); err != nil {
		r.err = err
	}
	r.setState(StateRunning)
	return nil, r.open.Done()
}

// command carries out an edit, which may start a ramp it returns, or a
// reset of the statistics.
func (r *localRun) command(cmd localCmd) (rampDone <-chan error) {
	defer func() { cmd.reply <- nil }()
	if cmd.edit != nil {
		return r.edit(*cmd.edit)
	}
	now := time.Now()
	r.collect(now)
	r.stats.Restart(now)
	r.snap.Store(r.stats.Snapshot(now))
	return nil
}

// endWarmup restarts the statistics at now, and hands what the warm-up
// measured to OnWarmupEnd.
func (r *localRun) endWarmup(now time.Time) {
	if r.open != nil {
		// Read before the drain, which (with the snapshot) can take a
		// while on a busy machine: read after it, the counts would take
		// in requests the statistics leave to the run.
		r.warm = r.open.Stats()
	}
	r.collect(now)
	excluded := r.stats.Restart(now)
	if r.hooks.OnWarmupEnd != nil {
		r.hooks.OnWarmupEnd(excluded)
	}
}

// tick closes the interval that ends at now and publishes its snapshot.
func (r *localRun) tick(now time.Time) {
	snap := r.collect(now)
	open := r.openStats()
	r.snap.Store(snap)
	r.lastOpen.Store(open)
	if r.hooks.OnTick != nil {
		r.hooks.OnTick(Tick{Snapshot: snap, Open: open})
	}
}

// model is the open model with rate, cut where the run ends.
func (r *localRun) model(rate schedule.Rate) *OpenModel {
	m := *r.spec.Open
	m.Rate = rate.Until(r.spec.RunTime)
	return &m
}

// edit applies a change; it returns the ramp of a closed-model run.
func (r *localRun) edit(c Change) <-chan error {
	if r.open != nil {
		rate := schedule.Constant(c.Rate)
		if end := r.spec.Open.Rate; end.Bounded() && r.spec.RunTime == 0 {
			// The run still ends where its stages did.
			rate = rate.Until(end.Duration())
		}
		_ = r.open.Assign(Share{Model: r.model(rate), At: r.open.Elapsed(), Workers: 1, Seed: r.spec.Seed})
		return nil
	}
	r.setState(StateSpawning)
	return r.users.Ramp(c.Users, c.SpawnRate)
}

// finish stops the load and takes the final statistics.
func (r *localRun) finish() {
	r.setState(StateStopping)
	res := &Result{}
	var active int
	if r.open != nil {
		at := r.open.Elapsed()
		if rate := r.model(r.spec.Open.Rate).Rate; rate.Bounded() {
			at = min(at, rate.Duration())
		}
		r.open.End(at)
		// As a distributed run's, the final user count of an open-model
		// run is its peak number of requests in flight.
		active = r.open.Slots()
		res.Open = r.openStats()
		res.Warnings = res.Open.Warnings()
		for _, w := range res.Warnings {
			r.log().Warn(w)
		}
	} else {
		// The final statistics report the users that ran, not the zero
		// left after stopping them.
		active = r.users.Count()
		r.users.Stop(r.spec.StopTimeout)
	}
	res.Snapshot = r.collect(time.Now())
	res.Snapshot.Users = active
	res.Excluded = r.stats.Excluded()
	r.snap.Store(res.Snapshot)
	r.res = res
	r.setState(StateStopped)
}

// collect drains what the load recorded, merges it and closes the
// interval.
func (r *localRun) collect(now time.Time) *results.Snapshot {
	d := results.NewDelta()
	users := 0
	if r.open != nil {
		r.open.Drain(d)
		users = r.open.InFlight()
	} else {
		r.users.Drain(d)
		users = r.users.Count()
	}
	d.SetNode(results.LocalNode)
	// Each step is a millisecond or more of work at high rates; letting
	// the processor go between them keeps a generator with one core from
	// holding up its users and dispatcher for the whole collection.
	runtime.Gosched()
	if err := r.stats.Add(d); err != nil {
		// Deltas made in this process always fit; this is a bug.
		panic(fmt.Sprintf("loadgen: merging statistics: %v", err))
	}
	runtime.Gosched()
	r.stats.Tick(now, users)
	runtime.Gosched()
	return r.stats.Snapshot(now)
}

func (r *localRun) openStats() *results.OpenStats {
	if r.open == nil {
		return nil
	}
	st := r.open.Stats().Since(r.warm)
	return &st
}

func (r *localRun) setState(s State) { r.state.Store(&s) }

func (r *localRun) log() *slog.Logger {
	if r.hooks.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.hooks.Logger
}

func (r *localRun) Spec() *Spec                     { return r.spec }
func (r *localRun) State() State                    { return *r.state.Load() }
func (r *localRun) Snapshot() *results.Snapshot     { return r.snap.Load() }
func (r *localRun) Done() <-chan struct{}           { return r.done }
func (r *localRun) Workers() []results.WorkerStatus { return nil }

func (r *localRun) Edit(c Change) error {
	if r.open == nil {
		if err := CheckUsers(c.Users); err != nil {
			return fmt.Errorf("loadgen: users %w", err)
		}
		if err := CheckSpawnRate(c.SpawnRate); err != nil {
			return fmt.Errorf("loadgen: spawn rate %w", err)
		}
	}
	if r.open != nil && !(c.Rate > 0 && c.Rate <= schedule.MaxRate) {
		return fmt.Errorf("loadgen: rate %g: must be positive, and at most %g", c.Rate, float64(schedule.MaxRate))
	}
	if err := r.send(localCmd{edit: &c}); err != nil {
		return err
	}
	r.target.Store(&c)
	return nil
}

func (r *localRun) Reset() error { return r.send(localCmd{}) }

func (r *localRun) send(cmd localCmd) error {
	cmd.reply = make(chan error, 1)
	select {
	case r.cmds <- cmd:
		return <-cmd.reply
	case <-r.ended:
		return ErrEnded
	}
}

func (r *localRun) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() { close(r.stop) })
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *localRun) Wait() (*Result, error) {
	<-r.done
	return r.res, r.err
}

func (r *localRun) Result() *Result {
	select {
	case <-r.done:
		return r.res
	default:
		return &Result{Snapshot: r.Snapshot(), Open: r.lastOpen.Load()}
	}
}

func (r *localRun) Warnings() []string {
	if res := r.Result(); res != nil {
		return res.Warnings
	}
	return nil
}
