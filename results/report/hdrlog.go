package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/results"
)

// DefaultHDRLogInterval is how long each interval of an HDR interval log
// lasts unless told otherwise.
const DefaultHDRLogInterval = time.Second

// HDRLogWriter writes HdrHistogram's interval log format (version 1.3),
// which HdrHistogram's HistogramLogProcessor, hdrhistogram-go's
// HistogramLogReader and other HdrHistogram tools read: a header with the
// run's start time, then per interval one untagged line with the histogram
// of every request (the Aggregated row), and one line per entry that had
// requests, tagged with the entry (see HDRLogTag). Values are
// microseconds, in the project's histogram geometry; HistogramLogProcessor
// prints milliseconds with -outputValueUnitRatio 1000. The lines are
// written through hdrhistogram-go's HistogramLogWriter, whose Interval_Max
// column is the maximum divided by 1,000,000, as HdrHistogram's writers
// write it by default.
//
// Give it every tick's snapshot; it merges the snapshots' last intervals
// (exactly: they are histograms) until its own interval has passed, and
// then writes them. Close writes what is left. It is safe for concurrent
// use.
type HDRLogWriter struct {
	mu    sync.Mutex
	w     io.Writer
	lw    *hdrhistogram.HistogramLogWriter
	every time.Duration
	from  time.Time
	start time.Time

	headed       bool
	last         int // Snapshot.Intervals last merged
	pendingStart time.Time
	pendingEnd   time.Time
	total        *hdrhistogram.PackedHistogram
	entries      map[results.EntryKey]*hdrhistogram.PackedHistogram
	missed       int
	err          error
}

// HDRLogOptions configure an HDRLogWriter.
type HDRLogOptions struct {
	// Start is the log's start time, in its header and the base of its
	// relative timestamps; zero means the start of the first interval
	// written (the start of the statistics).
	Start time.Time
	// Interval is how long each logged interval lasts, a whole number of
	// the run's own intervals (one second): 0 means DefaultHDRLogInterval.
	Interval time.Duration
	// From leaves out the intervals that end at or before it, such as a
	// warm-up the statistics exclude.
	From time.Time
}

// NewHDRLogWriter returns a writer of w. The header is written with the
// first interval (or by Close, if none comes).
func NewHDRLogWriter(w io.Writer, opts HDRLogOptions) (*HDRLogWriter, error) {
	if opts.Interval < 0 {
		return nil, fmt.Errorf("HDR log: interval %v is negative", opts.Interval)
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultHDRLogInterval
	}
	return &HDRLogWriter{
		w: w, lw: hdrhistogram.NewHistogramLogWriter(w),
		every: opts.Interval, from: opts.From, start: opts.Start,
		entries: map[results.EntryKey]*hdrhistogram.PackedHistogram{},
	}, nil
}

// header writes the log's header, once.
func (h *HDRLogWriter) header(start time.Time) error {
	if h.headed {
		return nil
	}
	h.headed = true
	if h.start.IsZero() {
		h.start = start
	}
	startMs := h.start.UnixMilli()
	h.lw.SetBaseTime(startMs)
	// hdrhistogram-go's OutputStartTime and OutputBaseTime write whole
	// seconds; HdrHistogram's writers keep the milliseconds, and its
	// readers parse them, so the two header lines are written as comments
	// in that form.
	secs := fmt.Sprintf("%d.%03d", startMs/1000, startMs%1000)
	err := errors.Join(
		h.lw.OutputLogFormatVersion(),
		h.lw.OutputComment(fmt.Sprintf("[StartTime: %s (seconds since epoch), %s]", secs, h.start.UTC().Format(time.RFC3339Nano))),
		h.lw.OutputComment(fmt.Sprintf("[BaseTime: %s (seconds since epoch)]", secs)),
		h.lw.OutputComment("[loadgen: values in microseconds; untagged lines hold every request, tagged ones one entry each, Tag=METHOD:NAME with space, comma, colon, percent and line breaks percent-encoded]"),
		h.lw.OutputLegend(),
	)
	if err != nil {
		return fmt.Errorf("HDR log: %w", err)
	}
	return nil
}

// HDRLogTag returns the tag of an entry's lines: its method and name
// joined by a colon, as in "GET:/albums". Interval log tags cannot hold
// spaces or commas (HdrHistogram's readers split lines on them), so
// spaces, commas, colons, percent signs and line breaks in the method or
// name are percent-encoded: "POST:/login%20form". ParseHDRLogTag inverts
// it.
func HDRLogTag(k results.EntryKey) string {
	return escapeTag(k.Method) + ":" + escapeTag(k.Name)
}

