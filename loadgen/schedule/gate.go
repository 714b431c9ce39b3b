package schedule

import (
	"sync"
	"time"
)

// Gate is the arrivals of an open-model generator over a whole run, while
// what it is to send changes: a worker's share of a distributed run's
// schedule, handed out again as workers come and go, or a rate edited
// mid-run. Each change applies from a point of the schedule on, and the
// gate hands the generator the arrivals of each in turn, every one at or
// after the point its change took over and before the next one's.
//
// Unlike the rest of this package, a Gate keeps time: it holds each
// arrival until GateLead before its time, rather than leaving the whole
// wait to the generator, so that a change that arrives while the
// generator waits still applies to the arrival it was waiting for: no
// request is sent twice, and none falls between two changes. The last
// GateLead is the generator's to wait, more precisely than the Go timers
// a Gate waits on. It is safe for concurrent use.
type Gate struct {
	origin time.Time
	// end is where a bounded schedule ends; zero for an unending one.
	end time.Duration

	// timerMu keeps timer, reused by Next's waits, to one caller at a
	// time; the generator is the only one in practice.
	timerMu sync.Mutex
	timer   *time.Timer

	mu      sync.Mutex
	stages  []gateStage   // the first is current; later ones take over in turn
	last    time.Duration // the latest arrival handed out; -1 before any
	closed  bool
	changed chan struct{} // closed and replaced on every change
}

// gateStage is one share's part of the schedule, from its point on until
// the next stage's.
type gateStage struct {
	from time.Duration
	src  Arrivals // nil: no arrivals (the worker is cut off)
	// stop ends the schedule: no arrival at or after from is sent.
	stop bool
	// next is src's next arrival, when have is set; ended once src has no
	// more.
	next  time.Duration
	have  bool
	ended bool
}

// NewGate returns a gate with nothing to send yet, timed from origin; end
// is where a bounded schedule ends, zero for an unending one.
func NewGate(origin time.Time, end time.Duration) *Gate {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Gate{origin: origin, end: end, last: -1, changed: make(chan struct{}), timer: t}
}

// SetOrigin times the gate from origin instead, for a gate made before its
// schedule's start was known. It is for before the first Next.
func (g *Gate) SetOrigin(origin time.Time) {
	g.mu.Lock()
	g.origin = origin
	g.mu.Unlock()
}

// GateLead is how long before its time a Gate hands out an arrival. Go's
// timers can wake a millisecond late; an arrival handed out this early
// reaches the generator before its time, and the generator waits the
// rest precisely. A change that comes within GateLead of an arrival
// already handed out applies from the next one.
const GateLead = 2 * time.Millisecond

// from is where a change asked for at may apply: not before an arrival
// already handed out, nor before a stage already planned. A change that
// comes late (its point already passed) applies from where the gate is.
func (g *Gate) fromLocked(at time.Duration) time.Duration {
	from := max(at, g.last+1)
	if n := len(g.stages); n > 0 {
		from = max(from, g.stages[n-1].from)
	}
	return from
}

// Change adds a stage from at on. build makes its arrivals from the point
// the stage actually starts (see fromLocked); a nil build adds a stage
// without arrivals, and stop a stage that ends the schedule. It returns
// that point, and false when the gate has closed or already stops.
func (g *Gate) Change(at time.Duration, build func(from time.Duration) (Arrivals, error), stop bool) (time.Duration, bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || (len(g.stages) > 0 && g.stages[len(g.stages)-1].stop) {
		return 0, false, nil
	}
	st := gateStage{from: g.fromLocked(at), stop: stop}
	if build != nil && !stop {
		src, err := build(st.from)
		if err != nil {
			return 0, false, err
		}
		st.src = src
	}
	g.stages = append(g.stages, st)
	g.signalLocked()
	return st.from, true, nil
}

// Close ends the arrivals at once: Next returns false from now on.
func (g *Gate) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed = true
		g.signalLocked()
	}
}

func (g *Gate) signalLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// Next returns the next arrival once its time is GateLead away or less,
// and false when the schedule has ended, stopped or the gate closed. While
// the worker is cut off (a stage without arrivals) it waits for the next
// change. It allocates nothing.
func (g *Gate) Next() (time.Duration, bool) {
	g.timerMu.Lock()
	defer g.timerMu.Unlock()
	timer := g.timer
	wait := func(ch <-chan struct{}, d time.Duration) {
		if d < 0 {
			<-ch
			return
		}
		timer.Reset(d)
		select {
		case <-timer.C:
		case <-ch:
			timer.Stop()
		}
	}
	for {
		g.mu.Lock()
		if g.closed {
			g.mu.Unlock()
			return 0, false
		}
		if len(g.stages) == 0 {
			ch := g.changed
			g.mu.Unlock()
			wait(ch, -1)
			continue
		}
		s := &g.stages[0]
		if s.stop {
			g.mu.Unlock()
			return 0, false
		}
		if s.src != nil && !s.have && !s.ended {
			if at, ok := s.src.Next(); ok {
				s.next, s.have = at, true
			} else {
				s.ended = true
			}
		}
		if len(g.stages) > 1 && (!s.have || s.next >= g.stages[1].from) {
			// The next stage takes over.
			g.stages = g.stages[1:]
			g.mu.Unlock()
			continue
		}
		if !s.have {
			ch := g.changed
			left := time.Duration(-1)
			if s.ended {
				// A share's arrivals end with the schedule; a change can still
				// bring arrivals before that end, but none after it.
				left = time.Until(g.origin.Add(g.end))
				if g.end == 0 || left <= 0 {
					g.mu.Unlock()
					return 0, false
				}
			}
			g.mu.Unlock()
			wait(ch, left)
			continue
		}
		if d := time.Until(g.origin.Add(s.next)) - GateLead; d > 0 {
			ch := g.changed
			g.mu.Unlock()
			wait(ch, d)
			continue
		}
		at := s.next
		s.have = false
		g.last = at
		g.mu.Unlock()
		return at, true
	}
}

// Last is the latest arrival handed out, or -1.
func (g *Gate) Last() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.last
}
