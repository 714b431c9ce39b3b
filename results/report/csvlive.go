package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/loadgen/loadgen/results"
)

// CSVWriter keeps Locust's four CSV files up to date while a run goes, as
// Locust does, so that a run killed halfway, or cut off by a CI timeout,
// still leaves files that parse and hold what was measured until then.
// Each Update rewrites the stats, failures and exceptions files (each
// replaced whole, never half-written) and appends to the history file the
// row-sets of the seconds it does not have yet, in one write; Close brings
// every file to the final snapshot.
//
// The history file gets a row-set for every second the writer is given a
// snapshot of (Snapshot.Row), however long the run and however sparse the
// aggregator's own history has become. Give Update the snapshot of every
// tick.
//
// A CSVWriter is not safe for concurrent use. Updates write files, so a
// caller that must not wait, such as a run's per-second callback, should
// hand snapshots to a goroutine of its own.
type CSVWriter struct {
	prefix  string
	o       CSVOptions
	history *os.File
	// last is the Unix second of the last history row-set written, and
	// lastAt the file offset where it starts.
	last, lastAt int64
	size         int64
	wrote        bool
	closed       bool
}

// CreateCSVFiles starts the four files of PREFIX with what s holds (at
// the start of a run: no requests, and the history's t=0 row), replacing
// files of an earlier run.
func CreateCSVFiles(prefix string, s *results.Snapshot, o CSVOptions) (*CSVWriter, error) {
	w := &CSVWriter{prefix: prefix, o: o}
	var header bytes.Buffer
	err := WriteHistoryHeader(&header)
	if err == nil {
		err = replaceFile(prefix+"_stats_history.csv", func(out io.Writer) error { _, err := out.Write(header.Bytes()); return err }, false)
	}
	if err == nil {
		w.history, err = os.OpenFile(prefix+"_stats_history.csv", os.O_WRONLY|os.O_APPEND, 0)
		w.size = int64(header.Len())
	}
	if err == nil {
		err = w.Update(s)
	}
	if err != nil {
		if w.history != nil {
			w.history.Close()
		}
		return nil, fmt.Errorf("--csv %s: %w", prefix, err)
	}
	return w, nil
}

// Update brings the files up to s: the stats, failures and exceptions
// files are replaced, and the history gains the row-sets after the last
// one it has. Every file is attempted even when one fails.
func (w *CSVWriter) Update(s *results.Snapshot) error {
	if w.closed {
		return errors.New("csv files: update after close")
	}
	return errors.Join(w.replace(s, false), w.appendHistory(s, false))
}

// replace rewrites the files that are rewritten whole.
func (w *CSVWriter) replace(s *results.Snapshot, durable bool) error {
	return errors.Join(
		replaceFile(w.prefix+"_stats.csv", func(out io.Writer) error { return WriteStatsCSV(out, s, w.o) }, durable),
		replaceFile(w.prefix+"_failures.csv", func(out io.Writer) error { return WriteFailuresCSV(out, s) }, durable),
		replaceFile(w.prefix+"_exceptions.csv", func(out io.Writer) error { return WriteExceptionsCSV(out, s) }, durable),
	)
}

// pending returns the rows of s after the last row-set written: any kept
// history rows not written yet (the t=0 row, seconds an update missed),
// then the state as of s.
func (w *CSVWriter) pending(s *results.Snapshot) []results.HistoryRow {
	var rows []results.HistoryRow
	after := func(r results.HistoryRow) bool {
		if len(rows) > 0 {
			return r.Time.Unix() > rows[len(rows)-1].Time.Unix()
		}
		return !w.wrote || r.Time.Unix() > w.last
	}
	for _, r := range HistoryRows(s) {
		if after(r) {
			rows = append(rows, r)
		}
	}
	if now := s.Row(); after(now) {
		rows = append(rows, now)
	}
	return rows
}

// appendHistory writes the pending row-sets in one write, so that a
// process killed between writes leaves whole lines. With final, a last
// row-set in the second of the last one written replaces it: the run's
// final, partial interval supersedes the row of its second.
func (w *CSVWriter) appendHistory(s *results.Snapshot, final bool) error {
	rows := w.pending(s)
	if final && len(rows) == 0 && w.wrote && s.Now.Unix() == w.last {
		if err := w.history.Truncate(w.lastAt); err != nil {
			return fmt.Errorf("write %s: %w", w.history.Name(), err)
		}
		w.size = w.lastAt
		rows = []results.HistoryRow{s.Row()}
	}
	if len(rows) == 0 {
		return nil
	}
	var b bytes.Buffer
	if err := WriteHistoryRows(&b, s, rows[:len(rows)-1], w.o); err != nil {
		return err
	}
	lastAt := w.size + int64(b.Len())
	if err := WriteHistoryRows(&b, s, rows[len(rows)-1:], w.o); err != nil {
		return err
	}
	if _, err := w.history.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", w.history.Name(), err)
	}
	w.size += int64(b.Len())
	w.last, w.lastAt, w.wrote = rows[len(rows)-1].Time.Unix(), lastAt, true
	return nil
}

// Close brings the four files to the final snapshot s, durably, and
// releases the history file.
func (w *CSVWriter) Close(s *results.Snapshot) error {
	if w.closed {
		return nil
	}
	w.closed = true
	herr := w.appendHistory(s, true)
	if herr == nil {
		if err := w.history.Sync(); err != nil {
			herr = fmt.Errorf("write %s: sync: %w", w.history.Name(), err)
		}
	}
	cerr := w.history.Close()
	return errors.Join(herr, cerr, w.replace(s, true))
}
