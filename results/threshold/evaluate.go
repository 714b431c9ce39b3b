package threshold

import (
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/results"
)

// Result is the outcome of one threshold against one snapshot. Its JSON
// form goes into reports as is.
type Result struct {
	// Threshold is what was checked; in JSON, its Source.
	Threshold *Threshold `json:"threshold"`
	// Metric is the canonical metric name, such as "p99".
	Metric string `json:"metric"`
	// Unit is the unit of Value and Limit: "ms" for response times,
	// "ratio" for fail_ratio (0 to 1), "requests" for counts, "req/s" for
	// rates.
	Unit string `json:"unit"`
	// Value is what was measured, in Unit; 0 when NoData.
	Value float64 `json:"value"`
	// Limit is the threshold's limit, in Unit.
	Limit float64 `json:"limit"`
	// Measured is Value written for people, exact for times ("231.456ms"),
	// with the counts behind a ratio ("0.0123 (123 of 10000)"); "-" when
	// NoData.
	Measured string `json:"measured"`
	// Requests is how many requests the threshold covered.
	Requests int64 `json:"requests"`
	// Pass reports whether the threshold held.
	Pass bool `json:"pass"`
	// NoData is set when no request was covered: the threshold fails, as
	// a check that saw nothing has not shown anything to be good.
	NoData bool `json:"no_data,omitempty"`
	// Note explains NoData, or names the entries a selector matched.
	Note string `json:"note,omitempty"`
}

// Evaluate checks the threshold against a snapshot. Without a selector it
// measures the Aggregated total; with one, all matching entries together,
// as if they were one entry: their requests are added up and their
// latency histograms merged. When no request is covered (no entry matches,
// or nothing has been sent yet), the threshold fails with NoData set.
func (t *Threshold) Evaluate(s *results.Snapshot) Result {
	r := Result{
		Threshold: t,
		Metric:    t.Metric(),
		Unit:      t.metric.unit(),
		Limit:     t.limitFloat(),
		Measured:  "-",
	}
	if t.metric == 0 {
		r.Note = "threshold was not made by Parse"
		return r
	}
	entries := t.entries(s)
	for _, e := range entries {
		r.Requests += e.Count()
	}
	if r.Requests == 0 {
		r.NoData = true
		if t.sel.empty() {
			r.Note = "no requests were made"
		} else {
			r.Note = "no requests matched " + t.sel.describe()
		}
		return r
	}
	if !t.sel.empty() {
		r.Note = describeEntries(entries)
	}
	switch t.metric.kind() {
	case kindTime:
		d := t.latency(entries)
		r.Value, r.Measured = millis(d), formatDuration(d)
		r.Pass = compare(t.op, d, t.dur)
	case kindRatio:
		var failures int64
		for _, e := range entries {
			failures += e.Failures()
		}
		ratio := float64(failures) / float64(r.Requests)
		r.Value = ratio
		r.Measured = formatRatio(ratio, t.percent != "") + " (" + strconv.FormatInt(failures, 10) + " of " + strconv.FormatInt(r.Requests, 10) + ")"
		r.Pass = compare(t.op, ratio, t.num)
	case kindCount:
		n := r.Requests
		switch t.metric {
		case metricFailures:
			n = 0
			for _, e := range entries {
				n += e.Failures()
			}
		case metricAbandoned:
			n = s.Abandoned.Count
		case metricPauses:
			n = s.Pauses.Count
		}
		r.Value, r.Measured = float64(n), strconv.FormatInt(n, 10)
		if t.metric == metricAbandoned && n > 0 {
			r.Measured += " (oldest " + formatDuration(s.Abandoned.Oldest.Round(time.Millisecond)) + ")"
		}
		if t.metric == metricPauses && n > 0 {
			r.Measured += " (longest " + formatDuration(s.Pauses.Max.Round(time.Millisecond)) + ")"
		}
		r.Pass = compare(t.op, n, t.count)
	case kindRate:
		var rate float64
		for _, e := range entries {
			if t.metric == metricCurrentRPS {
				rate += e.CurrentRPS()
			} else {
				rate += e.TotalRPS()
			}
		}
		r.Value, r.Measured = rate, strconv.FormatFloat(rate, 'f', 2, 64)+"/s"
		r.Pass = compare(t.op, rate, t.num)
	}
	return r
}

