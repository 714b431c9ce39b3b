// Package observe is how a run is watched from outside while it goes on:
// Locust's CSV files kept current (the stats rewritten and the history
// appended every second), an HDR interval log and a stream of JSON lines
// written every interval, and a Prometheus metrics endpoint. A front end opens a Watcher, runs
// with its Hooks, and closes it with the run's result; since every run,
// in one process, on workers or started from the web UI, gives the same
// ticks, every mode gets the same outputs.
package observe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/web"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/metrics"
	"github.com/loadgen/loadgen/results/report"
)

// DefaultMetricsLinger bounds how long Close keeps the metrics endpoint
// up after the run, waiting for a scrape of the final numbers.
const DefaultMetricsLinger = 30 * time.Second

// Options say what to watch a run with; empty fields open nothing.
type Options struct {
	// HDRLog is the file of the HDR interval log; HDRLogInterval its
	// interval (default report.DefaultHDRLogInterval).
	HDRLog         string
	HDRLogInterval time.Duration
	// JSONL is the file of the JSON lines. Either file may be "-", which
	// is Stdout.
	JSONL  string
	Stdout io.Writer
	// Metrics is the address of the Prometheus endpoint, served at
	// /metrics. An address other machines can reach needs BasicAuth
	// (user:pass) or Token, which every scrape must then carry.
	Metrics   string
	BasicAuth string
	Token     string
	// MetricsLinger bounds how long Close waits, after the run, for one
	// more scrape, so that Prometheus sees the final numbers; 0 means
	// DefaultMetricsLinger, a negative value does not wait.
	MetricsLinger time.Duration
	// Warmup is the run's warm-up: the files leave out its intervals, as
	// the statistics do.
	Warmup time.Duration
	// CSV is the prefix of Locust's four CSV files (see
	// report.CSVWriter), written as the run goes and completed by Close;
	// CSVOptions say how.
	CSV        string
	CSVOptions report.CSVOptions
}

// ErrMetricsNoAuth refuses a metrics endpoint other machines could reach
// without credentials.
var ErrMetricsNoAuth = errors.New("a metrics endpoint reachable from other machines needs credentials (--web-auth user:pass, or a coordinator's --token)")

// Check validates the options without opening anything.
func (o Options) Check() error {
	if o.HDRLogInterval < 0 {
		return fmt.Errorf("--hdr-log-interval %v: must not be negative", o.HDRLogInterval)
	}
	if o.Metrics != "" {
		host, _, err := net.SplitHostPort(o.Metrics)
		if err != nil {
			return fmt.Errorf("--metrics %q: want host:port: %w", o.Metrics, err)
		}
		if o.BasicAuth == "" && o.Token == "" && !netaddr.LoopbackHost(host) {
			return fmt.Errorf("--metrics %s: %w", o.Metrics, ErrMetricsNoAuth)
		}
	}
	return nil
}

// Watcher watches one run, or the runs of a web UI one after the other.
type Watcher struct {
	opts Options
	log  *slog.Logger

	latest atomic.Pointer[loadgen.Tick]

	mu               sync.Mutex
	hdrOut, jsonlOut io.Writer // nil when not asked for
	files            []*os.File
	// The writers are made at the first tick, which tells when the
	// warm-up ends.
	hdr     *report.HDRLogWriter
	jsonl   *report.JSONLWriter
	csv     *report.CSVWriter
	csvLast *results.Snapshot // the last snapshot the CSV files got
	started bool
	warmEnd time.Time // the end of the last warm-up
	last    int       // Snapshot.Intervals of the last tick
	err     error

	srv     *http.Server
	ln      net.Listener
	scrapes atomic.Int64
}

// Open opens the files and the metrics endpoint the options ask for.
func Open(o Options, log *slog.Logger) (*Watcher, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{opts: o, log: log}
	if err := w.openFiles(); err != nil {
		w.closeFiles()
		return nil, err
	}
	if o.Metrics != "" {
		if err := w.serve(); err != nil {
			w.closeFiles()
			return nil, err
		}
	}
	return w, nil
}

func (w *Watcher) openFiles() error {
	var err error
	if w.hdrOut, err = w.open("--hdr-log", w.opts.HDRLog); err != nil {
		return err
	}
	if w.jsonlOut, err = w.open("--jsonl", w.opts.JSONL); err != nil {
		return err
	}
	return nil
}

