package web

import (
	"net/http"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/metrics"
	"github.com/loadgen/loadgen/results/report"
	"github.com/loadgen/loadgen/results/threshold"
)

// maxErrorsShown caps the failure groups in GET /api/stats; the failures
// download has them all.
const maxErrorsShown = 200

// Stats is GET /api/stats: the state of the run and Locust's statistics
// columns, times in milliseconds.
type Stats struct {
	// State is "ready" before the first run, then the run's.
	State string `json:"state"`
	// Error says why the run failed.
	Error string `json:"error,omitempty"`
	// UserCount is the users running at the last collection.
	UserCount int `json:"user_count"`
	// Run is what the run was started with (after edits).
	Run *StartRequest `json:"run,omitempty"`
	// Start is when the statistics began, ElapsedS how long ago.
	Start    time.Time `json:"start"`
	ElapsedS float64   `json:"elapsed_s"`
	// TotalRPS and TotalFailPerSec are current rates over all entries.
	TotalRPS        float64 `json:"total_rps"`
	TotalFailPerSec float64 `json:"total_fail_per_sec"`
	FailRatio       float64 `json:"fail_ratio"`
	// Stats has a row per entry, sorted by name then method; Total is the
	// Aggregated row.
	Stats []StatsEntry `json:"stats"`
	Total StatsEntry   `json:"total"`
	// Errors are the failure groups, most frequent first, up to 200;
	// ErrorsOmitted counts the rest.
	Errors        []ErrorEntry `json:"errors"`
	ErrorsOmitted int          `json:"errors_omitted"`
	// Thresholds are the run's thresholds checked against these numbers.
	Thresholds []threshold.Result `json:"thresholds"`
	// Ratio is each task's configured weight and share of the requests.
	Ratio []RatioEntry `json:"ratio"`
	// Warnings say what went wrong, and what makes a run incomplete.
	Warnings []string `json:"warnings"`
	// Pauses are the generator's own (see results.PauseStats), left out
	// while there are none.
	Pauses *report.Pauses `json:"generator_pauses,omitempty"`
	// Outcome is how a stopped run ended, as its exit code from the
	// command line would say: "passed", "requests failed", "threshold
	// failed" or "incomplete" (it measured nothing, or a worker failed).
	Outcome string `json:"outcome,omitempty"`
}

// StatsEntry is one row of the statistics table, named as in Locust's
// /stats/requests.
type StatsEntry struct {
	Method            string  `json:"method"`
	Name              string  `json:"name"`
	NumRequests       int64   `json:"num_requests"`
	NumFailures       int64   `json:"num_failures"`
	MedianMs          float64 `json:"median_response_time"`
	P95Ms             float64 `json:"response_time_percentile_0.95"`
	P99Ms             float64 `json:"response_time_percentile_0.99"`
	AvgMs             float64 `json:"avg_response_time"`
	MinMs             float64 `json:"min_response_time"`
	MaxMs             float64 `json:"max_response_time"`
	AvgContentLength  float64 `json:"avg_content_length"`
	CurrentRPS        float64 `json:"current_rps"`
	CurrentFailPerSec float64 `json:"current_fail_per_sec"`
	TotalRPS          float64 `json:"total_rps"`
	// Percentiles are Locust's reported levels, keyed "50" to "100".
	Percentiles report.Percentiles `json:"percentiles"`
	// The same over the current window (the last 10 s by default), exact
	// from the window's histograms; zero and empty when no request
	// completed in it.
	WindowNumRequests int64              `json:"window_num_requests"`
	WindowP95Ms       float64            `json:"window_response_time_percentile_0.95"`
	WindowP99Ms       float64            `json:"window_response_time_percentile_0.99"`
	WindowPercentiles report.Percentiles `json:"window_percentiles"`
}

