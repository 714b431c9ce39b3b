package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/results"
)

// JSONVersion is the version of the JSON report schema (results/SCHEMA.md).
const JSONVersion = 1

// JSONOptions are the parts of a JSON report that the snapshot does not
// hold.
type JSONOptions struct {
	// Config is the run configuration, recorded as given (anything that
	// encoding/json can encode).
	Config any
	// Warnings are noted problems with the run, such as a lost worker.
	Warnings []string
	// Thresholds are the run's threshold results, recorded as given.
	Thresholds any
	// Workers is the worker table of a distributed run, recorded as given.
	Workers any
	// FullHistory adds per-entry points to each history row.
	FullHistory bool
	// Title and ConfigItems are the run's title and configuration as the
	// HTML report shows them, kept so that the report can be rendered
	// again from the file.
	Title       string
	ConfigItems []ConfigItem
	// Sources name the results a merged result was made of.
	Sources []Source
}

// Source is one of the results a merged result was made of.
type Source struct {
	// Name is how the source was given, such as its file name.
	Name      string    `json:"name"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	DurationS float64   `json:"duration_s"`
	Requests  int64     `json:"requests"`
	Failures  int64     `json:"failures"`
	RPS       float64   `json:"rps"`
	Users     int       `json:"users"`
	// Title and Config are the source's own, as recorded in it.
	Title  string          `json:"title,omitempty"`
	Config json.RawMessage `json:"config,omitempty"`
}

// Report is the JSON report document. ReadJSON returns it; WriteJSON
// writes it from a snapshot.
type Report struct {
	Version     int             `json:"version"`
	Title       string          `json:"title,omitempty"`
	Config      json.RawMessage `json:"config,omitempty"`
	ConfigItems []ConfigItem    `json:"config_items,omitempty"`
	Sources     []Source        `json:"sources,omitempty"`
	// WindowS is the span of the current window, in seconds.
	WindowS    float64      `json:"window_s,omitempty"`
	Start      time.Time    `json:"start"`
	End        time.Time    `json:"end"`
	DurationS  float64      `json:"duration_s"`
	Users      int          `json:"users"`
	Entries    []Entry      `json:"entries"`
	Aggregated Entry        `json:"aggregated"`
	History    []HistoryRow `json:"history"`
	Errors     []Error      `json:"errors"`
	// Exceptions and Skipped are left out when empty, so that a run
	// without journeys reads as before.
	Exceptions []Exception `json:"exceptions,omitempty"`
	Skipped    []Skipped   `json:"skipped,omitempty"`
	// Abandoned is left out when no request was cut off in flight.
	Abandoned *Abandoned `json:"abandoned,omitempty"`
	// Pauses is left out when the generator did not pause.
	Pauses     *Pauses         `json:"generator_pauses,omitempty"`
	Warnings   []string        `json:"warnings"`
	Thresholds json.RawMessage `json:"thresholds,omitempty"`
	Workers    json.RawMessage `json:"workers,omitempty"`
}

// Exception is one group of panics in user code, as exceptions.csv lists
// it.
type Exception struct {
	Count     int64    `json:"count"`
	Message   string   `json:"message"`
	Traceback string   `json:"traceback"`
	Nodes     []string `json:"nodes"`
}

// Skipped counts an entry's requests that were not sent because an
// earlier step of their task failed.
type Skipped struct {
	Method string `json:"method"`
	Name   string `json:"name"`
	Count  int64  `json:"count"`
}

// Abandoned counts the requests still in flight when the run stopped and
// its stop timeout ran out: in no entry, neither successes nor failures.
type Abandoned struct {
	Count int64 `json:"count"`
	// OldestMs is how long the oldest of them had been in flight.
	OldestMs float64 `json:"oldest_ms"`
}

// Pauses sums up the generator's own pauses (see results.PauseStats).
type Pauses struct {
	Count   int64   `json:"count"`
	TotalMs float64 `json:"total_ms"`
	MaxMs   float64 `json:"max_ms"`
}

// Entry is one entry's statistics in a report. Times are milliseconds;
// Percentiles are keyed by percentage ("50", "99.9", "100").
type Entry struct {
	Method          string      `json:"method"`
	Name            string      `json:"name"`
	Count           int64       `json:"count"`
	Failures        int64       `json:"failures"`
	FailRatio       float64     `json:"fail_ratio"`
	MinMs           float64     `json:"min_ms"`
	MaxMs           float64     `json:"max_ms"`
	AvgMs           float64     `json:"avg_ms"`
	MedianMs        float64     `json:"median_ms"`
	Percentiles     Percentiles `json:"percentiles"`
	RPS             float64     `json:"rps"`
	FailPerS        float64     `json:"fail_per_s"`
	CurrentRPS      float64     `json:"current_rps"`
	CurrentFailPerS float64     `json:"current_fail_per_s"`
	Bytes           int64       `json:"bytes"`
	AvgBytes        float64     `json:"avg_bytes"`
	Clamped         int64       `json:"clamped"`
	HDR             string      `json:"hdr"`
	Corrected       *Series     `json:"corrected,omitempty"`
	Service         *Series     `json:"service,omitempty"`
}

// Series is a secondary distribution of an entry: coordinated-omission
// corrected latencies, or open-model service times.
type Series struct {
	Count       int64       `json:"count"`
	MinMs       float64     `json:"min_ms"`
	MaxMs       float64     `json:"max_ms"`
	MeanMs      float64     `json:"mean_ms"`
	Percentiles Percentiles `json:"percentiles"`
	HDR         string      `json:"hdr"`
}

// Percentiles maps a percentage ("50", "99.9", "100") to a time in
// milliseconds. It encodes with its keys in numeric order.
type Percentiles map[string]float64

// MarshalJSON writes the keys in numeric order, for people reading the
// file; readers need no order.
func (p Percentiles) MarshalJSON() ([]byte, error) {
	keys := slices.Collect(maps.Keys(p))
	slices.SortFunc(keys, func(a, b string) int {
		x, errA := strconv.ParseFloat(a, 64)
		y, errB := strconv.ParseFloat(b, 64)
		if errA != nil || errB != nil {
			return strings.Compare(a, b)
		}
		return cmp.Compare(x, y)
	})
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(p[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// HistoryRow is the state at the end of one second of the run.
type HistoryRow struct {
	Time       time.Time `json:"time"`
	Users      int       `json:"users"`
	Aggregated Point     `json:"aggregated"`
	Entries    []Point   `json:"entries,omitempty"`
}

// Point is one entry's numbers in a history row: current rates, cumulative
// totals and percentiles, and the percentiles of the current window.
type Point struct {
	Method      string      `json:"method,omitempty"`
	Name        string      `json:"name"`
	RPS         float64     `json:"rps"`
	FailPerS    float64     `json:"fail_per_s"`
	Count       int64       `json:"count"`
	Failures    int64       `json:"failures"`
	MinMs       float64     `json:"min_ms"`
	MaxMs       float64     `json:"max_ms"`
	AvgMs       float64     `json:"avg_ms"`
	AvgBytes    float64     `json:"avg_bytes"`
	Percentiles Percentiles `json:"percentiles"`
	// WindowCount is the requests in the current window; WindowPercentiles
	// their percentiles, absent when there were none.
	WindowCount       int64       `json:"window_count"`
	WindowPercentiles Percentiles `json:"window_percentiles,omitempty"`
}

// Error is a failure group.
type Error struct {
	Method      string    `json:"method"`
	Name        string    `json:"name"`
	Error       string    `json:"error"`
	Occurrences int64     `json:"occurrences"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
}