// open opens an output for writing as the run goes: nil for none, Stdout
// for "-".
func (w *Watcher) open(flag, path string) (io.Writer, error) {
	switch path {
	case "":
		return nil, nil
	case report.Stdout:
		if w.opts.Stdout == nil {
			return nil, fmt.Errorf("%s -: no standard output to write to", flag)
		}
		return w.opts.Stdout, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	w.files = append(w.files, f)
	return f, nil
}

// start makes the writers, leaving out what ends at or before from.
func (w *Watcher) start(from time.Time) {
	w.started = true
	if w.hdrOut != nil {
		// The interval was checked by Check.
		w.hdr, _ = report.NewHDRLogWriter(w.hdrOut, report.HDRLogOptions{Interval: w.opts.HDRLogInterval, From: from})
	}
	if w.jsonlOut != nil {
		w.jsonl = report.NewJSONLWriter(w.jsonlOut, from)
	}
}

// serve starts the metrics endpoint.
func (w *Watcher) serve() error {
	c := metrics.NewCollector(metrics.Source{
		Snapshot: func() *results.Snapshot {
			if t := w.latest.Load(); t != nil {
				return t.Snapshot
			}
			return nil
		},
		Workers: func() []results.WorkerStatus {
			if t := w.latest.Load(); t != nil {
				return t.Workers
			}
			return nil
		},
		Open: func() *results.OpenStats {
			if t := w.latest.Load(); t != nil {
				return t.Open
			}
			return nil
		},
	}, metrics.Options{})
	h, err := web.RequireAuth(w.opts.BasicAuth, w.opts.Token, metrics.Handler(c))
	if err != nil {
		return fmt.Errorf("--metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(rw, r)
		w.scrapes.Add(1)
	}))
	ln, err := net.Listen("tcp", w.opts.Metrics)
	if err != nil {
		return fmt.Errorf("--metrics: %w", err)
	}
	w.ln = ln
	w.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(w.log.Handler(), slog.LevelWarn)}
	go w.srv.Serve(ln)
	w.log.Info("metrics endpoint listening", "url", "http://"+ln.Addr().String()+"/metrics")
	return nil
}

// MetricsAddr is the metrics endpoint's address, or "" without one.
func (w *Watcher) MetricsAddr() string {
	if w.ln == nil {
		return ""
	}
	return w.ln.Addr().String()
}

// Hooks returns h with the watcher's handlers before h's own.
func (w *Watcher) Hooks(h loadgen.Hooks) loadgen.Hooks {
	next, nextWarm := h.OnTick, h.OnWarmupEnd
	h.OnTick = func(t loadgen.Tick) {
		w.Tick(t)
		if next != nil {
			next(t)
		}
	}
	h.OnWarmupEnd = func(excluded *results.Snapshot) {
		w.WarmupEnd(excluded)
		if nextWarm != nil {
			nextWarm(excluded)
		}
	}
	return h
}

// WarmupEnd takes the end of a run's warm-up: the files start there, as
// the statistics do.
func (w *Watcher) WarmupEnd(excluded *results.Snapshot) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.warmEnd = excluded.Now
	if w.last > 0 && !w.started {
		w.start(excluded.Now)
	}
}

// Tick takes one collection: the files get its interval, the metrics its
// numbers.
func (w *Watcher) Tick(t loadgen.Tick) {
	if t.Snapshot == nil {
		return
	}
	w.latest.Store(&t)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == 0 || t.Snapshot.Intervals < w.last {
		// The first tick of a run (a web UI's next run counts its
		// intervals from zero again). A next run's lines follow the last
		// one's in the same files, its HDR log lines after a header of
		// their own.
		if w.hdr != nil && w.err == nil {
			w.err = w.hdr.Close()
		}
		w.closeCSV(w.csvLast)
		w.hdr, w.jsonl, w.started = nil, nil, false
		switch {
		case w.opts.Warmup <= 0:
			w.start(t.Snapshot.Start)
		case !w.warmEnd.IsZero() && !w.warmEnd.Before(t.Snapshot.Start):
			// This run's warm-up ended before its first tick.
			w.start(w.warmEnd)
		}
	}
	w.last = t.Snapshot.Intervals
	if w.started {
		w.write(t.Snapshot, true)
	}
}

