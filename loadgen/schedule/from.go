package schedule

import (
	"fmt"
	"time"
)

// NewArrivalsFrom returns the arrivals NewArrivals would give that fall at
// or after from: the rest of a schedule, for a generator that takes over a
// share of a run part-way through. Constant arrivals keep their place on
// the rate's curve, phase included, so a share handed over at from lines
// up exactly with the shares of other generators that keep going. Poisson
// arrivals start afresh at from; a Poisson process has no memory, so the
// rest of the schedule has the same distribution as if it had run from
// zero. A from of zero or less is NewArrivals.
func NewArrivalsFrom(kind Arrival, r Rate, phase float64, seed uint64, from time.Duration) (Arrivals, error) {
	if from <= 0 {
		return NewArrivals(kind, r, phase, seed)
	}
	switch kind {
	case ArrivalConstant:
		p, err := NewPacer(r, phase)
		if err != nil {
			return nil, err
		}
		// Due counts the requests at or before its argument, so this is
		// the index of the first one at or after from.
		return &paced{p: p, i: p.Due(from - 1)}, nil
	case ArrivalPoisson:
		p, err := NewPoisson(r, seed)
		if err != nil {
			return nil, err
		}
		p.pos = p.c.count(from)
		return p, nil
	}
	return nil, fmt.Errorf("unknown arrival kind %d", int(kind))
}