// WriteJSON writes the snapshot as a JSON report (schema in
// results/SCHEMA.md). Each entry carries its HDR histogram, so the report
// can be re-merged exactly by ReadJSON's users or any HdrHistogram tool.
func WriteJSON(w io.Writer, s *results.Snapshot, opts JSONOptions) error {
	r, err := NewReport(s, opts)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Names and thresholds hold < > &; people read this file.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// NewReport builds the report document for a snapshot.
func NewReport(s *results.Snapshot, opts JSONOptions) (*Report, error) {
	r := &Report{
		Version:     JSONVersion,
		Title:       opts.Title,
		ConfigItems: opts.ConfigItems,
		Sources:     opts.Sources,
		WindowS:     s.Window.Seconds(),
		Start:       s.Start,
		End:         s.Now,
		DurationS:   s.Elapsed().Seconds(),
		Users:       s.Users,
		Entries:     []Entry{},
		History:     []HistoryRow{},
		Errors:      []Error{},
		Warnings:    runWarnings(s, opts.Warnings),
	}
	// The caller's sections are recorded as given.
	for _, sec := range []struct {
		name string
		v    any
		dst  *json.RawMessage
	}{{"config", opts.Config, &r.Config}, {"thresholds", opts.Thresholds, &r.Thresholds}, {"workers", opts.Workers, &r.Workers}} {
		if sec.v == nil {
			continue
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(sec.v); err != nil {
			return nil, fmt.Errorf("JSON report %s: %w", sec.name, err)
		}
		*sec.dst = bytes.TrimSpace(b.Bytes())
	}
	for _, e := range s.Entries {
		je, err := newEntry(e)
		if err != nil {
			return nil, err
		}
		r.Entries = append(r.Entries, je)
	}
	var err error
	if r.Aggregated, err = newEntry(s.Total); err != nil {
		return nil, err
	}
	for _, row := range s.History {
		r.History = append(r.History, newHistoryRow(row, s.Entries, opts.FullHistory))
	}
	for _, e := range s.Errors {
		r.Errors = append(r.Errors, Error{
			Method: e.Method, Name: e.Name, Error: e.Error,
			Occurrences: e.Count, FirstSeen: e.FirstSeen, LastSeen: e.LastSeen,
		})
	}
	for _, e := range s.Exceptions {
		r.Exceptions = append(r.Exceptions, Exception{Count: e.Count, Message: e.Message, Traceback: e.Traceback, Nodes: e.Nodes})
	}
	for _, e := range s.Skipped {
		r.Skipped = append(r.Skipped, Skipped{Method: e.Method, Name: e.Name, Count: e.Count})
	}
	if a := s.Abandoned; a.Count > 0 {
		r.Abandoned = &Abandoned{Count: a.Count, OldestMs: ms(a.Oldest)}
	}
	if p := s.Pauses; p.Count > 0 {
		r.Pauses = &Pauses{Count: p.Count, TotalMs: ms(p.Total), MaxMs: ms(p.Max)}
	}
	return r, nil
}

// runWarnings are the caller's warnings and those the snapshot calls for,
// each once, so that a report rendered again from a saved result, whose
// warnings already hold them, says the same.
func runWarnings(s *results.Snapshot, given []string) []string {
	out := append([]string{}, given...)
	if e, ok := s.Entry(results.OverflowEntry); ok {
		w := fmt.Sprintf("the run named more than %d distinct entries: the requests of the later ones (%d) are counted together under %q", results.MaxEntries, e.Count(), results.OverflowEntry.Name)
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	if n := s.Total.Clamped(); n > 0 {
		w := fmt.Sprintf("%d response times fell outside the histogram range (0 to %v) and were recorded at its nearest bound", n, results.MaxLatency)
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

func newEntry(e results.EntryStats) (Entry, error) {
	hdr, err := e.Latency().Encode()
	if err != nil {
		return Entry{}, fmt.Errorf("JSON report entry %s %s: %w", e.Method(), e.Name(), err)
	}
	je := Entry{
		Method: e.Method(), Name: e.Name(),
		Count: e.Count(), Failures: e.Failures(), FailRatio: e.FailRatio(),
		MinMs: ms(e.Min()), MaxMs: ms(e.Max()), AvgMs: e.AvgMicros() / 1000, MedianMs: ms(e.Median()),
		Percentiles: percentileMap(e.Latency().Reported()),
		RPS:         e.TotalRPS(), FailPerS: e.TotalFailPerSec(),
		CurrentRPS: e.CurrentRPS(), CurrentFailPerS: e.CurrentFailPerSec(),
		Bytes: e.Bytes(), AvgBytes: e.AvgContentSize(), Clamped: e.Clamped(),
		HDR: hdr,
	}
	if d, ok := e.Corrected(); ok {
		if je.Corrected, err = newSeries(d); err != nil {
			return Entry{}, fmt.Errorf("JSON report entry %s %s: corrected: %w", e.Method(), e.Name(), err)
		}
	}
	if d, ok := e.Service(); ok {
		if je.Service, err = newSeries(d); err != nil {
			return Entry{}, fmt.Errorf("JSON report entry %s %s: service: %w", e.Method(), e.Name(), err)
		}
	}
	return je, nil
}

func newSeries(d results.Distribution) (*Series, error) {
	hdr, err := d.Encode()
	if err != nil {
		return nil, err
	}
	return &Series{
		Count: d.Count(), MinMs: ms(d.Min()), MaxMs: ms(d.Max()), MeanMs: ms(d.Mean()),
		Percentiles: percentileMap(d.Reported()), HDR: hdr,
	}, nil
}

// newHistoryRow converts a row of the snapshot whose entries are given;
// with full, the row's per-entry points are kept too.
func newHistoryRow(row results.HistoryRow, entries []results.EntryStats, full bool) HistoryRow {
	hr := HistoryRow{Time: row.Time, Users: row.Users, Aggregated: newPoint("", results.AggregatedName, row.Total)}
	if full {
		for _, e := range entries {
			if p, ok := row.Entry(e); ok {
				hr.Entries = append(hr.Entries, newPoint(e.Method(), e.Name(), p))
			}
		}
	}
	return hr
}

func newPoint(method, name string, p results.HistoryPoint) Point {
	pt := Point{
		Method: method, Name: name,
		RPS: p.RPS(), FailPerS: p.FailPerSec(),
		Count: p.Count(), Failures: p.Failures(),
		MinMs: ms(p.Min()), MaxMs: ms(p.Max()), AvgMs: p.AvgMicros() / 1000, AvgBytes: p.AvgContentSize(),
	}
	if p.HasPercentiles() {
		pt.Percentiles = percentileMap(p.Reported())
	}
	pt.WindowCount = p.WindowCount()
	if p.HasWindow() {
		pt.WindowPercentiles = percentileMap(p.WindowReported())
	}
	return pt
}

func percentileMap(v [results.NumReportedPercentiles]time.Duration) Percentiles {
	m := make(Percentiles, len(v))
	for i, q := range results.ReportedPercentiles() {
		m[results.PercentileKey(q)] = ms(v[i])
	}
	return m
}

// ms converts to milliseconds; whole microseconds stay exact.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ReadJSON reads a report written by WriteJSON. It checks the version and
// that every histogram decodes with the project geometry and holds the
// entry's count, so that callers can merge them.
func ReadJSON(r io.Reader) (*Report, error) {
	var rep Report
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("read JSON report: %w", err)
	}
	if rep.Version != JSONVersion {
		return nil, fmt.Errorf("read JSON report: version %d, want %d", rep.Version, JSONVersion)
	}
	check := func(where string, e *Entry) error {
		d, err := e.Distribution()
		if err != nil {
			return fmt.Errorf("read JSON report: %s (%s %s): %w", where, e.Method, e.Name, err)
		}
		if d.Count() != e.Count {
			return fmt.Errorf("read JSON report: %s (%s %s): hdr holds %d values, count is %d", where, e.Method, e.Name, d.Count(), e.Count)
		}
		return nil
	}
	for i := range rep.Entries {
		if err := check(fmt.Sprintf("entries[%d]", i), &rep.Entries[i]); err != nil {
			return nil, err
		}
	}
	if err := check("aggregated", &rep.Aggregated); err != nil {
		return nil, err
	}
	return &rep, nil
}

// Distribution decodes the entry's histogram, with its exact minimum and
// maximum, so that its percentiles are those the report was written from.
func (e *Entry) Distribution() (results.Distribution, error) {
	h, err := results.DecodeHistogram(e.HDR)
	if err != nil {
		return results.Distribution{}, fmt.Errorf("hdr: %w", err)
	}
	return results.NewDistribution(h, fromMs(e.MinMs), fromMs(e.MaxMs)), nil
}

// Distribution decodes the series' histogram.
func (s *Series) Distribution() (results.Distribution, error) {
	h, err := results.DecodeHistogram(s.HDR)
	if err != nil {
		return results.Distribution{}, fmt.Errorf("hdr: %w", err)
	}
	return results.DistributionOf(h), nil
}

// fromMs converts milliseconds back to a duration, exactly for whole
// microseconds.
func fromMs(v float64) time.Duration {
	return time.Duration(math.Round(v*1000)) * time.Microsecond
}
