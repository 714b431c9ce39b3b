package results

import (
	"time"
)

// Snapshot is the state of a run at one moment. It is immutable: it shares
// nothing that the Aggregator changes later, so it can be handed to any
// goroutine (renderers, threshold checks, a web UI) while recording goes on.
// Its slices must be treated as read-only.
type Snapshot struct {
	// Start is when the statistics began (the run start, or the last
	// Reset); Now is when the snapshot was taken.
	Start, Now time.Time
	// Users is the user count given to the last Tick.
	Users int
	// Window is the configured span of the current window (see
	// EntryStats.Window); the span actually covered is the entries'
	// Window().Duration().
	Window time.Duration
	// Intervals counts the intervals closed since the aggregator was made,
	// resets included, so that a consumer given every tick's snapshot (an
	// interval log, say) can tell a new interval from a snapshot it has
	// already seen.
	Intervals int
	// Entries are the entries that have seen requests, sorted by name, then
	// method, as Locust sorts them.
	Entries []EntryStats
	// Total is the "Aggregated" entry, over all requests.
	Total EntryStats
	// Errors are the failure groups, most frequent first.
	Errors []ErrorStats
	// Exceptions are the panics of user code, most frequent first, as
	// Locust's exceptions.csv lists them.
	Exceptions []ExceptionStats
	// Skipped counts, per entry, the requests not sent because an earlier
	// step of their task failed; sorted as Entries.
	Skipped []SkippedStats
	// Abandoned counts the requests cut off in flight when the run
	// stopped; they are in no entry.
	Abandoned AbandonedStats
	// Pauses are the generator's own (see PauseStats), every process's
	// added up in a distributed run.
	Pauses PauseStats
	// History has a row per closed one-second interval (sparser in very
	// long runs; see AggregatorOptions.MaxHistoryRows), oldest first.
	History []HistoryRow
}

// Elapsed returns Now - Start.
func (s *Snapshot) Elapsed() time.Duration { return s.Now.Sub(s.Start) }

// Entry returns the stats of one entry; method "" and name AggregatedName
// give the Total.
func (s *Snapshot) Entry(key EntryKey) (EntryStats, bool) {
	if key == s.Total.key {
		return s.Total, true
	}
	for _, e := range s.Entries {
		if e.key == key {
			return e, true
		}
	}
	return EntryStats{}, false
}

// EntryStats are one entry's statistics in a Snapshot. Times come from
// exact counters (count, failures, sum, min, max, bytes) and from the HDR
// histogram (percentiles, within 0.1 %).
type EntryStats struct {
	key       EntryKey
	c         counters
	latency   Distribution
	corrected Distribution
	service   Distribution

	// window is the current window; interval the last closed interval.
	window, interval Window

	currentRPS, currentFailPerSec float64
	totalRPS, totalFailPerSec     float64

	historyIndex int // position in HistoryRow entries; -1 for the total
}

// Key returns the entry's method and name.
func (e EntryStats) Key() EntryKey { return e.key }

// Method returns the HTTP method (Locust's "Type"); empty for the total.
func (e EntryStats) Method() string { return e.key.Method }

// Name returns the task name, or AggregatedName for the total.
func (e EntryStats) Name() string { return e.key.Name }

// Count returns the number of requests, failed ones included, as Locust
// counts them.
func (e EntryStats) Count() int64 { return e.c.count }

// Failures returns the number of failed requests.
func (e EntryStats) Failures() int64 { return e.c.failures }

// FailRatio returns Failures / Count, or 0 without requests.
func (e EntryStats) FailRatio() float64 {
	if e.c.count == 0 {
		return 0
	}
	return float64(e.c.failures) / float64(e.c.count)
}

// Min returns the exact fastest response time, or 0 without requests.
func (e EntryStats) Min() time.Duration { return micros(e.c.minUs) }

// Max returns the exact slowest response time; Percentile(1) equals it.
func (e EntryStats) Max() time.Duration { return micros(e.c.maxUs) }

// Avg returns the exact mean response time (to the microsecond).
func (e EntryStats) Avg() time.Duration {
	if e.c.count == 0 {
		return 0
	}
	return time.Duration(float64(e.c.sumUs) / float64(e.c.count) * float64(time.Microsecond))
}

// Sum returns the exact sum of the response times (to the microsecond).
func (e EntryStats) Sum() time.Duration { return micros(e.c.sumUs) }

// AvgMicros returns the exact mean response time in microseconds, with
// its fraction, for outputs that print more digits than a Duration holds.
func (e EntryStats) AvgMicros() float64 {
	if e.c.count == 0 {
		return 0
	}
	return float64(e.c.sumUs) / float64(e.c.count)
}

// Median returns Percentile(0.5): the HDR median, not Locust's rounded one.
func (e EntryStats) Median() time.Duration { return e.latency.Percentile(0.5) }

