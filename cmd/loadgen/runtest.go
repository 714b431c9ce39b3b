package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/loadgen/loadgen/internal/embedded"
	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/internal/procstat"
	"github.com/loadgen/loadgen/loadgen"
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
	flags     runFlags
	profile   *profiles.Profile
	compiled  *profiles.Compiled
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

// plan resolves the run settings. A flag given on the command line or in
// the environment wins over the profile, and the profile over the flag's
// default.
func plan(fs *pflag.FlagSet, f runFlags) (*testPlan, error) {
	p := &testPlan{flags: f}
	var err error
	if p.level, err = logging.ParseLevel(f.loglevel); err != nil {
		return nil, usagef("--loglevel %w", err)
	}
	if !isKind(f.client) {
		return nil, usagef("--client %q: want one of %s", f.client, strings.Join(client.Kinds(), ", "))
	}
	// Read as a distributed run sends it, so that a coordinator checks the
	// very bytes its workers will run.
	src, err := profiles.ReadSource(f.profile)
	if err != nil {
		return nil, usagef("--profile: %w", err)
	}
	prof, err := src.Load()
	if err != nil {
		return nil, usagef("--profile: %w", err)
	}
	p.source = src
	if f.ratio != "" {
		if err := profiles.ApplyRatio(prof, f.ratio); err != nil {
			return nil, usageError{err} // the message names --ratio already
		}
	}
	p.profile = prof
	if p.compiled, err = profiles.Compile(prof); err != nil {
		return nil, usagef("--profile: %w", err)
	}
	if err := loadgen.CheckProfile(p.compiled); err != nil {
		return nil, usagef("--profile: %w", err)
	}

	p.users = f.users
	if !fs.Changed("users") && prof.Users > 0 {
		p.users = prof.Users
	}
	if p.users < 0 {
		return nil, usagef("--users %d: must be zero or more", p.users)
	}
	p.spawnRate = f.spawnRate
	if !fs.Changed("spawn-rate") && prof.SpawnRate > 0 {
		p.spawnRate = prof.SpawnRate
	}
	if p.spawnRate < 0 {
		return nil, usagef("--spawn-rate %g: must be zero (all at once) or more", p.spawnRate)
	}
	if err := p.planOpen(fs, f); err != nil {
		return nil, err
	}
	if p.open && len(p.rate.Stages) > 0 && !fs.Changed("run-time") && prof.RunTime == 0 {
		// The stages say how long the run is.
		p.runTime = p.rate.Duration()
	} else if fs.Changed("run-time") || prof.RunTime == 0 {
		if p.runTime, err = profiles.ParseRunTime(f.runTime); err != nil {
			return nil, usagef("--run-time: %w", err)
		}
	} else {
		p.runTime = prof.RunTime
	}
	if p.runTime <= 0 {
		return nil, usagef("--run-time %q: must be positive", f.runTime)
	}
	if f.warmup < 0 || f.warmup >= p.runTime {
		return nil, usagef("--warmup %v: must be at least 0 and shorter than the run time %v", f.warmup, p.runTime)
	}
	p.wait = prof.Wait
	if fs.Changed("wait") {
		if p.wait, err = profiles.ParseWait(f.wait); err != nil {
			return nil, usagef("--wait: %w", err)
		}
	}
	if f.timeout <= 0 {
		return nil, usagef("--timeout %v: must be positive", f.timeout)
	}
	if f.stopTimeout < 0 {
		return nil, usagef("--stop-timeout %v: must not be negative", f.stopTimeout)
	}
	if f.printInterval <= 0 {
		return nil, usagef("--print-interval %v: must be positive", f.printInterval)
	}
	// A missing directory is found now, not after the run.
	for _, o := range []struct{ flag, path string }{{"--csv", f.csvPrefix}, {"--json", f.jsonFile}} {
		if err := checkOutputDir(o.path); err != nil {
			return nil, usagef("%s %s: %w", o.flag, o.path, err)
		}
	}
	if p.thresholds, err = parseThresholds(prof, f.thresholds); err != nil {
		return nil, usageError{err}
	}
	p.host = f.host
	if p.host == "" {
		p.host = prof.Host
	}
	if p.host != "" {
		if err := netaddr.CheckBaseURL(p.host); err != nil {
			return nil, usagef("--host %q: %w", p.host, err)
		}
	} else if p.store, err = albumsvc.ParseStoreKind(f.store); err != nil {
		return nil, usagef("--store: %w", err)
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

// planOpen resolves the open-model flags.
func (p *testPlan) planOpen(fs *pflag.FlagSet, f runFlags) error {
	p.open = fs.Changed("rate") || f.rateStages != ""
	for _, name := range []string{"arrival", "max-inflight", "max-lag"} {
		if fs.Changed(name) && !p.open {
			return usagef("--%s applies to open-model runs only: add --rate or --rate-stages", name)
		}
	}
	if !p.open {
		return nil
	}
	if fs.Changed("users") || fs.Changed("spawn-rate") {
		return usagef("--users and --spawn-rate describe closed-model users; an open-model run (--rate) has none: --max-inflight caps its concurrency")
	}
	if f.rate < 0 || (f.rateStages == "" && f.rate == 0) {
		return usagef("--rate %g: must be positive", f.rate)
	}
	p.rate = schedule.Constant(f.rate)
	if f.rateStages != "" {
		stages, err := schedule.ParseStages(f.rateStages)
		if err != nil {
			return usagef("--rate-stages: %w", err)
		}
		p.rate = schedule.Rate{Start: f.rate, Stages: stages}
	}
	if err := p.rate.Validate(); err != nil {
		return usagef("--rate/--rate-stages: %w", err)
	}
	var err error
	if p.arrival, err = schedule.ParseArrival(f.arrival); err != nil {
		return usagef("--arrival: %w", err)
	}
	if f.maxInflight < 0 {
		return usagef("--max-inflight %d: must be positive (0 for the default)", f.maxInflight)
	}
	return nil
}

func isKind(k string) bool {
	for _, c := range client.Kinds() {
		if c == k {
			return true
		}
	}
	return false
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
	var f runFlags
	var ff fleetFlags
	var wf webFlags
	var showVersion bool
	name, usage := "loadgen", "Usage: loadgen [flags]\n       loadgen compare|scale|coordinator|worker [flags]   (each has its own --help)\n\nRuns a load test. Without --host it tests an album service started in-process.\n\nCommands:\n  compare      the same test once per HTTP client, side by side\n  scale        a scaling curve over workers, users, rate or stores, with Amdahl and USL fits\n  coordinator  a distributed test whose workers join over HTTP\n  worker       a worker of a coordinator\n\nFlags:\n%s"
	if coordinator {
		name, usage = "loadgen coordinator", "Usage: loadgen coordinator --listen ADDR --expect-workers N [flags]\n\nRuns a load test on workers that join over HTTP (loadgen worker --coordinator URL).\n\nFlags:\n%s"
	}
	fs, err := parseFlags(name, args, e.getenv, e.stderr, func(fs *pflag.FlagSet) {
		f.register(fs)
		ff.register(fs, coordinator)
		wf.register(fs)
		if !coordinator {
			fs.BoolVar(&showVersion, "version", false, "print the version and exit")
		}
	})
	if err != nil {
		if isHelp(err) {
			fmt.Fprintf(e.stderr, usage, fs.FlagUsages())
			return exitOK, nil
		}
		return exitUsage, err
	}
	if showVersion {
		fmt.Fprintf(e.stdout, "loadgen %s\n", version)
		return exitOK, nil
	}
	if fs.NArg() > 0 {
		return exitUsage, usagef("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	p, err := plan(fs, f)
	if err != nil {
		return exitUsage, err
	}
	fl, err := ff.check(coordinator, p)
	if err != nil {
		return exitUsage, err
	}
	if err := wf.check(fs, p, ff.token); err != nil {
		return exitUsage, err
	}
	p.htmlFile = wf.html
	if wf.web {
		return runWeb(ctx, e, fs, p, fl, wf)
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

	seed := f.runSeed()
	live := newLive(e, p, f.printInterval)
	runCtx, abort := context.WithCancel(ctx)
	defer abort()
	var breached *threshold.Result
	onTick := live.tick
	if f.abortOnThresh && len(p.thresholds) > 0 {
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
		warmupNote = fmt.Sprintf("warm-up of %s excluded: %d requests, %d failures", f.warmup, s.Total.Count(), s.Total.Failures())
		log.Info(warmupNote)
	}
	cpu0 := procstat.CPU() + procstat.ChildrenCPU()
	started := time.Now()
	log.Info("starting", "host", host, "profile", p.profile.Name, "users", p.users, "spawn_rate", p.spawnRate, "run_time", p.runTime, "client", f.client, "seed", seed)
	var snap *results.Snapshot
	var dist *control.Result
	var openStats *users.OpenStats
	switch {
	case fl == nil && p.open:
		var st users.OpenStats
		snap, st, err = loadgen.RunOpen(runCtx, loadgen.OpenOptions{
			Tasks:         loadgen.ProfileTasks(p.compiled, host),
			InitUser:      loadgen.InitProfileUser,
			NewRand:       loadgen.ProfileRand(seed),
			Client:        f.client,
			ClientOptions: client.Options{Timeout: f.timeout, UserAgent: "loadgen/" + version},
			Rate:          p.rate,
			Arrival:       p.arrival,
			MaxInFlight:   f.maxInflight,
			MaxLag:        f.maxLag,
			RunTime:       p.runTime,
			StopTimeout:   f.stopTimeout,
			Seed:          seed,
			EntryHistory:  f.csvFull,
			OnTick:        onTick,
			OnStats:       live.openStats,
			Warmup:        f.warmup,
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
			Tasks:            loadgen.ProfileTasks(p.compiled, host),
			InitUser:         loadgen.InitProfileUser,
			NewRand:          loadgen.ProfileRand(seed),
			Wait:             loadgen.ProfileWait(p.wait),
			Client:           f.client,
			ClientOptions:    client.Options{Timeout: f.timeout, UserAgent: "loadgen/" + version},
			Users:            p.users,
			SpawnRate:        p.spawnRate,
			RunTime:          p.runTime,
			StopTimeout:      f.stopTimeout,
			Seed:             seed,
			EntryHistory:     f.csvFull,
			OnTick:           onTick,
			Warmup:           f.warmup,
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
		return f.exitOnError, nil
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