// write gives a snapshot to the files, the CSV files too when csv is
// set; the first error is kept, logged once, and returned by Close.
func (w *Watcher) write(s *results.Snapshot, csv bool) {
	if w.err != nil {
		return
	}
	var errs []error
	if w.hdr != nil {
		errs = append(errs, w.hdr.Write(s))
	}
	if w.jsonl != nil {
		errs = append(errs, w.jsonl.Write(s))
	}
	if csv {
		errs = append(errs, w.updateCSV(s))
	}
	if err := errors.Join(errs...); err != nil {
		w.err = err
		w.log.Error("writing the run's live files failed; the run goes on", "err", err)
	}
}

// updateCSV brings the CSV files to s, creating them at a run's first
// snapshot (replacing an earlier run's).
func (w *Watcher) updateCSV(s *results.Snapshot) error {
	if w.opts.CSV == "" {
		return nil
	}
	w.csvLast = s
	if w.csv == nil {
		var err error
		w.csv, err = report.CreateCSVFiles(w.opts.CSV, s, w.opts.CSVOptions)
		return err
	}
	return w.csv.Update(s)
}

// closeCSV completes the CSV files with a run's final snapshot s.
func (w *Watcher) closeCSV(s *results.Snapshot) {
	if w.csv == nil || s == nil {
		return
	}
	err := w.csv.Close(s)
	w.csv = nil
	if err != nil && w.err == nil {
		w.err = err
		w.log.Error("writing the CSV files failed", "err", err)
	}
}

// finalCSV writes the CSV files once more from the final snapshot
// alone, as loadgen report renders them from the run's JSON, so that the
// two agree to the byte. Each file is replaced whole and at once, so a
// kill meanwhile leaves the one kept during the run.
func (w *Watcher) finalCSV(s *results.Snapshot) {
	if w.opts.CSV == "" || w.err != nil {
		return
	}
	if err := report.WriteCSVFiles(w.opts.CSV, s, w.opts.CSVOptions); err != nil {
		w.err = fmt.Errorf("--csv %s: %w", w.opts.CSV, err)
		w.log.Error("writing the CSV files failed", "err", err)
	}
}

// Close gives the files the run's final statistics and closes them, and
// keeps the metrics endpoint up with the final numbers until it has been
// scraped once more (bounded by MetricsLinger, or ctx), then stops it.
// res may be nil, for a run that did not start.
func (w *Watcher) Close(ctx context.Context, res *loadgen.Result) error {
	if res != nil && res.Snapshot != nil {
		w.latest.Store(&loadgen.Tick{Snapshot: res.Snapshot, Open: res.Open, Workers: res.Workers})
		w.mu.Lock()
		if !w.started {
			// No tick came: the result's statistics start after the
			// warm-up.
			w.start(res.Snapshot.Start)
		}
		if w.csv == nil && w.opts.CSV != "" && w.err == nil {
			w.csv, w.err = report.CreateCSVFiles(w.opts.CSV, res.Snapshot, w.opts.CSVOptions)
		}
		// The final snapshot completes the CSV files rather than adding
		// a second to them.
		w.write(res.Snapshot, false)
		w.closeCSV(res.Snapshot)
		w.finalCSV(res.Snapshot)
		w.mu.Unlock()
	}
	w.mu.Lock()
	if !w.started {
		w.start(time.Now())
	}
	if w.hdr != nil && w.err == nil {
		w.err = w.hdr.Close()
	}
	err := w.err
	w.mu.Unlock()
	err = errors.Join(err, w.closeFiles())
	if w.srv != nil {
		w.linger(ctx)
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = w.srv.Shutdown(shut)
	}
	return err
}

// linger waits for one scrape after the run's end.
func (w *Watcher) linger(ctx context.Context) {
	d := w.opts.MetricsLinger
	if d == 0 {
		d = DefaultMetricsLinger
	}
	if d < 0 {
		return
	}
	n := w.scrapes.Load()
	w.log.Info("waiting for a last scrape of the metrics endpoint", "at_most", d)
	timer := time.NewTimer(d)
	defer timer.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for w.scrapes.Load() == n {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		case <-tick.C:
		}
	}
}

func (w *Watcher) closeFiles() error {
	var errs []error
	for _, f := range w.files {
		// A device or a pipe (/dev/stdout) cannot be synced, and need not.
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			errs = append(errs, f.Sync())
		}
		errs = append(errs, f.Close())
	}
	w.files, w.hdrOut, w.jsonlOut = nil, nil, nil
	return errors.Join(errs...)
}