// Percentile returns the response time at fraction q (0..1, not 0..100 as
// hdrhistogram-go takes it):
// Percentile(0.99) is p99, Percentile(0.5) the median, Percentile(1) the
// exact maximum. See Distribution.Percentile.
func (e EntryStats) Percentile(q float64) time.Duration { return e.latency.Percentile(q) }

// Latency returns the full response-time distribution.
func (e EntryStats) Latency() Distribution { return e.latency }

// Corrected returns the coordinated-omission corrected distribution, and
// whether any request recorded one (see Recorder.SuccessCO).
func (e EntryStats) Corrected() (Distribution, bool) {
	return e.corrected, e.corrected.Count() > 0
}

// Service returns the service-time distribution of open-model runs, and
// whether any request recorded one (see Observation.Service).
func (e EntryStats) Service() (Distribution, bool) {
	return e.service, e.service.Count() > 0
}

// Bytes returns the total response size.
func (e EntryStats) Bytes() int64 { return e.c.bytes }

// AvgContentSize returns the mean response size in bytes.
func (e EntryStats) AvgContentSize() float64 {
	if e.c.count == 0 {
		return 0
	}
	return float64(e.c.bytes) / float64(e.c.count)
}

// Clamped returns how many latencies fell outside the histogram range and
// were recorded at its nearest bound.
func (e EntryStats) Clamped() int64 { return e.c.clamped }

// CurrentRPS returns requests per second over the current window (the
// last 10 closed seconds by default), Locust's "current" rate.
func (e EntryStats) CurrentRPS() float64 { return e.currentRPS }

// Window returns the entry's statistics over the current window: the
// closed intervals of about the last Snapshot.Window (10 s by default),
// with exact percentiles from the merge of their histograms. Its Count is
// 0 when no request completed in the window.
func (e EntryStats) Window() Window { return e.window }

// Interval returns the entry's statistics in the last closed interval
// (about a second), for outputs that log every interval.
func (e EntryStats) Interval() Window { return e.interval }

// CurrentFailPerSec returns failures per second over the same window as
// CurrentRPS.
func (e EntryStats) CurrentFailPerSec() float64 { return e.currentFailPerSec }

// TotalRPS returns Count divided by the snapshot's elapsed time.
func (e EntryStats) TotalRPS() float64 { return e.totalRPS }

// TotalFailPerSec returns Failures divided by the snapshot's elapsed time.
func (e EntryStats) TotalFailPerSec() float64 { return e.totalFailPerSec }

// ErrorStats is a group of failures with the same entry and normalised
// text.
type ErrorStats struct {
	ErrorKey
	Count     int64
	FirstSeen time.Time
	LastSeen  time.Time
}

// HistoryRow is the state at the end of one closed interval: the user
// count, and per entry the current rates and the cumulative totals and
// percentiles. Rows hold numbers only, never histograms, so a long run's
// history stays small.
type HistoryRow struct {
	// Time is the end of the interval.
	Time time.Time
	// Users is the user count given to Tick.
	Users int
	// Total is the "Aggregated" point.
	Total   HistoryPoint
	entries []HistoryPoint // by aggregator entry index; nil without entry history
}

// Row returns the state as of the snapshot as a history row, with a point
// for every entry whether or not the aggregator keeps per-entry history:
// what a stream of rows needs at each tick, however sparse the kept
// history has become. Its Time is the snapshot's Now.
func (s *Snapshot) Row() HistoryRow {
	row := HistoryRow{Time: s.Now, Users: s.Users, Total: s.Total.point()}
	n := 0
	for _, e := range s.Entries {
		n = max(n, e.historyIndex+1)
	}
	if n > 0 {
		row.entries = make([]HistoryPoint, n)
		for _, e := range s.Entries {
			if e.historyIndex >= 0 {
				row.entries[e.historyIndex] = e.point()
			}
		}
	}
	return row
}

func (e EntryStats) point() HistoryPoint {
	var us [NumReportedPercentiles]int64
	copy(us[:], e.latency.reported[:])
	p := newHistoryPoint(e.c, us, e.window)
	// The snapshot's rates were computed once; a restored snapshot's come
	// from its file.
	p.rps, p.failPerSec = e.currentRPS, e.currentFailPerSec
	return p
}

// Entry returns the row's point for an entry of the same snapshot, and
// whether the row has one: rows before the entry's first request, or kept
// without per-entry history, have none.
func (r HistoryRow) Entry(e EntryStats) (HistoryPoint, bool) {
	if e.historyIndex < 0 {
		return r.Total, true
	}
	if e.historyIndex >= len(r.entries) {
		return HistoryPoint{}, false
	}
	return r.entries[e.historyIndex], true
}

