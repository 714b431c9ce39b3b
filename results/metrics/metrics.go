// Package metrics exposes a run's statistics to Prometheus, through
// github.com/prometheus/client_golang: a Collector reads the latest
// snapshot at every scrape and turns it into metrics, so a scrape costs
// nothing while nobody scrapes, and the numbers are those of the run's
// own tables and reports.
//
// Every metric carries the "loadgen_" prefix:
//
//	loadgen_requests_total{method,name}                 counter
//	loadgen_request_failures_total{method,name}         counter
//	loadgen_errors_total{method,name,error}             counter
//	loadgen_response_time_seconds{method,name}          histogram (buckets chosen for latency)
//	loadgen_window_response_time_seconds{method,name,quantile}  gauge
//	loadgen_window_requests_per_second{method,name}     gauge
//	loadgen_window_failures_per_second{method,name}     gauge
//	loadgen_users                                       gauge
//	loadgen_stats_start_timestamp_seconds               gauge
//	loadgen_open_scheduled_total, _sent_total, _late_total, _dropped_total   counters (open model)
//	loadgen_worker_*{worker}                            per worker of a distributed run
//
// Counters and the histogram are cumulative from the start of the
// statistics, which a reset (or the end of a warm-up) restarts: Prometheus
// sees a counter reset, as rate() expects. The window gauges are exact
// percentiles of the current window (10 s by default), from the merge of
// its HDR histograms, and include the Aggregated row (name="Aggregated",
// method=""), since quantiles cannot be added up in PromQL; the counters
// and histogram leave it out, as sum() gives it.
//
// Label cardinality is bounded: at most Options.MaxEntries entries (the
// busiest; the rest are summed under name="(other entries)"), at most
// Options.MaxErrors failure groups (the most frequent; the rest under
// error="(other errors)"), whose texts are normalised without addresses
// or numbers, and one set of worker series per worker.
package metrics

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/loadgen/loadgen/results"
)

// Defaults of Options.
const (
	DefaultMaxEntries = 100
	DefaultMaxErrors  = 50
)

// OtherEntries and OtherErrors name the series that sum what the caps
// leave out.
const (
	OtherEntries = "(other entries)"
	OtherErrors  = "(other errors)"
)

// DefaultBuckets are the histogram's upper bounds: 1-2.5-5 steps from
// 100 µs to 10 s, then 30 s and 60 s, which resolve the latencies of
// services from a cache hit to a timeout.
func DefaultBuckets() []time.Duration {
	return []time.Duration{
		100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
		time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
		10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
		100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
		30 * time.Second, time.Minute,
	}
}

// DefaultQuantiles are the window gauges' quantiles.
func DefaultQuantiles() []float64 { return []float64{0.5, 0.9, 0.95, 0.99, 0.999, 1} }

// Source is what a Collector reads at each scrape. Snapshot is required;
// the others are optional.
type Source struct {
	// Snapshot returns the latest statistics, or nil before there are any.
	Snapshot func() *results.Snapshot
	// Workers returns the worker table of a distributed run.
	Workers func() []results.WorkerStatus
	// Open returns the open model's arrival counts, or nil in a run with
	// users.
	Open func() *results.OpenStats
}

// Options configure a Collector; zero values take the defaults.
type Options struct {
	MaxEntries int
	MaxErrors  int
	Buckets    []time.Duration
	Quantiles  []float64
}

// Collector is a prometheus.Collector over a run. It is safe for
// concurrent use, as the sources must be.
type Collector struct {
	src  Source
	opts Options

	requests, failures, errors, latency            *prometheus.Desc
	windowQuantile, windowRPS, windowFPS           *prometheus.Desc
	users, start                                   *prometheus.Desc
	pauses, paused                                 *prometheus.Desc
	openScheduled, openSent, openLate, openDropped *prometheus.Desc
	wRequests, wFailures, wUsers, wRPS, wCPU, wRSS *prometheus.Desc
	wUp                                            *prometheus.Desc
}

