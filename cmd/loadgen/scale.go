package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/loadgen/loadgen/internal/embedded"
	"github.com/loadgen/loadgen/internal/procstat"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/results/chart"
	"github.com/loadgen/loadgen/results/report"
	"github.com/loadgen/loadgen/results/scaling"
)

// scaleOnly reports the flags that scale sets for each step itself, or
// that only scale reads.
func scaleOnly(name string) bool {
	switch name {
	case "over", "warmup", "step", "cooldown", "host", "seed", "json", "csv", "csv-full-history", "only-summary", "print-interval", "run-time":
		return true
	}
	return false
}

// dimensionFlag is the run flag a sweep's dimension sets, and false for an
// unknown dimension.
func dimensionFlag(dim string) (string, bool) {
	switch dim {
	case "workers", "users", "rate", "store":
		return "--" + dim, true
	}
	return "", false
}

// scaleStep is one step of a sweep, measured over its steady window.
type scaleStep struct {
	Label       string          `json:"label"`
	Value       string          `json:"value"`
	N           float64         `json:"n,omitempty"`
	RPS         float64         `json:"rps"`
	Requests    int64           `json:"requests"`
	Failures    int64           `json:"failures"`
	P50Ms       float64         `json:"p50_ms"`
	P95Ms       float64         `json:"p95_ms"`
	P99Ms       float64         `json:"p99_ms"`
	GenCPU      float64         `json:"generator_cpu"`        // busy fraction of this machine's cores
	ServerCPU   float64         `json:"server_cpu,omitempty"` // the embedded service's, same unit
	ExitCode    int             `json:"exit_code"`
	ServerKnown bool            `json:"server_cpu_known"`
	Report      json.RawMessage `json:"report"`
}

// scaleResult is what scale writes with --json.
type scaleResult struct {
	Version   int               `json:"version"`
	Dimension string            `json:"dimension"`
	Warmup    string            `json:"warmup"`
	Step      string            `json:"step"`
	Seed      uint64            `json:"seed"`
	Steps     []*scaleStep      `json:"steps"`
	Analysis  *scaling.Analysis `json:"analysis,omitempty"`
	Warnings  []scaling.Warning `json:"warnings,omitempty"`
	Charts    []string          `json:"charts,omitempty"`
}

