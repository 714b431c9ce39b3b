package control

import (
	"math"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/loadgen/schedule"
)

// shareArrivals returns a share's arrivals from from on.
func shareArrivals(s wire.OpenShare, o *loadgen.OpenModel, from time.Duration) (schedule.Arrivals, error) {
	rate, phase := o.Rate.Split(s.Index, s.Workers)
	return schedule.NewArrivalsFrom(o.Arrival, rate, phase, s.Seed, from)
}

// expectedBetween is how many requests the rate asks for between two
// points of the schedule, fractions included.
func expectedBetween(p *schedule.Pacer, from, to time.Duration) float64 {
	if to <= from {
		return 0
	}
	return math.Max(p.Expected(to)-p.Expected(from), 0)
}
