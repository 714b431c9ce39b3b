package loadgen

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/loadgen/loadgen/loadgen/locust"
)

// milestones log a run's milestones in Locust's words (see package
// locust), in one process or on workers alike, since scripts and CI jobs
// wait for them: the run time set, each ramp, all users spawned. With
// the Spec's ResetStats they also restart the statistics each time every
// user has spawned, as Locust's --reset-stats does.
type milestones struct {
	log   *slog.Logger
	plan  *Plan
	reset bool

	mu     sync.Mutex
	target int // the users being ramped to
	// pending is set by a ramp until its end is logged; spawning once
	// the run has been seen spawning since.
	pending, spawning bool
}

// milestonePoll is how often the run's state is looked at: a spawn's end
// is logged, and the statistics reset, within this of it.
const milestonePoll = 50 * time.Millisecond

func newMilestones(log *slog.Logger, p *Plan) *milestones {
	return &milestones{log: log, plan: p, reset: p.Spec.ResetStats, target: p.Spec.Users}
}

// started logs what a run that just started will do.
func (m *milestones) started(s *Spec) {
	if s.RunTime > 0 {
		m.log.Info(locust.RunTimeSet(s.RunTime))
	} else {
		m.log.Info(locust.NoRunTimeLimit)
	}
	if s.Open == nil && len(s.Stages) == 0 {
		m.ramping(s.Users, s.SpawnRate)
	}
}

// ramping logs a ramp towards users, which the run is about to start.
func (m *milestones) ramping(users int, rate float64) {
	m.arm(users)
	m.log.Info(locust.Ramping(users, rate))
}

// arm expects a ramp towards users: its end is logged once the run has
// done it.
func (m *milestones) arm(users int) {
	m.mu.Lock()
	m.target, m.pending, m.spawning = users, true, false
	m.mu.Unlock()
}

// disarm forgets a ramp that did not start.
func (m *milestones) disarm() {
	m.mu.Lock()
	m.pending = false
	m.mu.Unlock()
}

// follow watches r until it is done: a closed-model run's ramp has
// ended once the run is running after it has been seen spawning, or with
// the users ramped to (a ramp may end between two looks; on workers, the
// state says spawning only once they have heard of the ramp).
func (m *milestones) follow(r Run) {
	if m.plan.Spec.Open != nil {
		return
	}
	tick := time.NewTicker(milestonePoll)
	defer tick.Stop()
	for {
		select {
		case <-r.Done():
			return
		case <-tick.C:
		}
		state := r.State()
		m.mu.Lock()
		if state == StateSpawning {
			m.spawning = true
		}
		done := m.pending && state == StateRunning && (m.spawning || r.Snapshot().Users == m.target)
		if done {
			m.pending = false
		}
		n := m.target
		m.mu.Unlock()
		if done {
			m.spawned(r, n)
		}
	}
}

// spawned logs that every one of n users has spawned, and resets the
// statistics when asked to.
func (m *milestones) spawned(r Run, n int) {
	m.log.Info(locust.AllSpawned(m.plan.ClassCounts(n)))
	if !m.reset {
		return
	}
	m.log.Info(locust.ResettingStats)
	if err := r.Reset(); err != nil {
		m.log.Warn("--reset-stats: the statistics could not be reset", "err", err)
	}
}

// ended logs why a run that reached its run time ended: serving says
// that the program goes on (a web UI), so the test stops rather than
// the program.
func (m *milestones) ended(ctx context.Context, serving bool) {
	if ctx.Err() != nil {
		return
	}
	if serving {
		m.log.Info(locust.RunTimeReachedStopping)
	} else {
		m.log.Info(locust.RunTimeReached)
	}
}