// NewCollector returns a collector of src.
func NewCollector(src Source, opts Options) *Collector {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = DefaultMaxErrors
	}
	if len(opts.Buckets) == 0 {
		opts.Buckets = DefaultBuckets()
	}
	if len(opts.Quantiles) == 0 {
		opts.Quantiles = DefaultQuantiles()
	}
	entry := []string{"method", "name"}
	worker := []string{"worker"}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("loadgen_"+name, help, labels, nil)
	}
	return &Collector{
		src: src, opts: opts,
		requests:       d("requests_total", "Requests completed, failed ones included, since the statistics started.", entry...),
		failures:       d("request_failures_total", "Failed requests since the statistics started.", entry...),
		errors:         d("errors_total", "Failed requests by normalised failure text.", "method", "name", "error"),
		latency:        d("response_time_seconds", "Response times since the statistics started (from HDR histograms, to 0.1 %).", entry...),
		windowQuantile: d("window_response_time_seconds", "Exact response-time quantiles over the current window (the last 10 s by default); name=\"Aggregated\" is every request.", "method", "name", "quantile"),
		windowRPS:      d("window_requests_per_second", "Requests per second over the current window; name=\"Aggregated\" is every request.", entry...),
		windowFPS:      d("window_failures_per_second", "Failures per second over the current window; name=\"Aggregated\" is every request.", entry...),
		users:          d("users", "Simulated users running."),
		start:          d("stats_start_timestamp_seconds", "When the statistics started (the run start, the end of the warm-up, or the last reset), in Unix seconds."),
		pauses:         d("generator_pauses_total", "Pauses of the generator: its meter woke more than 10 ms late, every process's added up; requests in flight then have them in their latencies."),
		paused:         d("generator_paused_seconds_total", "The generator's pauses' lengths added up."),
		openScheduled:  d("open_scheduled_total", "Open model: requests the arrival schedule has made due."),
		openSent:       d("open_sent_total", "Open model: requests sent."),
		openLate:       d("open_late_total", "Open model: requests sent late, behind their intended time."),
		openDropped:    d("open_dropped_total", "Open model: requests dropped, not sent within the allowed lag of their time."),
		wRequests:      d("worker_requests_total", "Requests a worker reported.", worker...),
		wFailures:      d("worker_failures_total", "Failures a worker reported.", worker...),
		wUsers:         d("worker_users", "Users a worker runs.", worker...),
		wRPS:           d("worker_requests_per_second", "A worker's requests per second over its last reports.", worker...),
		wCPU:           d("worker_cpu_percent", "A worker's CPU use, percent of one core.", worker...),
		wRSS:           d("worker_resident_memory_bytes", "A worker's resident memory.", worker...),
		wUp:            d("worker_up", "1 while a worker takes part in the run, 0 once it is missing or gone; the state is a label.", "worker", "state"),
	}
}

// Describe sends the descriptions of every metric the collector makes.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.requests, c.failures, c.errors, c.latency, c.windowQuantile, c.windowRPS, c.windowFPS,
		c.users, c.start, c.pauses, c.paused, c.openScheduled, c.openSent, c.openLate, c.openDropped,
		c.wRequests, c.wFailures, c.wUsers, c.wRPS, c.wCPU, c.wRSS, c.wUp,
	} {
		ch <- d
	}
}

// Collect reads the sources and sends the metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if s := c.src.Snapshot(); s != nil {
		c.collectRun(ch, s)
	}
	if c.src.Open != nil {
		if o := c.src.Open(); o != nil {
			ch <- prometheus.MustNewConstMetric(c.openScheduled, prometheus.CounterValue, float64(o.Scheduled))
			ch <- prometheus.MustNewConstMetric(c.openSent, prometheus.CounterValue, float64(o.Sent))
			ch <- prometheus.MustNewConstMetric(c.openLate, prometheus.CounterValue, float64(o.Late))
			ch <- prometheus.MustNewConstMetric(c.openDropped, prometheus.CounterValue, float64(o.Dropped))
		}
	}
	if c.src.Workers != nil {
		for _, w := range c.src.Workers() {
			ch <- prometheus.MustNewConstMetric(c.wRequests, prometheus.CounterValue, float64(w.Requests), w.ID)
			ch <- prometheus.MustNewConstMetric(c.wFailures, prometheus.CounterValue, float64(w.Failures), w.ID)
			ch <- prometheus.MustNewConstMetric(c.wUsers, prometheus.GaugeValue, float64(w.Users), w.ID)
			ch <- prometheus.MustNewConstMetric(c.wRPS, prometheus.GaugeValue, w.RPS, w.ID)
			ch <- prometheus.MustNewConstMetric(c.wCPU, prometheus.GaugeValue, w.CPUPercent, w.ID)
			ch <- prometheus.MustNewConstMetric(c.wRSS, prometheus.GaugeValue, float64(w.RSSBytes), w.ID)
			up := 1.0
			switch w.State {
			case "missing", "left", "failed", "quit", "disconnected":
				up = 0
			}
			ch <- prometheus.MustNewConstMetric(c.wUp, prometheus.GaugeValue, up, w.ID, w.State)
		}
	}
}

