package report

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/results"
)

// Locust 2.x's CSV headers, so that whatever reads Locust's files reads
// ours. The percentile columns follow results.ReportedPercentiles.
var (
	statsHeader = []string{
		"Type", "Name", "Request Count", "Failure Count",
		"Median Response Time", "Average Response Time", "Min Response Time", "Max Response Time",
		"Average Content Size", "Requests/s", "Failures/s",
	}
	historyHeader = []string{"Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"}
	historyTotals = []string{
		"Total Request Count", "Total Failure Count", "Total Median Response Time",
		"Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
		"Total Average Content Size",
	}
	failuresHeader   = []string{"Method", "Name", "Error", "Occurrences"}
	exceptionsHeader = []string{"Count", "Message", "Traceback", "Nodes"}
)

// CSVOptions say how the CSV files are written. The zero value writes
// what Locust writes, value for value in type and form.
type CSVOptions struct {
	// FullHistory adds a row per entry to each second of the history, not
	// only the Aggregated one (Locust's --csv-full-history). It needs an
	// aggregator that kept entry history.
	FullHistory bool
	// Precise writes the median and percentile columns as milliseconds
	// with their microseconds (12.345) instead of Locust's whole
	// milliseconds, for readers that want every digit measured.
	Precise bool
}

// newCSV returns a CSV writer that ends lines as Python's csv module, and
// so Locust, does.
func newCSV(w io.Writer) *csv.Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw
}

func percentileLabels() []string {
	var out []string
	for _, q := range results.ReportedPercentiles() {
		out = append(out, results.PercentileLabel(q))
	}
	return out
}

// notAvailable fills the percentile columns of an entry without requests,
// as Locust does.
func notAvailable() []string {
	out := make([]string, results.NumReportedPercentiles)
	for i := range out {
		out[i] = "N/A"
	}
	return out
}

// csvValues formats the numbers of a row with Locust's types: counts and
// rounded times as integers, everything else as a Python float, which
// always has a decimal point (49.0). Locust's columns change type with
// their data in a few places (a minimum of a row without requests is the
// integer 0); the methods follow it there too, so a parser that works on
// Locust's files works on these.
type csvValues struct{ o CSVOptions }

// rounded formats a median or percentile: whole milliseconds, rounded half
// to even as Python's round() rounds Locust's response times (Locust also
// keeps only two significant digits above 100 ms; loadgen keeps the
// millisecond), or every digit with Precise.
func (v csvValues) rounded(d time.Duration) string {
	if v.o.Precise {
		return pyFloat(ms(d))
	}
	return wholeMillis(d)
}

// time formats an average, minimum or maximum; without requests Locust
// writes an integer 0.
func (v csvValues) time(count int64, d float64) string {
	if count == 0 {
		return "0"
	}
	return pyFloat(d)
}

// contentSize formats the mean response size; without requests Locust
// writes an integer 0.
func (v csvValues) contentSize(count int64, size float64) string {
	if count == 0 {
		return "0"
	}
	return pyFloat(size)
}

func (v csvValues) percentiles(count int64, values [results.NumReportedPercentiles]time.Duration) []string {
	if count == 0 {
		return notAvailable()
	}
	out := make([]string, len(values))
	for i, d := range values {
		out[i] = v.rounded(d)
	}
	return out
}

// median is 0 without requests, as Locust's.
func (v csvValues) median(count int64, d time.Duration) string {
	if count == 0 {
		return "0"
	}
	return v.rounded(d)
}

// WriteStatsCSV writes Locust's PREFIX_stats.csv: one row per entry, then
// the Aggregated row. Requests/s and Failures/s are whole-run rates.
func WriteStatsCSV(w io.Writer, s *results.Snapshot, o CSVOptions) error {
	cw := newCSV(w)
	v := csvValues{o}
	_ = cw.Write(append(append([]string(nil), statsHeader...), percentileLabels()...))
	row := func(e results.EntryStats) {
		n := e.Count()
		r := []string{
			e.Method(), e.Name(), itoa(n), itoa(e.Failures()),
			v.median(n, e.Median()),
			// Locust's average of no requests is the float 0.0.
			pyFloat(e.AvgMicros() / 1000),
			v.time(n, ms(e.Min())), v.time(n, ms(e.Max())),
			v.contentSize(n, e.AvgContentSize()),
			pyFloat(e.TotalRPS()), pyFloat(e.TotalFailPerSec()),
		}
		_ = cw.Write(append(r, v.percentiles(n, e.Latency().Reported())...))
	}
	for _, e := range s.Entries {
		row(e)
	}
	row(s.Total)
	cw.Flush()
	return cw.Error()
}

// WriteHistoryCSV writes Locust's PREFIX_stats_history.csv: its header,
// then the row-sets of HistoryRows(s).
func WriteHistoryCSV(w io.Writer, s *results.Snapshot, o CSVOptions) error {
	if err := WriteHistoryHeader(w); err != nil {
		return err
	}
	return WriteHistoryRows(w, s, HistoryRows(s), o)
}

// WriteHistoryHeader writes the header line of the history CSV, for a
// file that rows are appended to as a run goes.
func WriteHistoryHeader(w io.Writer) error {
	cw := newCSV(w)
	_ = cw.Write(append(append(append([]string(nil), historyHeader...), percentileLabels()...), historyTotals...))
	cw.Flush()
	return cw.Error()
}

