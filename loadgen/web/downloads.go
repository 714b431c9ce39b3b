package web

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/output"
	"github.com/loadgen/loadgen/results/report"
)

// download is one file of the Download data tab.
type download struct {
	contentType string
	write       func(w io.Writer, res *loadgen.Result, s *Server) error
}

// lookupDownload returns a file by name: Locust's four CSV files, the JSON
// report and the HTML report, all rendered from the latest statistics,
// as the command line writes them at the end of a run.
func lookupDownload(name string) (download, bool) {
	switch name {
	case "stats.csv":
		return download{"text/csv; charset=utf-8", func(w io.Writer, res *loadgen.Result, s *Server) error {
			return report.WriteStatsCSV(w, res.Snapshot, s.csvOptions(res))
		}}, true
	case "stats_history.csv":
		return download{"text/csv; charset=utf-8", func(w io.Writer, res *loadgen.Result, s *Server) error {
			return report.WriteHistoryCSV(w, res.Snapshot, s.csvOptions(res))
		}}, true
	case "failures.csv":
		return download{"text/csv; charset=utf-8", func(w io.Writer, res *loadgen.Result, _ *Server) error {
			return report.WriteFailuresCSV(w, res.Snapshot)
		}}, true
	case "exceptions.csv":
		return download{"text/csv; charset=utf-8", func(w io.Writer, res *loadgen.Result, _ *Server) error {
			return report.WriteExceptionsCSV(w, res.Snapshot)
		}}, true
	case "report.json":
		return download{"application/json", func(w io.Writer, res *loadgen.Result, s *Server) error {
			return output.JSON(w, res, s.cfg.Version)
		}}, true
	case "report.html":
		return download{"text/html; charset=utf-8", func(w io.Writer, res *loadgen.Result, s *Server) error {
			return output.HTML(w, res, s.cfg.Version)
		}}, true
	}
	return download{}, false
}

func (s *Server) csvOptions(res *loadgen.Result) report.CSVOptions {
	return report.CSVOptions{FullHistory: res.Spec.EntryHistory, Precise: s.cfg.CSVPrecise}
}

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	d, ok := lookupDownload(name)
	if !ok {
		writeError(w, http.StatusNotFound, "no download "+strconv.Quote(name))
		return
	}
	run, _, _ := s.current()
	if run == nil {
		writeError(w, http.StatusNotFound, "nothing to download: no run has started")
		return
	}
	res := run.Result()
	snap := res.Snapshot
	// Rendered whole before answering, so a failure is a clean 500 rather
	// than a truncated file.
	var b bytes.Buffer
	if err := d.write(&b, res, s); err != nil {
		fail(w, err)
		return
	}
	serveFile(w, d.contentType, `attachment; filename="`+fileName(name, snap.Start)+`"`, b.Bytes())
}

// fileName prefixes a download with the run's start, so that files of
// several runs do not overwrite each other: loadgen_20240501-120000_stats.csv.
func fileName(name string, start time.Time) string {
	return "loadgen_" + start.UTC().Format("20060102-150405") + "_" + name
}
