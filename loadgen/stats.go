package loadgen

import (
	"time"

	"github.com/loadgen/loadgen/results"
)

// DefaultInterval is how often statistics are collected when Hooks leave
// Interval zero.
const DefaultInterval = time.Second

// Stats is a run's statistics as its engine keeps them: what its users
// recorded, or its workers reported, merged exactly, and the requests it
// excluded at the end of the warm-up or at a reset, so that the CPU a run
// spent can still be divided by every request it made. Both engines keep
// them so. It is not safe for concurrent use.
type Stats struct {
	agg      *results.Aggregator
	excluded int64
}

// NewStats starts statistics at start; entryHistory keeps a history row
// per entry (Spec.EntryHistory); window is the current window's span
// (Hooks.Window; zero is the default).
func NewStats(start time.Time, entryHistory bool, window time.Duration) *Stats {
	return &Stats{agg: results.NewAggregator(start, results.AggregatorOptions{EntryHistory: entryHistory, Window: window})}
}

// Add merges a delta.
func (s *Stats) Add(d *results.Delta) error { return s.agg.Add(d) }

// Tick closes the interval that ends at now with users as its user count.
func (s *Stats) Tick(now time.Time, users int) { s.agg.Tick(now, users) }

// Snapshot is the statistics as of now.
func (s *Stats) Snapshot(now time.Time) *results.Snapshot { return s.agg.Snapshot(now) }

// Restart restarts the statistics from now (the end of a warm-up, a
// reset), keeping their history, and returns what they held until now,
// which is excluded from the run's result.
func (s *Stats) Restart(now time.Time) *results.Snapshot {
	snap := s.agg.Snapshot(now)
	s.excluded += snap.Total.Count()
	s.agg.Reset(now)
	return snap
}

// Excluded counts the requests that restarts excluded.
func (s *Stats) Excluded() int64 { return s.excluded }

func intervalOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultInterval
	}
	return d
}
