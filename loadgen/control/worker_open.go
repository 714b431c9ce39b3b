package control

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
)

// openLoad is a worker's part in an open-model run: one runner for the
// whole run, so its in-flight slots, connections and counts carry over
// when its share of the schedule changes, fed by a gate that switches
// from share to share at the points the coordinator names.
type openLoad struct {
	spec   *loadgen.OpenModel
	origin time.Time
	grace  time.Duration
	log    *slog.Logger
	runner *users.Dispatcher
	gate   *schedule.Gate
	done   chan struct{} // closed when the runner's Run has returned
	err    error         // what Run returned, once done is closed
}

// newOpenLoad builds the runner of an open-model spawn from the users a
// spec describes (their tasks, clients and random sources) and starts it
// on the shared origin. It sends nothing until a share is assigned.
func newOpenLoad(plan *loadgen.Plan, firstID int, origin time.Time, log *slog.Logger) (*openLoad, error) {
	spec := plan.Spec
	o := spec.Open
	var end time.Duration
	if o.Rate.Bounded() {
		end = o.Rate.Duration()
	}
	g := schedule.NewGate(origin, end)
	r, err := users.NewDispatcher(plan.DispatcherConfig(spec.Host, firstID, g))
	if err != nil {
		return nil, err
	}
	l := &openLoad{spec: o, origin: origin, grace: stopGrace(spec), log: log, runner: r, gate: g, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		l.err = r.Run(context.Background(), origin)
		if l.err != nil {
			log.Error("open-model dispatcher failed", "err", l.err)
		}
	}()
	return l, nil
}

// elapsed is where the schedule is now, on this worker's clock.
func (l *openLoad) elapsed() time.Duration { return time.Since(l.origin) }

// assign makes share the worker's part of the schedule from share.At on.
func (l *openLoad) assign(share wire.OpenShare) error {
	from, ok, err := l.gate.Change(share.At, func(from time.Duration) (schedule.Arrivals, error) {
		return shareArrivals(share, l.spec, from)
	}, false)
	if err != nil {
		return fmt.Errorf("open-model share %d of %d: %w", share.Index, share.Workers, err)
	}
	if !ok {
		return nil
	}
	if late := from - share.At; late > 0 {
		// The command came after its point: the previous share went on
		// sending until now, and other workers switched on time, so around
		// this worker the fleet sent a little more or less than the
		// schedule there.
		l.log.Warn("open-model share applied late", "share", fmt.Sprintf("%d/%d", share.Index, share.Workers),
			"at", share.At, "late_by", late)
	}
	l.log.Info("open-model share", "share", fmt.Sprintf("%d/%d", share.Index, share.Workers), "from", from)
	return nil
}

// pause stops sending from now on, until the next share: the worker lost
// its coordinator, and no load runs unwatched.
func (l *openLoad) pause() {
	_, _, _ = l.gate.Change(l.elapsed(), nil, false)
}

// end ends the schedule at the point at (or now, when at is negative),
// waits for the dispatcher to finish with what was due before it, then
// gives the requests in flight the grace period. The counts are final
// when it returns.
func (l *openLoad) end(at time.Duration) {
	if at < 0 {
		at = l.elapsed()
	}
	from, ok, _ := l.gate.Change(at, nil, true)
	if !ok {
		from = l.elapsed()
	}
	// What was due before the end is sent, or dropped after the lag bound;
	// the bound covers a worker whose clock runs behind the coordinator's.
	lag := max(l.runner.Stats().MaxLag, 0)
	wait := time.Until(l.origin.Add(from)) + lag + time.Second
	t := time.NewTimer(max(wait, 0))
	select {
	case <-l.done:
	case <-t.C:
		l.log.Warn("open-model dispatcher still busy at the end; stopping it", "end", from)
	}
	t.Stop()
	l.gate.Close()
	l.runner.Stop(l.grace)
}

// halt stops everything at once, for a run that is over or replaced.
func (l *openLoad) halt() {
	l.gate.Close()
	l.runner.Stop(0)
}