// runScale runs one measured step per value of a dimension, each in a
// child process after a warm-up that is not counted, then fits Amdahl's law
// and the USL to the throughputs and draws them.
func runScale(ctx context.Context, e env, args []string) (int, error) {
	c, err := cli.NewCommand("scale")
	if err != nil {
		return exitInternal, err
	}
	set, err := c.Parse(args, e.getenv)
	if err != nil {
		if isHelp(err) {
			fmt.Fprint(e.stderr, c.Help())
			return exitOK, nil
		}
		return exitUsage, err
	}
	f, over, step, cooldown, htmlFile, fs := &c.Run, c.Scale.Over, c.Scale.Step, c.Scale.Cooldown, c.Scale.HTML, c.Flags
	warmup := f.Warmup
	dim, values, err := parseOver(over)
	if err != nil {
		return exitUsage, err
	}
	if warmup < 0 || step <= 0 || cooldown < 0 {
		return exitUsage, usagef("--warmup, --step and --cooldown: need warmup >= 0, step > 0, cooldown >= 0 (got %v, %v, %v)", warmup, step, cooldown)
	}
	if err := checkOutputDir(htmlFile); err != nil {
		return exitUsage, usagef("--html %s: %w", htmlFile, err)
	}
	if fs.Changed(dim) {
		return exitUsage, usagef("--over %s=... and --%s both set the same thing; drop one", dim, dim)
	}
	// Each step's run time is warm-up plus step; the plan checks the rest.
	f.Warmup, f.RunTime = 0, (warmup + step).String()
	p, err := plan(c, set)
	if err != nil {
		return exitUsage, err
	}
	if dim == "store" && p.host != "" {
		return exitUsage, usagef("--over store=... sweeps the embedded album service's stores; it cannot be used with --host")
	}
	seed := runSeed(f)
	pass := passThroughExcept(fs, scaleOnly)
	tmp, err := os.MkdirTemp("", "loadgen-scale-")
	if err != nil {
		return exitInternal, err
	}
	defer os.RemoveAll(tmp)

	res := &scaleResult{Version: 1, Dimension: dim, Warmup: warmup.String(), Step: step.String(), Seed: seed}
	for i, v := range values {
		if ctx.Err() != nil {
			break
		}
		if i > 0 && cooldown > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(cooldown):
			}
		}
		fmt.Fprintf(e.stderr, "scale: %s=%s (%s warm-up, %s measured)...\n", dim, v, warmup, step)
		st, err := runStep(ctx, e, p, pass, dim, v, seed, warmup, step, filepath.Join(tmp, fmt.Sprintf("step%d.json", i)))
		if err != nil {
			return exitInternal, fmt.Errorf("step %s=%s: %w", dim, v, err)
		}
		res.Steps = append(res.Steps, st)
	}
	if len(res.Steps) == 0 {
		return exitInternal, fmt.Errorf("no step was measured")
	}
	if dim != "store" {
		var pts []scaling.Point
		var cpu []scaling.StepCPU
		for _, st := range res.Steps {
			pts = append(pts, scaling.Point{N: st.N, X: st.RPS})
			cpu = append(cpu, scaling.StepCPU{Label: st.Label, N: st.N, CPU: st.GenCPU})
		}
		if a, err := scaling.Analyze(pts); err == nil {
			res.Analysis = &a
			res.Warnings = append(res.Warnings, a.Warnings...)
		} else {
			res.Warnings = append(res.Warnings, scaling.Warning{Code: scaling.Skipped, Message: "no fit: " + err.Error()})
		}
		res.Warnings = append(res.Warnings, scaling.GeneratorSaturation(cpu, 0)...)
	}
	base := outputBase(*f, htmlFile, dim)
	if res.Charts, err = writeScaleCharts(base, res); err != nil {
		return exitInternal, err
	}
	if err := writeScaleTable(e.stdout, res); err != nil {
		return exitInternal, err
	}
	if f.CSV != "" {
		if err := report.WriteFileAtomic(f.CSV, func(w io.Writer) error { return writeScaleCSV(w, res) }); err != nil {
			return exitInternal, fmt.Errorf("--csv %s: %w", f.CSV, err)
		}
	}
	if htmlFile != "" {
		if err := report.WriteFileAtomic(htmlFile, func(w io.Writer) error { return writeScaleHTML(w, res) }); err != nil {
			return exitInternal, fmt.Errorf("--html %s: %w", htmlFile, err)
		}
	}
	if f.JSON != "" {
		err := report.WriteFileAtomic(f.JSON, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(res)
		})
		if err != nil {
			return exitInternal, fmt.Errorf("--json %s: %w", f.JSON, err)
		}
	}
	code := exitOK
	for _, st := range res.Steps {
		if st.ExitCode == exitThreshold || (code == exitOK && st.ExitCode != exitOK) {
			code = st.ExitCode
		}
	}
	return code, nil
}

// parseOver reads DIM=V1,V2,...
func parseOver(over string) (string, []string, error) {
	if over == "" {
		return "", nil, usagef("--over is required, e.g. --over workers=1,2,4,8")
	}
	dim, list, ok := strings.Cut(over, "=")
	if !ok {
		return "", nil, usagef("--over %q: want DIM=V1,V2,... such as workers=1,2,4,8", over)
	}
	if _, known := dimensionFlag(dim); !known {
		return "", nil, usagef("--over %q: unknown dimension %q; want workers, users, rate or store", over, dim)
	}
	var values []string
	seen := map[string]bool{}
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			return "", nil, usagef("--over %q: empty value", over)
		}
		if seen[v] {
			return "", nil, usagef("--over %q: %s appears twice", over, v)
		}
		seen[v] = true
		if dim == "store" {
			if _, err := albumsvc.ParseStoreKind(v); err != nil {
				return "", nil, usagef("--over %q: %w", over, err)
			}
		} else if n, err := strconv.ParseFloat(v, 64); err != nil || n <= 0 || (dim != "rate" && n != float64(int(n))) {
			return "", nil, usagef("--over %q: %q is not a positive %s", over, v, map[bool]string{true: "number", false: "whole number"}[dim == "rate"])
		}
		values = append(values, v)
	}
	if len(values) < 1 {
		return "", nil, usagef("--over %q: no values", over)
	}
	return dim, values, nil
}

