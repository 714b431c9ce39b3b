package control

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/results"
)

// quitWait bounds how long Run waits, at the very end, for the workers to
// collect their quit command.
const quitWait = 2 * time.Second

// Run waits for the expected workers, runs the test on them until RunTime
// passes or ctx ends, stops them, waits (up to FinalWait) for their final
// reports, tells them to quit, and returns the merged statistics. As with
// a single-process run, a cancelled ctx is a normal way to stop: the
// result is complete and the error nil. A coordinator runs one test: a
// second call to Run is an error.
func (c *Coordinator) Run(ctx context.Context) (*Result, error) {
	if !c.ran.CompareAndSwap(false, true) {
		return nil, errors.New("coordinator: Run called twice; a coordinator runs one test")
	}
	monitor := time.NewTicker(max(c.cfg.Heartbeat/4, 10*time.Millisecond))
	defer monitor.Stop()
	if err := c.waitForWorkers(ctx, monitor.C); err != nil {
		c.quitAll()
		return nil, err
	}
	start, runTime := c.begin()
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	l := runLoop{tick: tick.C, monitor: monitor.C}
	c.runUntilEnd(ctx, l, start, runTime)
	c.stopWorkers(l)
	open, unsent := c.endWarnings()
	// The workers are told to quit before the last collection, which
	// can take a while with many entries on a busy machine: nothing
	// they send is applied from now on.
	end := time.Now()
	c.quitAll()
	snap := c.collect(end, true)
	if open != nil {
		// As in a run in one process, the final user count of an
		// open-model run is the peak number of requests in flight.
		snap.Users = open.Slots
	}
	c.log.Info("run finished", "run", c.runID, "requests", snap.Total.Count(), "failures", snap.Total.Failures())
	c.mu.Lock()
	excluded := c.stats.Excluded()
	c.mu.Unlock()
	return &Result{RunID: c.runID, Snapshot: snap, Workers: c.Workers(), Warnings: c.Warnings(), Open: open, OpenUnsent: unsent, Excluded: excluded}, nil
}

// runLoop is what the phases of a run wait on besides their own events:
// the collection ticks and the heartbeat monitor.
type runLoop struct {
	tick, monitor <-chan time.Time
}

// tickAt collects the interval that ends at now and hands the snapshot to
// OnTick.
func (c *Coordinator) tickAt(now time.Time) {
	snap := c.collect(now, c.cfg.OnTick != nil)
	if c.cfg.OnTick != nil {
		c.cfg.OnTick(snap)
	}
}

// begin starts the run on the workers present: the statistics, the split
// of the users or the rate, and the log line. It returns where the run
// starts and how long it lasts (zero: until stopped).
func (c *Coordinator) begin() (start time.Time, runTime time.Duration) {
	start = time.Now()
	runTime = c.cfg.RunTime
	if c.open != nil {
		// Every worker starts its share of the schedule at the same
		// instant, once the commands have had time to reach them; the
		// statistics start there too, so rates are those of the schedule.
		start = start.Add(OpenLead)
		c.open.origin = start
		runTime = c.open.spec.Rate.Duration()
	}
	c.mu.Lock()
	c.state = runRunning
	c.start = start
	c.stats = loadgen.NewStats(start, c.cfg.EntryHistory, c.cfg.Window)
	c.rebalanceLocked()
	// Edit may change these from now on.
	startUsers, startRate := c.cfg.Users, c.cfg.SpawnRate
	c.mu.Unlock()
	if c.open != nil {
		c.log.Info("open-model run started", "run", c.runID, "start", start, "rate", c.open.spec.Rate.Start,
			"stages", schedule.FormatStages(c.open.spec.Rate.Stages), "arrival", c.open.spec.Arrival)
	} else {
		c.log.Info("run started", "run", c.runID, "users", startUsers, "spawn_rate", startRate, "run_time", c.cfg.RunTime)
	}
	return start, runTime
}

// runUntilEnd runs until runTime has passed since start (never, when it
// is zero) or ctx ends, ending the warm-up on the way.
func (c *Coordinator) runUntilEnd(ctx context.Context, l runLoop, start time.Time, runTime time.Duration) {
	var warm <-chan time.Time
	if c.cfg.Warmup > 0 {
		t := time.NewTimer(time.Until(start.Add(c.cfg.Warmup)))
		defer t.Stop()
		warm = t.C
	}
	var end <-chan time.Time
	if runTime > 0 {
		t := time.NewTimer(time.Until(start.Add(runTime)))
		defer t.Stop()
		end = t.C
	}
	for {
		select {
		case <-ctx.Done():
			c.log.Info("run interrupted")
			return
		case <-end:
			return
		case now := <-warm:
			warm = nil
			c.endWarmup(now)
		case now := <-l.tick:
			c.tickAt(now)
		case now := <-l.monitor:
			c.checkMissing(now)
		case <-c.notify:
		}
	}
}

// endWarmup restarts the statistics at now, and hands what the warm-up
// measured to OnWarmupEnd.
func (c *Coordinator) endWarmup(now time.Time) {
	c.collect(now, false)
	c.mu.Lock()
	excluded := c.stats.Restart(now)
	if c.open != nil {
		c.open.warm = c.openTotalsLocked()
		c.open.warmAt = c.scheduleAt(now)
	}
	c.mu.Unlock()
	if c.cfg.OnWarmupEnd != nil {
		c.cfg.OnWarmupEnd(excluded)
	}
}

