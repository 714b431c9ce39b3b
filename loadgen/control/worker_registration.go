package control

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/loadgen/loadgen/loadgen/control/wire"
)

// outcome is why a registration with the coordinator ended.
type outcome int

const (
	outcomeQuit     outcome = iota // the coordinator said quit
	outcomeCanceled                // Run's ctx ended
	outcomeFatal                   // a refusal that retrying cannot fix
	outcomeLost                    // no answer for MissedHeartbeats intervals
	outcomeGone                    // the coordinator no longer counts this worker
)

// pollTimeout bounds a long poll; the coordinator holds one for at most
// its PollHold (25 s by default).
const pollTimeout = 60 * time.Second

// registration is the state of one registration with the coordinator.
type registration struct {
	heartbeat time.Duration
	report    time.Duration
	lostAfter time.Duration

	cmds      chan wire.Command
	gone      chan struct{}
	goneOnce  sync.Once
	fatal     chan error
	fatalOnce sync.Once
	applied   uint64 // highest command Seq acted on (serve goroutine)
}

func (s *registration) setGone() { s.goneOnce.Do(func() { close(s.gone) }) }

func (s *registration) setFatal(err error) {
	s.fatalOnce.Do(func() { s.fatal <- err })
}

// serve heartbeats, reports and polls for commands until the
// coordinator says quit, goes silent or forgets this worker, or ctx ends.
// Whichever way it ends, no user of this worker runs afterwards unless a
// later registration's command starts them again.
func (w *Worker) serve(ctx context.Context, reg wire.RegisterResponse) (outcome, error) {
	s := &registration{
		heartbeat: time.Duration(reg.HeartbeatMS) * time.Millisecond,
		report:    time.Duration(reg.ReportMS) * time.Millisecond,
		cmds:      make(chan wire.Command),
		gone:      make(chan struct{}),
		fatal:     make(chan error, 1),
	}
	s.lostAfter = time.Duration(reg.MissedHeartbeats) * s.heartbeat
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	wg.Go(func() { w.heartbeatLoop(sctx, s) })
	wg.Go(func() { w.pollLoop(sctx, s) })
	wg.Go(func() { w.reportLoop(sctx, s) })

	// Checked often enough that users stop well within a second of the
	// limit.
	watchdog := time.NewTicker(min(s.heartbeat/4, 250*time.Millisecond))
	defer watchdog.Stop()
	for {
		select {
		case <-ctx.Done():
			return outcomeCanceled, nil
		case err := <-s.fatal:
			w.disconnect()
			return outcomeFatal, err
		case <-s.gone:
			w.disconnect()
			return outcomeGone, nil
		case <-watchdog.C:
			if w.sinceContact() > s.lostAfter {
				w.disconnect()
				return outcomeLost, nil
			}
		case cmd := <-s.cmds:
			if cmd.Seq <= s.applied {
				w.log.Debug("stale command ignored", "seq", cmd.Seq, "applied", s.applied)
				continue
			}
			s.applied = cmd.Seq
			switch cmd.Kind {
			case wire.CommandSpawn:
				if err := w.spawn(cmd); err != nil {
					w.reportFailure(ctx, s, err)
					w.disconnect()
					return outcomeFatal, err
				}
			case wire.CommandStop:
				at := time.Duration(-1)
				if cmd.Open != nil {
					at = cmd.Open.At
				}
				w.stopAt(cmd.Run, at)
			case wire.CommandQuit:
				return outcomeQuit, nil
			}
		}
	}
}

// reportFailure tells the coordinator at once that this worker cannot run
// its spec, so that its users go to the other workers now.
func (w *Worker) reportFailure(ctx context.Context, s *registration, err error) {
	w.mu.Lock()
	w.state, w.failure = wire.StateFailed, wire.Truncate(err.Error(), wire.MaxTextLen-16)
	w.mu.Unlock()
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	w.sendHeartbeat(hctx)
}

func (w *Worker) heartbeatLoop(ctx context.Context, s *registration) {
	t := time.NewTicker(s.heartbeat)
	defer t.Stop()
	for {
		hctx, cancel := context.WithTimeout(ctx, max(2*s.heartbeat, time.Second))
		err := w.sendHeartbeat(hctx)
		cancel()
		w.classify(ctx, s, "heartbeat", err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sendHeartbeat sends the worker's state once.
func (w *Worker) sendHeartbeat(ctx context.Context) error {
	w.hbMu.Lock()
	defer w.hbMu.Unlock()
	w.mu.Lock()
	cpu, rss := w.proc.Sample(time.Now())
	m := wire.HeartbeatRequest{
		V: wire.ProtocolVersion, ID: w.cfg.ID, State: w.state,
		CPUPercent: cpu, RSSBytes: rss, Error: w.failure,
	}
	if w.run != nil && w.run.users != nil {
		m.Users = w.run.users.Count()
	}
	if w.run != nil && w.run.open != nil {
		// An open-model run's "users" are its requests in flight.
		m.Users = w.run.open.InFlight()
		// The point first: the counts taken after it reach at least that far.
		through := w.run.open.Covered()
		m.Open = wire.CountsOf(w.run.open.Stats(), through)
	}
	w.mu.Unlock()
	if m.State == wire.StateDisconnected {
		m.State = wire.StateReady
	}
	_, err := w.exchange(ctx, http.MethodPost, wire.PathHeartbeat, m, nil, wire.MaxMessageBytes)
	if err == nil {
		w.touch()
	}
	return err
}

// classify turns a failed exchange into the registration's outcome: 410 means
// register again, a permanent refusal ends the worker, anything else is
// left to the watchdog.
func (w *Worker) classify(ctx context.Context, s *registration, what string, err error) {
	var pe *permanentError
	switch {
	case err == nil || ctx.Err() != nil:
	case errors.Is(err, errGone):
		s.setGone()
	case errors.As(err, &pe):
		s.setFatal(err)
	default:
		w.log.Debug(what+" failed", "err", err)
	}
}

func (w *Worker) pollLoop(ctx context.Context, s *registration) {
	var after uint64
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, pollTimeout)
		var cmd wire.Command
		status, err := w.exchange(pctx, http.MethodGet, wire.PathCommands+"?worker="+w.cfg.ID+"&after="+strconv.FormatUint(after, 10), nil, &cmd, wire.MaxCommandBytes)
		cancel()
		if err == nil && status == http.StatusOK {
			err = cmd.Validate()
		}
		if err != nil {
			w.classify(ctx, s, "command poll", err)
			// A pause, so a coordinator that is down is not hammered.
			t := time.NewTimer(min(s.heartbeat, 500*time.Millisecond))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		if status != http.StatusOK {
			continue
		}
		after = max(after, cmd.Seq)
		select {
		case s.cmds <- cmd:
		case <-ctx.Done():
			return
		}
	}
}

func (w *Worker) reportLoop(ctx context.Context, s *registration) {
	t := time.NewTicker(s.report)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.flush:
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := w.sendReports(rctx)
		cancel()
		w.classify(ctx, s, "report", err)
	}
}
