package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/internal/embedded"
	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/internal/procstat"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/control"
	"github.com/loadgen/loadgen/loadgen/web"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// webRunner starts the web UI's runs from the command line's plan: in
// this process, or on the fleet of a distributed run.
type webRunner struct {
	e   env
	log *slog.Logger
	// base is the command line's plan; each request changes a copy.
	base *testPlan
	fl   *fleet
	// waitGiven is set when --wait was given, so that it applies to every
	// profile, not only the command line's.
	waitGiven bool

	mu       sync.Mutex
	embedded *embedded.Service
	last     *webRun
}

// webRun is one run started from the UI, with what its final report needs.
type webRun struct {
	run     web.Run
	plan    *testPlan
	host    string
	seed    uint64
	started time.Time
	cpu0    time.Duration
	// dist is the distributed run's result, once it has ended.
	dist func() *control.Result

	mu       sync.Mutex
	warnings []string
}

func (r *webRun) warn(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warnings = append(r.warnings, msg)
}

func newWebRunner(e env, p *testPlan, fl *fleet, log *slog.Logger, waitGiven bool) *webRunner {
	return &webRunner{e: e, log: log, base: p, fl: fl, waitGiven: waitGiven}
}

// embeddedURL starts the embedded album service on first use, and keeps
// it for later runs, so that their data builds up as one service's would.
func (w *webRunner) embeddedURL() (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.embedded == nil {
		srv, err := embedded.Start(w.base.store, logging.New(w.e.stderr, logging.Quiet(w.base.level)).With("component", "albumsvc"))
		if err != nil {
			return "", err
		}
		w.embedded = srv
		w.log.Info("embedded album service started", "url", srv.URL, "store", string(w.base.store))
	}
	return w.embedded.URL, nil
}

func (w *webRunner) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.embedded != nil {
		w.embedded.Stop()
	}
}

// planFor resolves a start request against the command line's plan: the
// request's users, spawn rate, host, run time and profile, the rest (client,
// timeouts, wait, thresholds, outputs) from the flags.
func (w *webRunner) planFor(req web.StartRequest) (*testPlan, error) {
	rt, err := web.RunTime(req)
	if err != nil {
		return nil, web.BadRequest(err)
	}
	o := cli.Overrides{Users: &req.Users, SpawnRate: &req.SpawnRate, Host: &req.Host, RunTime: &rt}
	if req.ProfileYAML != "" || req.Profile != w.base.flags.Profile {
		var src profiles.Source
		switch {
		case req.ProfileYAML != "":
			src = profiles.Source{File: "profile_yaml", YAML: req.ProfileYAML}
		case slices.Contains(profiles.BuiltinNames(), req.Profile):
			src = profiles.Source{Builtin: req.Profile}
		default:
			// Never a path: the UI must not read this machine's files.
			return nil, web.BadRequest(fmt.Errorf("profile %q: neither a built-in profile (%s) nor the one loadgen was started with (%s); send its YAML as profile_yaml",
				req.Profile, strings.Join(profiles.BuiltinNames(), ", "), w.base.flags.Profile))
		}
		o.Profile = &src
	}
	spec, err := w.base.cmd.Spec(w.base.set, version, o)
	if err != nil {
		return nil, web.BadRequest(err)
	}
	p, err := planOf(w.base.cmd, w.base.set, spec)
	if err != nil {
		return nil, web.BadRequest(err)
	}
	p.htmlFile, p.level = w.base.htmlFile, w.base.level
	return p, nil
}

// start is the web UI's Starter.
func (w *webRunner) start(ctx context.Context, req web.StartRequest) (web.Run, web.RunInfo, error) {
	p, err := w.planFor(req)
	if err != nil {
		return nil, web.RunInfo{}, err
	}
	host := p.host
	if host == "" {
		if host, err = w.embeddedURL(); err != nil {
			return nil, web.RunInfo{}, err
		}
	}
	seed := runSeed(&p.flags)
	wr := &webRun{plan: p, host: host, seed: seed, started: time.Now(), cpu0: procstat.CPU() + procstat.ChildrenCPU()}
	onWarmupEnd := func(s *results.Snapshot) {
		note := fmt.Sprintf("warm-up of %s excluded: %d requests, %d failures", p.flags.Warmup, s.Total.Count(), s.Total.Failures())
		w.log.Info(note)
		wr.warn(note)
	}
	localWorkers := 0
	if w.fl == nil {
		var expected time.Duration
		if d, ok := p.wait.ExpectedInterval(); ok {
			expected = d
		}
		s, err := loadgen.StartSession(ctx, loadgen.Options{
			ExpectedInterval: expected,
			Tasks:            p.run.Workload(host).Tasks,
			InitUser:         loadgen.InitProfileUser,
			NewRand:          loadgen.ProfileRand(seed),
			Wait:             loadgen.ProfileWait(p.wait),
			Client:           p.flags.Client,
			ClientOptions:    client.Options{Timeout: p.flags.Timeout, UserAgent: "loadgen/" + version},
			Users:            p.users,
			SpawnRate:        p.spawnRate,
			RunTime:          p.runTime,
			StopTimeout:      p.flags.StopTimeout,
			Seed:             seed,
			EntryHistory:     p.flags.CSVFullHistory,
			Warmup:           p.flags.Warmup,
			OnWarmupEnd:      onWarmupEnd,
		})
		if err != nil {
			return nil, web.RunInfo{}, web.BadRequest(err)
		}
		wr.run = web.LocalRun(s)
	} else {
		localWorkers = w.fl.local
		cr := startCoordRun(ctx, w.e, w.fl, p, host, seed, onWarmupEnd, w.log)
		wr.run, wr.dist = cr, cr.result
	}
	info := web.RunInfo{
		Config:      configItems(p, host, seed, wr.started, localWorkers),
		Thresholds:  p.thresholds,
		FullHistory: p.flags.CSVFullHistory,
		CSVPrecise:  p.flags.CSVPrecise,
	}
	for _, t := range p.run.Tasks() {
		info.Tasks = append(info.Tasks, web.TaskWeight{Method: t.Method, Name: t.Name, Weight: t.Weight})
	}
	w.mu.Lock()
	w.last = wr
	w.mu.Unlock()
	return wr.run, info, nil
}

