package control

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
)

// finishWait bounds the final report's delivery when the worker quits or
// is interrupted.
const finishWait = 5 * time.Second

// workerRun is one coordinator run on this worker. It outlives registrations:
// a worker that lost its coordinator and finds it again resumes the same
// run, its unsent statistics and user numbering included.
type workerRun struct {
	id    string
	spec  loadgen.Spec
	users *loadgen.Users    // a closed-model run's; nil otherwise
	open  *loadgen.OpenLoad // an open-model run's; nil otherwise

	stopping  bool          // a stop arrived: the run is over here (serve goroutine)
	stopDone  chan struct{} // closed when the users are gone
	stopped   bool          // users gone: the next report is final (w.mu)
	finalSent bool          // the final report was acknowledged (w.mu)
}

func (w *Worker) current() *workerRun {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.run
}

func (w *Worker) setState(r *workerRun, state wire.WorkerState) {
	w.mu.Lock()
	if w.run == r {
		w.state = state
	}
	w.mu.Unlock()
}

// switchRun makes r the current run, dropping the statistics of the
// previous one: they belong to a coordinator that is gone.
func (w *Worker) switchRun(r *workerRun) {
	old := w.current()
	if old != nil {
		w.halt(old)
	}
	w.mu.Lock()
	w.run = r
	w.pending.Reset()
	w.state = wire.StateReady
	// A run's reports are numbered from 1, which its coordinator expects
	// (see wire.MaxSeqGap).
	w.seq = 0
	w.mu.Unlock()
}

// plan checks and compiles a spawn command's spec, with the worker's own
// task code when it has some.
func (w *Worker) plan(spec loadgen.Spec) (*loadgen.Plan, error) {
	if w.cfg.Workload != nil {
		wl, err := w.cfg.Workload(&spec)
		if err != nil {
			return nil, err
		}
		spec.Workload = wl
	}
	return spec.Plan()
}

// spawn ramps the run's users to the command's target. A spec the worker
// cannot run is returned as an error.
func (w *Worker) spawn(cmd wire.Command) error {
	if cmd.Spec.Open != nil {
		return w.spawnOpen(cmd)
	}
	r := w.current()
	if r == nil || r.id != cmd.Run {
		plan, err := w.plan(*cmd.Spec)
		if err != nil {
			return fmt.Errorf("cannot run the coordinator's spec: %w", err)
		}
		index, workers := place(cmd)
		us, err := loadgen.NewUsers(plan, cmd.Spec.Host, cmd.FirstID, index, workers)
		if err != nil {
			return fmt.Errorf("cannot run the coordinator's spec: %w", err)
		}
		r = &workerRun{id: cmd.Run, spec: *cmd.Spec, users: us, stopDone: make(chan struct{})}
		w.switchRun(r)
		w.log.Info("new run", "run", r.id, "first_user_id", cmd.FirstID+1)
	}
	if r.stopping {
		w.log.Warn("spawn for a stopped run ignored", "run", r.id)
		return nil
	}
	r.users.Place(place(cmd))
	w.setState(r, wire.StateSpawning)
	w.log.Info("spawning", "users", cmd.Users, "rate", cmd.Rate)
	ramp := r.users.Ramp(cmd.Users, cmd.Rate)
	go func() {
		// Nothing arrives when a later ramp or a stop ended this one.
		if err := <-ramp; err != nil {
			w.log.Error("ramp failed", "err", err)
			return
		}
		w.setState(r, wire.StateRunning)
	}()
	return nil
}

// spawnOpen starts the worker's part in an open-model run, or changes its
// share of the schedule.
func (w *Worker) spawnOpen(cmd wire.Command) error {
	r := w.current()
	if r == nil || r.id != cmd.Run {
		plan, err := w.plan(*cmd.Spec)
		if err != nil {
			return fmt.Errorf("cannot run the coordinator's spec: %w", err)
		}
		l, err := loadgen.NewOpenLoad(plan, cmd.Spec.Host, cmd.FirstID, cmd.Open.Start, w.log)
		if err != nil {
			return fmt.Errorf("cannot run the coordinator's spec: %w", err)
		}
		r = &workerRun{id: cmd.Run, spec: *cmd.Spec, open: l, stopDone: make(chan struct{})}
		w.switchRun(r)
		w.log.Info("new open-model run", "run", r.id, "start", cmd.Open.Start, "first_slot_id", cmd.FirstID+1)
	}
	if r.stopping || r.open == nil {
		w.log.Warn("open-model share for a stopped run ignored", "run", r.id)
		return nil
	}
	share := loadgen.Share{Model: cmd.Spec.Open, At: cmd.Open.At, Index: cmd.Open.Index, Workers: cmd.Open.Workers, Seed: cmd.Open.Seed}
	if err := r.open.Assign(share); err != nil {
		return fmt.Errorf("cannot run the coordinator's spec: %w", err)
	}
	w.setState(r, wire.StateRunning)
	return nil
}

// stop ends the run here: users finish their tasks (within the spec's
// stop timeout), then the final report goes out.
func (w *Worker) stop(runID string) { w.stopAt(runID, -1) }

// stopAt is stop with the point at which an open-model run's schedule
// ends; a negative one ends it now.
func (w *Worker) stopAt(runID string, at time.Duration) {
	r := w.current()
	if r == nil || r.id != runID {
		// Nothing of this run ran here; an empty final report still tells
		// the coordinator not to wait for this worker.
		r = &workerRun{id: runID, stopDone: make(chan struct{})}
		w.switchRun(r)
	}
	if r.stopping {
		return
	}
	r.stopping = true
	w.setState(r, wire.StateStopping)
	w.log.Info("stopping", "run", r.id)
	go func() {
		if r.users != nil {
			r.users.Stop(r.spec.StopTimeout)
		}
		if r.open != nil {
			r.open.End(at)
		}
		w.mu.Lock()
		r.stopped = true
		if w.run == r {
			w.state = wire.StateStopped
		}
		w.mu.Unlock()
		close(r.stopDone)
		select {
		case w.flush <- struct{}{}:
		default:
		}
	}()
}

