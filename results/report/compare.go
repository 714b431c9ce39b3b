package report

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Comparison is the same test run once per HTTP client, each in a process
// of its own: what loadgen compare writes with --json.
type Comparison struct {
	Version int          `json:"version"`
	Seed    uint64       `json:"seed"`
	Clients []string     `json:"clients"`
	Runs    []*ClientRun `json:"runs"`
}

// ClientRun is one client's run in a comparison, with its process's CPU
// time and peak memory.
type ClientRun struct {
	Client      string          `json:"client"`
	ExitCode    int             `json:"exit_code"`
	CPUSeconds  float64         `json:"cpu_s"`
	CPUPerReqUs float64         `json:"cpu_us_per_request"`
	MaxRSSMB    float64         `json:"max_rss_mb"`
	Report      json.RawMessage `json:"report"`
	// Rep is Report decoded.
	Rep *Report `json:"-"`
}

// WriteComparison prints one column per client and, for two or more, the
// ratio of each to the first.
func WriteComparison(w io.Writer, runs []*ClientRun) error {
	if len(runs) == 0 {
		_, err := fmt.Fprintln(w, "no runs to compare")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "metric\t"
	for _, r := range runs {
		head += r.Client + "\t"
	}
	for _, r := range runs[1:] {
		head += r.Client + "/" + runs[0].Client + "\t"
	}
	fmt.Fprintln(tw, head)
	pct := func(q string) func(r *ClientRun) float64 {
		return func(r *ClientRun) float64 { return r.Rep.Aggregated.Percentiles[q] }
	}
	rows := []struct {
		name  string
		value func(r *ClientRun) float64
		unit  string
	}{
		{"requests/s", func(r *ClientRun) float64 { return r.Rep.Aggregated.RPS }, "%.1f"},
		{"requests", func(r *ClientRun) float64 { return float64(r.Rep.Aggregated.Count) }, "%.0f"},
		{"failures", func(r *ClientRun) float64 { return float64(r.Rep.Aggregated.Failures) }, "%.0f"},
		{"p50 ms", pct("50"), "%.3g"},
		{"p95 ms", pct("95"), "%.3g"},
		{"p99 ms", pct("99"), "%.3g"},
		{"CPU us/request", func(r *ClientRun) float64 { return r.CPUPerReqUs }, "%.1f"},
		{"CPU s", func(r *ClientRun) float64 { return r.CPUSeconds }, "%.2f"},
		{"peak RSS MB", func(r *ClientRun) float64 { return r.MaxRSSMB }, "%.1f"},
	}
	for _, row := range rows {
		line := row.name + "\t"
		for _, r := range runs {
			line += fmt.Sprintf(row.unit, row.value(r)) + "\t"
		}
		base := row.value(runs[0])
		for _, r := range runs[1:] {
			if base == 0 {
				line += "-\t"
			} else {
				line += fmt.Sprintf("%.2fx", row.value(r)/base) + "\t"
			}
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}