// EvaluateAll checks every threshold against one snapshot, in order, and
// reports whether all of them passed.
func EvaluateAll(ts []*Threshold, s *results.Snapshot) (rs []Result, allPass bool) {
	rs = make([]Result, len(ts))
	allPass = true
	for i, t := range ts {
		rs[i] = t.Evaluate(s)
		allPass = allPass && rs[i].Pass
	}
	return rs, allPass
}

// Breached reports whether a failed result justifies stopping a run before
// its end. A result without data is not a breach: early in a run nothing
// may have been sent yet. Nor is a count or rate that is still below a
// lower bound (requests>1000, rps>=500), since running on raises it; an
// upper bound on a count (failures<10) once exceeded stays exceeded. Any
// other failure is a breach.
func (r Result) Breached() bool {
	if r.Pass || r.NoData || r.Threshold == nil || r.Threshold.metric == 0 {
		return false
	}
	switch r.Threshold.metric.kind() {
	case kindCount, kindRate:
		return r.Threshold.op.upperBound()
	}
	return true
}

// entries returns what the threshold covers: the total, or the entries its
// selector matches. Selectors never match the total itself.
func (t *Threshold) entries(s *results.Snapshot) []results.EntryStats {
	if s == nil {
		return nil
	}
	if t.sel.empty() {
		return []results.EntryStats{s.Total}
	}
	var out []results.EntryStats
	for _, e := range s.Entries {
		if t.sel.matches(e) {
			out = append(out, e)
		}
	}
	return out
}

// latency measures a time metric over entries that have requests.
func (t *Threshold) latency(es []results.EntryStats) time.Duration {
	if len(es) == 1 {
		e := es[0]
		switch t.metric {
		case metricAvg:
			return e.Avg()
		case metricMin:
			return e.Min()
		case metricMax:
			return e.Max()
		case metricMedian:
			return e.Median()
		}
		return e.Percentile(t.q)
	}
	lo, hi := es[0].Min(), es[0].Max()
	var count int64
	var sumMicros float64
	for _, e := range es {
		lo, hi = min(lo, e.Min()), max(hi, e.Max())
		count += e.Count()
		sumMicros += e.AvgMicros() * float64(e.Count())
	}
	switch t.metric {
	case metricAvg:
		return time.Duration(sumMicros / float64(count) * float64(time.Microsecond))
	case metricMin:
		return lo
	case metricMax:
		return hi
	}
	q := 0.5
	if t.metric == metricPercentile {
		q = t.q
	}
	h := es[0].Latency().Histogram()
	for _, e := range es[1:] {
		h.Merge(e.Latency().Histogram())
	}
	// The merged histogram knows its extremes only to a bucket; the
	// entries know them exactly, so percentiles are kept within them as
	// EntryStats.Percentile keeps its own.
	if q >= 1 {
		return hi
	}
	return min(max(results.DistributionOf(h).Percentile(q), lo), hi)
}

// describeEntries names the entries a selector matched, as Locust labels
// them, so a user sees whether the selector caught what was meant.
func describeEntries(es []results.EntryStats) string {
	const shown = 3
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(es)))
	if len(es) == 1 {
		b.WriteString(" entry: ")
	} else {
		b.WriteString(" entries: ")
	}
	for i, e := range es {
		if i == shown {
			b.WriteString(", and " + strconv.Itoa(len(es)-shown) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if e.Method() != "" {
			b.WriteString(e.Method() + " ")
		}
		b.WriteString(e.Name())
	}
	return b.String()
}

// formatRatio writes a fraction to four significant digits, as a
// percentage when the limit was written as one.
func formatRatio(f float64, percent bool) string {
	if percent {
		return strconv.FormatFloat(f*100, 'g', 4, 64) + "%"
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}
