package schedule

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Pacer spaces requests evenly along a Rate: request i (0-based) is due at
// the instant the integral of the rate first passes i + phase. At a constant
// rate R that is (i+phase)/R seconds in, so with phase 0 the first request
// goes at once, as in vegeta and wrk2. Where the rate ramps, the requests
// bunch and spread with it, and a stretch at rate zero holds none.
//
// A Pacer is immutable and reads no clock: Intended and Due are pure
// functions, and agree exactly, so a dispatcher can walk them by index and
// a test can check them without sleeping.
type Pacer struct {
	c     curve
	phase float64
	total uint64 // requests of a bounded schedule
}

// NewPacer compiles r. phase, in [0, 1), shifts every request by that
// fraction of one request's share of the rate; see Rate.Split.
func NewPacer(r Rate, phase float64) (*Pacer, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if !(phase >= 0 && phase < 1) {
		return nil, fmt.Errorf("phase %g is outside [0, 1)", phase)
	}
	p := &Pacer{c: compile(r), phase: phase}
	if p.c.bounded && p.c.total > phase {
		p.total = uint64(math.Ceil(p.c.total - phase))
	}
	return p, nil
}

// Intended is the elapsed time at which request i is due, and false when
// a bounded schedule has fewer than i+1 requests. It never decreases as i
// grows.
func (p *Pacer) Intended(i uint64) (time.Duration, bool) {
	if p.c.bounded && i >= p.total {
		return 0, false
	}
	return p.c.timeOf(float64(i) + p.phase)
}

// Due is how many requests are due by elapsed time t: those whose
// Intended time is at or before t.
func (p *Pacer) Due(t time.Duration) uint64 {
	if t < 0 {
		return 0
	}
	n := uint64(0)
	if est := math.Floor(p.c.count(t)-p.phase) + 1; est > 0 {
		n = uint64(min(est, maxCount))
	}
	if p.c.bounded {
		n = min(n, p.total)
	}
	// The estimate comes from the integral; settle it against Intended so
	// that the two never disagree by a rounding error at a request's
	// instant.
	for n > 0 {
		if at, ok := p.Intended(n - 1); ok && at <= t {
			break
		}
		n--
	}
	for {
		at, ok := p.Intended(n)
		if !ok || at > t {
			return n
		}
		n++
	}
}

// Expected is the integral of the rate from zero to t: how many requests
// an ideal generator has sent by t, fractions included. Due(t) is within
// one of Expected(t) minus the phase.
func (p *Pacer) Expected(t time.Duration) float64 { return p.c.count(t) }

// Total is the number of requests of a bounded schedule, and false for an
// unending one.
func (p *Pacer) Total() (uint64, bool) { return p.total, p.c.bounded }

// curve is a compiled Rate: its stages with positive duration, each with
// the cumulative count at its start, so that the integral and its inverse
// cost a binary search and a square root.
type curve struct {
	segs    []segment
	bounded bool
	total   float64 // count at the end of a bounded curve
}

type segment struct {
	begin    time.Duration
	length   time.Duration // zero for the open-ended segment of an unending rate
	from, to float64       // rates at begin and at begin+length
	before   float64       // cumulative count at begin
	after    float64       // cumulative count at begin+length
}

func compile(r Rate) curve {
	if !r.Bounded() {
		seg := segment{from: r.Start, to: r.Start, after: math.Inf(1)}
		if r.Start == 0 {
			seg.after = 0
		}
		return curve{segs: []segment{seg}}
	}
	c := curve{bounded: true}
	prev := r.Start
	var begin time.Duration
	for _, s := range r.Stages {
		if s.Duration > 0 {
			seg := segment{begin: begin, length: s.Duration, from: prev, to: s.Target, before: c.total}
			seg.after = c.total + (prev+s.Target)/2*s.Duration.Seconds()
			c.total = seg.after
			c.segs = append(c.segs, seg)
		}
		begin += s.Duration
		prev = s.Target
	}
	return c
}

// count is the integral of the rate from zero to t.
func (c *curve) count(t time.Duration) float64 {
	if t <= 0 || len(c.segs) == 0 {
		return 0
	}
	// The last segment that begins at or before t.
	j := sort.Search(len(c.segs), func(k int) bool { return c.segs[k].begin > t }) - 1
	seg := &c.segs[j]
	if c.bounded && t >= seg.begin+seg.length {
		return seg.after
	}
	s := (t - seg.begin).Seconds()
	if seg.length == 0 {
		return seg.before + seg.from*s
	}
	return seg.before + seg.from*s + (seg.to-seg.from)*s*s/(2*seg.length.Seconds())
}

// timeOf is the first instant at which the integral passes x (the inverse
// of count, taken at the far end of any stretch at rate zero), rounded to
// the nanosecond, and false when it never does.
func (c *curve) timeOf(x float64) (time.Duration, bool) {
	if x < 0 {
		x = 0
	}
	j := sort.Search(len(c.segs), func(k int) bool { return c.segs[k].after > x })
	if j == len(c.segs) {
		return 0, false
	}
	seg := &c.segs[j]
	s := seg.solve(x - seg.before)
	ns := math.Round(s * float64(time.Second))
	if seg.length > 0 {
		ns = min(ns, float64(seg.length))
	}
	if ns >= math.MaxInt64-float64(seg.begin) {
		return 0, false
	}
	return seg.begin + time.Duration(max(ns, 0)), true
}

// solve returns the seconds into the segment at which its own integral,
// from*s + (to-from)*s²/(2·length), reaches m. The root is taken in the
// form 2m / (from + sqrt(from² + 2·slope·m)), which stays accurate whether
// the rate climbs, falls or holds, and needs no division by a slope that
// may be zero.
func (seg *segment) solve(m float64) float64 {
	if m <= 0 {
		return 0
	}
	if seg.length == 0 {
		return m / seg.from
	}
	d := seg.length.Seconds()
	disc := seg.from*seg.from + 2*(seg.to-seg.from)/d*m
	den := seg.from + math.Sqrt(max(disc, 0))
	if den <= 0 {
		return d
	}
	return min(2*m/den, d)
}