// lastResult is the last run as writeOutputs reports it, or nil when no
// run was started; the error says why the run failed, if it did.
func (w *webRunner) lastResult() (*result, error) {
	w.mu.Lock()
	wr := w.last
	w.mu.Unlock()
	if wr == nil {
		return nil, nil
	}
	snap := wr.run.Snapshot()
	wr.mu.Lock()
	warnings := append([]string(nil), wr.warnings...)
	wr.mu.Unlock()
	warnings = append(warnings, wr.run.Warnings()...)
	res := &result{
		snap: snap, plan: wr.plan, host: wr.host, seed: wr.seed, started: wr.started,
		cpu:         procstat.CPU() + procstat.ChildrenCPU() - wr.cpu0,
		warnings:    warnings,
		cpuRequests: snap.Total.Count(),
	}
	if wr.dist != nil {
		res.dist = wr.dist()
		res.localWorkers = w.fl.local
	}
	res.evaluate()
	return res, wr.run.Err()
}

// coordRun is a distributed run as the web UI sees it. Edit and reset go
// to the coordinator; each start makes a new coordinator (and, with
// --workers, new worker processes).
type coordRun struct {
	cancel context.CancelFunc
	done   chan struct{}

	snap     atomic.Pointer[results.Snapshot]
	coord    atomic.Pointer[control.Coordinator]
	stopping atomic.Bool

	// res and err are written before done is closed.
	res *control.Result
	err error
}

func startCoordRun(ctx context.Context, e env, fl *fleet, p *testPlan, host string, seed uint64, onWarmupEnd func(*results.Snapshot), log *slog.Logger) *coordRun {
	ctx, cancel := context.WithCancel(ctx)
	r := &coordRun{cancel: cancel, done: make(chan struct{})}
	now := time.Now()
	r.snap.Store(results.NewAggregator(now, results.AggregatorOptions{}).Snapshot(now))
	own := *fl
	onTick := func(s *results.Snapshot) {
		// OnTick runs on the goroutine that set own.coord, so reading it
		// here is ordered after the write.
		if r.coord.Load() == nil {
			r.coord.Store(own.coord)
		}
		r.snap.Store(s)
	}
	go func() {
		defer close(r.done)
		defer cancel()
		res, err := own.run(ctx, e, p, host, seed, onTick, onWarmupEnd, log)
		if res != nil && res.Snapshot != nil {
			r.snap.Store(res.Snapshot)
		}
		r.res, r.err = res, err
	}()
	return r
}

func (r *coordRun) Snapshot() *results.Snapshot { return r.snap.Load() }

func (r *coordRun) State() string {
	switch {
	case r.ended():
		return "stopped"
	case r.stopping.Load():
		return "stopping"
	case r.coord.Load() == nil:
		return "waiting"
	}
	return "running"
}

func (r *coordRun) ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// notStarted says why a control came too early: the coordinator is still
// waiting for its workers.
var notStarted = errors.New("the distributed run is waiting for its workers")

func (r *coordRun) Edit(users int, spawnRate float64) error {
	c := r.coord.Load()
	if c == nil {
		return web.Conflict(notStarted)
	}
	if users < 0 || spawnRate < 0 {
		return web.BadRequest(fmt.Errorf("users %d and spawn rate %g must not be negative", users, spawnRate))
	}
	if err := c.Edit(users, spawnRate); err != nil {
		return web.Conflict(err)
	}
	return nil
}

func (r *coordRun) Reset() error {
	c := r.coord.Load()
	if c == nil {
		return web.Conflict(notStarted)
	}
	if err := c.Reset(); err != nil {
		return web.Conflict(err)
	}
	if s := c.Snapshot(); s != nil {
		r.snap.Store(s)
	}
	return nil
}

func (r *coordRun) Stop(ctx context.Context) error {
	r.stopping.Store(true)
	r.cancel()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *coordRun) Done() <-chan struct{} { return r.done }

func (r *coordRun) Err() error {
	if !r.ended() {
		return nil
	}
	return r.err
}

func (r *coordRun) Workers() []report.WorkerRow {
	if r.ended() {
		if r.res == nil {
			return []report.WorkerRow{}
		}
		return workerRows(r.res.Workers)
	}
	if c := r.coord.Load(); c != nil {
		return workerRows(c.Workers())
	}
	return []report.WorkerRow{}
}

func (r *coordRun) Warnings() []string {
	if r.ended() {
		if r.res == nil {
			return nil
		}
		return r.res.Warnings
	}
	if c := r.coord.Load(); c != nil {
		return c.Warnings()
	}
	return nil
}

// result is the distributed run's result once it has ended.
func (r *coordRun) result() *control.Result {
	if !r.ended() {
		return nil
	}
	return r.res
}
