package schedule

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Arrivals yields the intended send times of an open-model run, in order,
// as elapsed times from the run's start. A dispatcher takes them one by
// one and sends each request when its time comes; the latency of a request
// counts from its intended time, however late it was actually sent.
type Arrivals interface {
	// Next returns the intended time of the next request, never earlier
	// than the one before, and false once the schedule has ended.
	Next() (time.Duration, bool)
}

// Arrival is how requests are spread along the rate.
type Arrival int

const (
	// ArrivalConstant spaces requests evenly, as wrk2 and k6's
	// arrival-rate executors do: at a constant rate R, one every 1/R s.
	ArrivalConstant Arrival = iota
	// ArrivalPoisson draws exponential gaps, as independent users arriving
	// at random would; the count in any second varies around the rate.
	ArrivalPoisson
)

// ParseArrival reads an arrival kind: "constant" (also "uniform") or
// "poisson".
func ParseArrival(s string) (Arrival, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "constant", "uniform":
		return ArrivalConstant, nil
	case "poisson":
		return ArrivalPoisson, nil
	}
	return 0, fmt.Errorf("arrival %q: want constant or poisson", s)
}

// String returns the name ParseArrival reads.
func (a Arrival) String() string {
	switch a {
	case ArrivalConstant:
		return "constant"
	case ArrivalPoisson:
		return "poisson"
	}
	return fmt.Sprintf("Arrival(%d)", int(a))
}

// NewArrivals returns the arrivals of kind along r. phase shifts constant
// arrivals (see NewPacer); seed makes Poisson arrivals reproducible.
func NewArrivals(kind Arrival, r Rate, phase float64, seed uint64) (Arrivals, error) {
	switch kind {
	case ArrivalConstant:
		p, err := NewPacer(r, phase)
		if err != nil {
			return nil, err
		}
		return &paced{p: p}, nil
	case ArrivalPoisson:
		return NewPoisson(r, seed)
	}
	return nil, fmt.Errorf("unknown arrival kind %d", int(kind))
}

// paced walks a Pacer by index.
type paced struct {
	p *Pacer
	i uint64
}

func (a *paced) Next() (time.Duration, bool) {
	t, ok := a.p.Intended(a.i)
	if ok {
		a.i++
	}
	return t, ok
}

// Poisson is a Poisson arrival process whose rate follows a Rate. It draws
// a unit-rate process, whose gaps are exponential with mean one, and maps
// each arrival through the inverse of the rate's integral (the
// time-rescaling theorem): where the rate is high the arrivals crowd, where
// it is zero there are none, and at a constant rate R the gaps are
// exponential with mean 1/R. The same seed yields the same arrivals.
type Poisson struct {
	c   curve
	rnd *rand.Rand
	pos float64 // the unit-rate process's last arrival
}

// NewPoisson returns the Poisson arrivals along r, drawn from seed.
func NewPoisson(r Rate, seed uint64) (*Poisson, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &Poisson{c: compile(r), rnd: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}, nil
}

// Next returns the next arrival's elapsed time, and false once the rate's
// integral has no room for another.
func (p *Poisson) Next() (time.Duration, bool) {
	p.pos += p.rnd.ExpFloat64()
	return p.c.timeOf(p.pos)
}