// HistoryRows returns the history as Locust's history file has it: a row
// with no requests and no users at the start of the run (t=0), then one
// row per second, each the latest of its second, so that no timestamp
// appears twice (a run's final row often closes a part of the second its
// last full row ended in). Timestamps are Unix seconds.
func HistoryRows(s *results.Snapshot) []results.HistoryRow {
	out := make([]results.HistoryRow, 0, len(s.History)+1)
	out = append(out, results.HistoryRow{Time: historyOrigin(s)})
	for _, r := range s.History {
		if last := &out[len(out)-1]; last.Time.Unix() == r.Time.Unix() {
			*last = r
			continue
		}
		out = append(out, r)
	}
	return out
}

// WriteHistoryRows writes the row-sets of rows, which come from s
// (s.History, HistoryRows(s) or s.Row()): per row, with FullHistory a line
// for each entry that the row has, then the Aggregated line. Rates are the
// current ones (the 10 s window) and totals cumulative. The percentiles
// are those Locust writes: cumulative by default, and with FullHistory
// the current window's, exact (Locust's own are approximate), 0 for a
// window without requests and N/A before the first request.
func WriteHistoryRows(w io.Writer, s *results.Snapshot, rows []results.HistoryRow, o CSVOptions) error {
	cw := newCSV(w)
	v := csvValues{o}
	for _, row := range rows {
		ts := strconv.FormatInt(row.Time.Unix(), 10)
		users := strconv.Itoa(row.Users)
		write := func(method, name string, p results.HistoryPoint) {
			n := p.Count()
			r := []string{ts, users, method, name,
				strconv.FormatFloat(p.RPS(), 'f', 6, 64), strconv.FormatFloat(p.FailPerSec(), 'f', 6, 64)}
			median := v.median(n, p.Median())
			// A merge of saved results does not know its rows' percentiles.
			unknown := n > 0 && !p.HasPercentiles()
			if unknown {
				median = "N/A"
			}
			switch {
			case o.FullHistory && p.WindowCount() > 0 && !p.HasWindow(), !o.FullHistory && unknown:
				r = append(r, notAvailable()...)
			case o.FullHistory:
				r = append(r, v.percentiles(n, p.WindowReported())...)
			default:
				r = append(r, v.percentiles(n, p.Reported())...)
			}
			r = append(r, itoa(n), itoa(p.Failures()),
				median, pyFloat(p.AvgMicros()/1000),
				v.time(n, ms(p.Min())), v.time(n, ms(p.Max())), v.contentSize(n, p.AvgContentSize()))
			_ = cw.Write(r)
		}
		if o.FullHistory {
			for _, e := range s.Entries {
				if p, ok := row.Entry(e); ok {
					write(e.Method(), e.Name(), p)
				}
			}
		}
		write("", results.AggregatedName, row.Total)
	}
	cw.Flush()
	return cw.Error()
}

// WriteFailuresCSV writes Locust's PREFIX_failures.csv: one row per failure
// group with Locust's four columns. The first and last occurrence of each
// group are in the JSON report.
func WriteFailuresCSV(w io.Writer, s *results.Snapshot) error {
	cw := newCSV(w)
	_ = cw.Write(failuresHeader)
	for _, e := range s.Errors {
		_ = cw.Write([]string{e.Method, e.Name, e.Error, itoa(e.Count)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteExceptionsCSV writes Locust's PREFIX_exceptions.csv: each group of
// panics in user code (Go tasks and hooks) with its count, the first
// panic's message, the stack that groups them and the nodes where they
// happened, separated by ", " as Locust separates them.
func WriteExceptionsCSV(w io.Writer, s *results.Snapshot) error {
	cw := newCSV(w)
	_ = cw.Write(exceptionsHeader)
	for _, e := range s.Exceptions {
		_ = cw.Write([]string{itoa(e.Count), e.Message, e.Traceback, strings.Join(e.Nodes, ", ")})
	}
	cw.Flush()
	return cw.Error()
}

// CSVFiles are the names of the four CSV files of --csv prefix, in the
// order WriteCSVFiles writes them.
func CSVFiles(prefix string) []string {
	return []string{prefix + "_stats.csv", prefix + "_stats_history.csv", prefix + "_failures.csv", prefix + "_exceptions.csv"}
}

// WriteCSVFiles writes the four CSV files Locust's --csv PREFIX writes.
// Each file is written to a temporary file in the same directory, synced
// and renamed into place, so a crash leaves either the old file or the
// complete new one. It attempts all four and reports every failure.
func WriteCSVFiles(prefix string, s *results.Snapshot, o CSVOptions) error {
	if prefix == Stdout {
		return errors.New("--csv names a prefix for four files, not one stream: - (stdout) cannot take them")
	}
	return errors.Join(
		WriteFileAtomic(prefix+"_stats.csv", func(w io.Writer) error { return WriteStatsCSV(w, s, o) }),
		WriteFileAtomic(prefix+"_stats_history.csv", func(w io.Writer) error { return WriteHistoryCSV(w, s, o) }),
		WriteFileAtomic(prefix+"_failures.csv", func(w io.Writer) error { return WriteFailuresCSV(w, s) }),
		WriteFileAtomic(prefix+"_exceptions.csv", func(w io.Writer) error { return WriteExceptionsCSV(w, s) }),
	)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
