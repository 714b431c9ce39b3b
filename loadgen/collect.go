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
}

func newCollector(start time.Time, entryHistory bool, drain func(*results.Delta)) *collector {
	return &collector{
		agg:   results.NewAggregator(start, results.AggregatorOptions{EntryHistory: entryHistory}),
		d:     results.NewDelta(),
		drain: drain,
	}
}

// collect drains, merges and ticks, and returns the statistics as of now,
// with users as the row's user count.
func (c *collector) collect(now time.Time, users int) *results.Snapshot {
	c.d.Reset()
	c.drain(c.d)
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
