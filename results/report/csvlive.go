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
// row-sets of the seconds it does not have yet, each in one write; Close
// writes all four files complete from the final snapshot.
//
// A CSVWriter is not safe for concurrent use. Updates write files, so a
// caller that must not wait, such as a run's per-second callback, should
// hand snapshots to a goroutine of its own.
type CSVWriter struct {
	prefix  string
	o       CSVOptions
	history *os.File
	// last is the Unix second of the last history row-set written.
	last   int64
	wrote  bool
	closed bool
}

// CreateCSVFiles starts the four files of PREFIX with what s holds (at
// the start of a run, no requests and the history's t=0 row), replacing
// files of an earlier run.
func CreateCSVFiles(prefix string, s *results.Snapshot, o CSVOptions) (*CSVWriter, error) {
	w := &CSVWriter{prefix: prefix, o: o}
	err := replaceFile(prefix+"_stats_history.csv", WriteHistoryHeader, false)
	if err == nil {
		w.history, err = os.OpenFile(prefix+"_stats_history.csv", os.O_WRONLY|os.O_APPEND, 0)
	}
	if err == nil {
		err = replaceFile(prefix+"_exceptions.csv", WriteExceptionsCSV, false)
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

// Update brings the files up to s: the stats and failures files are
// replaced, and the history gains the row-sets after the last one it has.
// Every file is attempted even when one fails.
func (w *CSVWriter) Update(s *results.Snapshot) error {
	if w.closed {
		return errors.New("csv files: update after close")
	}
	return errors.Join(
		replaceFile(w.prefix+"_stats.csv", func(out io.Writer) error { return WriteStatsCSV(out, s, w.o) }, false),
		replaceFile(w.prefix+"_failures.csv", func(out io.Writer) error { return WriteFailuresCSV(out, s) }, false),
		w.appendHistory(s),
	)
}

// appendHistory writes the row-sets of seconds after the last written, in
// one write, so that a process killed between writes leaves whole lines.
// A row superseded later by one of the same second (see HistoryRows) keeps
// its place until Close rewrites the file.
func (w *CSVWriter) appendHistory(s *results.Snapshot) error {
	rows := HistoryRows(s)
	i := 0
	for w.wrote && i < len(rows) && rows[i].Time.Unix() <= w.last {
		i++
	}
	if i == len(rows) {
		return nil
	}
	var b bytes.Buffer
	if err := WriteHistoryRows(&b, s, rows[i:], w.o); err != nil {
		return err
	}
	if _, err := w.history.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", w.history.Name(), err)
	}
	w.last, w.wrote = rows[len(rows)-1].Time.Unix(), true
	return nil
}

// Close writes the four files complete from the final snapshot s, each
// replaced durably, and releases the history file. The history file ends
// up as WriteHistoryCSV writes it, rows that were appended included.
func (w *CSVWriter) Close(s *results.Snapshot) error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.history.Close()
	return errors.Join(err, WriteCSVFiles(w.prefix, s, w.o))
}
