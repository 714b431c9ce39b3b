package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/loadgen/loadgen/internal/embedded"
	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/internal/procstat"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/control"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/threshold"
)

// testPlan is a load test resolved from flags, environment and profile:
// everything checked, nothing started.
type testPlan struct {
	flags runFlags
	// cmd and set are the command line the plan was built from, for runs
	// the web UI starts with other settings.
	cmd *cli.Command
	set *cli.Settings
	// spec is the test; run is the spec compiled.
	spec      *loadgen.Spec
	run       *loadgen.Plan
	profile   *profiles.Profile
	users     int
	spawnRate float64
	runTime   time.Duration
	wait      profiles.Wait
	host      string // empty: start the embedded album service
	store     albumsvc.StoreKind
	// thresholds are the profile's, then the command line's.
	thresholds []*threshold.Threshold
	// source is the profile as workers of a distributed run get it.
	source profiles.Source
	// open is set for an arrival-rate run (--rate, --rate-stages).
	open    bool
	rate    schedule.Rate
	arrival schedule.Arrival
	// htmlFile is where --html writes the HTML report.
	htmlFile string
	// level is --loglevel.
	level slog.Level
}

// plan resolves the run settings: a flag given on the command line or in
// the environment wins over the profile, and the profile over the flag's
// default (see cli.Command.Spec).
func plan(c *cli.Command, s *cli.Settings) (*testPlan, error) {
	spec, err := c.Spec(s, version, cli.Overrides{})
	if err != nil {
		return nil, err
	}
	p, err := planOf(c, s, spec)
	if err != nil {
		return nil, err
	}
	f := &c.Run
	if p.level, err = logging.ParseLevel(f.LogLevel); err != nil {
		return nil, usagef("--loglevel %w", err)
	}
	if f.PrintInterval <= 0 {
		return nil, usagef("--print-interval %v: must be positive", f.PrintInterval)
	}
	// A missing directory is found now, not after the run.
	for _, o := range []struct{ flag, path string }{{"--csv", f.CSV}, {"--json", f.JSON}} {
		if err := checkOutputDir(o.path); err != nil {
			return nil, usagef("%s %s: %w", o.flag, o.path, err)
		}
	}
	return p, nil
}

// planOf fills a plan from its Spec.
func planOf(c *cli.Command, s *cli.Settings, spec *loadgen.Spec) (*testPlan, error) {
	run, err := spec.Plan()
	if err != nil {
		return nil, usageError{Err: err}
	}
	f := c.Run
	// The rest reads the resolved settings from the flags.
	f.Client, f.Timeout, f.StopTimeout, f.Warmup, f.Seed = spec.Client, spec.Timeout, spec.StopTimeout, spec.Warmup, spec.Seed
	f.AbortOnThreshold, f.Ratio = spec.AbortOnThreshold, spec.Ratio
	p := &testPlan{
		flags: f, cmd: c, set: s, spec: spec, run: run, profile: run.Profile,
		users: spec.Users, spawnRate: spec.SpawnRate, runTime: spec.RunTime, wait: spec.Wait,
		host: spec.Host, store: albumsvc.StoreKind(spec.Store), thresholds: run.Thresholds, source: spec.Profile,
		open: spec.Open != nil, level: slog.LevelInfo,
	}
	if o := spec.Open; o != nil {
		p.rate, p.arrival = o.Rate, o.Arrival
		p.flags.MaxInflight, p.flags.MaxLag, p.flags.Arrival = o.MaxInFlight, o.MaxLag, o.Arrival.String()
		p.flags.Rate, p.flags.RateStages = o.Rate.Start, schedule.FormatStages(o.Rate.Stages)
	}
	return p, nil
}