// passThroughExcept rebuilds the flags given that a child run takes as
// they are.
func passThroughExcept(fs *pflag.FlagSet, skip func(name string) bool) []string {
	var args []string
	fs.Visit(func(fl *pflag.Flag) {
		if skip(fl.Name) {
			return
		}
		if fl.Value.Type() == "stringArray" {
			vals, _ := fs.GetStringArray(fl.Name)
			for _, v := range vals {
				args = append(args, "--"+fl.Name+"="+v)
			}
			return
		}
		args = append(args, "--"+fl.Name+"="+fl.Value.String())
	})
	return args
}

// runStep runs one step in a child process. With the embedded service, the
// service runs here, fresh for every step, and this process's CPU time over
// the step is the service's.
func runStep(ctx context.Context, e env, p *testPlan, pass []string, dim, value string, seed uint64, warmup, step time.Duration, jsonPath string) (*scaleStep, error) {
	st := &scaleStep{Label: dim + "=" + value, Value: value}
	if dim != "store" {
		st.N, _ = strconv.ParseFloat(value, 64)
	}
	host := p.host
	var srv *embedded.Service
	if host == "" {
		store := p.store
		if dim == "store" {
			store, _ = albumsvc.ParseStoreKind(value)
		}
		var err error
		if srv, err = embedded.Start(store, nil); err != nil {
			return nil, err
		}
		defer srv.Stop()
		host = srv.URL
	}
	args := append(append([]string{}, pass...), "--host="+host, fmt.Sprintf("--seed=%d", seed), "--only-summary",
		"--json="+jsonPath, "--warmup="+warmup.String(), "--run-time="+(warmup+step).String())
	if dim != "store" {
		flag, _ := dimensionFlag(dim)
		args = append(args, flag+"="+value)
	}
	cpu0 := procstat.CPU()
	c, err := runChild(ctx, e, args, jsonPath)
	if err != nil {
		return nil, err
	}
	wall := c.wall.Seconds() * float64(runtime.NumCPU())
	st.ExitCode = c.exitCode
	if wall > 0 {
		st.GenCPU = c.cpu.Seconds() / wall
		if srv != nil {
			st.ServerCPU = (procstat.CPU() - cpu0).Seconds() / wall
			st.ServerKnown = true
		}
	}
	st.Report = c.data
	rep := c.rep
	a := rep.Aggregated
	st.RPS, st.Requests, st.Failures = a.RPS, a.Count, a.Failures
	st.P50Ms, st.P95Ms, st.P99Ms = a.Percentiles["50"], a.Percentiles["95"], a.Percentiles["99"]
	return st, nil
}

// outputBase is where the charts go: beside --json, --csv or --html, else in the
// current directory.
func outputBase(f runFlags, htmlFile, dim string) string {
	for _, p := range []string{f.JSON, f.CSV, htmlFile} {
		if p != "" {
			return strings.TrimSuffix(p, filepath.Ext(p))
		}
	}
	return "scale-" + dim
}

