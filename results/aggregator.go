package results

import (
	"fmt"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// windowSeconds is the span of the "current" rates, as in Locust.
const windowSeconds = 10

// DefaultMaxHistoryRows bounds the history kept by an Aggregator: two hours
// of one-second rows. Longer runs keep every second row, then every fourth,
// and so on, so memory stays bounded however long the run.
const DefaultMaxHistoryRows = 7200

// maxErrorGroups bounds the number of distinct failure groups. Past it, new
// texts are counted under overflowErrorText, so that an error text that
// normalisation fails to tame cannot exhaust memory.
const maxErrorGroups = 1000

// overflowErrorText replaces failure texts beyond maxErrorGroups.
const overflowErrorText = "other errors (too many distinct error texts)"

// AggregatorOptions configure an Aggregator.
type AggregatorOptions struct {
	// EntryHistory keeps a history point per entry in each row, not only
	// the Aggregated one; Locust's --csv-full-history needs it. It costs
	// about 100 bytes per entry per row.
	EntryHistory bool
	// MaxHistoryRows bounds the rows kept; 0 means DefaultMaxHistoryRows.
	MaxHistoryRows int
}

// Aggregator accumulates deltas into run-wide statistics, closes one-second
// intervals for current rates and history, and produces Snapshots. It
// belongs to one goroutine (the flusher, or a coordinator); it is not safe
// for concurrent use, but its Snapshots are.
type Aggregator struct {
	opts AggregatorOptions

	start, lastTick time.Time
	users           int

	entries []*aggEntry
	index   map[EntryKey]*aggEntry
	total   aggEntry
	errors  map[ErrorKey]*errorCount

	winDur [windowSeconds]time.Duration
	winPos int // next slot to write
	winLen int // closed intervals in the window

	history []HistoryRow
	ticks   int // closed intervals since start
	stride  int // keep a history row every stride ticks
}

// aggEntry is an entry's cumulative state.
type aggEntry struct {
	key       EntryKey
	idx       int // position in Aggregator.entries and in history rows
	c         counters
	latency   *hdrhistogram.Histogram
	corrected *hdrhistogram.Histogram // nil until used
	service   *hdrhistogram.Histogram // nil until used

	openCount, openFailures int64 // the interval not yet closed by Tick
	win                     [windowSeconds]struct{ count, failures int64 }
}

// NewAggregator returns an empty aggregator whose statistics start at start.
func NewAggregator(start time.Time, opts AggregatorOptions) *Aggregator {
	if opts.MaxHistoryRows <= 0 {
		opts.MaxHistoryRows = DefaultMaxHistoryRows
	}
	a := &Aggregator{
		opts:     opts,
		start:    start,
		lastTick: start,
		index:    make(map[EntryKey]*aggEntry),
		errors:   make(map[ErrorKey]*errorCount),
		stride:   1,
	}
	a.total = aggEntry{key: EntryKey{Name: AggregatedName}, idx: -1, latency: NewHistogram()}
	return a
}

func (a *Aggregator) entry(key EntryKey) *aggEntry {
	if e := a.index[key]; e != nil {
		return e
	}
	e := &aggEntry{key: key, idx: len(a.entries), latency: NewHistogram()}
	a.entries = append(a.entries, e)
	a.index[key] = e
	return e
}

// Add merges a delta into the statistics and into the interval that the
// next Tick closes. The delta is left unchanged and may be reset and reused
// afterwards. It fails, changing nothing, if a total would overflow.
func (a *Aggregator) Add(d *Delta) error {
	sum := a.total.c
	for _, de := range d.entries {
		if e := a.index[de.key]; e != nil && !e.c.canMerge(de.counters) {
			return fmt.Errorf("adding entry %s %s would overflow its totals", de.key.Method, de.key.Name)
		}
		if !sum.canMerge(de.counters) {
			return fmt.Errorf("adding entry %s %s would overflow the aggregated totals", de.key.Method, de.key.Name)
		}
		sum.merge(de.counters)
	}
	for _, de := range d.entries {
		if de.counters.count == 0 {
			continue
		}
		e := a.entry(de.key)
		for _, t := range []*aggEntry{e, &a.total} {
			t.c.merge(de.counters)
			t.openCount += de.counters.count
			t.openFailures += de.counters.failures
			mergeDense(&t.latency, &de.series.latency)
			mergeDense(&t.corrected, &de.series.corrected)
			mergeDense(&t.service, &de.series.service)
		}
	}
	for k, o := range d.errors {
		if _, ok := a.errors[k]; !ok && len(a.errors) >= maxErrorGroups {
			k.Error = overflowErrorText
		}
		e := a.errors[k]
		if e == nil {
			e = &errorCount{}
			a.errors[k] = e
		}
		e.add(o.count, o.first, o.last)
	}
	return nil
}

func mergeDense(dst **hdrhistogram.Histogram, src *sparseCounts) {
	if src.total == 0 {
		return
	}
	if *dst == nil {
		*dst = NewHistogram()
	}
	for i, idx := range src.idx {
		// In range by construction: indexes come from indexOf or from a
		// payload checked against countsLen.
		_ = (*dst).RecordValues(valueAt(idx), src.cnt[i])
	}
}

// Tick closes the interval that ended at now: its counts enter the window
// behind the current rates, and a history row records the state with the
// given user count. Call it once a second, after adding that second's
// deltas; a now not after the previous tick only updates the user count.
func (a *Aggregator) Tick(now time.Time, users int) {
	a.users = users
	if !now.After(a.lastTick) {
		return
	}
	a.winDur[a.winPos] = now.Sub(a.lastTick)
	a.lastTick = now
	for _, e := range a.entries {
		e.closeInterval(a.winPos)
	}
	a.total.closeInterval(a.winPos)
	a.winPos = (a.winPos + 1) % windowSeconds
	a.winLen = min(a.winLen+1, windowSeconds)

	a.ticks++
	if a.ticks%a.stride != 0 {
		return
	}
	row := HistoryRow{Time: now, Users: users, Total: a.point(&a.total)}
	if a.opts.EntryHistory {
		row.entries = make([]HistoryPoint, len(a.entries))
		for i, e := range a.entries {
			row.entries[i] = a.point(e)
		}
	}
	a.history = append(a.history, row)
	if len(a.history) >= a.opts.MaxHistoryRows {
		a.thinHistory()
	}
}

func (e *aggEntry) closeInterval(pos int) {
	e.win[pos].count = e.openCount
	e.win[pos].failures = e.openFailures
	e.openCount, e.openFailures = 0, 0
}

// thinHistory halves the history's resolution. It builds a new slice
// because snapshots share the old one.
func (a *Aggregator) thinHistory() {
	kept := make([]HistoryRow, 0, a.opts.MaxHistoryRows)
	for i := len(a.history) - 1; i >= 0; i -= 2 {
		kept = append(kept, a.history[i])
	}
	slices.Reverse(kept)
	a.history = kept
	a.stride *= 2
}

// currentRates returns an entry's requests and failures per second over
// the window of closed intervals.
func (a *Aggregator) currentRates(e *aggEntry) (rps, fps float64) {
	var n, f int64
	var d time.Duration
	for i := 0; i < a.winLen; i++ {
		pos := (a.winPos - 1 - i + windowSeconds) % windowSeconds
		n += e.win[pos].count
		f += e.win[pos].failures
		d += a.winDur[pos]
	}
	if d <= 0 {
		return 0, 0
	}
	s := d.Seconds()
	return float64(n) / s, float64(f) / s
}

// point computes an entry's history point from its cumulative state.
func (a *Aggregator) point(e *aggEntry) HistoryPoint {
	rps, fps := a.currentRates(e)
	p := HistoryPoint{
		count: e.c.count, failures: e.c.failures,
		sumUs: e.c.sumUs, bytes: e.c.bytes,
		rps: rps, failPerSec: fps,
		minUs: float32(e.c.minUs), maxUs: float32(e.c.maxUs),
	}
	if e.c.count > 0 {
		levels := ReportedPercentiles()
		var us [NumReportedPercentiles]int64
		quantilesMicros(e.latency, levels[:], e.c.minUs, e.c.maxUs, us[:])
		for i, v := range us {
			p.percentilesUs[i] = float32(v)
		}
	}
	return p
}

// Snapshot returns the statistics as of now. The result shares nothing
// that the aggregator modifies later.
func (a *Aggregator) Snapshot(now time.Time) *Snapshot {
	s := &Snapshot{
		Start:   a.start,
		Now:     now,
		Users:   a.users,
		Entries: make([]EntryStats, 0, len(a.entries)),
		Errors:  make([]ErrorStats, 0, len(a.errors)),
		// Rows are never modified once appended, and thinning builds a new
		// slice, so the snapshot can share the backing array.
		History: a.history[:len(a.history):len(a.history)],
	}
	elapsed := now.Sub(a.start).Seconds()
	for _, e := range a.entries {
		s.Entries = append(s.Entries, a.stats(e, elapsed))
	}
	slices.SortFunc(s.Entries, func(x, y EntryStats) int { return compareKeys(x.key, y.key) })
	s.Total = a.stats(&a.total, elapsed)
	for k, e := range a.errors {
		s.Errors = append(s.Errors, ErrorStats{ErrorKey: k, Count: e.count, FirstSeen: e.first, LastSeen: e.last})
	}
	slices.SortFunc(s.Errors, func(x, y ErrorStats) int {
		if x.Count != y.Count {
			if x.Count > y.Count {
				return -1
			}
			return 1
		}
		return compareErrorKeys(x.ErrorKey, y.ErrorKey)
	})
	return s
}

func (a *Aggregator) stats(e *aggEntry, elapsed float64) EntryStats {
	es := EntryStats{
		key:          e.key,
		c:            e.c,
		latency:      newDistribution(packedCopy(e.latency), e.c.minUs, e.c.maxUs),
		corrected:    distributionOfDense(e.corrected),
		service:      distributionOfDense(e.service),
		historyIndex: e.idx,
	}
	es.currentRPS, es.currentFailPerSec = a.currentRates(e)
	if elapsed > 0 {
		es.totalRPS = float64(e.c.count) / elapsed
		es.totalFailPerSec = float64(e.c.failures) / elapsed
	}
	return es
}

// packedCopy returns a sparse copy of a dense histogram, which is far
// smaller to keep in a snapshot.
func packedCopy(h *hdrhistogram.Histogram) *hdrhistogram.PackedHistogram {
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	p := NewPackedHistogram()
	p.MergeFrom(h)
	return p
}

func distributionOfDense(h *hdrhistogram.Histogram) Distribution {
	return DistributionOf(packedCopy(h))
}

// Reset clears the statistics, the current-rate window and the failure
// groups, and restarts the statistics at now, as Locust's web UI reset
// does. The history is kept: it is a log of what was shown over time. The
// next Tick's interval starts at now.
func (a *Aggregator) Reset(now time.Time) {
	for _, e := range a.entries {
		e.reset()
	}
	a.total.reset()
	clear(a.errors)
	a.winDur = [windowSeconds]time.Duration{}
	a.winPos, a.winLen = 0, 0
	a.start = now
	a.lastTick = now
}

func (e *aggEntry) reset() {
	e.c = counters{}
	e.latency.Reset()
	if e.corrected != nil {
		e.corrected.Reset()
	}
	if e.service != nil {
		e.service.Reset()
	}
	e.openCount, e.openFailures = 0, 0
	e.win = [windowSeconds]struct{ count, failures int64 }{}
}