// ParseHDRLogTag returns the entry a tag written by HDRLogTag names.
func ParseHDRLogTag(tag string) (results.EntryKey, error) {
	m, n, ok := strings.Cut(tag, ":")
	if !ok {
		return results.EntryKey{}, fmt.Errorf("HDR log tag %q: no colon between method and name", tag)
	}
	method, err := url.PathUnescape(m)
	if err != nil {
		return results.EntryKey{}, fmt.Errorf("HDR log tag %q: %w", tag, err)
	}
	name, err := url.PathUnescape(n)
	if err != nil {
		return results.EntryKey{}, fmt.Errorf("HDR log tag %q: %w", tag, err)
	}
	return results.EntryKey{Method: method, Name: name}, nil
}

func escapeTag(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', ',', ':', '%', '\r', '\n', '\t':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Write merges the snapshot's last interval, unless already merged, and
// writes the log's interval once it has lasted long enough. The first
// error stops the log; Write and Close return it from then on.
func (h *HDRLogWriter) Write(s *results.Snapshot) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil || s.Intervals <= h.last {
		return h.err
	}
	iv := s.Total.Interval()
	if h.last > 0 && s.Intervals > h.last+1 && iv.Start().After(h.from) {
		// Snapshots were skipped, and with them intervals the log wants.
		h.missed += s.Intervals - h.last - 1
	}
	h.last = s.Intervals
	if iv.End().IsZero() || !iv.End().After(h.from) {
		return nil
	}
	if err := h.header(iv.Start()); err != nil {
		h.err = err
		return err
	}
	if h.pendingStart.IsZero() {
		h.pendingStart = iv.Start()
		h.total = results.NewPackedHistogram()
	}
	h.pendingEnd = iv.End()
	merge(h.total, iv.Latency())
	for _, e := range s.Entries {
		if l := e.Interval().Latency(); l.Count() > 0 {
			p := h.entries[e.Key()]
			if p == nil {
				p = results.NewPackedHistogram()
				h.entries[e.Key()] = p
			}
			merge(p, l)
		}
	}
	// Half an interval of slack, so that ticks a little early still close
	// the log's interval on time.
	if h.pendingEnd.Sub(h.pendingStart) >= h.every-iv.Duration()/2 {
		h.err = h.flush()
	}
	return h.err
}

func merge(dst *hdrhistogram.PackedHistogram, d results.Distribution) {
	if d.Count() > 0 {
		// Same geometry: nothing can be dropped.
		dst.Merge(d.Histogram())
	}
}

// Close writes the interval in progress, if any, and the header of a log
// that got no interval. It does not close the underlying writer.
func (h *HDRLogWriter) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		h.err = h.header(time.Now())
	}
	if h.err == nil {
		h.err = h.flush()
	}
	return h.err
}

// flush writes the pending interval: the untagged total, then every entry
// in name order.
func (h *HDRLogWriter) flush() error {
	if h.pendingStart.IsZero() {
		return nil
	}
	start, end := h.pendingStart.UnixMilli(), h.pendingEnd.UnixMilli()
	if h.missed > 0 {
		if err := h.lw.OutputComment(fmt.Sprintf("[loadgen: %d intervals before this one were not given to the log and are missing]", h.missed)); err != nil {
			return fmt.Errorf("HDR log: %w", err)
		}
		h.missed = 0
	}
	out := func(p *hdrhistogram.PackedHistogram, tag string) error {
		p.SetStartTimeMs(start)
		p.SetEndTimeMs(end)
		p.SetTag(tag)
		if err := h.lw.OutputIntervalPackedHistogram(p); err != nil {
			return fmt.Errorf("HDR log: %w", err)
		}
		return nil
	}
	if err := out(h.total, ""); err != nil {
		return err
	}
	keys := slices.SortedFunc(func(yield func(results.EntryKey) bool) {
		for k := range h.entries {
			if !yield(k) {
				return
			}
		}
	}, func(a, b results.EntryKey) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Method, b.Method))
	})
	for _, k := range keys {
		if err := out(h.entries[k], HDRLogTag(k)); err != nil {
			return err
		}
	}
	h.pendingStart, h.pendingEnd = time.Time{}, time.Time{}
	h.total = nil
	clear(h.entries)
	return nil
}
