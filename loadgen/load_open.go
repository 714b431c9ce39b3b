package loadgen

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
)

// DefaultOpenStopTimeout is how long an open-model run waits for its
// requests in flight when the Spec's StopTimeout is zero. Unlike a closed
// model's users, which simply stop, every request of an open schedule was
// sent on purpose, and those still in flight at the end are the slowest:
// cutting them off would drop exactly the latencies the run is there to
// see.
const DefaultOpenStopTimeout = 10 * time.Second

// StopGrace is how long requests in flight at the end may take to finish:
// StopTimeout, or DefaultOpenStopTimeout for an open-model run without
// one.
func (s *Spec) StopGrace() time.Duration {
	if s.StopTimeout <= 0 && s.Open != nil {
		return DefaultOpenStopTimeout
	}
	return s.StopTimeout
}

// Share is the part of an open-model schedule that one process sends:
// from At on, share Index of Workers of Model's rate, its constant
// arrivals shifted by Index/Workers of an interval so that the shares
// interleave into one generator's schedule, its Poisson arrivals drawn
// from Seed. A run in one process has the one share 0 of 1.
type Share struct {
	Model   *OpenModel
	At      time.Duration
	Index   int
	Workers int
	Seed    uint64
}

// Arrivals returns the share's arrivals at or after from.
func (s Share) Arrivals(from time.Duration) (schedule.Arrivals, error) {
	rate, phase := s.Model.Rate.Split(s.Index, s.Workers)
	return schedule.NewArrivalsFrom(s.Model.Arrival, rate, phase, s.Seed, from)
}

// OpenLoad is an open-model run's dispatcher in this process: one for the
// whole run, so that its in-flight slots, connections and counts carry
// over when its share of the schedule changes, fed by a gate that
// switches from share to share at the points they name. Like Users, it
// makes the requests and leaves the statistics to its owner: a run in one
// process, or a worker.
type OpenLoad struct {
	origin time.Time
	grace  time.Duration
	log    *slog.Logger
	runner *users.Dispatcher
	pauses pauses
	gate   *schedule.Gate
	done   chan struct{} // closed when the dispatcher's Run has returned
	err    error         // what Run returned, once done is closed
	// endAt is where End ended the schedule, once ended is set: from
	// there on the counts no longer follow the clock.
	endAt atomic.Int64
	ended atomic.Bool
}

// NewOpenLoad makes the Plan's dispatcher, sending to host from slots
// numbered from firstID+1, and starts it on origin, the schedule's start.
// A zero origin starts the schedule once the dispatcher's first slots are
// connected (see Origin): a run of its own has no reason to count their
// dials as lateness of its first requests. A fleet's worker gets an origin
// ahead of now, and connects them while it waits. It sends nothing until a
// share is assigned.
func NewOpenLoad(p *Plan, host string, firstID int, origin time.Time, log *slog.Logger) (*OpenLoad, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var end time.Duration
	if r := p.Spec.Open.Rate; r.Bounded() {
		end = r.Duration()
	}
	g := schedule.NewGate(origin, end)
	r, err := users.NewDispatcher(p.DispatcherConfig(host, firstID, g))
	if err != nil {
		return nil, err
	}
	if origin.IsZero() {
		if err := r.Prepare(context.Background()); err != nil {
			r.Stop(0)
			return nil, err
		}
		origin = time.Now()
		g.SetOrigin(origin)
	}
	l := &OpenLoad{origin: origin, grace: p.Spec.StopGrace(), log: log, runner: r, pauses: startPauses(), gate: g, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		l.err = r.Run(context.Background(), origin)
		if l.err != nil {
			log.Error("open-model dispatcher failed", "err", l.err)
		}
	}()
	return l, nil
}

// Origin is the schedule's start.
func (l *OpenLoad) Origin() time.Time { return l.origin }

// Elapsed is where the schedule is now, on this process's clock.
func (l *OpenLoad) Elapsed() time.Duration { return time.Since(l.origin) }

