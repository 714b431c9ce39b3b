// Package loadgen runs load tests: simulated users, or requests at a rate,
// against an HTTP target, with every request recorded in HDR histograms.
// It is the library under the loadgen command; it never parses flags,
// prints, or exits, so a Go program can run a test with its own user code.
//
// A test is described once, by a Spec, and runs as a Run, whatever runs
// it: Start runs a Spec on an Engine (Local, in this process, or the
// control package's fleet of workers) and returns a Run that every front
// end steers and reads the same way.
package loadgen

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/threshold"
)

// State is where a run is in its life, named as Locust names its runner's
// states.
type State string

// The states of a run, in the order it goes through them. A run goes back
// from running to spawning when its user count is edited.
const (
	// StateWaiting is a distributed run waiting for its workers.
	StateWaiting  State = "waiting"
	StateSpawning State = "spawning"
	StateRunning  State = "running"
	StateStopping State = "stopping"
	StateStopped  State = "stopped"
)

// Change is an edit of a run in progress, Locust's "edit running test":
// a closed-model run ramps to Users at SpawnRate users per second; an
// open-model run sends Rate requests per second from now on.
type Change struct {
	Users     int
	SpawnRate float64
	Rate      float64
}

// Run is a load test in progress, however it runs. Its methods are safe
// for concurrent use: a web UI reads it while the command line waits for
// it, and a slow reader never holds up the run.
type Run interface {
	// Spec is the test as it runs: its seed picked and its target
	// resolved.
	Spec() *Spec
	// State is where the run is now.
	State() State
	// Snapshot is the latest statistics; it is never nil.
	Snapshot() *results.Snapshot
	// Edit changes the users or the rate of the run in progress.
	Edit(Change) error
	// Reset restarts the statistics from now, keeping their history, as
	// Locust's reset does.
	Reset() error
	// Stop asks the run to stop and waits until it has, or until ctx ends;
	// calling it again is harmless.
	Stop(ctx context.Context) error
	// Done is closed once the run has stopped.
	Done() <-chan struct{}
	// Wait waits for the run to stop and returns its result, and an error
	// when it could not be carried out. A run stopped by its run time, its
	// context or Stop has no error.
	Wait() (*Result, error)
	// Result is the result so far, or the final one once the run has
	// stopped.
	Result() *Result
	// Workers is a distributed run's worker table; nil in one process.
	Workers() []results.WorkerStatus
	// Warnings are problems worth keeping with the results.
	Warnings() []string
}

// Engine runs a compiled test: Local in this process, or the control
// package's fleet on workers. Start wraps what it returns with what every
// run shares, so an engine need only run the Plan.
type Engine interface {
	Execute(ctx context.Context, p *Plan, h Hooks) (Run, error)
}

// Hooks are how a front end watches a run. Every field is optional.
type Hooks struct {
	// OnTick gets each collection's statistics, every Interval, on the
	// collecting goroutine: it should return quickly.
	OnTick func(Tick)
	// OnWarmupEnd gets the statistics the warm-up excluded.
	OnWarmupEnd func(*results.Snapshot)
	// Logger receives the run's log; nil discards it.
	Logger *slog.Logger
	// Interval is how often statistics are collected; default a second.
	Interval time.Duration
	// Window is the span of the current window, behind the current rates
	// and the windowed percentiles of the live table, the charts, the
	// history and the metrics; default results.DefaultWindow (10 s).
	Window time.Duration
	// Serving says that the program goes on after the run, serving a
	// web UI: the run time's end is logged as stopping the test rather
	// than the program.
	Serving bool
	// Target, when set, gives the base URL of the album service a Spec
	// without a host tests (a web UI keeps one for all its runs);
	// otherwise the run starts one of its own.
	Target func(store string) (string, error)
}

// Tick is the state of a run at one collection.
type Tick struct {
	Snapshot *results.Snapshot
	// Open is an open-model run's dispatcher counts since the warm-up;
	// nil for a run with users.
	Open *results.OpenStats
	// Workers is a distributed run's worker table; nil in one process.
	Workers []results.WorkerStatus
}