// scaleChartData is a sweep as the throughput and latency charts draw it.
func scaleChartData(res *scaleResult) (chart.ScalingData, chart.LatencyData) {
	categorical := res.Dimension == "store"
	sd := chart.ScalingData{Dimension: res.Dimension, Categorical: categorical}
	ld := chart.LatencyData{Dimension: res.Dimension, Categorical: categorical, Unit: "ms"}
	for _, st := range res.Steps {
		sd.Steps = append(sd.Steps, chart.Step{Label: st.Value, N: st.N, X: st.RPS})
		ld.Steps = append(ld.Steps, chart.LatencyStep{Label: st.Value, N: st.N, P50: st.P50Ms, P95: st.P95Ms, P99: st.P99Ms})
	}
	if a := res.Analysis; a != nil {
		sd.Ideal = a.Baseline
		if a.Amdahl != nil {
			sd.Curves = append(sd.Curves, chart.Curve{Name: fmt.Sprintf("Amdahl (σ=%.3f, R²=%.2f)", a.Amdahl.Sigma, a.Amdahl.R2), F: a.Amdahl.Predict})
		}
		if a.USL != nil {
			sd.Curves = append(sd.Curves, chart.Curve{Name: fmt.Sprintf("USL (σ=%.3f, κ=%.4f, R²=%.2f)", a.USL.Sigma, a.USL.Kappa, a.USL.R2), F: a.USL.Predict})
		}
	}
	return sd, ld
}

// throughputOptions titles a sweep's throughput chart.
func throughputOptions(res *scaleResult) chart.Options {
	return chart.Options{Title: "Throughput by " + res.Dimension}
}

// writeScaleCharts draws throughput and latency per step, each as SVG and
// PNG, and returns the files written.
func writeScaleCharts(base string, res *scaleResult) ([]string, error) {
	sd, ld := scaleChartData(res)
	var files []string
	for _, c := range []struct {
		name string
		draw func(w io.Writer, f chart.Format) error
	}{
		{"throughput", func(w io.Writer, f chart.Format) error {
			return chart.Throughput(w, f, sd, throughputOptions(res))
		}},
		{"latency", func(w io.Writer, f chart.Format) error {
			return chart.Latency(w, f, ld, chart.Options{Title: "Response time by " + res.Dimension})
		}},
	} {
		for _, ff := range []struct {
			ext string
			f   chart.Format
		}{{".svg", chart.SVG}, {".png", chart.PNG}} {
			path := base + "-" + c.name + ff.ext
			if err := report.WriteFileAtomic(path, func(w io.Writer) error { return c.draw(w, ff.f) }); err != nil {
				return files, fmt.Errorf("chart %s: %w", path, err)
			}
			files = append(files, path)
		}
	}
	return files, nil
}

func writeScaleTable(w io.Writer, res *scaleResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\treq/s\trequests\tfailures\tp50 ms\tp95 ms\tp99 ms\tgenerator CPU\tserver CPU\t")
	for _, st := range res.Steps {
		srv := "-"
		if st.ServerKnown {
			srv = fmt.Sprintf("%.0f%%", st.ServerCPU*100)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%d\t%d\t%.3g\t%.3g\t%.3g\t%.0f%%\t%s\t\n", st.Label, st.RPS, st.Requests, st.Failures,
			st.P50Ms, st.P95Ms, st.P99Ms, st.GenCPU*100, srv)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "(CPU as a share of this machine's %d cores, over each whole step)\n", runtime.NumCPU())
	if a := res.Analysis; a != nil {
		fmt.Fprintln(w)
		if f := a.Amdahl; f != nil {
			fmt.Fprintf(w, "Amdahl: X(N) = λN / (1 + σ(N-1))            λ=%.1f  σ=%.4f  R²=%.3f", f.Lambda, f.Sigma, f.R2)
			if f.Ceiling > 0 {
				fmt.Fprintf(w, "  ceiling λ/σ=%.1f", f.Ceiling)
			}
			fmt.Fprintln(w)
		}
		if f := a.USL; f != nil {
			fmt.Fprintf(w, "USL:    X(N) = λN / (1 + σ(N-1) + κN(N-1))  λ=%.1f  σ=%.4f  κ=%.5f  R²=%.3f", f.Lambda, f.Sigma, f.Kappa, f.R2)
			if f.HasPeak {
				fmt.Fprintf(w, "  peak N*=%.1f X(N*)=%.1f", f.PeakN, f.PeakX)
			} else {
				fmt.Fprint(w, "  no peak (κ=0)")
			}
			fmt.Fprintln(w)
		}
	}
	for _, wn := range res.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
	for _, c := range res.Charts {
		fmt.Fprintf(w, "chart: %s\n", c)
	}
	return nil
}

