package results

import (
	"fmt"
	"time"
)

// DefaultWindow is the span of the current window, Locust's ten seconds:
// the current rates and the windowed percentiles are over the closed
// intervals of about the last DefaultWindow.
const DefaultWindow = 10 * time.Second

// MaxWindow bounds AggregatorOptions.Window. Every closed interval inside
// the window keeps its histograms (a few KB per entry), so a window of
// hours would hold thousands of them per entry.
const MaxWindow = 10 * time.Minute

// CheckWindow reports whether d can be a current window: 0 (the default)
// or a positive duration up to MaxWindow.
func CheckWindow(d time.Duration) error {
	if d < 0 || d > MaxWindow {
		return fmt.Errorf("window %v: must be between 0 (the default %v) and %v", d, DefaultWindow, MaxWindow)
	}
	return nil
}

// Window is one entry's measurements over a span of closed intervals: the
// current window (EntryStats.Window) or the last closed interval
// (EntryStats.Interval). Its counts, sums and extremes are exact, and its
// percentiles come from the merge of the intervals' HDR histograms, so
// they are those of one histogram that saw exactly the span's requests,
// not averages of per-interval percentiles. A request belongs to the
// interval in which its measurement was collected, which is when it
// completed. Like the rest of a Snapshot, a Window is immutable.
type Window struct {
	start, end time.Time
	c          counters
	latency    Distribution
}

// Start returns the beginning of the span; zero before the first interval
// has closed.
func (w Window) Start() time.Time { return w.start }

// End returns the end of the span: the time of the last closed interval.
func (w Window) End() time.Time { return w.end }

// Duration returns End - Start.
func (w Window) Duration() time.Duration { return w.end.Sub(w.start) }

// Count returns the requests in the span, failed ones included.
func (w Window) Count() int64 { return w.c.count }

// Failures returns the failed requests in the span.
func (w Window) Failures() int64 { return w.c.failures }

// RPS returns Count over Duration, or 0 for an empty span.
func (w Window) RPS() float64 { return w.per(w.c.count) }

// FailPerSec returns Failures over Duration, or 0 for an empty span.
func (w Window) FailPerSec() float64 { return w.per(w.c.failures) }

func (w Window) per(n int64) float64 {
	d := w.Duration()
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Min returns the exact fastest response time in the span.
func (w Window) Min() time.Duration { return micros(w.c.minUs) }

// Max returns the exact slowest response time in the span.
func (w Window) Max() time.Duration { return micros(w.c.maxUs) }

// Avg returns the exact mean response time in the span.
func (w Window) Avg() time.Duration {
	if w.c.count == 0 {
		return 0
	}
	return time.Duration(float64(w.c.sumUs) / float64(w.c.count) * float64(time.Microsecond))
}

// Latency returns the span's response-time distribution.
func (w Window) Latency() Distribution { return w.latency }

// Percentile returns the span's response time at fraction q (0..1), as
// Distribution.Percentile; 0 when the span had no request.
func (w Window) Percentile(q float64) time.Duration { return w.latency.Percentile(q) }

// intervalCounts are one entry's measurements in one closed interval:
// the exact counters and the latency histogram.
type intervalCounts struct {
	c       counters
	latency sparseCounts
}

func (ic *intervalCounts) reset() {
	ic.c = counters{}
	ic.latency.reset()
}

// interval is one closed (or, for the aggregator's open one, filling)
// interval: every entry's measurements, by aggregator entry index.
type interval struct {
	start, end time.Time
	total      intervalCounts
	entries    []intervalCounts
}

// at returns the counts of the entry at idx (-1 for the total), or nil
// when the entry had not appeared when the interval was filled.
func (iv *interval) at(idx int) *intervalCounts {
	if idx < 0 {
		return &iv.total
	}
	if idx >= len(iv.entries) {
		return nil
	}
	return &iv.entries[idx]
}

// grow makes room for the entry at idx.
func (iv *interval) grow(idx int) *intervalCounts {
	for len(iv.entries) <= idx {
		iv.entries = append(iv.entries, intervalCounts{})
	}
	return &iv.entries[idx]
}

func (iv *interval) reset() {
	iv.start, iv.end = time.Time{}, time.Time{}
	iv.total.reset()
	for i := range iv.entries {
		iv.entries[i].reset()
	}
}

// windowState is an entry's side of the window: the running merge of
// the latency histograms of the intervals in the window, which the
// aggregator adds each new interval to and subtracts each expired one
// from, so that a tick costs the same whatever the window's length; and
// the statistics computed at the last tick, which snapshots share.
type windowState struct {
	sum      sparseCounts
	window   Window
	interval Window
}

func (ws *windowState) reset() {
	ws.sum.reset()
	ws.window, ws.interval = Window{}, Window{}
}

// subtract removes o's counts from s; o must be part of s, as an expired
// interval is part of the running sum it was added to.
func (s *sparseCounts) subtract(o *sparseCounts) {
	if o.total == 0 {
		return
	}
	ni := s.spareIdx[:0]
	nc := s.spareCnt[:0]
	j := 0
	for i, idx := range s.idx {
		c := s.cnt[i]
		if j < len(o.idx) && o.idx[j] == idx {
			c -= o.cnt[j]
			j++
		}
		if c > 0 {
			ni = append(ni, idx)
			nc = append(nc, c)
		}
	}
	if j != len(o.idx) || o.total > s.total {
		// An expired interval that is not part of the sum is a bug in the
		// aggregator's bookkeeping; merged statistics would be wrong.
		panic("results: window bookkeeping: subtracting counts that were never added")
	}
	s.spareIdx, s.spareCnt = s.idx, s.cnt
	s.idx, s.cnt = ni, nc
	s.total -= o.total
}

// windowOf computes a Window over the given intervals for the entry at
// idx, with sum as the merge of their histograms.
func windowOf(ivs []*interval, idx int, sum *sparseCounts) Window {
	if len(ivs) == 0 {
		return Window{}
	}
	w := Window{start: ivs[0].start, end: ivs[len(ivs)-1].end}
	for _, iv := range ivs {
		if ic := iv.at(idx); ic != nil {
			w.c.merge(ic.c)
		}
	}
	if w.c.count > 0 && sum.total > 0 {
		w.latency = newDistribution(packedOf(sum), w.c.minUs, w.c.maxUs)
	}
	return w
}
