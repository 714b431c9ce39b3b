package users

import (
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/results"
)

// cutOff counts the requests that the end of a stop's grace period cut
// off in flight, and how long the oldest of them had been in flight, so
// that a run says what it left unmeasured. It is touched only when a run
// ends, never on the path of a request that completes.
type cutOff struct {
	n      atomic.Int64
	oldest atomic.Int64 // nanoseconds
}

// add counts one request, in flight for d when it was cut off.
func (c *cutOff) add(d time.Duration) {
	c.n.Add(1)
	for {
		old := c.oldest.Load()
		if int64(d) <= old || c.oldest.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// drain moves the count into d.
func (c *cutOff) drain(d *results.Delta) {
	if n := c.n.Swap(0); n > 0 {
		d.Abandon(n, time.Duration(c.oldest.Load()))
	}
}
