package control

import (
	"fmt"
	"slices"
	"time"

	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/results"
)

// rateSamples is how many collections the per-worker RPS looks back over.
const rateSamples = 10

// workerRec is the coordinator's record of one worker. It is guarded by
// the coordinator's mutex.
type workerRec struct {
	status results.WorkerStatus
	slot   int
	// gone is true while the worker holds no share of the users: missing,
	// left or failed. A registration brings it back.
	gone bool

	// lossWarning is the index in the warnings of the one its latest
	// loss made, for a registration to amend; -1 when there is none.
	lossWarning int

	lastSeq  uint64 // highest report applied
	finalRun bool   // the final report of this run arrived
	// refused counts the worker's reports refused as malformed or
	// forged; refusal is the first one's reason.
	refused int
	refusal string

	cmd       wire.Command  // newest command; Seq 0 means none yet
	wakePoll  chan struct{} // closed and replaced when cmd changes
	delivered uint64        // highest command Seq handed to a poll

	// The worker's latest share of an open-model run's rate: 1/shareN of
	// it from shareAt on; shared once it had one.
	shared  bool
	shareN  int
	shareAt time.Duration
	// open is the dispatcher counts of the worker's latest heartbeat, and
	// openBanked those of earlier processes under its id.
	open, openBanked results.OpenStats
	openSeen         bool
	// openThrough is the point of the schedule the latest counts reach,
	// zero when the worker did not say.
	openThrough time.Duration

	// samples of (time, requests) at each collection, for RPS.
	sampleT [rateSamples]time.Time
	sampleN [rateSamples]int64
	samples int
}

// alive are the workers that hold a share of the users, in slot order.
func (c *Coordinator) aliveLocked() []*workerRec {
	var out []*workerRec
	for _, w := range c.order {
		if !w.gone {
			out = append(out, w)
		}
	}
	return out
}

// fleetUsersLocked is the user count the workers last reported.
func (c *Coordinator) fleetUsersLocked() int {
	n := 0
	for _, w := range c.order {
		if !w.gone {
			n += w.status.Users
		}
	}
	return n
}

// sendLocked makes cmd the worker's newest command and wakes its poll.
func (c *Coordinator) sendLocked(w *workerRec, cmd wire.Command) {
	c.cmdSeq++
	cmd.V = wire.ProtocolVersion
	cmd.Seq = c.cmdSeq
	cmd.Run = c.runID
	w.cmd = cmd
	close(w.wakePoll)
	w.wakePoll = make(chan struct{})
}

// rebalanceLocked splits the users over the workers alive now and sends
// each its new target, with a ramp rate that moves the fleet at the spawn
// rate.
func (c *Coordinator) rebalanceLocked() {
	if c.open != nil {
		c.openRebalanceLocked(time.Now())
		return
	}
	alive := c.aliveLocked()
	if len(alive) == 0 {
		return
	}
	targets := schedule.SplitUsers(c.cfg.Users, len(alive))
	current := make([]int, len(alive))
	for i, w := range alive {
		current[i] = w.status.Users
	}
	rates := schedule.RampRates(c.cfg.SpawnRate, current, targets)
	for i, w := range alive {
		w.status.Target = targets[i]
		cmd := wire.Command{
			Kind:    wire.CommandSpawn,
			Users:   targets[i],
			Rate:    rates[i],
			FirstID: w.slot * UserIDBlock,
			Spec:    &c.cfg.Spec,
		}
		if len(alive) > 1 {
			// The split gives worker i the fleet's users i, i+n, ...,
			// whose classes and data rows the worker works out itself.
			cmd.Place = &wire.Place{Index: i, Workers: len(alive)}
		}
		c.sendLocked(w, cmd)
	}
	// Each worker's target, for a handful; their range beyond, so that a
	// line stays short whatever the fleet (a flood of registrations would
	// otherwise log the whole list at each one).
	if len(targets) <= 16 {
		c.log.Info("users split", "workers", len(alive), "targets", targets)
	} else {
		c.log.Info("users split", "workers", len(alive), "users", c.cfg.Users, "per_worker", fmt.Sprintf("%d to %d", slices.Min(targets), slices.Max(targets)))
	}
}

