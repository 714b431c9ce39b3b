package results

import (
	"fmt"
	"time"
)

// ErrorKey identifies a group of failures: the entry and the normalised
// failure text.
type ErrorKey struct {
	Method string
	Name   string
	Error  string
}

// errorCount is a group of failures within a delta or an aggregate.
type errorCount struct {
	count       int64
	first, last time.Time
}

func (e *errorCount) add(count int64, first, last time.Time) {
	if e.count == 0 || first.Before(e.first) {
		e.first = first
	}
	if e.count == 0 || last.After(e.last) {
		e.last = last
	}
	e.count += count
}

// Delta holds the measurements of one interval, for any number of entries
// and from any number of recorders: exact counters per entry, sparse
// histograms, and failure counts. Deltas merge exactly and encode to JSON
// (see MarshalJSON), so a worker process can send its interval to a
// coordinator that merges it as if it had recorded every request itself.
//
// The zero value is an empty delta ready to use. A Delta is not safe for
// concurrent use. Reset empties it and keeps its storage for the next
// interval.
type Delta struct {
	entries []*deltaEntry
	index   map[EntryKey]*deltaEntry
	errors  map[ErrorKey]*errorCount
	// exceptions and skipped are rare: made on first use.
	exceptions map[string]*exceptionCount
	skipped    map[EntryKey]int64
	abandoned  AbandonedStats
	pauses     PauseStats
}

// deltaEntry is one entry's share of a delta.
type deltaEntry struct {
	key      EntryKey
	counters counters
	series   seriesCounts
}

// NewDelta returns an empty delta.
func NewDelta() *Delta {
	return &Delta{}
}

// entry returns the delta's entry for key, creating it if needed.
func (d *Delta) entry(key EntryKey) *deltaEntry {
	if e := d.index[key]; e != nil {
		return e
	}
	if d.index == nil {
		d.index = make(map[EntryKey]*deltaEntry)
	}
	e := &deltaEntry{key: key}
	d.entries = append(d.entries, e)
	d.index[key] = e
	return e
}

func (d *Delta) addError(k ErrorKey, count int64, first, last time.Time) {
	if d.errors == nil {
		d.errors = make(map[ErrorKey]*errorCount)
	}
	e := d.errors[k]
	if e == nil {
		e = &errorCount{}
		d.errors[k] = e
	}
	e.add(count, first, last)
}

// Reset empties the delta, keeping its entries' storage for reuse.
func (d *Delta) Reset() {
	for _, e := range d.entries {
		e.counters = counters{}
		e.series.reset()
	}
	clear(d.errors)
	clear(d.exceptions)
	clear(d.skipped)
	d.abandoned = AbandonedStats{}
	d.pauses = PauseStats{}
}

// Abandon counts n requests cut off in flight at the end of a run, the
// oldest of them after oldest in flight.
func (d *Delta) Abandon(n int64, oldest time.Duration) {
	if n <= 0 {
		return
	}
	// Counts made in one process stay far below the overflow.
	_ = d.abandoned.add(AbandonedStats{Count: n, Oldest: oldest})
}

// Abandoned returns the requests the delta counts as cut off in flight.
func (d *Delta) Abandoned() AbandonedStats { return d.abandoned }

// Pause counts the generator's pauses (see PauseStats).
func (d *Delta) Pause(p PauseStats) {
	if p.Count <= 0 {
		return
	}
	// Counts made in one process stay far below the overflow.
	_ = d.pauses.add(p)
}

// Pauses returns the generator's pauses the delta counts.
func (d *Delta) Pauses() PauseStats { return d.pauses }

// Totals returns the number of requests and failures in the delta, over
// all entries.
func (d *Delta) Totals() (requests, failures int64) {
	for _, e := range d.entries {
		requests += e.counters.count
		failures += e.counters.failures
	}
	return requests, failures
}

// Empty reports whether the delta holds no request and no failure group.
func (d *Delta) Empty() bool {
	n, _ := d.Totals()
	return n == 0 && len(d.errors) == 0 && len(d.exceptions) == 0 && len(d.skipped) == 0 && d.abandoned.Count == 0 && d.pauses.Count == 0
}

// Merge adds other's measurements into d. Histograms merge exactly: the
// result has the same counts and percentiles as one delta that had seen
// every request. It fails, changing nothing, if a total would overflow.
func (d *Delta) Merge(other *Delta) error {
	if other == d {
		return fmt.Errorf("merge a delta into itself")
	}
	for _, o := range other.entries {
		if e := d.index[o.key]; e != nil && !e.counters.canMerge(o.counters) {
			return fmt.Errorf("merging entry %s %s would overflow its totals", o.key.Method, o.key.Name)
		}
	}
	abandoned, pauses := d.abandoned, d.pauses
	if err := abandoned.add(other.abandoned); err != nil {
		return fmt.Errorf("merging: %w", err)
	}
	if err := pauses.add(other.pauses); err != nil {
		return fmt.Errorf("merging: %w", err)
	}
	d.abandoned, d.pauses = abandoned, pauses
	for _, o := range other.entries {
		if o.counters.count == 0 {
			continue
		}
		e := d.entry(o.key)
		e.counters.merge(o.counters)
		e.series.merge(&o.series)
	}
	for k, o := range other.errors {
		d.addError(k, o.count, o.first, o.last)
	}
	for tb, o := range other.exceptions {
		addException(&d.exceptions, ExceptionKey{Message: o.msg, Traceback: tb}, o.count, o.nodes)
	}
	for k, n := range other.skipped {
		addSkipped(&d.skipped, k, n)
	}
	return nil
}
