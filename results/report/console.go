package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/loadgen/loadgen/results"
)

// Column widths, as in Locust's console output.
const (
	typeWidth    = 8
	minNameWidth = 24
	maxNameWidth = 76
)

// nameWidth fits the name column to the longest name, within bounds, so
// that the table is as wide as its content needs.
func nameWidth(s *results.Snapshot) int {
	w := max(minNameWidth, len(results.AggregatedName))
	for _, e := range s.Entries {
		w = max(w, len(e.Name()))
	}
	return min(w, maxNameWidth)
}

// windowPercentiles are the columns of the current window that the live
// statistics table adds to Locust's.
func windowPercentiles() []float64 { return []float64{0.5, 0.95, 0.99} }

// WriteStats writes Locust's request statistics table: one row per entry
// and the Aggregated row, times in milliseconds. With current, as in
// Locust's periodic table, req/s and failures/s are the rates of the
// current window, and three more columns give the window's p50, p95 and
// p99 (exact, from the window's histograms), so that a slowdown shows
// while it happens rather than diluted in the cumulative columns; without,
// the rates are the whole run's, as in its final table.
func WriteStats(w io.Writer, s *results.Snapshot, current bool) error {
	bw := bufio.NewWriter(w)
	nw := nameWidth(s)
	rowFmt := fmt.Sprintf("%%-%ds %%-%ds %%7s %%12s |%%7s %%7s %%7s%%7s | %%7s %%11s", typeWidth, nw)
	head := fmt.Sprintf(rowFmt, "Type", "Name", "# reqs", "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s")
	sepParts := []string{
		dashes(typeWidth), dashes(nw), dashes(7), dashes(13),
		dashes(7), dashes(7), dashes(7), dashes(7), dashes(8), dashes(11),
	}
	if current {
		head += " |"
		for _, q := range windowPercentiles() {
			head += fmt.Sprintf(" %7s", "p"+results.PercentileKey(q))
		}
		head += " " + windowLabel(s.Window)
		sepParts = append(sepParts, dashes(8*len(windowPercentiles())+1+len(windowLabel(s.Window))))
	}
	line(bw, head)
	sep := strings.Join(sepParts, "|")
	line(bw, sep)
	row := func(e results.EntryStats) {
		rps, fps := e.TotalRPS(), e.TotalFailPerSec()
		if current {
			rps, fps = e.CurrentRPS(), e.CurrentFailPerSec()
		}
		typ := e.Method()
		if typ != "" {
			typ += " "
		}
		l := fmt.Sprintf(rowFmt,
			typ, e.Name(),
			fmt.Sprint(e.Count()),
			fmt.Sprintf("%d(%.2f%%)", e.Failures(), e.FailRatio()*100),
			Millis(e.Avg()), Millis(e.Min()), Millis(e.Max()), Millis(e.Median()),
			fmt.Sprintf("%.2f", rps), fmt.Sprintf("%.2f", fps))
		if current {
			l += " |"
			win := e.Window()
			for _, q := range windowPercentiles() {
				v := "-"
				if win.Count() > 0 {
					v = Millis(win.Percentile(q))
				}
				l += fmt.Sprintf(" %7s", v)
			}
		}
		line(bw, l)
	}
	for _, e := range s.Entries {
		row(e)
	}
	line(bw, sep)
	row(s.Total)
	line(bw, "")
	return bw.Flush()
}

// windowLabel names the window's columns: "(last 10s)".
func windowLabel(d time.Duration) string {
	if d <= 0 {
		return "(current window)"
	}
	return "(last " + d.String() + ")"
}

// WritePercentiles writes Locust's response time percentile table, from
// the HDR histograms: 100% is the exact maximum.
func WritePercentiles(w io.Writer, s *results.Snapshot) error {
	bw := bufio.NewWriter(w)
	nw := nameWidth(s)
	levels := results.ReportedPercentiles()
	head := fmt.Sprintf("%-*s %-*s", typeWidth, "Type", nw, "Name")
	sepParts := []string{dashes(typeWidth), dashes(nw)}
	for i, q := range levels {
		head += fmt.Sprintf(" %*s", pctWidth(i), results.PercentileLabel(q))
		sepParts = append(sepParts, dashes(pctWidth(i)))
	}
	head += fmt.Sprintf(" %*s", reqsWidth, "# reqs")
	sepParts = append(sepParts, dashes(reqsWidth))
	sep := strings.Join(sepParts, "|")

	line(bw, "Response time percentiles (milliseconds)")
	line(bw, head)
	line(bw, sep)
	row := func(e results.EntryStats) {
		r := fmt.Sprintf("%-*s %-*s", typeWidth, e.Method(), nw, e.Name())
		for i, v := range e.Latency().Reported() {
			r += fmt.Sprintf(" %*s", pctWidth(i), Millis(v))
		}
		r += fmt.Sprintf(" %*d", reqsWidth, e.Count())
		line(bw, r)
	}
	for _, e := range s.Entries {
		if e.Count() > 0 {
			row(e)
		}
	}
	line(bw, sep)
	if s.Total.Count() > 0 {
		row(s.Total)
	}
	line(bw, "")
	return bw.Flush()
}