// loseLocked takes a worker's share away and hands it to the others.
func (c *Coordinator) loseLocked(w *workerRec, state wire.WorkerState, why string, now time.Time) {
	if w.gone {
		return
	}
	w.gone = true
	w.status.State = string(state)
	// A poll held for this worker answers 410 now.
	close(w.wakePoll)
	w.wakePoll = make(chan struct{})
	users := w.status.Target
	w.status.Users = 0
	w.status.Target = 0
	at := ""
	if c.state >= runRunning {
		at = fmt.Sprintf(" at %s into the run", now.Sub(c.start).Round(100*time.Millisecond))
	}
	msg := fmt.Sprintf("worker %s (%s) %s%s; the statistics it reported are kept", w.status.ID, w.status.Host, why, at)
	w.lossWarning = len(c.warnings)
	if c.state == runRunning && c.open != nil {
		left := len(c.aliveLocked()) > 0
		split := c.openRebalanceLocked(now)
		text, orph := c.openLossLocked(w, split, left)
		c.warnLocked(msg + text)
		c.orphanLocked(orph, msg)
		c.wake()
		return
	}
	if c.state == runRunning {
		if len(c.aliveLocked()) > 0 {
			c.warnLocked(msg + fmt.Sprintf(", and its %d users were handed to the other workers", users))
			c.rebalanceLocked()
		} else {
			c.warnLocked(msg + fmt.Sprintf(", and no worker is left to run its %d users", users))
			c.orphanLocked(&orphan{users: users}, msg)
		}
	} else {
		c.warnLocked(msg)
	}
	c.wake()
}

// orphanLocked keeps a share that no worker was left to run, whose
// warning, the newest, begins with text.
func (c *Coordinator) orphanLocked(orph *orphan, text string) {
	if orph == nil {
		return
	}
	orph.warning, orph.text = len(c.warnings)-1, text
	c.orphans = append(c.orphans, orph)
}

// rejoinLocked gives a worker that registered during the run a share, and
// amends the warnings that its loss, and any share left without a worker,
// made: they held until now, not to the end.
func (c *Coordinator) rejoinLocked(w *workerRec, wasGone bool, now time.Time) {
	c.rebalanceLocked()
	for _, orph := range c.orphans {
		if orph.warning == w.lossWarning {
			wasGone = false // its own warning is amended as an orphan
		}
	}
	c.adoptOrphansLocked(w.status.ID, now)
	if wasGone && w.lossWarning >= 0 && w.lossWarning < len(c.warnings) {
		c.warnings[w.lossWarning] += fmt.Sprintf("; it registered again %s into the run and took a share again",
			now.Sub(c.start).Round(100*time.Millisecond))
	}
	w.lossWarning = -1
}

// checkMissing marks workers whose heartbeats stopped.
func (c *Coordinator) checkMissing(now time.Time) {
	limit := time.Duration(c.cfg.MissedHeartbeats) * c.cfg.Heartbeat
	// Half an interval of slack, so a heartbeat that is merely late by
	// scheduling jitter is not counted as missed.
	limit += c.cfg.Heartbeat / 2
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.logs.second) >= time.Second {
		c.logs.flush(c.log)
	}
	for _, w := range c.order {
		if !w.gone && now.Sub(w.status.LastHeartbeat) > limit {
			c.loseLocked(w, wire.StateMissing, fmt.Sprintf("missed %d heartbeats", c.cfg.MissedHeartbeats), now)
		}
	}
}

// sampleRatesLocked records each worker's request count at a collection
// and updates its RPS.
func (c *Coordinator) sampleRatesLocked(now time.Time) {
	for _, w := range c.order {
		i := w.samples % rateSamples
		w.sampleT[i], w.sampleN[i] = now, w.status.Requests
		w.samples++
		oldest := 0
		if w.samples > rateSamples {
			oldest = w.samples % rateSamples
		}
		if dt := now.Sub(w.sampleT[oldest]).Seconds(); dt > 0 {
			w.status.RPS = float64(w.status.Requests-w.sampleN[oldest]) / dt
		} else {
			w.status.RPS = 0
		}
	}
}

// Workers returns the worker table, in registration order. It is safe to
// call at any time from any goroutine.
func (c *Coordinator) Workers() []results.WorkerStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]results.WorkerStatus, len(c.order))
	for i, w := range c.order {
		out[i] = w.status
	}
	return out
}

// Warnings returns the warnings so far.
func (c *Coordinator) Warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.warnings...)
}
