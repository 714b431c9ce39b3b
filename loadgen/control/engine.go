package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/results"
)

// Fleet runs tests on workers, as a loadgen.Engine: a coordinator listens
// for workers that join over HTTP (loadgen worker --coordinator URL), or
// starts worker processes of its own (loadgen --workers N), splits the
// test over them and merges what they measure.
type Fleet struct {
	// Listen is the control address; ListenCheck keeps it on loopback
	// without a Token.
	Listen string
	// Token is the secret every control request must carry.
	Token string
	// ExpectWorkers is how many workers must register before the run
	// starts; ExpectWait bounds the wait (zero: wait until ctx ends).
	ExpectWorkers int
	ExpectWait    time.Duration
	// MaxWorkers bounds the workers the run takes (see
	// CoordinatorConfig.MaxWorkers).
	MaxWorkers int
	// Workers, when positive, starts that many worker processes of this
	// program, each made by WorkerCommand, with a token of the fleet's own
	// in their environment, where ps does not show it; Listen, Token and
	// the wait (30 s unless ExpectWait) are then the fleet's own, and the
	// run starts once all of them, or ExpectWorkers of them when that is
	// fewer, have registered.
	Workers       int
	WorkerCommand func(url string) (*exec.Cmd, error)
	// Version is this program's; workers of another one are named in a
	// warning.
	Version string
	// Configure, when set, adjusts each run's coordinator (tests shorten
	// its heartbeats).
	Configure func(*CoordinatorConfig)
}

// Execute starts the Plan on the fleet: the coordinator listens, the
// worker processes start, and the run begins once the workers expected
// have registered. Use loadgen.Start, which resolves the Spec first.
func (f *Fleet) Execute(ctx context.Context, p *loadgen.Plan, h loadgen.Hooks) (loadgen.Run, error) {
	log := h.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	token, addr, expect, wait := f.Token, f.Listen, f.ExpectWorkers, f.ExpectWait
	if f.Workers > 0 {
		var err error
		if token, err = wire.NewToken(); err != nil {
			return nil, err
		}
		addr, expect, wait = "127.0.0.1:0", f.Workers, 30*time.Second
		if f.ExpectWorkers > 0 && f.ExpectWorkers < f.Workers {
			// The run starts with these; the others join it.
			expect = f.ExpectWorkers
		}
		if f.ExpectWait > 0 {
			wait = f.ExpectWait
		}
	}
	ln, err := Listen(addr, token)
	if err != nil {
		return nil, err
	}
	spec := p.Spec
	r := &fleetRun{spec: spec, log: log, done: make(chan struct{})}
	cfg := CoordinatorConfig{
		Token: token, Spec: spec.ForWorker(),
		Users: spec.Users, SpawnRate: spec.SpawnRate, RunTime: spec.RunTime,
		ExpectWorkers: expect, ExpectWait: wait, MaxWorkers: f.MaxWorkers, Interval: h.Interval, Window: h.Window,
		EntryHistory: spec.EntryHistory, Warmup: spec.Warmup, OnWarmupEnd: h.OnWarmupEnd,
		OnTick: func(s *results.Snapshot) {
			r.snap.Store(s)
			if h.OnTick != nil {
				h.OnTick(r.tick(s))
			}
		},
		Version: f.Version, Logger: log.With("component", "coordinator"),
	}
	if f.Configure != nil {
		f.Configure(&cfg)
	}
	c, err := NewCoordinator(cfg)
	if err != nil {
		ln.Close()
		return nil, err
	}
	r.c = c
	go c.Serve(ln)
	url := "http://" + ln.Addr().String()
	log.Info("coordinator listening", "url", url, "expect_workers", expect)
	if f.Workers > 0 {
		if r.local, err = f.startWorkers(url, token); err != nil {
			c.Close()
			return nil, err
		}
	}
	r.snap.Store(results.NewAggregator(time.Now(), results.AggregatorOptions{}).Snapshot(time.Now()))
	ctx, r.cancel = context.WithCancel(ctx)
	go r.run(ctx)
	return r, nil
}

// startWorkers starts the fleet's own worker processes.
func (f *Fleet) startWorkers(url, token string) (*LocalFleet, error) {
	if f.WorkerCommand == nil {
		return nil, errors.New("control: Fleet.Workers without a WorkerCommand")
	}
	cmds := make([]*exec.Cmd, 0, f.Workers)
	for range f.Workers {
		cmd, err := f.WorkerCommand(url)
		if err != nil {
			return nil, err
		}
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, "LOADGEN_TOKEN="+token)
		cmds = append(cmds, cmd)
	}
	lf, err := StartLocalFleet(cmds)
	if err != nil {
		return nil, fmt.Errorf("starting %d workers: %w", f.Workers, err)
	}
	return lf, nil
}