// Assign makes s this process's part of the schedule from s.At on. A share
// that comes after its point applies from where the schedule is.
func (l *OpenLoad) Assign(s Share) error {
	from, ok, err := l.gate.Change(s.At, s.Arrivals, false)
	if err != nil {
		return fmt.Errorf("open-model share %d of %d: %w", s.Index, s.Workers, err)
	}
	if !ok {
		return nil
	}
	if late := from - s.At; late > 0 {
		// The share came after its point: the previous one went on
		// sending until now, and other generators switched on time, so
		// around here the fleet sent a little more or less than the
		// schedule.
		l.log.Warn("open-model share applied late", "share", fmt.Sprintf("%d/%d", s.Index, s.Workers), "at", s.At, "late_by", late)
	}
	l.log.Info("open-model share", "share", fmt.Sprintf("%d/%d", s.Index, s.Workers), "from", from)
	return nil
}

// Pause stops sending from now on, until the next share: a worker that
// lost its coordinator runs no load unwatched.
func (l *OpenLoad) Pause() { _, _, _ = l.gate.Change(l.Elapsed(), nil, false) }

// End ends the schedule at the point at (or now, when at is negative),
// waits for the dispatcher to finish with what was due before it, then
// gives the requests in flight the grace period. The counts are final
// when it returns.
func (l *OpenLoad) End(at time.Duration) {
	if at < 0 {
		at = l.Elapsed()
	}
	from, ok, _ := l.gate.Change(at, nil, true)
	if !ok {
		from = l.Elapsed()
	}
	// What was due before the end is sent, or dropped after the lag bound;
	// the bound covers a worker whose clock runs behind the coordinator's.
	lag := max(l.runner.Stats().MaxLag, 0)
	t := time.NewTimer(max(time.Until(l.origin.Add(from))+lag+time.Second, 0))
	select {
	case <-l.done:
	case <-t.C:
		l.log.Warn("open-model dispatcher still busy at the end; stopping it", "end", from)
	}
	t.Stop()
	// Set before the grace, which can be long: a coordinator that loses
	// this process meanwhile counts what it did not send from here.
	l.endAt.Store(int64(from))
	l.ended.Store(true)
	l.gate.Close()
	l.runner.Stop(l.grace)
	l.pauses.stop()
}

// Halt stops everything at once, for a run that is over or replaced.
func (l *OpenLoad) Halt() {
	l.gate.Close()
	l.runner.Stop(0)
	l.pauses.stop()
}

// Done is closed when the dispatcher has returned: the schedule ended, or
// the dispatcher failed (see Err).
func (l *OpenLoad) Done() <-chan struct{} { return l.done }

// Err is why the dispatcher failed, once Done is closed.
func (l *OpenLoad) Err() error {
	select {
	case <-l.done:
		return l.err
	default:
		return nil
	}
}

// EndWait bounds how long End takes: the lag bound and the grace for the
// requests in flight.
func (l *OpenLoad) EndWait() time.Duration { return l.grace + max(l.runner.Stats().MaxLag, 0) }

// InFlight is the number of requests in flight now.
func (l *OpenLoad) InFlight() int { return l.runner.InFlight() }

// Slots is the peak number of requests in flight so far (the slots made,
// each with its own connection, can be more: some are made ahead).
func (l *OpenLoad) Slots() int { return l.runner.PeakInFlight() }

// Stats is the dispatcher's counts so far.
func (l *OpenLoad) Stats() results.OpenStats { return l.runner.Stats() }

// Covered is the point of the schedule that the counts of a later call to
// Stats reach: where End ended the schedule, once the dispatcher is done
// with what was due before it, or else where the schedule is now. It lets
// a coordinator that loses this process count what was not sent from
// there, rather than from when it last heard of it, which can be much
// later (a leaving process stops its schedule, then waits out the grace
// and delivers its final report before it says it left).
func (l *OpenLoad) Covered() time.Duration {
	if l.ended.Load() {
		return time.Duration(l.endAt.Load())
	}
	return l.Elapsed()
}

// Drain moves what the slots recorded since the last drain into d, with
// the generator's pauses meanwhile.
func (l *OpenLoad) Drain(d *results.Delta) {
	l.runner.Drain(d)
	l.pauses.drain(d)
}