// writeScaleHTML writes the sweep as an HTML report: its settings, one row
// per step, the fits, the warnings and the throughput chart.
func writeScaleHTML(w io.Writer, res *scaleResult) error {
	cfg := []report.ConfigItem{
		{Key: "Dimension", Value: res.Dimension},
		{Key: "Warm-up, step", Value: res.Warmup + ", " + res.Step},
		{Key: "Seed", Value: strconv.FormatUint(res.Seed, 10)},
	}
	for _, st := range res.Steps {
		v := fmt.Sprintf("%.1f req/s, %d requests, %d failures, p50 %.3g ms, p95 %.3g ms, p99 %.3g ms, generator CPU %.0f%%",
			st.RPS, st.Requests, st.Failures, st.P50Ms, st.P95Ms, st.P99Ms, st.GenCPU*100)
		if st.ServerKnown {
			v += fmt.Sprintf(", server CPU %.0f%%", st.ServerCPU*100)
		}
		cfg = append(cfg, report.ConfigItem{Key: st.Label, Value: v})
	}
	if a := res.Analysis; a != nil {
		if f := a.Amdahl; f != nil {
			cfg = append(cfg, report.ConfigItem{Key: "Amdahl", Value: fmt.Sprintf("λ=%.1f σ=%.4f R²=%.3f", f.Lambda, f.Sigma, f.R2)})
		}
		if f := a.USL; f != nil {
			v := fmt.Sprintf("λ=%.1f σ=%.4f κ=%.5f R²=%.3f", f.Lambda, f.Sigma, f.Kappa, f.R2)
			if f.HasPeak {
				v += fmt.Sprintf(", peak N*=%.1f X(N*)=%.1f", f.PeakN, f.PeakX)
			}
			cfg = append(cfg, report.ConfigItem{Key: "USL", Value: v})
		}
	}
	var warnings []string
	for _, wn := range res.Warnings {
		warnings = append(warnings, wn.String())
	}
	var svg bytes.Buffer
	sd, _ := scaleChartData(res)
	if err := chart.Throughput(&svg, chart.SVG, sd, throughputOptions(res)); err != nil {
		return err
	}
	return report.WriteHTML(w, nil, report.HTMLOptions{
		Title: "loadgen sweep over " + res.Dimension, Config: cfg, Warnings: warnings, ScalingSVG: svg.Bytes(),
	})
}

func writeScaleCSV(w io.Writer, res *scaleResult) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"Step", "Value", "N", "Requests/s", "Requests", "Failures", "50%", "95%", "99%", "Generator CPU", "Server CPU"})
	for _, st := range res.Steps {
		srv := ""
		if st.ServerKnown {
			srv = strconv.FormatFloat(st.ServerCPU, 'f', 4, 64)
		}
		cw.Write([]string{st.Label, st.Value, strconv.FormatFloat(st.N, 'g', -1, 64), strconv.FormatFloat(st.RPS, 'f', 2, 64),
			strconv.FormatInt(st.Requests, 10), strconv.FormatInt(st.Failures, 10),
			strconv.FormatFloat(st.P50Ms, 'f', 3, 64), strconv.FormatFloat(st.P95Ms, 'f', 3, 64), strconv.FormatFloat(st.P99Ms, 'f', 3, 64),
			strconv.FormatFloat(st.GenCPU, 'f', 4, 64), srv})
	}
	cw.Flush()
	return cw.Error()
}
