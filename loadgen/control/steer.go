package control

import (
	"errors"
	"fmt"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/results"
)

// ErrNotRunning is returned by Edit and Reset outside the running phase: a
// run waiting for its workers, stopping or finished has nothing to steer.
var ErrNotRunning = loadgen.ErrNotRunning

// Edit moves the fleet to a new user count at a new spawn rate while the
// run goes on (Locust's "edit running test"): the users are split again over
// the workers alive, each ramping so that the fleet moves at spawnRate.
func (c *Coordinator) Edit(users int, spawnRate float64) error {
	if users < 0 {
		return fmt.Errorf("user count %d is negative", users)
	}
	if spawnRate < 0 {
		return fmt.Errorf("spawn rate %g is negative", spawnRate)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open != nil {
		return errors.New("an open-model run has a request rate, not users")
	}
	if c.state != runRunning {
		return ErrNotRunning
	}
	c.cfg.Users, c.cfg.SpawnRate = users, spawnRate
	c.log.Info("users edited", "users", users, "spawn_rate", spawnRate)
	c.rebalanceLocked()
	return nil
}

// Reset restarts the merged statistics from now, as Locust's reset does;
// the history is kept. Reports of requests made just before the reset but
// arriving after it count in the new statistics: the cut is exact to within
// one report interval.
func (c *Coordinator) Reset() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != runRunning || c.stats == nil {
		return ErrNotRunning
	}
	c.stats.Restart(time.Now())
	c.log.Info("statistics reset")
	return nil
}

// Snapshot returns the merged statistics as of now, or nil before the run
// has started.
func (c *Coordinator) Snapshot() *results.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stats == nil {
		return nil
	}
	return c.stats.Snapshot(time.Now())
}