// ErrorEntry is a failure group.
type ErrorEntry struct {
	Method      string    `json:"method"`
	Name        string    `json:"name"`
	Error       string    `json:"error"`
	Occurrences int64     `json:"occurrences"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
}

// RatioEntry is one task's configured weight and its share of the
// requests made so far.
type RatioEntry struct {
	Method string `json:"method"`
	Name   string `json:"name"`
	Weight int    `json:"weight"`
	// WeightShare is Weight over the sum of weights; RequestShare the
	// task's requests over all requests; both 0 to 1.
	WeightShare  float64 `json:"weight_share"`
	RequestShare float64 `json:"request_share"`
	Requests     int64   `json:"requests"`
}

func newStatsEntry(e results.EntryStats) StatsEntry {
	pm, wm := report.Percentiles{}, report.Percentiles{}
	win := e.Window()
	for i, q := range results.ReportedPercentiles() {
		pm[results.PercentileKey(q)] = ms(e.Latency().Reported()[i])
		if win.Count() > 0 {
			wm[results.PercentileKey(q)] = ms(win.Latency().Reported()[i])
		}
	}
	return StatsEntry{
		WindowNumRequests: win.Count(), WindowPercentiles: wm,
		WindowP95Ms: ms(win.Percentile(0.95)), WindowP99Ms: ms(win.Percentile(0.99)),
		Method: e.Method(), Name: e.Name(),
		NumRequests: e.Count(), NumFailures: e.Failures(),
		MedianMs: ms(e.Median()), P95Ms: ms(e.Percentile(0.95)), P99Ms: ms(e.Percentile(0.99)),
		AvgMs: e.AvgMicros() / 1000, MinMs: ms(e.Min()), MaxMs: ms(e.Max()),
		AvgContentLength: e.AvgContentSize(),
		CurrentRPS:       e.CurrentRPS(), CurrentFailPerSec: e.CurrentFailPerSec(), TotalRPS: e.TotalRPS(),
		Percentiles: pm,
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// newStats builds the stats answer for a run; run may be nil.
func newStats(run loadgen.Run, info runInfo, req StartRequest) Stats {
	st := Stats{State: "ready", Stats: []StatsEntry{}, Errors: []ErrorEntry{}, Thresholds: []threshold.Result{}, Ratio: []RatioEntry{}, Warnings: []string{}}
	if run == nil {
		return st
	}
	// The state first: a run that says it stopped has its final result.
	st.State = string(run.State())
	res := run.Result()
	snap := res.Snapshot
	if err := runErr(run); err != nil {
		st.Error = err.Error()
	}
	shown := req.Redacted()
	st.Run = &shown
	st.UserCount = snap.Users
	st.Start, st.ElapsedS = snap.Start, snap.Elapsed().Seconds()
	st.TotalRPS, st.TotalFailPerSec, st.FailRatio = snap.Total.CurrentRPS(), snap.Total.CurrentFailPerSec(), snap.Total.FailRatio()
	for _, e := range snap.Entries {
		st.Stats = append(st.Stats, newStatsEntry(e))
	}
	st.Total = newStatsEntry(snap.Total)
	for i, e := range snap.Errors {
		if i == maxErrorsShown {
			st.ErrorsOmitted = len(snap.Errors) - i
			break
		}
		st.Errors = append(st.Errors, ErrorEntry{Method: e.Method, Name: e.Name, Error: e.Error, Occurrences: e.Count, FirstSeen: e.FirstSeen, LastSeen: e.LastSeen})
	}
	if res.Thresholds != nil {
		st.Thresholds = res.Thresholds
	}
	st.Ratio = ratio(info.tasks, snap)
	if res.Warnings != nil {
		st.Warnings = res.Warnings
	}
	if p := snap.Pauses; p.Count > 0 {
		st.Pauses = &report.Pauses{Count: p.Count, TotalMs: ms(p.Total), MaxMs: ms(p.Max)}
	}
	if st.State == string(loadgen.StateStopped) {
		st.Outcome = res.Outcome().String()
	}
	return st
}

// ratio pairs each task's weight with its share of the requests.
func ratio(tasks []loadgen.TaskWeight, snap *results.Snapshot) []RatioEntry {
	out := []RatioEntry{}
	sum := 0
	for _, t := range tasks {
		sum += t.Weight
	}
	total := snap.Total.Count()
	for _, t := range tasks {
		re := RatioEntry{Method: t.Method, Name: t.Name, Weight: t.Weight}
		if sum > 0 {
			re.WeightShare = float64(t.Weight) / float64(sum)
		}
		if e, ok := snap.Entry(results.EntryKey{Method: t.Method, Name: t.Name}); ok {
			re.Requests = e.Count()
			if total > 0 {
				re.RequestShare = float64(e.Count()) / float64(total)
			}
		}
		out = append(out, re)
	}
	return out
}

func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, newStats(s.current()))
}

// Workers is GET /api/workers.
type Workers struct {
	Workers []results.WorkerStatus `json:"workers"`
}

func (s *Server) handleWorkers(w http.ResponseWriter, r *http.Request) {
	out := Workers{Workers: []results.WorkerStatus{}}
	if run := s.Current(); run != nil {
		if ws := run.Workers(); ws != nil {
			out.Workers = ws
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// RunSource is a metrics source over the run current() returns (nil
// before the first): the web UI's /metrics, under the UI's own
// credentials.
func RunSource(current func() loadgen.Run) metrics.Source {
	return metrics.Source{
		Snapshot: func() *results.Snapshot {
			if r := current(); r != nil {
				return r.Snapshot()
			}
			return nil
		},
		Workers: func() []results.WorkerStatus {
			if r := current(); r != nil {
				return r.Workers()
			}
			return nil
		},
		Open: func() *results.OpenStats {
			if r := current(); r != nil {
				if res := r.Result(); res != nil {
					return res.Open
				}
			}
			return nil
		},
	}
}