// HistoryPoint is one entry's numbers in a HistoryRow. Counts, sums and
// rates are exact; extremes and percentiles are kept in float32
// microseconds to keep history small, which is far finer than the
// histograms' 0.1 %.
type HistoryPoint struct {
	count, failures int64
	sumUs, bytes    int64
	rps, failPerSec float64
	minUs, maxUs    float32
	percentilesUs   [NumReportedPercentiles]float32
	windowCount     int64
	windowUs        [NumReportedPercentiles]float32
	flags           uint8 // pointPercentiles, pointWindow
}

// HistoryPoint flags: which percentiles the point knows. A point made
// from a run knows them whenever there were requests; a point restored
// from a merge of saved results may not, as percentiles cannot be merged
// from rows that hold no histograms.
const (
	pointPercentiles uint8 = 1 << iota
	pointWindow
)

// newHistoryPoint makes a point from cumulative counters, the cumulative
// percentiles at ReportedPercentiles in microseconds, and the current
// window, whose rates and percentiles the point also keeps.
func newHistoryPoint(c counters, cumulativeUs [NumReportedPercentiles]int64, w Window) HistoryPoint {
	p := HistoryPoint{
		count: c.count, failures: c.failures,
		sumUs: c.sumUs, bytes: c.bytes,
		rps: w.RPS(), failPerSec: w.FailPerSec(),
		minUs: float32(c.minUs), maxUs: float32(c.maxUs),
		windowCount: w.Count(),
	}
	if c.count > 0 {
		p.flags |= pointPercentiles
	}
	if w.Count() > 0 {
		p.flags |= pointWindow
	}
	for i, v := range cumulativeUs {
		p.percentilesUs[i] = float32(v)
	}
	for i, v := range w.latency.reported {
		p.windowUs[i] = float32(v)
	}
	return p
}

// Count returns the cumulative number of requests.
func (p HistoryPoint) Count() int64 { return p.count }

// Failures returns the cumulative number of failures.
func (p HistoryPoint) Failures() int64 { return p.failures }

// RPS returns the current requests per second (the 10 s window).
func (p HistoryPoint) RPS() float64 { return p.rps }

// FailPerSec returns the current failures per second.
func (p HistoryPoint) FailPerSec() float64 { return p.failPerSec }

// Avg returns the cumulative mean response time.
func (p HistoryPoint) Avg() time.Duration {
	if p.count == 0 {
		return 0
	}
	return time.Duration(float64(p.sumUs) / float64(p.count) * float64(time.Microsecond))
}

// AvgMicros returns the cumulative mean response time in microseconds,
// with its fraction.
func (p HistoryPoint) AvgMicros() float64 {
	if p.count == 0 {
		return 0
	}
	return float64(p.sumUs) / float64(p.count)
}

// Min returns the cumulative fastest response time.
func (p HistoryPoint) Min() time.Duration { return floatMicros(p.minUs) }

// Max returns the cumulative slowest response time.
func (p HistoryPoint) Max() time.Duration { return floatMicros(p.maxUs) }

// Median returns the cumulative median response time.
func (p HistoryPoint) Median() time.Duration { return floatMicros(p.percentilesUs[0]) }

// Reported returns the cumulative response times at ReportedPercentiles.
func (p HistoryPoint) Reported() [NumReportedPercentiles]time.Duration {
	return durations(p.percentilesUs)
}

// HasPercentiles reports whether Reported holds the cumulative
// percentiles: true whenever there were requests, except in rows of a
// merge of saved results, whose percentiles cannot be known.
func (p HistoryPoint) HasPercentiles() bool { return p.flags&pointPercentiles != 0 }

// WindowCount returns the requests in the current window at the time of
// the row.
func (p HistoryPoint) WindowCount() int64 { return p.windowCount }

// HasWindow reports whether WindowReported holds the window's
// percentiles: true whenever the window had requests, except in rows of a
// merge of saved results.
func (p HistoryPoint) HasWindow() bool { return p.flags&pointWindow != 0 }

// WindowReported returns the response times at ReportedPercentiles over
// the current window at the time of the row (the last 10 s by default):
// what Locust's charts and history call the current percentiles, but
// exact, from the merge of the window's interval histograms.
func (p HistoryPoint) WindowReported() [NumReportedPercentiles]time.Duration {
	return durations(p.windowUs)
}

func durations(us [NumReportedPercentiles]float32) [NumReportedPercentiles]time.Duration {
	var out [NumReportedPercentiles]time.Duration
	for i, v := range us {
		out[i] = floatMicros(v)
	}
	return out
}

// AvgContentSize returns the cumulative mean response size in bytes.
func (p HistoryPoint) AvgContentSize() float64 {
	if p.count == 0 {
		return 0
	}
	return float64(p.bytes) / float64(p.count)
}

func floatMicros(us float32) time.Duration {
	return time.Duration(float64(us) * float64(time.Microsecond))
}
