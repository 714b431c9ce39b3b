package report

import (
	"bufio"
	"fmt"
	"io"

	"github.com/loadgen/loadgen/results"
)

// seriesPercentiles are the columns of the side-by-side series table.
func seriesPercentiles() []float64 { return []float64{0.5, 0.9, 0.95, 0.99, 0.999, 1} }

// MinCorrectionGap is the relative difference at p99 between the measured
// and the coordinated-omission corrected series from which
// WriteSecondarySeries shows them side by side: below it, the correction
// changes nothing worth a table.
const MinCorrectionGap = 0.10

// WriteSecondarySeries writes, next to each entry's main latency series,
// the secondary series that change how to read it: the coordinated-omission
// corrected series of a paced closed-model run when it differs from the
// measured one by more than MinCorrectionGap at p99, and the service time
// of an open-model run (from the actual send, where the main series counts
// from the intended send time). It writes nothing when neither applies.
func WriteSecondarySeries(w io.Writer, s *results.Snapshot) error {
	type row struct {
		e      results.EntryStats
		label  string
		series results.Distribution
	}
	var corrected, service []row
	for _, e := range append(append([]results.EntryStats{}, s.Entries...), s.Total) {
		if c, ok := e.Corrected(); ok && c.Count() > 0 {
			raw, fixed := e.Percentile(0.99), c.Percentile(0.99)
			if raw > 0 && float64(fixed-raw) > MinCorrectionGap*float64(raw) || raw == 0 && fixed > 0 {
				corrected = append(corrected, row{e, "measured", e.Latency()}, row{e, "corrected", c})
			}
		}
		if sv, ok := e.Service(); ok && sv.Count() > 0 {
			service = append(service, row{e, "latency", e.Latency()}, row{e, "service", sv})
		}
	}
	bw := bufio.NewWriter(w)
	nw := nameWidth(s)
	write := func(title string, rows []row) {
		if len(rows) == 0 {
			return
		}
		line(bw, "")
		line(bw, title)
		head := fmt.Sprintf("%-8s %-*s %-9s", "Type", nw, "Name", "series")
		for _, q := range seriesPercentiles() {
			head += fmt.Sprintf(" %7s", results.PercentileLabel(q))
		}
		line(bw, head+fmt.Sprintf(" %8s", "# reqs"))
		for i, r := range rows {
			method, name := r.e.Method(), r.e.Name()
			if i%2 == 1 {
				method, name = "", ""
			}
			l := fmt.Sprintf("%-8s %-*s %-9s", method, nw, name, r.label)
			for _, q := range seriesPercentiles() {
				l += fmt.Sprintf(" %7s", Millis(r.series.Percentile(q)))
			}
			line(bw, l+fmt.Sprintf(" %8d", r.series.Count()))
		}
	}
	write("Coordinated omission: measured vs corrected for the pacing interval (milliseconds)", corrected)
	write("Open model: latency from the intended send time vs service time from the actual send (milliseconds)", service)
	return bw.Flush()
}
