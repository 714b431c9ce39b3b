package web

import (
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// maxLocustRows caps the rows and the errors of GET /stats/requests, as
// Locust caps them: the Aggregated row is always last.
const maxLocustRows = 500

// The JSON of Locust's GET /stats/requests, /exceptions and /tasks. A
// Python reader tells an int from a float by its decimal point, and
// Locust's values change type with their data in a few places, so the
// fields that do are typed any and filled by locustTime, locustRate and
// locustSize, which follow Locust; report.PyFloat keeps a float's
// decimal point.

// locustStats is GET /stats/requests.
type locustStats struct {
	Stats     []locustEntry  `json:"stats"`
	Errors    []locustError  `json:"errors"`
	TotalRPS  any            `json:"total_rps"`
	FailRatio report.PyFloat `json:"fail_ratio"`
	// The current window's percentiles of all requests; null while the
	// window holds none (Locust's, before its cache has filled).
	CurrentP95 any            `json:"current_response_time_percentile_95"`
	CurrentP50 any            `json:"current_response_time_percentile_50"`
	Workers    []locustWorker `json:"workers,omitempty"`
	State      string         `json:"state"`
	UserCount  int            `json:"user_count"`
}

// locustEntry is a row of the statistics. The Aggregated row's Method is
// null before the first run and empty from then on, as in Locust, which
// makes the row anew when a run starts.
type locustEntry struct {
	Method            *string        `json:"method"`
	Name              string         `json:"name"`
	SafeName          string         `json:"safe_name"`
	NumRequests       int64          `json:"num_requests"`
	NumFailures       int64          `json:"num_failures"`
	AvgResponseTime   report.PyFloat `json:"avg_response_time"`
	MinResponseTime   any            `json:"min_response_time"`
	MaxResponseTime   report.PyFloat `json:"max_response_time"`
	CurrentRPS        any            `json:"current_rps"`
	CurrentFailPerSec any            `json:"current_fail_per_sec"`
	Median            any            `json:"median_response_time"`
	P90               any            `json:"ninetieth_response_time"`
	P99               any            `json:"ninety_ninth_response_time"`
	AvgContentLength  any            `json:"avg_content_length"`
}

type locustError struct {
	Method      string `json:"method"`
	Name        string `json:"name"`
	Error       string `json:"error"`
	Occurrences int64  `json:"occurrences"`
}

// locustWorker is a worker of a distributed run.
type locustWorker struct {
	ID          string         `json:"id"`
	State       string         `json:"state"`
	UserCount   int            `json:"user_count"`
	CPUUsage    report.PyFloat `json:"cpu_usage"`
	MemoryUsage uint64         `json:"memory_usage"`
}

// locustTime is a median or percentile as Locust's JSON has it: Locust
// keeps response times as rounded keys, ints below 100 ms and floats
// from there (Python's round(x, -1) is a float). loadgen keeps the
// millisecond above 100 ms, as in its CSV files.
func locustTime(d time.Duration) any {
	m := math.RoundToEven(float64(d) / float64(time.Millisecond))
	if m < 100 {
		return int64(m)
	}
	return report.PyFloat(m)
}

// locustMedian is the median as Locust reports it: kept between the
// minimum and the maximum, which then give it their exact value.
func locustMedian(e results.EntryStats) any {
	if e.Count() == 0 {
		return 0
	}
	m := locustTime(e.Median())
	v, _ := m.(int64)
	if f, ok := m.(report.PyFloat); ok {
		v = int64(f)
	}
	switch {
	case float64(v) > ms(e.Max()):
		return report.PyFloat(ms(e.Max()))
	case float64(v) < ms(e.Min()):
		return report.PyFloat(ms(e.Min()))
	}
	return m
}

// locustRate is a current rate: an int 0 until the run's first request,
// as in Locust, then a float.
func locustRate(started bool, v float64) any {
	if !started {
		return 0
	}
	return report.PyFloat(v)
}

// locustIfAny is v as a float, or an int 0 for an entry without requests.
func locustIfAny(count int64, v float64) any {
	if count == 0 {
		return 0
	}
	return report.PyFloat(v)
}

func newLocustEntry(e results.EntryStats, method *string, started bool) locustEntry {
	le := locustEntry{
		Name: e.Name(), SafeName: escapeText(e.Name()),
		NumRequests: e.Count(), NumFailures: e.Failures(),
		AvgResponseTime:   report.PyFloat(e.AvgMicros() / 1000),
		MinResponseTime:   locustIfAny(e.Count(), math.Round(ms(e.Min()))),
		MaxResponseTime:   report.PyFloat(math.Round(ms(e.Max()))),
		CurrentRPS:        locustRate(started, e.CurrentRPS()),
		CurrentFailPerSec: locustRate(started, e.CurrentFailPerSec()),
		Median:            locustMedian(e),
		P90:               0, P99: 0,
		AvgContentLength: locustIfAny(e.Count(), e.AvgContentSize()),
	}
	if e.Count() > 0 {
		le.P90, le.P99 = locustTime(e.Percentile(0.9)), locustTime(e.Percentile(0.99))
	}
	le.Method = method
	return le
}

// newLocustStats builds GET /stats/requests from a snapshot (of no run
// when run is false): the state as Locust names it, and the workers of a
// distributed run.
func newLocustStats(snap *results.Snapshot, run bool, state string, workers []results.WorkerStatus) locustStats {
	started := snap.Total.Count() > 0
	out := locustStats{Stats: []locustEntry{}, Errors: []locustError{}, State: state, UserCount: snap.Users}
	for i, e := range snap.Entries {
		if i == maxLocustRows {
			break
		}
		m := e.Method()
		out.Stats = append(out.Stats, newLocustEntry(e, &m, started))
	}
	var aggregated *string
	if run {
		aggregated = new(string)
	}
	total := newLocustEntry(snap.Total, aggregated, started)
	out.Stats = append(out.Stats, total)
	for i, e := range snap.Errors {
		if i == maxLocustRows {
			break
		}
		out.Errors = append(out.Errors, locustError{Method: e.Method, Name: escapeAttr(e.Name), Error: escapeAttr(e.Error), Occurrences: e.Count})
	}
	out.TotalRPS, out.FailRatio = total.CurrentRPS, report.PyFloat(snap.Total.FailRatio())
	if win := snap.Total.Window(); win.Count() > 0 {
		out.CurrentP95, out.CurrentP50 = locustTime(win.Percentile(0.95)), locustTime(win.Percentile(0.5))
	}
	if workers != nil {
		out.Workers = []locustWorker{}
		for _, w := range workers {
			out.Workers = append(out.Workers, locustWorker{ID: w.ID, State: w.State, UserCount: w.Users, CPUUsage: report.PyFloat(w.CPUPercent), MemoryUsage: w.RSSBytes})
		}
	}
	return out
}

// locustState names a run's state as Locust's runner does: "ready"
// before the first run; a distributed run waiting for its workers is
// spawning, about to start its users.
func locustState(run loadgen.Run) string {
	if run == nil {
		return "ready"
	}
	if st := run.State(); st != loadgen.StateWaiting {
		return string(st)
	}
	return string(loadgen.StateSpawning)
}

// latestSnapshot is the latest run's statistics, or empty ones (an
// Aggregated row without requests) before the first run, so that
// Locust's endpoints answer then as Locust's do.
func (s *Server) latestSnapshot() (loadgen.Run, *results.Snapshot) {
	run := s.Current()
	if run == nil {
		now := time.Now()
		return nil, results.NewAggregator(now, results.AggregatorOptions{}).Snapshot(now)
	}
	return run, run.Snapshot()
}

func (s *Server) handleLocustStats(w http.ResponseWriter, r *http.Request) {
	run, snap := s.latestSnapshot()
	var workers []results.WorkerStatus
	if run != nil {
		workers = run.Workers()
	}
	writeJSON(w, http.StatusOK, newLocustStats(snap, run != nil, locustState(run), workers))
}

// locustException is a group of exceptions in GET /exceptions.
type locustException struct {
	Count     int64  `json:"count"`
	Msg       string `json:"msg"`
	Traceback string `json:"traceback"`
	Nodes     string `json:"nodes"`
}

func (s *Server) handleLocustExceptions(w http.ResponseWriter, r *http.Request) {
	_, snap := s.latestSnapshot()
	out := struct {
		Exceptions []locustException `json:"exceptions"`
	}{[]locustException{}}
	for _, e := range snap.Exceptions {
		out.Exceptions = append(out.Exceptions, locustException{Count: e.Count, Msg: escapeAttr(e.Message), Traceback: escapeAttr(e.Traceback), Nodes: strings.Join(e.Nodes, ", ")})
	}
	writeJSON(w, http.StatusOK, out)
}

// classRatio is a class's share of the users in GET /tasks, and its
// tasks' shares.
type classRatio struct {
	Ratio report.PyFloat       `json:"ratio"`
	Tasks map[string]taskRatio `json:"tasks"`
}

// taskRatio is a task's share of the task runs.
type taskRatio struct {
	Ratio report.PyFloat `json:"ratio"`
}

// handleLocustTasks is Locust's GET /tasks: each class's share of the
// users running now, and each task's share of its class's task runs
// ("per_class") or of all task runs ("total"). Before the first run
// there are no classes.
func (s *Server) handleLocustTasks(w http.ResponseWriter, r *http.Request) {
	run, info, _ := s.current()
	users := 0
	if run != nil {
		users = run.Snapshot().Users
	}
	writeJSON(w, http.StatusOK, map[string]map[string]classRatio{
		"per_class": taskRatios(info.classes, users, false),
		"total":     taskRatios(info.classes, users, true),
	})
}

// taskRatios spreads users over the classes as the run does (see
// schedule.Classes), and each class's share over its tasks by weight;
// total scales the tasks' shares by their class's. Tasks are keyed by
// name, with the method when two tasks of a class share a name.
func taskRatios(classes []loadgen.ClassWeight, users int, total bool) map[string]classRatio {
	out := map[string]classRatio{}
	weights := make([]int, len(classes))
	for i, c := range classes {
		weights[i] = c.Weight
	}
	counts := make([]int, len(classes))
	if mix, err := schedule.NewClasses(weights); err == nil && users > 0 {
		counts = mix.Counts(users)
	}
	for i, c := range classes {
		share := float64(counts[i]) / float64(max(users, 1))
		scale := 1.0
		if total {
			scale = share
		}
		sum, names := 0, map[string]int{}
		for _, t := range c.Tasks {
			sum += t.Weight
			names[t.Name]++
		}
		tasks := map[string]taskRatio{}
		for _, t := range c.Tasks {
			if t.Weight <= 0 {
				continue
			}
			key := t.Name
			if names[t.Name] > 1 {
				key = t.Method + " " + t.Name
			}
			tasks[key] = taskRatio{Ratio: tasks[key].Ratio + report.PyFloat(scale*float64(t.Weight)/float64(sum))}
		}
		out[c.Name] = classRatio{Ratio: report.PyFloat(share), Tasks: tasks}
	}
	return out
}

// escapeText and escapeAttr escape as Python's html.escape does, with
// quote=False and quote=True: Locust escapes names and errors so, for
// its page.
var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")
)

func escapeText(s string) string { return textEscaper.Replace(s) }
func escapeAttr(s string) string { return attrEscaper.Replace(s) }