func (c *Collector) collectRun(ch chan<- prometheus.Metric, s *results.Snapshot) {
	ch <- prometheus.MustNewConstMetric(c.users, prometheus.GaugeValue, float64(s.Users))
	ch <- prometheus.MustNewConstMetric(c.pauses, prometheus.CounterValue, float64(s.Pauses.Count))
	ch <- prometheus.MustNewConstMetric(c.paused, prometheus.CounterValue, s.Pauses.Total.Seconds())
	if !s.Start.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.start, prometheus.GaugeValue, float64(s.Start.UnixNano())/1e9)
	}
	entries := slices.Clone(s.Entries)
	// The busiest entries keep their own series; a stable order keeps
	// an entry's series from flickering between scrapes.
	slices.SortStableFunc(entries, func(a, b results.EntryStats) int { return cmp.Compare(b.Count(), a.Count()) })
	kept, rest := entries, []results.EntryStats(nil)
	if len(entries) > c.opts.MaxEntries {
		kept, rest = entries[:c.opts.MaxEntries-1], entries[c.opts.MaxEntries-1:]
	}
	for _, e := range kept {
		c.entry(ch, e.Method(), e.Name(), []results.EntryStats{e})
	}
	if len(rest) > 0 {
		c.entry(ch, "", OtherEntries, rest)
	}
	c.window(ch, "", results.AggregatedName, s.Total.Window(), s.Total)
	c.errorGroups(ch, s.Errors, kept)
}

// entry sends the series of one entry, or of several summed.
func (c *Collector) entry(ch chan<- prometheus.Metric, method, name string, es []results.EntryStats) {
	var count, failures uint64
	var sum time.Duration
	var rps, fps float64
	buckets := make([]uint64, len(c.opts.Buckets))
	for _, e := range es {
		count += uint64(e.Count())
		failures += uint64(e.Failures())
		sum += e.Sum()
		rps += e.CurrentRPS()
		fps += e.CurrentFailPerSec()
		for i, n := range e.Latency().CountsAtOrBelow(c.opts.Buckets) {
			buckets[i] += n
		}
	}
	ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(count), method, name)
	ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(failures), method, name)
	bm := make(map[float64]uint64, len(buckets))
	for i, b := range c.opts.Buckets {
		bm[b.Seconds()] = buckets[i]
	}
	ch <- prometheus.MustNewConstHistogram(c.latency, count, sum.Seconds(), bm, method, name)
	ch <- prometheus.MustNewConstMetric(c.windowRPS, prometheus.GaugeValue, rps, method, name)
	ch <- prometheus.MustNewConstMetric(c.windowFPS, prometheus.GaugeValue, fps, method, name)
	if len(es) == 1 {
		c.windowQuantiles(ch, method, name, es[0].Window())
	}
}

// window sends the Aggregated row's window gauges.
func (c *Collector) window(ch chan<- prometheus.Metric, method, name string, w results.Window, total results.EntryStats) {
	ch <- prometheus.MustNewConstMetric(c.windowRPS, prometheus.GaugeValue, total.CurrentRPS(), method, name)
	ch <- prometheus.MustNewConstMetric(c.windowFPS, prometheus.GaugeValue, total.CurrentFailPerSec(), method, name)
	c.windowQuantiles(ch, method, name, w)
}

// windowQuantiles sends a window's quantile gauges; none when no request
// completed in the window, as there is no latency to give.
func (c *Collector) windowQuantiles(ch chan<- prometheus.Metric, method, name string, w results.Window) {
	if w.Count() == 0 {
		return
	}
	for _, q := range c.opts.Quantiles {
		ch <- prometheus.MustNewConstMetric(c.windowQuantile, prometheus.GaugeValue, w.Percentile(q).Seconds(),
			method, name, strconv.FormatFloat(q, 'g', -1, 64))
	}
}

// errorGroups sends the most frequent failure groups; those beyond the cap,
// or of entries summed under OtherEntries, are summed per entry series.
func (c *Collector) errorGroups(ch chan<- prometheus.Metric, groups []results.ErrorStats, kept []results.EntryStats) {
	own := make(map[results.EntryKey]bool, len(kept))
	for _, e := range kept {
		own[e.Key()] = true
	}
	type key struct{ method, name, err string }
	counts := map[key]int64{}
	var order []key
	shown := 0
	for _, g := range groups { // most frequent first
		k := key{g.Method, g.Name, g.Error}
		if !own[results.EntryKey{Method: g.Method, Name: g.Name}] {
			k = key{"", OtherEntries, OtherErrors}
		} else if shown >= c.opts.MaxErrors {
			k.err = OtherErrors
		} else {
			shown++
		}
		if _, ok := counts[k]; !ok {
			order = append(order, k)
		}
		counts[k] += g.Count
	}
	for _, k := range order {
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(counts[k]), k.method, k.name, k.err)
	}
}

// Handler serves the collector in Prometheus's exposition formats, with
// the Go runtime's and the process's own metrics (CPU, memory, file
// descriptors), which tell whether the load generator itself was the
// bottleneck.
func Handler(c *Collector) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
