package threshold

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteSummary writes results as a table, one threshold per line with its
// measured value and PASS or FAIL, followed by a count of passes and
// failures. Thresholds appear in canonical form (see Threshold.String),
// which is one line whatever spacing the user wrote. Nothing is written for
// no results.
func WriteSummary(w io.Writer, rs []Result) error {
	if len(rs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "THRESHOLD\tMEASURED\tRESULT\tNOTE")
	failed := 0
	for _, r := range rs {
		name := "?"
		if r.Threshold != nil {
			name = r.Threshold.String()
		}
		verdict := "PASS"
		if !r.Pass {
			verdict = "FAIL"
			failed++
		}
		line := name + "\t" + r.Measured + "\t" + verdict
		if r.Note != "" {
			line += "\t" + oneLine(r.Note)
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing threshold summary: %w", err)
	}
	// Worded so that no test-result scanner mistakes it for a test run's
	// closing "N passed, N failed" line.
	verdict := "all thresholds passed"
	if failed > 0 {
		verdict = fmt.Sprintf("%d of %d thresholds FAILED", failed, len(rs))
	}
	_, err := fmt.Fprintf(w, "%s\n", verdict)
	if err != nil {
		return fmt.Errorf("writing threshold summary: %w", err)
	}
	return nil
}

// oneLine keeps an entry name with tabs or newlines from breaking the
// table.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
