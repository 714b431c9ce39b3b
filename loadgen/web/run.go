package web

import (
	"context"
	"errors"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
	"github.com/loadgen/loadgen/results/threshold"
)

// StartRequest is a run as the start form or POST /api/start asks for it.
// Fields a request leaves out take the server's defaults (Config.Defaults).
type StartRequest struct {
	// Users is the number of users to ramp to.
	Users int `json:"users"`
	// SpawnRate is users started per second; 0 starts them all at once.
	SpawnRate float64 `json:"spawn_rate"`
	// Host is the target's base URL; empty leaves the choice to the
	// Starter (the command line starts its embedded album service).
	Host string `json:"host"`
	// RunTime ends the run ("90s", "1h30m", or seconds); empty or "0" runs
	// until stopped.
	RunTime string `json:"run_time"`
	// Profile names the workload: a built-in profile, or one the server
	// offers (Config.Profiles).
	Profile string `json:"profile"`
	// ProfileYAML, when set, is the workload itself, in profile YAML, and
	// Profile is ignored.
	ProfileYAML string `json:"profile_yaml,omitempty"`
}

// Starter builds and starts the run a request asks for: in this process,
// or on a fleet of workers. It is the server's only way to make load, so
// the server knows nothing of how runs are executed. ctx ends when the
// server closes; the run should stop then.
//
// A request the starter cannot run as given (an unknown profile, a bad
// host) should be reported with BadRequest, which the API answers with
// 400; any other error is answered with 500. The server holds its lock
// while a Starter runs, so that two runs never start at once: a Starter
// should return quickly, and a run that must wait (for workers to join,
// say) should wait in the background.
type Starter func(ctx context.Context, req StartRequest) (Run, RunInfo, error)

// Run is a started load test as the server steers and reads it. Its
// methods are called from many goroutines at once.
type Run interface {
	// Snapshot returns the latest statistics, never nil.
	Snapshot() *results.Snapshot
	// State is the run's state as shown: spawning, running, stopping,
	// stopped, or others a distributed run adds (waiting for workers).
	State() string
	// Edit ramps to a new user count at a new spawn rate. Runs that cannot
	// return an error wrapping errors.ErrUnsupported.
	Edit(users int, spawnRate float64) error
	// Reset restarts the statistics, keeping their history. Runs that
	// cannot return an error wrapping errors.ErrUnsupported.
	Reset() error
	// Stop stops the run and waits until it has stopped or ctx ends.
	Stop(ctx context.Context) error
	// Done is closed once the run has stopped.
	Done() <-chan struct{}
	// Err says why a stopped run failed; nil while it runs, and for a run
	// that ended normally.
	Err() error
	// Workers is the worker table of a distributed run; nil otherwise.
	Workers() []report.WorkerRow
	// Warnings are problems worth keeping with the results.
	Warnings() []string
}

// RunInfo is what the server shows about a run besides its statistics.
type RunInfo struct {
	// Config is the run's configuration, for the page and the HTML report.
	Config []report.ConfigItem
	// JSONConfig, when set, is the configuration recorded in report.json;
	// default Config.
	JSONConfig any
	// Tasks are the profile's tasks and weights, for the current ratio.
	Tasks []TaskWeight
	// Thresholds are checked against every snapshot shown, and in the
	// reports.
	Thresholds []*threshold.Threshold
	// FullHistory writes every entry's rows into stats_history.csv (the
	// run must keep per-entry history).
	FullHistory bool
	// CSVPrecise writes the CSV files' median and percentile columns with
	// their microseconds rather than in Locust's whole milliseconds.
	CSVPrecise bool
}

// csvOptions are the CSV files' options for the run.
func (info RunInfo) csvOptions() report.CSVOptions {
	return report.CSVOptions{FullHistory: info.FullHistory, Precise: info.CSVPrecise}
}

// TaskWeight is one task of the run's profile with its weight.
type TaskWeight struct {
	Method string `json:"method"`
	Name   string `json:"name"`
	Weight int    `json:"weight"`
}

// RequestError is a start request that cannot be run as given.
type RequestError struct{ Err error }

// Error is the underlying error's text, which the API answers with.
func (e *RequestError) Error() string { return e.Err.Error() }

// Unwrap gives the underlying error.
func (e *RequestError) Unwrap() error { return e.Err }

// BadRequest marks err as the request's fault, for a Starter to return.
func BadRequest(err error) error { return &RequestError{Err: err} }

// Conflict marks err as a control that does not fit the run's state now,
// such as an edit before the run's workers have joined: the API answers
// 409.
func Conflict(err error) error { return errConflict{err.Error()} }

// LocalRun adapts a Session, a run in this process, to Run.
func LocalRun(s *loadgen.Session) Run { return localRun{s} }

type localRun struct{ s *loadgen.Session }

func (r localRun) Snapshot() *results.Snapshot             { return r.s.Snapshot() }
func (r localRun) State() string                           { return string(r.s.State()) }
func (r localRun) Edit(users int, spawnRate float64) error { return r.s.Edit(users, spawnRate) }
func (r localRun) Reset() error                            { return r.s.Reset() }
func (r localRun) Done() <-chan struct{}                   { return r.s.Done() }
func (r localRun) Workers() []report.WorkerRow             { return nil }
func (r localRun) Warnings() []string                      { return nil }

func (r localRun) Stop(ctx context.Context) error {
	_, err := r.s.Stop(ctx)
	return err
}

func (r localRun) Err() error {
	select {
	case <-r.s.Done():
		_, err := r.s.Wait()
		return err
	default:
		return nil
	}
}

// ended reports whether a run has stopped.
func ended(r Run) bool {
	select {
	case <-r.Done():
		return true
	default:
		return false
	}
}

// errUnsupported reports whether a run declined a control it lacks.
func errUnsupported(err error) bool { return errors.Is(err, errors.ErrUnsupported) }
