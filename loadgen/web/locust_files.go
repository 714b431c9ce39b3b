package web

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/loadgen/loadgen/loadgen/output"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// csvWriter writes one of Locust's CSV files from a snapshot; o are the
// server's CSV options for the run.
type csvWriter func(w io.Writer, snap *results.Snapshot, o report.CSVOptions) error

func statsCSV(w io.Writer, snap *results.Snapshot, o report.CSVOptions) error {
	return report.WriteStatsCSV(w, snap, o)
}

func historyCSV(w io.Writer, snap *results.Snapshot, o report.CSVOptions) error {
	return report.WriteHistoryCSV(w, snap, o)
}

func failuresCSV(w io.Writer, snap *results.Snapshot, _ report.CSVOptions) error {
	return report.WriteFailuresCSV(w, snap)
}

func exceptionsCSV(w io.Writer, snap *results.Snapshot, _ report.CSVOptions) error {
	return report.WriteExceptionsCSV(w, snap)
}

// handleLocustCSV serves one of Locust's CSV downloads, named as Locust
// names them (requests_1700000000.csv), of the latest run's statistics,
// or of none before the first run: the files the command line writes
// with --csv, by the same writers. The full history has a row per entry
// when the run keeps per-entry history (--csv-full-history), and the
// Aggregated rows otherwise, where Locust answers 404.
func (s *Server) handleLocustCSV(prefix string, write csvWriter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		run, snap := s.latestSnapshot()
		o := report.CSVOptions{Precise: s.cfg.CSVPrecise}
		if run != nil {
			o = s.csvOptions(run.Result())
		}
		var b bytes.Buffer
		if err := write(&b, snap, o); err != nil {
			fail(w, err)
			return
		}
		serveFile(w, "text/csv; charset=utf-8", "attachment;filename="+prefix+"_"+unixName(time.Now())+".csv", b.Bytes())
	}
}

// handleLocustReport is Locust's GET /stats/report: the HTML report of
// the latest run, as --html writes it; with ?download=1, as an
// attachment.
func (s *Server) handleLocustReport(w http.ResponseWriter, r *http.Request) {
	run := s.Current()
	if run == nil {
		writeError(w, http.StatusNotFound, "no report: no run has started")
		return
	}
	var b bytes.Buffer
	if err := output.HTML(&b, run.Result(), s.cfg.Version); err != nil {
		fail(w, err)
		return
	}
	disposition := ""
	if r.URL.Query().Get("download") != "" {
		disposition = "attachment;filename=report_" + unixName(time.Now()) + ".html"
	}
	serveFile(w, "text/html; charset=utf-8", disposition, b.Bytes())
}

// serveFile answers body, with a Content-Disposition unless disposition
// is empty.
func serveFile(w http.ResponseWriter, contentType, disposition string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	if disposition != "" {
		h.Set("Content-Disposition", disposition)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.Write(body)
}

// unixName is t in Unix seconds, as Locust names its downloads.
func unixName(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
