package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"text/tabwriter"

	"github.com/loadgen/loadgen/results/chart"
	"github.com/loadgen/loadgen/results/scaling"
)

// scaleChartData is a sweep as the throughput and latency charts draw it.
func sweepChartData(res *scaling.Sweep) (chart.ScalingData, chart.LatencyData) {
	categorical := res.Categorical()
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
func throughputOptions(res *scaling.Sweep) chart.Options {
	return chart.Options{Title: "Throughput by " + res.Dimension}
}

// WriteSweepCharts draws a sweep's throughput and latency per step, each as
// SVG and PNG, in files named from base (base-throughput.svg, ...), and
// returns the files written.
func WriteSweepCharts(base string, res *scaling.Sweep) ([]string, error) {
	sd, ld := sweepChartData(res)
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
			if err := WriteFileAtomic(path, func(w io.Writer) error { return c.draw(w, ff.f) }); err != nil {
				return files, fmt.Errorf("chart %s: %w", path, err)
			}
			files = append(files, path)
		}
	}
	return files, nil
}

// WriteSweepTable prints a sweep: a row per step, the fits, the warnings
// and the charts drawn.
func WriteSweepTable(w io.Writer, res *scaling.Sweep) error {
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

// WriteSweepHTML writes a sweep as an HTML report: its settings, one row
// per step, the fits, the warnings and the throughput chart.
func WriteSweepHTML(w io.Writer, res *scaling.Sweep) error {
	cfg := []ConfigItem{
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
		cfg = append(cfg, ConfigItem{Key: st.Label, Value: v})
	}
	if a := res.Analysis; a != nil {
		if f := a.Amdahl; f != nil {
			cfg = append(cfg, ConfigItem{Key: "Amdahl", Value: fmt.Sprintf("λ=%.1f σ=%.4f R²=%.3f", f.Lambda, f.Sigma, f.R2)})
		}
		if f := a.USL; f != nil {
			v := fmt.Sprintf("λ=%.1f σ=%.4f κ=%.5f R²=%.3f", f.Lambda, f.Sigma, f.Kappa, f.R2)
			if f.HasPeak {
				v += fmt.Sprintf(", peak N*=%.1f X(N*)=%.1f", f.PeakN, f.PeakX)
			}
			cfg = append(cfg, ConfigItem{Key: "USL", Value: v})
		}
	}
	var warnings []string
	for _, wn := range res.Warnings {
		warnings = append(warnings, wn.String())
	}
	var svg bytes.Buffer
	sd, _ := sweepChartData(res)
	if err := chart.Throughput(&svg, chart.SVG, sd, throughputOptions(res)); err != nil {
		return err
	}
	return WriteHTML(w, nil, HTMLOptions{
		Title: "loadgen sweep over " + res.Dimension, Config: cfg, Warnings: warnings, ScalingSVG: svg.Bytes(),
	})
}

// WriteSweepCSV writes a sweep's steps as CSV, a row per step.
func WriteSweepCSV(w io.Writer, res *scaling.Sweep) error {
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