// reqsWidth is the width of the "# reqs" column of the percentile table.
const reqsWidth = 8

// pctWidth is the width of the i-th percentile column: the median gets
// more room, as in Locust.
func pctWidth(i int) int {
	if i == 0 {
		return 8
	}
	return 6
}

// WriteErrors writes Locust's error report: each failure group with its
// number of occurrences. It writes nothing when there were no failures.
func WriteErrors(w io.Writer, s *results.Snapshot) error {
	if len(s.Errors) == 0 {
		return nil
	}
	bw := bufio.NewWriter(w)
	texts := make([]string, len(s.Errors))
	width := 60
	for i, e := range s.Errors {
		texts[i] = fmt.Sprintf("%s %s: %s", e.Method, e.Name, e.Error)
		width = max(width, len(texts[i])+1)
	}
	sep := dashes(18) + "|" + dashes(width)
	line(bw, "Error report")
	line(bw, fmt.Sprintf("%-18s %s", "# occurrences", "Error"))
	line(bw, sep)
	for i, e := range s.Errors {
		line(bw, fmt.Sprintf("%-18d %s", e.Count, texts[i]))
	}
	line(bw, sep)
	line(bw, "")
	return bw.Flush()
}

// WriteSummary writes the end-of-run report: the statistics with whole-run
// rates, the percentiles, the error report, and the skipped steps and the
// exceptions when there were any.
func WriteSummary(w io.Writer, s *results.Snapshot) error {
	if err := WriteStats(w, s, false); err != nil {
		return err
	}
	if err := WritePercentiles(w, s); err != nil {
		return err
	}
	if err := WriteErrors(w, s); err != nil {
		return err
	}
	if err := WriteSkipped(w, s); err != nil {
		return err
	}
	return WriteExceptions(w, s)
}

// WriteSkipped lists the requests not sent because an earlier step of
// their task failed, per entry. It writes nothing when none were skipped.
func WriteSkipped(w io.Writer, s *results.Snapshot) error {
	if len(s.Skipped) == 0 {
		return nil
	}
	bw := bufio.NewWriter(w)
	line(bw, "Skipped steps (an earlier step of their task failed)")
	line(bw, fmt.Sprintf("%-18s %s", "# skipped", "Request"))
	sep := dashes(18) + "|" + dashes(60)
	line(bw, sep)
	for _, e := range s.Skipped {
		line(bw, fmt.Sprintf("%-18d %s %s", e.Count, e.Method, e.Name))
	}
	line(bw, sep)
	line(bw, "")
	return bw.Flush()
}

// WriteExceptions lists the panics of user code: count, message and where
// they happened; the stacks are in exceptions.csv and the JSON result. It
// writes nothing when there were none.
func WriteExceptions(w io.Writer, s *results.Snapshot) error {
	if len(s.Exceptions) == 0 {
		return nil
	}
	bw := bufio.NewWriter(w)
	line(bw, "Exceptions (panics in user code; stacks in exceptions.csv)")
	line(bw, fmt.Sprintf("%-18s %s", "# occurrences", "Message"))
	sep := dashes(18) + "|" + dashes(60)
	line(bw, sep)
	for _, e := range s.Exceptions {
		msg, _, _ := strings.Cut(e.Message, "\n")
		line(bw, fmt.Sprintf("%-18d %s (%s)", e.Count, msg, strings.Join(e.Nodes, ", ")))
	}
	line(bw, sep)
	line(bw, "")
	return bw.Flush()
}

// WriteProgress writes a one-line progress report for a terminal: elapsed
// and planned time, users, and the current rates. A runTime of 0 means the
// run has no planned end.
func WriteProgress(w io.Writer, s *results.Snapshot, runTime time.Duration) error {
	elapsed := clock(s.Elapsed())
	if runTime > 0 {
		elapsed += "/" + clock(runTime)
	}
	_, err := fmt.Fprintf(w, "%s  users %d  %.1f req/s  %.1f failures/s  %d requests\n",
		elapsed, s.Users, s.Total.CurrentRPS(), s.Total.CurrentFailPerSec(), s.Total.Count())
	return err
}

// clock formats a duration as h:mm:ss, or m:ss under an hour.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

func dashes(n int) string { return strings.Repeat("-", n) }

// line writes s without trailing spaces, and a newline. Errors surface at
// the final Flush.
func line(w *bufio.Writer, s string) {
	w.WriteString(strings.TrimRight(s, " "))
	w.WriteByte('\n')
}
