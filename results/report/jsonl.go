package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/loadgen/loadgen/results"
)

// JSONLWriter streams a run as JSON lines, one object per closed interval,
// for tools that tail a file while the run goes on. Each line is a row of
// the JSON report's history (results/SCHEMA.md), with a point for every
// entry: the time, the users, the current rates, the cumulative counts and
// percentiles, and the current window's percentiles.
//
// Give it every tick's snapshot (Write skips a snapshot whose interval it
// has already written, so the final snapshot may be given again). Each
// line goes to the writer in one Write call, so a reader never sees half
// a line unless the process dies mid-write. It is safe for concurrent use.
type JSONLWriter struct {
	mu   sync.Mutex
	w    io.Writer
	from time.Time
	last int
	buf  bytes.Buffer
}

// NewJSONLWriter returns a writer of w. Intervals that end at or before
// from (the end of a warm-up, say) are left out.
func NewJSONLWriter(w io.Writer, from time.Time) *JSONLWriter {
	return &JSONLWriter{w: w, from: from}
}

// Write writes the snapshot's latest interval as a line, unless it has
// been written already or ends at or before the writer's from time.
func (j *JSONLWriter) Write(s *results.Snapshot) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if s.Intervals <= j.last {
		return nil
	}
	j.last = s.Intervals
	end := s.Total.Interval().End()
	if end.IsZero() || !end.After(j.from) {
		return nil
	}
	row := s.Row()
	row.Time = end
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(newHistoryRow(row, s.Entries, true)); err != nil {
		return fmt.Errorf("JSON lines: %w", err)
	}
	if _, err := j.w.Write(j.buf.Bytes()); err != nil {
		return fmt.Errorf("JSON lines: %w", err)
	}
	return nil
}