// disconnect stops generating load when the coordinator is lost: the users
// are retired (each finishes the task it is in) but the run is kept, so a
// coordinator that comes back can start them again.
func (w *Worker) disconnect() {
	r := w.current()
	if r == nil || r.stopping {
		return
	}
	if r.users != nil {
		r.users.Pause()
	}
	if r.open != nil {
		r.open.Pause()
	}
	w.setState(r, wire.StateDisconnected)
}

// halt stops a run's users for good, without waiting for them.
func (w *Worker) halt(r *workerRun) {
	if r.users != nil && !r.stopping {
		r.stopping = true
		go func() {
			r.users.Stop(0)
			close(r.stopDone)
		}()
	}
	if r.open != nil && !r.stopping {
		r.stopping = true
		go func() {
			r.open.Halt()
			close(r.stopDone)
		}()
	}
}

// abandon stops whatever still runs when Run returns.
func (w *Worker) abandon() {
	if r := w.current(); r != nil {
		w.halt(r)
		if r.users != nil {
			r.users.Stop(0)
		}
		if r.open != nil {
			r.open.Halt()
		}
	}
}

// finish ends the worker's part in the run: it stops the users if they
// still run, and delivers the final report, each within its bound. When
// leaving is set (the worker was interrupted, not told to quit), it then
// tells the coordinator it is gone, so its users move to other workers at
// once rather than after the missed heartbeats.
func (w *Worker) finish(ctx context.Context, leaving bool) {
	bg := context.WithoutCancel(ctx)
	if r := w.current(); r != nil && (r.users != nil || r.open != nil) {
		w.stop(r.id)
		grace := r.spec.StopTimeout
		if r.open != nil {
			grace = r.open.EndWait()
		}
		select {
		case <-r.stopDone:
		case <-time.After(grace + finishWait):
		}
		deadline := time.Now().Add(finishWait)
		for time.Now().Before(deadline) {
			w.mu.Lock()
			done := r.finalSent
			w.mu.Unlock()
			if done {
				break
			}
			rctx, cancel := context.WithDeadline(bg, deadline)
			err := w.sendReports(rctx)
			cancel()
			if errors.Is(err, errGone) {
				break
			}
			if err != nil {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	if leaving {
		w.mu.Lock()
		w.state = wire.StateQuit
		w.mu.Unlock()
		hctx, cancel := context.WithTimeout(bg, 2*time.Second)
		defer cancel()
		_ = w.sendHeartbeat(hctx)
	}
}

// sendReports delivers the unacknowledged report, then a new one of what
// was measured since, if any.
func (w *Worker) sendReports(ctx context.Context) error {
	for range 2 {
		out, err := w.nextReport()
		if err != nil || out == nil {
			return err
		}
		if out.final && out.run.open != nil && !out.counted {
			// The final counts go first, in a heartbeat, so that the
			// coordinator has them when the final report tells it this
			// worker is done. A coordinator that no longer counts this
			// worker in refuses heartbeats but still takes its report.
			if err := w.sendHeartbeat(ctx); err != nil && !errors.Is(err, errGone) {
				return err
			}
			out.counted = true
		}
		var ack wire.ReportResponse
		status, err := w.send(ctx, http.MethodPost, out.path, out.body, &ack, wire.MaxMessageBytes)
		switch {
		case err == nil:
		case status >= 400 && status < 500 && status != http.StatusGone && status != http.StatusUnauthorized:
			// The coordinator refused this report and always will; resending
			// it would block every later one.
			w.log.Error("report refused and dropped", "seq", out.seq, "err", err)
		default:
			return err
		}
		w.mu.Lock()
		if w.inflight == out {
			w.inflight = nil
			if out.final {
				out.run.finalSent = true
			}
		}
		w.mu.Unlock()
	}
	return nil
}

// nextReport returns the report to send: the unacknowledged one, or a new
// one of what the users measured since; nil when there is nothing to say.
func (w *Worker) nextReport() (*outReport, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.run
	if r != nil && r.users != nil {
		// Drained even while a report waits for its acknowledgement, so
		// the users' recorders stay small through a long outage.
		r.users.Drain(w.pending)
	}
	if r != nil && r.open != nil {
		r.open.Drain(w.pending)
	}
	if w.inflight != nil {
		return w.inflight, nil
	}
	if r == nil || r.finalSent {
		return nil, nil
	}
	final := r.stopped
	if w.pending.Empty() && !final {
		return nil, nil
	}
	delta, err := w.codec.Marshal(w.pending)
	if err != nil {
		return nil, fmt.Errorf("encoding statistics: %w", err)
	}
	w.seq++
	w.pending.Reset()
	w.inflight = &outReport{
		path: wire.ReportRequest{ID: w.cfg.ID, Run: r.id, Seq: w.seq, Final: final}.Query(),
		// The codec may reuse its buffers, and the report may be resent.
		body: append([]byte(nil), delta...),
		seq:  w.seq, final: final, run: r,
	}
	return w.inflight, nil
}

// place is a spawn's place for the worker: index and workers, 0 and 1
// when it has none.
func place(cmd wire.Command) (index, workers int) {
	if cmd.Place == nil {
		return 0, 1
	}
	return cmd.Place.Index, cmd.Place.Workers
}