// fleetRun is a distributed run as a loadgen.Run.
type fleetRun struct {
	c      *Coordinator
	local  *LocalFleet
	spec   *loadgen.Spec
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	snap     atomic.Pointer[results.Snapshot]
	stopping atomic.Bool
	// res and err are written before done is closed.
	res *loadgen.Result
	err error
}

func (r *fleetRun) run(ctx context.Context) {
	defer close(r.done)
	defer r.cancel()
	res, err := r.c.Run(ctx)
	var exits []string
	if r.local != nil {
		// The workers quit once told to; their CPU time is counted once
		// they have been reaped.
		for _, werr := range unjoin(r.local.Wait(10 * time.Second)) {
			msg := werr.Error() + ": what it measured after its last report is missing"
			r.log.Warn(msg)
			exits = append(exits, msg)
		}
	}
	r.c.Close()
	if err != nil {
		r.err = err
		return
	}
	r.snap.Store(res.Snapshot)
	r.res = &loadgen.Result{
		Snapshot: res.Snapshot, Open: res.Open, OpenUnsent: res.OpenUnsent,
		Workers: res.Workers, Warnings: append(res.Warnings, exits...), Excluded: res.Excluded,
	}
	// A worker that could not run the test said so (and is in the
	// warnings already); one of this process's own that exited with an
	// error may have died mid-run.
	for _, w := range res.Workers {
		if w.State == string(wire.StateFailed) {
			r.res.WorkerErrors = append(r.res.WorkerErrors, fmt.Sprintf("worker %s could not run the test: %s", w.ID, w.Error))
		}
	}
	r.res.WorkerErrors = append(r.res.WorkerErrors, exits...)
	if r.local != nil {
		r.res.LocalWorkers = len(r.local.PIDs())
	}
}

// unjoin lists the errors errors.Join joined; nil has none.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (r *fleetRun) tick(s *results.Snapshot) loadgen.Tick {
	t := loadgen.Tick{Snapshot: s, Workers: r.c.Workers()}
	if st, ok := r.c.OpenStats(); ok {
		t.Open = &st
	}
	return t
}

func (r *fleetRun) ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (r *fleetRun) Spec() *loadgen.Spec { return r.spec }

func (r *fleetRun) State() loadgen.State {
	switch {
	case r.ended():
		return loadgen.StateStopped
	case r.stopping.Load():
		return loadgen.StateStopping
	}
	return r.c.runState()
}

func (r *fleetRun) Snapshot() *results.Snapshot { return r.snap.Load() }

// errWaiting says why a control came too early.
var errWaiting = fmt.Errorf("the distributed run is waiting for its workers: %w", loadgen.ErrNotRunning)

func (r *fleetRun) Edit(c loadgen.Change) error {
	if r.State() == loadgen.StateWaiting {
		return errWaiting
	}
	if r.spec.Open != nil {
		return r.c.EditRate(c.Rate)
	}
	return r.c.Edit(c.Users, c.SpawnRate)
}

func (r *fleetRun) Reset() error {
	if r.State() == loadgen.StateWaiting {
		return errWaiting
	}
	if err := r.c.Reset(); err != nil {
		return err
	}
	if s := r.c.Snapshot(); s != nil {
		r.snap.Store(s)
	}
	return nil
}

func (r *fleetRun) Stop(ctx context.Context) error {
	r.stopping.Store(true)
	r.cancel()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *fleetRun) Done() <-chan struct{} { return r.done }

func (r *fleetRun) Wait() (*loadgen.Result, error) {
	<-r.done
	return r.res, r.err
}

func (r *fleetRun) Result() *loadgen.Result {
	if r.ended() {
		return r.res
	}
	res := &loadgen.Result{Snapshot: r.Snapshot(), Workers: r.c.Workers(), Warnings: r.c.Warnings()}
	if st, ok := r.c.OpenStats(); ok {
		res.Open = &st
	}
	return res
}

func (r *fleetRun) Workers() []results.WorkerStatus {
	if r.ended() {
		if r.res == nil {
			return []results.WorkerStatus{}
		}
		return r.res.Workers
	}
	return r.c.Workers()
}

func (r *fleetRun) Warnings() []string {
	if r.ended() {
		if r.res == nil {
			return nil
		}
		return r.res.Warnings
	}
	return r.c.Warnings()
}

// runState is the coordinator's state as a run's: waiting for workers,
// spawning while any worker ramps, running, stopping.
func (c *Coordinator) runState() loadgen.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case runWaiting:
		return loadgen.StateWaiting
	case runStopping:
		return loadgen.StateStopping
	case runDone:
		return loadgen.StateStopped
	}
	for _, w := range c.aliveLocked() {
		if w.status.State == string(wire.StateSpawning) {
			return loadgen.StateSpawning
		}
	}
	return loadgen.StateRunning
}
