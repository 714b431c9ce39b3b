package schedule

import (
	"errors"
	"fmt"
)

// MaxClasses and MaxClassWeight bound a mix of user classes, so that one
// period of its sequence (at most their product) stays small enough to
// keep in memory.
const (
	MaxClasses     = 100
	MaxClassWeight = 10_000
)

// Classes spreads users over weighted user classes as Locust does: the
// k-th user started belongs to the k-th class of a smooth weighted round
// robin over the weights, so at any user count the mix is as close to the
// weights as whole users allow (10 users at 4:1 are 8 and 2), and it stays
// so while users ramp up or retire, newest first. Ties go to the class
// listed first.
//
// In a distributed run, user k runs on worker k mod n, as in Locust, so
// the whole fleet has the mix one process would have. A Classes is
// read-only, so it can be shared.
type Classes struct {
	weights []int
	period  int
	// seq is one period of the sequence: seq[k] is the class of user k.
	seq []uint8
}

// NewClasses checks the weights (from 0 to MaxClassWeight, at least one
// positive, at most MaxClasses of them) and precomputes one period.
func NewClasses(weights []int) (*Classes, error) {
	if len(weights) == 0 {
		return nil, errors.New("no user classes")
	}
	if len(weights) > MaxClasses {
		return nil, fmt.Errorf("%d user classes; at most %d", len(weights), MaxClasses)
	}
	g := 0
	for i, w := range weights {
		if w < 0 || w > MaxClassWeight {
			return nil, fmt.Errorf("class %d: weight %d is not from 0 to %d", i+1, w, MaxClassWeight)
		}
		g = gcd(g, w)
	}
	if g == 0 {
		return nil, errors.New("every user class has weight 0")
	}
	c := &Classes{weights: make([]int, len(weights))}
	for i, w := range weights {
		c.weights[i] = w / g
		c.period += w / g
	}
	c.seq = make([]uint8, c.period)
	cur := make([]int, len(weights))
	for k := range c.seq {
		best := -1
		for i, w := range c.weights {
			if w == 0 {
				continue
			}
			cur[i] += w
			if best < 0 || cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= c.period
		c.seq[k] = uint8(best)
	}
	return c, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Len is the number of classes.
func (c *Classes) Len() int { return len(c.weights) }

// Of is the class of user k, counting from 0 in start order.
func (c *Classes) Of(k int) int {
	if k < 0 {
		return int(c.seq[0])
	}
	return int(c.seq[k%c.period])
}

// Counts is how many of the first n users belong to each class.
func (c *Classes) Counts(n int) []int {
	out := make([]int, len(c.weights))
	if n <= 0 {
		return out
	}
	full, rest := n/c.period, n%c.period
	for i, w := range c.weights {
		out[i] = full * w
	}
	for _, cl := range c.seq[:rest] {
		out[cl]++
	}
	return out
}

// WorkerCounts is how many users of each class worker w (0-based) of n
// runs when the fleet runs total users: the users k with k mod n == w.
func (c *Classes) WorkerCounts(total, n, w int) []int {
	out := make([]int, len(c.weights))
	if n <= 0 || w < 0 || w >= n || total <= 0 {
		return out
	}
	// The pattern of a worker's classes repeats every lcm(period, n)
	// users; count one repeat, then the rest.
	l := c.period / gcd(c.period, n) * n
	full, rest := total/l, total%l
	if full > 0 {
		for k := w; k < l; k += n {
			out[c.Of(k)] += full
		}
	}
	for k := w; k < rest; k += n {
		out[c.Of(k)]++
	}
	return out
}

// WorkerUser is the fleet-wide start order of the j-th user (0-based) of
// worker w of n: its class is Of(WorkerUser(j, n, w)).
func WorkerUser(j, n, w int) int { return j*n + w }