// stopWorkers stops every worker and waits, up to FinalWait, for their
// final reports, even when the run's context has ended: they hold the
// last second of measurements.
func (c *Coordinator) stopWorkers(l runLoop) {
	c.mu.Lock()
	c.state = runStopping
	if c.open != nil {
		c.endScheduleLocked(time.Now())
	}
	for _, w := range c.aliveLocked() {
		c.sendLocked(w, c.stopCommandLocked())
	}
	c.mu.Unlock()
	deadline := time.NewTimer(c.cfg.FinalWait)
	defer deadline.Stop()
	for !c.allFinal() {
		select {
		case <-deadline.C:
			return
		case now := <-l.tick:
			c.tickAt(now)
		case now := <-l.monitor:
			c.checkMissing(now)
		case <-c.notify:
		}
	}
}

// endWarnings adds the warnings of the end of the run: late final
// reports, what was too frequent to warn about each time, and how an
// open-model run kept its schedule, whose counts it returns.
func (c *Coordinator) endWarnings() (open *results.OpenStats, unsent int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var late []string
	for _, w := range c.aliveLocked() {
		if !w.finalRun {
			late = append(late, w.status.ID)
		}
	}
	if len(late) > 0 {
		c.warnLocked(fmt.Sprintf("no final report within %v from worker(s) %s: their last second of statistics may be missing",
			c.cfg.FinalWait, strings.Join(late, ", ")))
	}
	c.floodWarningsLocked()
	if c.open == nil {
		return nil, 0
	}
	st := c.openStatsLocked()
	c.openWarningsLocked(st)
	return &st, int64(math.Round(c.open.unsent))
}

// floodWarningsLocked adds the warnings of what was too frequent to warn
// about each time: refused reports, refused registrations, workers of
// other versions.
func (c *Coordinator) floodWarningsLocked() {
	c.logs.flush(c.log)
	for _, w := range c.order {
		if w.refused > 0 {
			c.warnLocked(fmt.Sprintf("worker %s: %d reports refused, their statistics left out (the first: %s)", w.status.ID, w.refused, w.refusal))
		}
	}
	if c.refusedWorkers > 0 {
		c.warnLocked(fmt.Sprintf("%d registrations refused: the run took its %d workers (--max-workers)", c.refusedWorkers, c.cfg.MaxWorkers))
	}
	if n := c.otherVersions - maxVersionWarnings; n > 0 {
		c.warnLocked(fmt.Sprintf("%d more workers ran another version than the coordinator's %q", n, c.cfg.Version))
	}
}

// waitForWorkers returns once ExpectWorkers workers are registered, or
// ExpectWait has passed with at least one.
func (c *Coordinator) waitForWorkers(ctx context.Context, monitor <-chan time.Time) error {
	var expire <-chan time.Time
	if c.cfg.ExpectWait > 0 {
		t := time.NewTimer(c.cfg.ExpectWait)
		defer t.Stop()
		expire = t.C
	}
	want := c.cfg.ExpectWorkers
	c.log.Info("waiting for workers", "expect", want)
	for {
		c.mu.Lock()
		n := len(c.aliveLocked())
		c.mu.Unlock()
		if n >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for workers (%d of %d registered): %w", n, want, ctx.Err())
		case <-expire:
			if n == 0 {
				return fmt.Errorf("%w within %v (expected %d): check that the workers can reach this coordinator and use the same token",
					ErrNoWorkers, c.cfg.ExpectWait, want)
			}
			c.mu.Lock()
			c.warnLocked(fmt.Sprintf("started with %d of the %d expected workers after waiting %v", n, want, c.cfg.ExpectWait))
			c.mu.Unlock()
			return nil
		case now := <-monitor:
			c.checkMissing(now)
		case <-c.notify:
		}
	}
}

// allFinal reports whether every worker still holding a share has sent
// its final report.
func (c *Coordinator) allFinal() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.aliveLocked() {
		if !w.finalRun {
			return false
		}
	}
	return true
}

// quitAll ends the run for every worker and waits briefly until each one
// still polling has collected its quit command.
func (c *Coordinator) quitAll() {
	c.mu.Lock()
	c.state = runDone
	for _, w := range c.aliveLocked() {
		c.sendLocked(w, wire.Command{Kind: wire.CommandQuit})
	}
	c.mu.Unlock()
	deadline := time.NewTimer(quitWait)
	defer deadline.Stop()
	for !c.allDelivered() {
		select {
		case <-deadline.C:
			return
		case <-c.notify:
		}
	}
}

func (c *Coordinator) allDelivered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.aliveLocked() {
		if w.delivered < w.cmd.Seq {
			return false
		}
	}
	return true
}

// collect closes the interval that ends at now with the fleet's user
// count, and returns a snapshot when asked.
func (c *Coordinator) collect(now time.Time, snapshot bool) *results.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sampleRatesLocked(now)
	c.stats.Tick(now, c.fleetUsersLocked())
	if !snapshot {
		return nil
	}
	return c.stats.Snapshot(now)
}
