package loadgen

import (
	"fmt"
	"time"

	"github.com/loadgen/loadgen/results"
)

// defaultInterval is how often statistics are collected when a run's
// Interval is zero.
const defaultInterval = time.Second

// collector is a run's flusher state: it drains what the runner's users
// recorded, merges it into the run's statistics, closes the interval and
// takes a snapshot. Both the closed and the open model collect this way.
type collector struct {
	agg   *results.Aggregator
	d     *results.Delta
	drain func(*results.Delta)

	// warmup fires when the warm-up ends; nil without one, or once it has.
	warmup *time.Timer
	// onWarmupEnd gets the statistics the warm-up excluded.
	onWarmupEnd func(*results.Snapshot)
}

func newCollector(start time.Time, entryHistory bool, drain func(*results.Delta)) *collector {
	return &collector{
		agg:   results.NewAggregator(start, results.AggregatorOptions{EntryHistory: entryHistory}),
		d:     results.NewDelta(),
		drain: drain,
	}
}

// withWarmup makes the statistics restart once d has passed since start,
// so that the warm-up is excluded explicitly; onEnd, when set, gets what
// was excluded.
func (c *collector) withWarmup(start time.Time, d time.Duration, onEnd func(*results.Snapshot)) {
	if d > 0 {
		c.warmup = time.NewTimer(time.Until(start.Add(d)))
		c.onWarmupEnd = onEnd
	}
}

// warmupC fires at the end of the warm-up; it is nil (never ready in a
// select) when there is none left.
func (c *collector) warmupC() <-chan time.Time {
	if c.warmup == nil {
		return nil
	}
	return c.warmup.C
}

// endWarmup collects everything up to now, hands it to onWarmupEnd and
// restarts the statistics.
func (c *collector) endWarmup(now time.Time, users int) {
	c.warmup = nil
	excluded := c.collect(now, users)
	c.agg.Reset(now)
	if c.onWarmupEnd != nil {
		c.onWarmupEnd(excluded)
	}
}

// stop releases the warm-up timer of a run that ended during its warm-up.
func (c *collector) stop() {
	if c.warmup != nil {
		c.warmup.Stop()
	}
}

// collect drains, merges and ticks, and returns the statistics as of now,
// with users as the row's user count.
func (c *collector) collect(now time.Time, users int) *results.Snapshot {
	c.d.Reset()
	c.drain(c.d)
	c.d.SetNode(results.LocalNode)
	if err := c.agg.Add(c.d); err != nil {
		// Deltas made in this process always fit; this is a bug.
		panic(fmt.Sprintf("loadgen: merging statistics: %v", err))
	}
	c.agg.Tick(now, users)
	return c.agg.Snapshot(now)
}

func intervalOr(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultInterval
	}
	return d
}