// checkOutputDir checks that path's directory exists, so that results
// have somewhere to go.
func checkOutputDir(path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("directory %s: %w", dir, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// runTest is the default command: one load test, in this process or, with
// --workers, spread over worker processes of its own.
func runTest(ctx context.Context, e env, args []string) (int, error) {
	return runLoad(ctx, e, args, false)
}

// runCoordinator is `loadgen coordinator`: a load test whose workers join
// from elsewhere.
func runCoordinator(ctx context.Context, e env, args []string) (int, error) {
	return runLoad(ctx, e, args, true)
}

func runLoad(ctx context.Context, e env, args []string, coordinator bool) (int, error) {
	sub := ""
	if coordinator {
		sub = "coordinator"
	}
	c, err := cli.NewCommand(sub)
	if err != nil {
		return exitInternal, err
	}
	set, err := c.Parse(args, e.getenv)
	if err != nil {
		if isHelp(err) {
			fmt.Fprint(e.stderr, c.Help())
			return exitOK, nil
		}
		return exitUsage, err
	}
	if c.ShowVersion {
		fmt.Fprintf(e.stdout, "loadgen %s\n", version)
		return exitOK, nil
	}
	f, ff, wf := c.Run, fleetFlags(c.Fleet), webFlags(c.Web)
	p, err := plan(c, set)
	if err != nil {
		return exitUsage, err
	}
	fl, err := checkFleet(ff, coordinator, p)
	if err != nil {
		return exitUsage, err
	}
	if err := checkWeb(&wf, set, p, ff.Token); err != nil {
		return exitUsage, err
	}
	p.htmlFile = wf.HTML
	if wf.Web {
		return runWeb(ctx, e, set, p, fl, wf)
	}
	log := logging.New(e.stderr, p.level)

	host := p.host
	if host == "" {
		srv, err := embedded.Start(p.store, logging.New(e.stderr, logging.Quiet(p.level)).With("component", "albumsvc"))
		if err != nil {
			return exitInternal, err
		}
		defer srv.Stop()
		host = srv.URL
		log.Info("embedded album service started", "url", host, "store", string(p.store))
	}

	seed := runSeed(&f)
	live := newLive(e, p, f.PrintInterval)
	runCtx, abort := context.WithCancel(ctx)
	defer abort()
	var breached *threshold.Result
	onTick := live.tick
	if f.AbortOnThreshold && len(p.thresholds) > 0 {
		onTick = func(s *results.Snapshot) {
			live.tick(s)
			if breached != nil {
				return
			}
			rs, _ := threshold.EvaluateAll(p.thresholds, s)
			for i := range rs {
				if rs[i].Breached() {
					breached = &rs[i]
					abort()
					return
				}
			}
		}
	}
	var warmupNote string
	var warmupRequests int64
	onWarmupEnd := func(s *results.Snapshot) {
		warmupRequests = s.Total.Count()
		warmupNote = fmt.Sprintf("warm-up of %s excluded: %d requests, %d failures", f.Warmup, s.Total.Count(), s.Total.Failures())
		log.Info(warmupNote)
	}
	cpu0 := procstat.CPU() + procstat.ChildrenCPU()
	started := time.Now()
	log.Info("starting", "host", host, "profile", p.profile.Name, "users", p.users, "spawn_rate", p.spawnRate, "run_time", p.runTime, "client", f.Client, "seed", seed)
	var snap *results.Snapshot
	var dist *control.Result
	var openStats *users.OpenStats
	switch {
	case fl == nil && p.open:
		var st users.OpenStats
		snap, st, err = loadgen.RunOpen(runCtx, loadgen.OpenOptions{
			Tasks:         p.run.Workload(host).Tasks,
			InitUser:      loadgen.InitProfileUser,
			NewRand:       loadgen.ProfileRand(seed),
			Client:        f.Client,
			ClientOptions: client.Options{Timeout: f.Timeout, UserAgent: "loadgen/" + version},
			Rate:          p.rate,
			Arrival:       p.arrival,
			MaxInFlight:   f.MaxInflight,
			MaxLag:        f.MaxLag,
			RunTime:       p.runTime,
			StopTimeout:   f.StopTimeout,
			Seed:          seed,
			EntryHistory:  f.CSVFullHistory,
			OnTick:        onTick,
			OnStats:       live.openStats,
			Warmup:        f.Warmup,
			OnWarmupEnd:   onWarmupEnd,
		})
		openStats = &st
	case fl == nil:
		var expected time.Duration
		if d, ok := p.wait.ExpectedInterval(); ok {
			// Pacing says when each task should have started, so the
			// requests a stalled user failed to send can be accounted for.
			expected = d
		}
		snap, err = loadgen.Run(runCtx, loadgen.Options{
			ExpectedInterval: expected,
			Tasks:            p.run.Workload(host).Tasks,
			InitUser:         loadgen.InitProfileUser,
			NewRand:          loadgen.ProfileRand(seed),
			Wait:             loadgen.ProfileWait(p.wait),
			Client:           f.Client,
			ClientOptions:    client.Options{Timeout: f.Timeout, UserAgent: "loadgen/" + version},
			Users:            p.users,
			SpawnRate:        p.spawnRate,
			RunTime:          p.runTime,
			StopTimeout:      f.StopTimeout,
			Seed:             seed,
			EntryHistory:     f.CSVFullHistory,
			OnTick:           onTick,
			Warmup:           f.Warmup,
			OnWarmupEnd:      onWarmupEnd,
		})
	default:
		live.fleet = fl
		dist, err = fl.run(runCtx, e, p, host, seed, onTick, onWarmupEnd, log)
		if dist != nil {
			snap = dist.Snapshot
			openStats = dist.Open
		}
	}
	if err != nil {
		return exitInternal, err
	}
	live.done()
	var warnings []string
	if warmupNote != "" {
		warnings = append(warnings, warmupNote)
	}
	if dist != nil {
		warnings = append(warnings, dist.Warnings...)
	}
	if openStats != nil {
		for _, w := range openStats.Warnings() {
			log.Warn(w)
			warnings = append(warnings, w)
		}
	}
	if breached != nil {
		msg := fmt.Sprintf("aborted after %s: threshold %s breached (measured %s)", snap.Elapsed().Round(time.Millisecond), breached.Threshold.Source, breached.Measured)
		log.Warn(msg)
		warnings = append(warnings, msg)
	} else if ctx.Err() != nil {
		log.Warn("interrupted: writing the results measured so far")
		warnings = append(warnings, "interrupted after "+snap.Elapsed().Round(time.Millisecond).String())
	}
	res := &result{
		snap:     snap,
		plan:     p,
		host:     host,
		seed:     seed,
		started:  started,
		cpu:      procstat.CPU() + procstat.ChildrenCPU() - cpu0,
		warnings: warnings,
		dist:     dist,
		open:     openStats,
		// The CPU time covers the warm-up too.
		cpuRequests: snap.Total.Count() + warmupRequests,
	}
	if fl != nil {
		res.localWorkers = fl.local
	}
	if len(p.thresholds) > 0 {
		res.thresholds, res.thresholdsPass = threshold.EvaluateAll(p.thresholds, snap)
	}
	if err := writeOutputs(e, res); err != nil {
		return exitInternal, err
	}
	if len(p.thresholds) > 0 && !res.thresholdsPass {
		return exitThreshold, nil
	}
	if snap.Total.Failures() > 0 {
		return f.ExitCodeOnError, nil
	}
	return exitOK, nil
}

// result is a finished run with what the reports need besides statistics.
type result struct {
	snap    *results.Snapshot
	plan    *testPlan
	host    string
	seed    uint64
	started time.Time
	cpu     time.Duration
	// warnings are problems with the run worth keeping with its results.
	warnings []string
	// thresholds are the evaluated thresholds, if the run had any.
	thresholds     []threshold.Result
	thresholdsPass bool
	// dist is the distributed run's result: worker table and warnings.
	dist *control.Result
	// localWorkers is how many worker processes this process started.
	localWorkers int
	// cpuRequests is the requests that cpu was spent on.
	cpuRequests int64
	// open is the dispatcher's counts of an open-model run.
	open *users.OpenStats
}
