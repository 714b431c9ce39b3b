package web

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
	"github.com/loadgen/loadgen/results/threshold"
)

// download is one file of the Download data tab.
type download struct {
	contentType string
	write       func(w io.Writer, snap *results.Snapshot, run Run, info RunInfo) error
}

// lookupDownload returns a file by name: Locust's four CSV files, the JSON
// report and the HTML report, all rendered from the latest snapshot.
func lookupDownload(name string) (download, bool) {
	switch name {
	case "stats.csv":
		return download{"text/csv; charset=utf-8", func(w io.Writer, s *results.Snapshot, _ Run, info RunInfo) error {
			return report.WriteStatsCSV(w, s, info.csvOptions())
		}}, true
	case "stats_history.csv":
		return download{"text/csv; charset=utf-8", func(w io.Writer, s *results.Snapshot, _ Run, info RunInfo) error {
			return report.WriteHistoryCSV(w, s, info.csvOptions())
		}}, true
	case "failures.csv":
		return download{"text/csv; charset=utf-8", func(w io.Writer, s *results.Snapshot, _ Run, _ RunInfo) error {
			return report.WriteFailuresCSV(w, s)
		}}, true
	case "exceptions.csv":
		return download{"text/csv; charset=utf-8", func(w io.Writer, s *results.Snapshot, _ Run, _ RunInfo) error {
			return report.WriteExceptionsCSV(w, s)
		}}, true
	case "report.json":
		return download{"application/json", writeJSONReport}, true
	case "report.html":
		return download{"text/html; charset=utf-8", writeHTMLReport}, true
	}
	return download{}, false
}

func writeJSONReport(w io.Writer, s *results.Snapshot, run Run, info RunInfo) error {
	cfg := info.JSONConfig
	if cfg == nil && info.Config != nil {
		cfg = info.Config
	}
	opts := report.JSONOptions{Config: cfg, Warnings: run.Warnings(), FullHistory: info.FullHistory}
	if rs := thresholdResults(info, s); rs != nil {
		opts.Thresholds = rs
	}
	if ws := run.Workers(); ws != nil {
		opts.Workers = ws
	}
	return report.WriteJSON(w, s, opts)
}

func writeHTMLReport(w io.Writer, s *results.Snapshot, run Run, info RunInfo) error {
	return report.WriteHTML(w, s, report.HTMLOptions{
		Config: info.Config, Warnings: run.Warnings(), Thresholds: thresholdResults(info, s), Workers: run.Workers(),
	})
}

func thresholdResults(info RunInfo, s *results.Snapshot) []threshold.Result {
	if len(info.Thresholds) == 0 {
		return nil
	}
	rs, _ := threshold.EvaluateAll(info.Thresholds, s)
	return rs
}

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	d, ok := lookupDownload(name)
	if !ok {
		writeError(w, http.StatusNotFound, "no download "+strconv.Quote(name))
		return
	}
	run, info, _ := s.current()
	if run == nil {
		writeError(w, http.StatusNotFound, "nothing to download: no run has started")
		return
	}
	snap := run.Snapshot()
	// Rendered whole before answering, so a failure is a clean 500 rather
	// than a truncated file.
	var b bytes.Buffer
	if err := d.write(&b, snap, run, info); err != nil {
		fail(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", d.contentType)
	h.Set("Content-Disposition", `attachment; filename="`+fileName(name, snap.Start)+`"`)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	h.Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

// fileName prefixes a download with the run's start, so that files of
// several runs do not overwrite each other: loadgen_20240501-120000_stats.csv.
func fileName(name string, start time.Time) string {
	return "loadgen_" + start.UTC().Format("20060102-150405") + "_" + name
}
