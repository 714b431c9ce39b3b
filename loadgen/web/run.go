package web

import (
	"context"
	"errors"

	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/loadgen"
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
	// Rate, when positive, makes the run an open-model one: that many
	// requests per second in total, and no users.
	Rate float64 `json:"rate,omitempty"`
}

// Redacted is the request as it may be shown or logged: its host without
// the password its user information may carry.
func (r StartRequest) Redacted() StartRequest {
	r.Host = netaddr.RedactURL(r.Host)
	return r
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
type Starter func(ctx context.Context, req StartRequest) (loadgen.Run, error)

// runInfo is what the server shows about a run besides its statistics,
// from its Spec.
type runInfo struct {
	// tasks are the run's tasks and weights, for the current ratio.
	tasks []loadgen.TaskWeight
	// classes are the run's user classes and their tasks, for Locust's
	// /tasks.
	classes []loadgen.ClassWeight
}

func infoOf(run loadgen.Run) runInfo {
	p, err := run.Spec().Plan()
	if err != nil {
		// A run that started has a Spec that compiles.
		return runInfo{}
	}
	return runInfo{tasks: p.Tasks(), classes: p.Classes()}
}

// RequestError is a start request that cannot be run as given.
type RequestError struct{ Err error }

// Error is the underlying error's text, which the API answers with.
func (e *RequestError) Error() string { return e.Err.Error() }

// Unwrap gives the underlying error.
func (e *RequestError) Unwrap() error { return e.Err }

// BadRequest marks err as the request's fault, for a Starter to return.
func BadRequest(err error) error { return &RequestError{Err: err} }

// ended reports whether a run has stopped.
func ended(r loadgen.Run) bool {
	select {
	case <-r.Done():
		return true
	default:
		return false
	}
}

// runErr says why a stopped run failed; nil while it runs.
func runErr(r loadgen.Run) error {
	if !ended(r) {
		return nil
	}
	_, err := r.Wait()
	return err
}

// controlError turns a control that does not fit the run's state (an edit
// before the workers joined, a reset after the end) into a conflict, and
// one the run lacks into a 501.
func controlError(err error) error {
	switch {
	case errors.Is(err, loadgen.ErrEnded):
		return errConflict{"the run has ended"}
	case errors.Is(err, loadgen.ErrNotRunning):
		return errConflict{err.Error()}
	}
	return err
}

// errUnsupported reports whether a run declined a control it lacks.
func errUnsupported(err error) bool { return errors.Is(err, errors.ErrUnsupported) }
