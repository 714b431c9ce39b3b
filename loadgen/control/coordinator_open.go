package control

import (
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

// OpenLead is how far ahead of the coordinator's clock an open-model
// schedule starts, and a change to the workers' shares takes effect: time
// for the commands to reach every worker, so that all of them switch at
// the same point of the schedule.
const OpenLead = 250 * time.Millisecond

// openPlan is the coordinator's side of an open-model run.
type openPlan struct {
	spec *loadgen.OpenModel // the rate now, cut at the run time
	// segments are the rate over the schedule, each from its point on:
	// the run's, then each edit's.
	segments []rateSegment
	origin   time.Time     // the schedule's start; zero before the run
	gen      uint64        // splits made so far
	endAt    time.Duration // where the schedule ended; negative while it runs
	warm     results.OpenStats
	warmAt   time.Duration // where the warm-up ended
	// unsent estimates the requests of lost workers' shares that no
	// worker sent.
	unsent float64
}

// newOpenPlan checks an open-model spec and cuts its rate at runTime, so
// that workers end their schedules by themselves.
func newOpenPlan(spec *loadgen.Spec, runTime time.Duration) (*openPlan, error) {
	o := *spec.Open
	o.Rate = o.Rate.Until(runTime)
	spec.Open = &o
	p, err := schedule.NewPacer(o.Rate, 0)
	if err != nil {
		return nil, err
	}
	return &openPlan{spec: &o, segments: []rateSegment{{pacer: p}}, endAt: -1}, nil
}

// rateSegment is the rate of a stretch of the schedule, from its point on.
type rateSegment struct {
	from  time.Duration
	pacer *schedule.Pacer
}

// expected is how many requests the schedule asks for between two of its
// points, fractions included, across edits of the rate.
func (o *openPlan) expected(from, to time.Duration) float64 {
	sum := 0.0
	for i, seg := range o.segments {
		end := to
		if i+1 < len(o.segments) {
			end = min(end, o.segments[i+1].from)
		}
		sum += expectedBetween(seg.pacer, max(from, seg.from), end)
	}
	return sum
}

// EditRate changes an open-model run's arrival rate: from a point OpenLead
// ahead on, the workers share the new rate, until the run's end.
func (c *Coordinator) EditRate(rate float64) error {
	if !(rate > 0) || rate > schedule.MaxRate {
		return fmt.Errorf("rate %g: must be positive, and at most %g", rate, float64(schedule.MaxRate))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open == nil {
		return errors.New("a run with users has a user count, not a rate")
	}
	if c.state != runRunning {
		return ErrNotRunning
	}
	r := schedule.Constant(rate)
	if cur := c.open.spec.Rate; cur.Bounded() {
		// The run still ends where it did.
		r = r.Until(cur.Duration())
	}
	p, err := schedule.NewPacer(r, 0)
	if err != nil {
		return err
	}
	m := *c.open.spec
	m.Rate = r
	c.open.spec, c.cfg.Spec.Open = &m, &m
	at := c.openRebalanceLocked(time.Now())
	segs := c.open.segments
	if last := len(segs) - 1; segs[last].from >= at {
		segs = segs[:last]
	}
	c.open.segments = append(segs, rateSegment{from: at, pacer: p})
	c.log.Info("rate edited", "rate", rate, "from", at)
	return nil
}

// scheduleAt is where an open-model schedule is at now.
func (c *Coordinator) scheduleAt(now time.Time) time.Duration {
	return now.Sub(c.open.origin)
}

// openRebalanceLocked splits the rate over the workers alive now: worker k
// of n gets rate/n, its constant arrivals shifted by k/n of an interval,
// from a point OpenLead ahead on. It returns that point.
func (c *Coordinator) openRebalanceLocked(now time.Time) time.Duration {
	alive := c.aliveLocked()
	at := max(c.scheduleAt(now)+OpenLead, 0)
	if now.Before(c.open.origin) {
		// The schedule has not started: every share starts with it.
		at = 0
	}
	if len(alive) == 0 {
		return at
	}
	gen := c.open.gen
	c.open.gen++
	for i, w := range alive {
		w.shared, w.shareN, w.shareAt = true, len(alive), at
		w.status.Target = 0
		c.sendLocked(w, wire.Command{
			Kind:    wire.CommandSpawn,
			FirstID: w.slot * UserIDBlock,
			Spec:    &c.cfg.Spec,
			Open: &wire.OpenShare{
				Start: c.open.origin, At: at, Index: i, Workers: len(alive),
				Seed: schedule.ShareSeed(c.cfg.Spec.Seed, i, gen),
			},
		})
	}
	c.log.Info("arrival rate split", "workers", len(alive), "from", at)
	return at
}

// openLossLocked is what a lost worker's warning says about its share of
// the schedule: where it went, and how much of it may not have been sent
// between the worker's last heartbeat and the point where other workers
// took it over (at, or the end of the schedule when no worker is left).
// When no worker is left, it also returns the orphaned share, for a
// registration to amend.
func (c *Coordinator) openLossLocked(w *workerRec, at time.Duration, handed bool) (string, *orphan) {
	if !w.shared || w.shareN == 0 {
		return "", nil
	}
	o := c.open
	from := max(w.lostFrom(o.origin), w.shareAt, 0)
	if handed {
		lost := o.expected(from, at) / float64(w.shareN)
		o.unsent += lost
		return fmt.Sprintf("; its share of the schedule (1/%d of the rate) went to the other workers from %v into the schedule%s",
			w.shareN, at.Round(time.Millisecond), unsentClause(lost, from, at)), nil
	}
	orph := &orphan{open: true, from: from, shareN: w.shareN}
	text := fmt.Sprintf("; no worker is left to send its share of the schedule (1/%d of the rate)", w.shareN)
	if o.spec.Rate.Bounded() {
		until := o.spec.Rate.Duration()
		orph.lost = o.expected(from, until) / float64(w.shareN)
		o.unsent += orph.lost
		text += unsentClause(orph.lost, from, until)
	}
	return text, orph
}

// lostFrom is the point of the schedule from which a lost worker's share
// went unsent: the arrival of its last heartbeat, or the point its counts
// reach when that is earlier. A worker that left ended its schedule before
// the grace, its final report and the heartbeat saying it left, and one
// that was killed took its counts before its last heartbeat travelled.
func (w *workerRec) lostFrom(origin time.Time) time.Duration {
	from := w.status.LastHeartbeat.Sub(origin)
	if w.openThrough > 0 {
		from = min(from, w.openThrough)
	}
	return from
}

// unsentClause says how many requests of a lost share were not sent.
func unsentClause(lost float64, from, until time.Duration) string {
	return fmt.Sprintf(", and up to about %.0f of its requests, due between the point its last counts reached (%v into the schedule) and %v, were not sent",
		lost, from.Round(time.Millisecond), until.Round(time.Millisecond))
}

// orphan is the share of a worker lost while no other was left, whose
// warning a later registration amends: until then nobody ran it.
type orphan struct {
	warning int    // index in the warnings
	text    string // the warning up to what it says of the share
	users   int    // a run with users: how many were left without a worker
	// An open-model run's: the share (1/shareN of the rate) from the
	// lost worker's last heartbeat on, and the requests counted unsent.
	open   bool
	from   time.Duration
	shareN int
	lost   float64
}

// adoptOrphansLocked amends the warnings of shares that no worker was
// left to run, now that worker id registered and the shares were split
// again: they were without a worker until then, not to the end.
func (c *Coordinator) adoptOrphansLocked(id string, now time.Time) {
	for _, orph := range c.orphans {
		var tail string
		if orph.open {
			at := max(c.scheduleAt(now)+OpenLead, 0)
			c.open.unsent -= orph.lost
			lost := c.open.expected(orph.from, at) / float64(orph.shareN)
			c.open.unsent += lost
			tail = fmt.Sprintf("; no worker was left to send its share of the schedule (1/%d of the rate) until worker %s registered, which took it over from %v into the schedule%s",
				orph.shareN, id, at.Round(time.Millisecond), unsentClause(lost, orph.from, at))
		} else {
			tail = fmt.Sprintf(", and no worker was left to run its %d users until worker %s registered %s into the run",
				orph.users, id, now.Sub(c.start).Round(100*time.Millisecond))
		}
		c.warnings[orph.warning] = orph.text + tail
	}
	c.orphans = nil
}

// stopCommandLocked is the stop command of the run: in an open-model run
// it names the point where the schedule ends.
func (c *Coordinator) stopCommandLocked() wire.Command {
	cmd := wire.Command{Kind: wire.CommandStop}
	if c.open != nil && c.open.endAt >= 0 {
		cmd.Open = &wire.OpenShare{At: c.open.endAt}
	}
	return cmd
}

// endScheduleLocked fixes where the schedule ends: now, or the end of a
// bounded schedule if that came first.
func (c *Coordinator) endScheduleLocked(now time.Time) {
	at := max(c.scheduleAt(now), 0)
	if c.open.spec.Rate.Bounded() {
		at = min(at, c.open.spec.Rate.Duration())
	}
	c.open.endAt = at
}

// openTotalsLocked sums every worker's counts, lost workers' included, as
// of their latest heartbeats. The in-flight cap is the sum of the caps of
// the workers still holding a share, when any reported one.
func (c *Coordinator) openTotalsLocked() results.OpenStats {
	var sum results.OpenStats
	capAlive := 0
	for _, w := range c.order {
		if !w.openSeen {
			continue
		}
		st := w.openTotal()
		sum = sum.Add(st)
		if !w.gone {
			capAlive += st.MaxInFlight
		}
	}
	if capAlive > 0 {
		sum.MaxInFlight = capAlive
	}
	return sum
}

// openStatsLocked is the fleet's counts since the warm-up.
func (c *Coordinator) openStatsLocked() results.OpenStats {
	return c.openTotalsLocked().Since(c.open.warm)
}

// OpenStats returns the fleet's open-model dispatcher counts so far, the
// sum over every worker as of its latest heartbeat, and false for a run
// with users. It is safe to call at any time from any goroutine.
func (c *Coordinator) OpenStats() (results.OpenStats, bool) {
	if c.open == nil {
		return results.OpenStats{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.openStatsLocked(), true
}

// openTotal is a worker's counts, those of earlier processes under its id
// included. Those processes ran one after another, so their peaks of
// requests in flight do not add up, and only the current cap is in force.
func (w *workerRec) openTotal() results.OpenStats {
	if w.openBanked.LateAfter == 0 {
		return w.open
	}
	sum := w.openBanked.Add(w.open)
	sum.Slots = max(w.openBanked.Slots, w.open.Slots)
	sum.MaxInFlight = w.open.MaxInFlight
	return sum
}

// setOpenLocked records the counts of a worker's heartbeat.
func (w *workerRec) setOpenLocked(m *wire.OpenCounts) {
	st := m.Stats()
	if w.openSeen && st.Scheduled < w.open.Scheduled {
		// Counts only grow within a process: this is a new process under
		// the same id, and the old one's counts are kept.
		w.openBanked = w.openTotal()
	}
	w.open, w.openSeen = st, true
	w.openThrough = time.Duration(m.ThroughNS)
	total := w.openTotal()
	w.status.Open = &total
}

// openWarningsLocked checks, at the end, that the workers' counts add up
// to the schedule: a worker that held a share but never reported counts
// (one too old for open-model runs, say), and a fleet that scheduled
// fewer requests than the rate asked for, are named.
func (c *Coordinator) openWarningsLocked(total results.OpenStats) {
	o := c.open
	var silent []string
	shares := 0
	for _, w := range c.order {
		if !w.shared {
			continue
		}
		shares++
		if !w.openSeen {
			silent = append(silent, fmt.Sprintf("%s (version %q)", w.status.ID, w.status.Version))
		}
	}
	if len(silent) > 0 {
		c.warnLocked(fmt.Sprintf("worker(s) %s held a share of the arrival rate but never reported open-model counts: they may not run open-model schedules, and their shares were not sent",
			strings.Join(silent, ", ")))
	}
	if o.endAt < 0 {
		return
	}
	want := o.expected(o.warmAt, o.endAt)
	// Each share rounds its count, and a warm-up cut falls within one
	// report of its point; Poisson counts vary by their square root.
	slack := float64(2*shares + 1)
	if o.spec.Arrival == schedule.ArrivalPoisson {
		slack += 4 * math.Sqrt(want)
	}
	// Lost workers' shares have had their warnings; anything short beyond
	// them is news.
	if short := want - float64(total.Scheduled); short > o.unsent+slack {
		c.warnLocked(fmt.Sprintf("the workers scheduled %d of the %.0f requests the schedule asked for up to %v: %.0f were never scheduled, beyond the %.0f estimated for lost workers (workers that fell behind the schedule, lost reports, or clocks that differ from the coordinator's)",
			total.Scheduled, want, o.endAt.Round(time.Millisecond), short, o.unsent))
	}
}
