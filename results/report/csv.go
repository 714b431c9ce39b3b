package report

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"
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
	failuresHeader   = []string{"Method", "Name", "Error", "Occurrences", "First Seen", "Last Seen"}
	exceptionsHeader = []string{"Count", "Message", "Traceback", "Nodes"}
)

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

// WriteStatsCSV writes Locust's PREFIX_stats.csv: one row per entry, then
// the Aggregated row. Times are milliseconds with every digit kept (Locust
// rounds the median and percentiles to whole milliseconds; ours keep the
// microseconds). Requests/s and Failures/s are whole-run rates.
func WriteStatsCSV(w io.Writer, s *results.Snapshot) error {
	cw := newCSV(w)
	_ = cw.Write(append(append([]string(nil), statsHeader...), percentileLabels()...))
	row := func(e results.EntryStats) {
		r := []string{
			e.Method(), e.Name(), itoa(e.Count()), itoa(e.Failures()),
			exactMillis(e.Median()), number(e.AvgMicros() / 1000),
			exactMillis(e.Min()), exactMillis(e.Max()),
			number(e.AvgContentSize()), number(e.TotalRPS()), number(e.TotalFailPerSec()),
		}
		_ = cw.Write(append(r, percentileFields(e.Count(), e.Latency().Reported())...))
	}
	for _, e := range s.Entries {
		row(e)
	}
	row(s.Total)
	cw.Flush()
	return cw.Error()
}

func percentileFields(count int64, values [results.NumReportedPercentiles]time.Duration) []string {
	if count == 0 {
		return notAvailable()
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = exactMillis(v)
	}
	return out
}

// WriteHistoryCSV writes Locust's PREFIX_stats_history.csv: per history
// row, the Aggregated line, preceded with fullHistory by a line per entry
// (which needs an aggregator that kept entry history). Rates are the
// current ones, totals and percentiles cumulative.
func WriteHistoryCSV(w io.Writer, s *results.Snapshot, fullHistory bool) error {
	cw := newCSV(w)
	head := append(append(append([]string(nil), historyHeader...), percentileLabels()...), historyTotals...)
	_ = cw.Write(head)
	for _, row := range s.History {
		ts := strconv.FormatInt(row.Time.Unix(), 10)
		users := strconv.Itoa(row.Users)
		write := func(method, name string, p results.HistoryPoint) {
			r := []string{ts, users, method, name,
				strconv.FormatFloat(p.RPS(), 'f', 6, 64), strconv.FormatFloat(p.FailPerSec(), 'f', 6, 64)}
			r = append(r, percentileFields(p.Count(), p.Reported())...)
			r = append(r, itoa(p.Count()), itoa(p.Failures()),
				exactMillis(p.Median()), number(p.AvgMicros()/1000),
				exactMillis(p.Min()), exactMillis(p.Max()), number(p.AvgContentSize()))
			_ = cw.Write(r)
		}
		if fullHistory {
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
// group, with first and last occurrence in UTC.
func WriteFailuresCSV(w io.Writer, s *results.Snapshot) error {
	cw := newCSV(w)
	_ = cw.Write(failuresHeader)
	for _, e := range s.Errors {
		_ = cw.Write([]string{e.Method, e.Name, e.Error, itoa(e.Count), utcSeconds(e.FirstSeen), utcSeconds(e.LastSeen)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteExceptionsCSV writes Locust's PREFIX_exceptions.csv. loadgen runs no
// user code that could raise, so the file has its header only.
func WriteExceptionsCSV(w io.Writer) error {
	cw := newCSV(w)
	_ = cw.Write(exceptionsHeader)
	cw.Flush()
	return cw.Error()
}

// WriteCSVFiles writes the four CSV files Locust's --csv PREFIX writes.
// Each file is written to a temporary file in the same directory, synced
// and renamed into place, so a crash leaves either the old file or the
// complete new one. It attempts all four and reports every failure.
func WriteCSVFiles(prefix string, s *results.Snapshot, fullHistory bool) error {
	return errors.Join(
		WriteFileAtomic(prefix+"_stats.csv", func(w io.Writer) error { return WriteStatsCSV(w, s) }),
		WriteFileAtomic(prefix+"_stats_history.csv", func(w io.Writer) error { return WriteHistoryCSV(w, s, fullHistory) }),
		WriteFileAtomic(prefix+"_failures.csv", func(w io.Writer) error { return WriteFailuresCSV(w, s) }),
		WriteFileAtomic(prefix+"_exceptions.csv", WriteExceptionsCSV),
	)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// utcSeconds formats a time as Locust's failure file does; zero is empty.
func utcSeconds(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}
