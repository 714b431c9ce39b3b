package results

import (
	"errors"
	"fmt"
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// SnapshotRecord is what a saved result keeps of a snapshot: enough for
// RestoreSnapshot to rebuild one that renders the same tables, files and
// charts as the snapshot it was saved from, and that merges exactly with
// others.
type SnapshotRecord struct {
	Start, Now time.Time
	Users      int
	Window     time.Duration
	Entries    []EntryRecord
	Total      EntryRecord
	Errors     []ErrorStats
	Exceptions []ExceptionStats
	Skipped    []SkippedStats
	Abandoned  AbandonedStats
	Pauses     PauseStats
	History    []RowRecord
}

// EntryRecord is one entry of a SnapshotRecord. Times are microseconds, as
// the counters keep them.
type EntryRecord struct {
	Key                             EntryKey
	Count, Failures, Bytes, Clamped int64
	SumMicros, MinMicros, MaxMicros int64
	// Latency holds exactly Count values; Corrected and Service are nil
	// when the entry has no such series.
	Latency, Corrected, Service *hdrhistogram.PackedHistogram
	// The rates as saved: whole-run and current.
	RPS, FailPerSec, CurrentRPS, CurrentFailPerSec float64
}

// RowRecord is one history row of a SnapshotRecord. Entries are matched to
// the record's entries by key.
type RowRecord struct {
	Time    time.Time
	Users   int
	Total   PointRecord
	Entries []PointRecord
}

// PointRecord is one entry's point in a RowRecord.
type PointRecord struct {
	Key                     EntryKey
	Count, Failures         int64
	SumMicros, Bytes        int64
	RPS, FailPerSec         float64
	Min, Max                time.Duration
	WindowCount             int64
	Percentiles, WindowPcts *[NumReportedPercentiles]time.Duration // nil when not known
}

// RestoreSnapshot rebuilds a snapshot from a record, checking that its
// numbers hang together: counts within bounds, each histogram holding its
// entry's count, history points naming known entries.
func RestoreSnapshot(r *SnapshotRecord) (*Snapshot, error) {
	if r.Abandoned.Count < 0 || r.Abandoned.Oldest < 0 {
		return nil, fmt.Errorf("abandoned requests: %d, the oldest after %v: negative", r.Abandoned.Count, r.Abandoned.Oldest)
	}
	if p := r.Pauses; p.Count < 0 || p.Max < 0 || p.Max > p.Total {
		return nil, fmt.Errorf("generator pauses: %d, the longest %v of %v in all: negative, or longer than all together", p.Count, p.Max, p.Total)
	}
	s := &Snapshot{Start: r.Start, Now: r.Now, Users: r.Users, Window: r.Window, Errors: append([]ErrorStats{}, r.Errors...),
		Exceptions: append([]ExceptionStats(nil), r.Exceptions...), Skipped: append([]SkippedStats(nil), r.Skipped...),
		Abandoned: r.Abandoned, Pauses: r.Pauses}
	index := map[EntryKey]int{}
	for i, er := range r.Entries {
		if _, dup := index[er.Key]; dup {
			return nil, fmt.Errorf("entry %s %s appears twice", er.Key.Method, er.Key.Name)
		}
		if er.Key == (EntryKey{Name: AggregatedName}) {
			return nil, fmt.Errorf("entry %d is named %q, the name of the total", i, AggregatedName)
		}
		es, err := restoreEntry(&er, i)
		if err != nil {
			return nil, fmt.Errorf("entry %s %s: %w", er.Key.Method, er.Key.Name, err)
		}
		index[er.Key] = i
		s.Entries = append(s.Entries, es)
	}
	total := r.Total
	total.Key = EntryKey{Name: AggregatedName}
	var err error
	if s.Total, err = restoreEntry(&total, -1); err != nil {
		return nil, fmt.Errorf("%s: %w", AggregatedName, err)
	}
	for i, rr := range r.History {
		row := HistoryRow{Time: rr.Time, Users: rr.Users, Total: restorePoint(&rr.Total)}
		if len(rr.Entries) > 0 {
			row.entries = make([]HistoryPoint, len(r.Entries))
			for _, pr := range rr.Entries {
				j, ok := index[pr.Key]
				if !ok {
					return nil, fmt.Errorf("history row %d: entry %s %s is not among the entries", i, pr.Key.Method, pr.Key.Name)
				}
				row.entries[j] = restorePoint(&pr)
			}
		}
		s.History = append(s.History, row)
	}
	return s, nil
}

func restoreEntry(er *EntryRecord, idx int) (EntryStats, error) {
	c := counters{
		count: er.Count, failures: er.Failures, sumUs: er.SumMicros,
		minUs: er.MinMicros, maxUs: er.MaxMicros, bytes: er.Bytes, clamped: er.Clamped,
	}
	switch {
	case c.count < 0 || c.failures < 0 || c.failures > c.count:
		return EntryStats{}, fmt.Errorf("%d failures of %d requests", c.failures, c.count)
	case c.sumUs < 0 || c.bytes < 0 || c.clamped < 0 || c.clamped > c.count:
		return EntryStats{}, errors.New("negative sums or more clamped values than requests")
	case c.count > 0 && (c.minUs < 0 || c.minUs > c.maxUs || c.maxUs > HighestMicros):
		return EntryStats{}, fmt.Errorf("min %d us and max %d us out of order or range", c.minUs, c.maxUs)
	}
	var n int64
	if er.Latency != nil {
		if err := checkGeometry(er.Latency); err != nil {
			return EntryStats{}, err
		}
		n = er.Latency.TotalCount()
	}
	if n != c.count {
		return EntryStats{}, fmt.Errorf("the histogram holds %d values, the count is %d", n, c.count)
	}
	for _, h := range []*hdrhistogram.PackedHistogram{er.Corrected, er.Service} {
		if h != nil {
			if err := checkGeometry(h); err != nil {
				return EntryStats{}, err
			}
		}
	}
	if c.count == 0 {
		c.minUs, c.maxUs = 0, 0
	}
	return EntryStats{
		key:               er.Key,
		c:                 c,
		latency:           newDistribution(er.Latency, c.minUs, c.maxUs),
		corrected:         DistributionOf(er.Corrected),
		service:           DistributionOf(er.Service),
		totalRPS:          er.RPS,
		totalFailPerSec:   er.FailPerSec,
		currentRPS:        er.CurrentRPS,
		currentFailPerSec: er.CurrentFailPerSec,
		historyIndex:      idx,
	}, nil
}

func restorePoint(pr *PointRecord) HistoryPoint {
	p := HistoryPoint{
		count: pr.Count, failures: pr.Failures, sumUs: pr.SumMicros, bytes: pr.Bytes,
		rps: pr.RPS, failPerSec: pr.FailPerSec,
		minUs: microsFloat(pr.Min), maxUs: microsFloat(pr.Max),
		windowCount: pr.WindowCount,
	}
	if pr.Percentiles != nil && pr.Count > 0 {
		p.flags |= pointPercentiles
		for i, d := range pr.Percentiles {
			p.percentilesUs[i] = microsFloat(d)
		}
	}
	if pr.WindowPcts != nil && pr.WindowCount > 0 {
		p.flags |= pointWindow
		for i, d := range pr.WindowPcts {
			p.windowUs[i] = microsFloat(d)
		}
	}
	return p
}

// microsFloat is the inverse of floatMicros for the values history points
// hold: whole microseconds, as float32.
func microsFloat(d time.Duration) float32 {
	return float32(math.Round(float64(d) / float64(time.Microsecond)))
}
