package results

import (
	"errors"
	"fmt"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

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

// MaxEntries bounds the distinct entries (method and name) of a run's
// statistics: each keeps an HDR histogram of about 230 KB, so names made
// up without end (an id in every name, or a hostile worker) would
// otherwise take the memory of the process that merges them. Requests
// of entries past it are counted in the OverflowEntry.
const MaxEntries = 1000

// OverflowEntry is the entry that counts the requests of entries beyond
// MaxEntries.
var OverflowEntry = EntryKey{Name: "(other names: more than 1000 distinct)"}

// AggregatorOptions configure an Aggregator.
type AggregatorOptions struct {
	// EntryHistory keeps a history point per entry in each row, not only
	// the Aggregated one; Locust's --csv-full-history needs it. It costs
	// about 100 bytes per entry per row.
	EntryHistory bool
	// MaxHistoryRows bounds the rows kept; 0 means DefaultMaxHistoryRows.
	MaxHistoryRows int
	// Window is the span of the current window, behind the current rates
	// and the windowed percentiles: the latest closed intervals that
	// together last about Window. 0 means DefaultWindow; see CheckWindow.
	Window time.Duration
}

// Aggregator accumulates deltas into run-wide statistics, closes
// intervals (one a second, as its owner ticks it) for the current window
// and the history, and produces Snapshots. It belongs to one goroutine (the
// flusher, or a coordinator); it is not safe for concurrent use, but its
// Snapshots are.
//
// Besides the cumulative statistics, it keeps every entry's measurements
// per closed interval for the length of the current window, so that the
// window's rates and percentiles are exact: its histogram is the merge of
// the intervals' histograms, never a mix of percentiles.
type Aggregator struct {
	opts AggregatorOptions

	start, lastTick time.Time
	users           int

	entries []*aggEntry
	index   map[EntryKey]*aggEntry
	total   aggEntry
	errors  map[ErrorKey]*errorCount

	exceptions map[string]*exceptionCount
	skipped    map[EntryKey]int64
	abandoned  AbandonedStats
	pauses     PauseStats

	open *interval   // filling until the next Tick
	ring []*interval // closed intervals in the window, oldest first
	free []*interval // expired intervals, reused

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

	win windowState
}

// NewAggregator returns an empty aggregator whose statistics start at start.
func NewAggregator(start time.Time, opts AggregatorOptions) *Aggregator {
	if opts.MaxHistoryRows <= 0 {
		opts.MaxHistoryRows = DefaultMaxHistoryRows
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	opts.Window = min(opts.Window, MaxWindow)
	a := &Aggregator{
		opts:     opts,
		start:    start,
		lastTick: start,
		index:    make(map[EntryKey]*aggEntry),
		errors:   make(map[ErrorKey]*errorCount),
		stride:   1,
		open:     &interval{},
	}
	a.total = aggEntry{key: EntryKey{Name: AggregatedName}, idx: -1, latency: NewHistogram()}
	return a
}

func (a *Aggregator) entry(key EntryKey) *aggEntry {
	if e := a.index[key]; e != nil {
		return e
	}
	if len(a.entries) >= MaxEntries && key != OverflowEntry {
		return a.entry(OverflowEntry)
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
	// New entries may fold into the overflow entry (past MaxEntries), so
	// its sum is checked as if they all did.
	over := a.overflowCounters()
	for _, de := range d.entries {
		e := a.index[de.key]
		switch {
		case e == nil:
			if !over.canMerge(de.counters) {
				return fmt.Errorf("adding entry %s %s would overflow the totals of %s", de.key.Method, de.key.Name, OverflowEntry.Name)
			}
			over.merge(de.counters)
		case e != nil && !e.c.canMerge(de.counters):
			return fmt.Errorf("adding entry %s %s would overflow its totals", de.key.Method, de.key.Name)
		}
		if !sum.canMerge(de.counters) {
			return fmt.Errorf("adding entry %s %s would overflow the aggregated totals", de.key.Method, de.key.Name)
		}
		sum.merge(de.counters)
	}
	if err := a.checkNotes(d); err != nil {
		return err
	}
	abandoned, pauses := a.abandoned, a.pauses
	if err := abandoned.add(d.abandoned); err != nil {
		return fmt.Errorf("adding: %w", err)
	}
	if err := pauses.add(d.pauses); err != nil {
		return fmt.Errorf("adding: %w", err)
	}
	a.abandoned, a.pauses = abandoned, pauses
	for _, de := range d.entries {
		if de.counters.count == 0 {
			continue
		}
		e := a.entry(de.key)
		for _, t := range []*aggEntry{e, &a.total} {
			t.c.merge(de.counters)
			mergeDense(&t.latency, &de.series.latency)
			mergeDense(&t.corrected, &de.series.corrected)
			mergeDense(&t.service, &de.series.service)
		}
		for _, ic := range []*intervalCounts{a.open.grow(e.idx), &a.open.total} {
			ic.c.merge(de.counters)
			ic.latency.merge(&de.series.latency)
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
	for tb, o := range d.exceptions {
		addException(&a.exceptions, ExceptionKey{Message: o.msg, Traceback: tb}, o.count, o.nodes)
	}
	for k, n := range d.skipped {
		addSkipped(&a.skipped, a.skippedKey(k), n)
	}
	return nil
}

// overflowCounters are the overflow entry's counters, zero before it is
// made.
func (a *Aggregator) overflowCounters() counters {
	if e := a.index[OverflowEntry]; e != nil {
		return e.c
	}
	return counters{}
}

// checkNotes checks that adding d's failure, exception and skipped
// counts overflows none of the aggregate's, nor the groups they fold
// into past their limits.
func (a *Aggregator) checkNotes(d *Delta) error {
	// A new group may fold into its entry's overflow group (past
	// maxErrorGroups): those are checked as if every new one did.
	over := map[ErrorKey]int64{}
	for k, o := range d.errors {
		if e := a.errors[k]; e != nil {
			if !addOK(e.count, o.count) {
				return fmt.Errorf("adding failures of %s %s would overflow their count", k.Method, k.Name)
			}
			continue
		}
		ok := ErrorKey{Method: k.Method, Name: k.Name, Error: overflowErrorText}
		n, seen := over[ok]
		if !seen {
			if e := a.errors[ok]; e != nil {
				n = e.count
			}
		}
		if !addOK(n, o.count) {
			return fmt.Errorf("adding failures of %s %s would overflow their count", k.Method, k.Name)
		}
		over[ok] = n + o.count
	}
	var excTotal int64
	for _, e := range a.exceptions {
		excTotal = max(excTotal, e.count)
	}
	for _, o := range d.exceptions {
		// Exception groups may fold into one: bound the largest possible.
		if !addOK(excTotal, o.count) {
			return errors.New("adding exceptions would overflow their count")
		}
		excTotal += o.count
	}
	overSkipped := a.skipped[OverflowEntry]
	for k, n := range d.skipped {
		if cur, ok := a.skipped[k]; ok {
			if !addOK(cur, n) {
				return fmt.Errorf("adding skipped requests of %s %s would overflow their count", k.Method, k.Name)
			}
			continue
		}
		if !addOK(overSkipped, n) {
			return fmt.Errorf("adding skipped requests of %s %s would overflow their count", k.Method, k.Name)
		}
		overSkipped += n
	}
	return nil
}

// skippedKey is where skipped requests of k are counted: k, or, past
// MaxEntries distinct keys, the overflow entry.
func (a *Aggregator) skippedKey(k EntryKey) EntryKey {
	if _, ok := a.skipped[k]; !ok && len(a.skipped) >= MaxEntries {
		return OverflowEntry
	}
	return k
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

// Tick closes the interval that ended at now: it enters the current
// window (and the oldest intervals leave it), and a history row records
// the state with the given user count. Call it once a second, after adding
// that second's deltas; a now not after the previous tick only updates the
// user count.
func (a *Aggregator) Tick(now time.Time, users int) {
	a.users = users
	if !now.After(a.lastTick) {
		return
	}
	a.closeInterval(now)
	a.lastTick = now

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

// closeInterval moves the open interval into the window, expires the
// intervals that no longer fit, and computes every entry's window and
// last interval.
func (a *Aggregator) closeInterval(now time.Time) {
	iv := a.open
	iv.start, iv.end = a.lastTick, now
	a.ring = append(a.ring, iv)
	a.open = a.newInterval()
	all := make([]*aggEntry, 0, len(a.entries)+1)
	all = append(append(all, a.entries...), &a.total)
	for _, e := range all {
		if ic := iv.at(e.idx); ic != nil {
			e.win.sum.merge(&ic.latency)
		}
	}
	// Keep the newest intervals that span the window, give or take half
	// an interval, so that ticks that come a little early or late neither
	// add nor drop a whole interval.
	slack := now.Sub(iv.start) / 2
	for len(a.ring) > 1 && now.Sub(a.ring[0].end) >= a.opts.Window-slack {
		old := a.ring[0]
		for _, e := range all {
			if ic := old.at(e.idx); ic != nil {
				e.win.sum.subtract(&ic.latency)
			}
		}
		copy(a.ring, a.ring[1:])
		a.ring[len(a.ring)-1] = nil
		a.ring = a.ring[:len(a.ring)-1]
		old.reset()
		a.free = append(a.free, old)
	}
	for _, e := range all {
		e.win.window = windowOf(a.ring, e.idx, &e.win.sum)
		last := Window{start: iv.start, end: iv.end}
		if ic := iv.at(e.idx); ic != nil && ic.c.count > 0 {
			last.c = ic.c
			last.latency = newDistribution(packedOf(&ic.latency), ic.c.minUs, ic.c.maxUs)
		}
		e.win.interval = last
	}
}

func (a *Aggregator) newInterval() *interval {
	if n := len(a.free); n > 0 {
		iv := a.free[n-1]
		a.free = a.free[:n-1]
		return iv
	}
	return &interval{}
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

// point computes an entry's history point from its cumulative state.
func (a *Aggregator) point(e *aggEntry) HistoryPoint {
	var us [NumReportedPercentiles]int64
	if e.c.count > 0 {
		levels := ReportedPercentiles()
		quantilesMicros(e.latency, levels[:], e.c.minUs, e.c.maxUs, us[:])
	}
	return newHistoryPoint(e.c, us, e.win.window)
}

// Snapshot returns the statistics as of now. The result shares nothing
// that the aggregator modifies later.
func (a *Aggregator) Snapshot(now time.Time) *Snapshot {
	s := &Snapshot{
		Start:     a.start,
		Now:       now,
		Users:     a.users,
		Window:    a.opts.Window,
		Intervals: a.ticks,
		Entries:   make([]EntryStats, 0, len(a.entries)),
		Errors:    make([]ErrorStats, 0, len(a.errors)),
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
	s.Exceptions = exceptionStats(a.exceptions)
	s.Skipped = skippedStats(a.skipped)
	s.Abandoned = a.abandoned
	s.Pauses = a.pauses
	return s
}

func (a *Aggregator) stats(e *aggEntry, elapsed float64) EntryStats {
	es := EntryStats{
		key:          e.key,
		c:            e.c,
		latency:      newDistribution(packedCopy(e.latency), e.c.minUs, e.c.maxUs),
		corrected:    distributionOfDense(e.corrected),
		service:      distributionOfDense(e.service),
		window:       e.win.window,
		interval:     e.win.interval,
		historyIndex: e.idx,
	}
	es.currentRPS, es.currentFailPerSec = e.win.window.RPS(), e.win.window.FailPerSec()
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

// Reset clears the statistics, the current window and the failure
// groups, and restarts the statistics at now, as Locust's web UI reset
// does. The history is kept: it is a log of what was shown over time. The
// next Tick's interval starts at now.
func (a *Aggregator) Reset(now time.Time) {
	for _, e := range a.entries {
		e.reset()
	}
	a.total.reset()
	clear(a.errors)
	clear(a.exceptions)
	clear(a.skipped)
	a.abandoned = AbandonedStats{}
	a.pauses = PauseStats{}
	for _, iv := range a.ring {
		iv.reset()
		a.free = append(a.free, iv)
	}
	clear(a.ring)
	a.ring = a.ring[:0]
	a.open.reset()
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
	e.win.reset()
}
