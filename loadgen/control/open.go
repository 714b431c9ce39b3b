package control

import (
	"math"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
)

// stopGrace is how long a worker waits, at the end of an open-model run,
// for the requests in flight: the spec's stop timeout, or
// loadgen.DefaultOpenStopTimeout when it has none, since the requests
// still in flight at the end are the slowest of the run.
func stopGrace(s *loadgen.Spec) time.Duration {
	if s.StopTimeout > 0 {
		return s.StopTimeout
	}
	return loadgen.DefaultOpenStopTimeout
}

// shareArrivals returns a share's arrivals from from on.
func shareArrivals(s wire.OpenShare, o *loadgen.OpenModel, from time.Duration) (schedule.Arrivals, error) {
	rate, phase := o.Rate.Split(s.Index, s.Workers)
	return schedule.NewArrivalsFrom(o.Arrival, rate, phase, s.Seed, from)
}

// sinceWarmup leaves out of s the counts a warm-up had reached. A count
// below its warm-up value (a worker process that restarted under the same
// id) counts from zero rather than wrapping round.
func sinceWarmup(s, warm users.OpenStats) users.OpenStats {
	sub := func(a, b uint64) uint64 {
		if a < b {
			return 0
		}
		return a - b
	}
	s.Scheduled = sub(s.Scheduled, warm.Scheduled)
	s.Sent = sub(s.Sent, warm.Sent)
	s.Late = sub(s.Late, warm.Late)
	s.Dropped = sub(s.Dropped, warm.Dropped)
	s.Saturated = sub(s.Saturated, warm.Saturated)
	s.Abandoned = sub(s.Abandoned, warm.Abandoned)
	return s
}

// expectedBetween is how many requests the rate asks for between two
// points of the schedule, fractions included.
func expectedBetween(p *schedule.Pacer, from, to time.Duration) float64 {
	if to <= from {
		return 0
	}
	return math.Max(p.Expected(to)-p.Expected(from), 0)
}