// Result is what a run measured, and what the reports need to describe
// it.
type Result struct {
	// Spec is the test as it ran; Name its workload's name.
	Spec *Spec
	Name string
	// Embedded is set when the run tested the album service embedded in
	// loadgen, whose URL is Spec.Host.
	Embedded bool
	Started  time.Time
	// Snapshot holds the statistics, the warm-up and anything before the
	// last reset excluded.
	Snapshot *results.Snapshot
	// Open is an open-model run's dispatcher counts since the warm-up,
	// summed over the workers of a distributed run; OpenUnsent estimates
	// the requests of lost workers' shares that no worker sent.
	Open       *results.OpenStats
	OpenUnsent int64
	// Workers is a distributed run's final worker table; LocalWorkers how
	// many of them were processes this one started.
	Workers      []results.WorkerStatus
	LocalWorkers int
	// Warnings say what went wrong, and what makes the run incomplete.
	Warnings []string
	// WorkerErrors say how workers of a distributed run failed: worker
	// processes this one started that exited with an error, and workers
	// that could not run the test. Any makes the run Incomplete.
	WorkerErrors []string
	// Thresholds are the evaluated thresholds; ThresholdsPassed is false
	// when one failed. Breached is the one that aborted the run, if one
	// did.
	Thresholds       []threshold.Result
	ThresholdsPassed bool
	Breached         *threshold.Result
	// Interrupted is set when the run's context ended before the run did
	// (Ctrl-C).
	Interrupted bool
	// CPU is the CPU time this process, and the worker processes it
	// started, spent on the run; Requests is every request the run
	// measured, the excluded ones included, since the CPU went on those
	// too. Excluded counts those excluded.
	CPU      time.Duration
	Requests int64
	Excluded int64
}

// CPUPerRequest is the CPU time spent per request measured, in
// microseconds; zero when nothing was measured.
func (r *Result) CPUPerRequest() float64 {
	if r.Requests <= 0 {
		return 0
	}
	return float64(r.CPU.Microseconds()) / float64(r.Requests)
}

// Outcome says how a finished run ended, for exit codes and CI.
type Outcome int

// The outcomes, from best to worst.
const (
	// Passed: every request succeeded and every threshold held.
	Passed Outcome = iota
	// RequestsFailed: some request failed, and no threshold did.
	RequestsFailed
	// ThresholdFailed: a threshold failed. It wins over failed requests:
	// a breached threshold is what a CI job asked to be told about.
	ThresholdFailed
	// Incomplete: the run measured nothing (no request completed, as
	// against a target that never answers), or a worker failed, so its
	// numbers cannot be judged. It wins over the others: a threshold on
	// a run that measured nothing, or part of what it should have, says
	// nothing about the target.
	Incomplete
)

// String names the outcome, for reports and the web UI.
func (o Outcome) String() string {
	switch o {
	case Passed:
		return "passed"
	case RequestsFailed:
		return "requests failed"
	case ThresholdFailed:
		return "threshold failed"
	case Incomplete:
		return "incomplete"
	}
	return "unknown"
}

// Outcome decides how the run ended. It is the one place that does, for
// every front end and engine.
func (r *Result) Outcome() Outcome {
	switch {
	case r.Snapshot == nil || r.Snapshot.Total.Count() == 0 || len(r.WorkerErrors) > 0:
		return Incomplete
	case len(r.Thresholds) > 0 && !r.ThresholdsPassed:
		return ThresholdFailed
	case r.Snapshot.Total.Failures() > 0:
		return RequestsFailed
	}
	return Passed
}

// roundAge rounds a time in flight for people: to the millisecond, or
// the microsecond below one.
func roundAge(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

// outcomeWarnings are the warnings a finished run's numbers call for,
// whatever ran it: nothing measured, and requests abandoned in flight
// that had waited longer than any completed response. Worker failures
// are the engine's to describe.
func outcomeWarnings(snap *results.Snapshot) []string {
	var w []string
	if snap.Total.Count() == 0 {
		w = append(w, fmt.Sprintf("no request completed in %s: the run measured nothing, so it cannot pass (is the target answering? --timeout bounds each request)",
			snap.Elapsed().Round(time.Millisecond)))
	}
	if a := snap.Abandoned; abandonedHung(snap) {
		w = append(w, fmt.Sprintf("%d requests were still in flight when the run stopped and were abandoned, the oldest after %s, longer than any completed response took (%s); they are in neither the successes nor the failures, so the slowest responses are missing from the percentiles (--stop-timeout lets them finish; the threshold abandoned==0 fails a run on them)",
			a.Count, roundAge(a.Oldest), roundAge(snap.Total.Max())))
	}
	return w
}

// abandonedHung reports whether the requests abandoned at the end say
// something the percentiles do not. A closed-model run without a stop
// timeout abandons one request per busy user as a rule, each younger
// than responses already measured, and that is no news; a request older
// than the slowest completed response is a hang the statistics would
// otherwise hide.
func abandonedHung(snap *results.Snapshot) bool {
	a := snap.Abandoned
	return a.Count > 0 && (snap.Total.Count() == 0 || a.Oldest > snap.Total.Max())
}
