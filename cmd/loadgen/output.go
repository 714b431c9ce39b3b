package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen/control"
	"github.com/loadgen/loadgen/results/report"
	"github.com/loadgen/loadgen/results/threshold"
)

// workersJSON is nil for a run in one process, so the section is left out.
func workersJSON(d *control.Result) any {
	if d == nil {
		return nil
	}
	return d.Workers
}

// thresholdsJSON is nil without thresholds, so the section is left out.
func thresholdsJSON(rs []threshold.Result) any {
	if len(rs) == 0 {
		return nil
	}
	return rs
}

// runConfig is the configuration recorded in the JSON result.
type runConfig struct {
	Host        string  `json:"host"`
	Embedded    bool    `json:"embedded_service"`
	Store       string  `json:"store,omitempty"`
	Profile     string  `json:"profile"`
	Ratio       string  `json:"ratio,omitempty"`
	Users       int     `json:"users"`
	SpawnRate   float64 `json:"spawn_rate"`
	RunTime     string  `json:"run_time"`
	Wait        string  `json:"wait"`
	Client      string  `json:"client"`
	Timeout     string  `json:"timeout"`
	Seed        uint64  `json:"seed"`
	Version     string  `json:"loadgen_version"`
	Rate        string  `json:"rate,omitempty"`
	Arrival     string  `json:"arrival,omitempty"`
	Open        any     `json:"open_model,omitempty"`
	Warmup      string  `json:"warmup,omitempty"`
	Workers     int     `json:"workers,omitempty"`
	ProcessCPUS float64 `json:"process_cpu_s"`
	CPUPerReqUs float64 `json:"process_cpu_us_per_request"`
}

// writeOutputs prints the final tables and writes every requested file.
// Every file is attempted even when one fails, so a full disk for one
// output does not cost the others.
func writeOutputs(e env, res *result) error {
	snap := res.snap
	p := res.plan
	var errs []error
	if err := report.WriteSummary(e.stdout, snap); err != nil {
		errs = append(errs, fmt.Errorf("writing the summary: %w", err))
	}
	if err := report.WriteSecondarySeries(e.stdout, snap); err != nil {
		errs = append(errs, fmt.Errorf("writing the secondary series: %w", err))
	}
	if st := res.open; st != nil {
		fmt.Fprintf(e.stdout, "\nOpen model: %d scheduled, %d sent, %d late (>%v), %d dropped (>%v behind), %d abandoned at the end; at most %d in flight (cap %d), latest send %v behind\n",
			st.Scheduled, st.Sent, st.Late, st.LateAfter, st.Dropped, st.MaxLag, st.Abandoned, st.Slots, st.MaxInFlight, st.MaxLate.Round(time.Microsecond))
	}
	if res.dist != nil {
		fmt.Fprintln(e.stdout)
		if err := writeWorkers(e.stdout, res.dist.Workers); err != nil {
			errs = append(errs, fmt.Errorf("writing the worker table: %w", err))
		}
		for _, w := range res.dist.Warnings {
			fmt.Fprintf(e.stdout, "warning: %s\n", w)
		}
	}
	if len(res.thresholds) > 0 {
		fmt.Fprintln(e.stdout)
		if err := threshold.WriteSummary(e.stdout, res.thresholds); err != nil {
			errs = append(errs, fmt.Errorf("writing the threshold summary: %w", err))
		}
	}
	cpuPerReq := 0.0
	if n := res.cpuRequests; n > 0 {
		cpuPerReq = float64(res.cpu.Microseconds()) / float64(n)
	}
	var parts []string
	if res.localWorkers > 0 {
		parts = append(parts, "includes the workers this process started")
	}
	if p.host == "" {
		parts = append(parts, "this process also ran the embedded album service")
	}
	note := ""
	if len(parts) > 0 {
		note = " (" + strings.Join(parts, "; ") + ")"
	}
	fmt.Fprintf(e.stdout, "Process CPU: %.2f s, %.1f us per request%s\n", res.cpu.Seconds(), cpuPerReq, note)
	// One machine-readable line, last, for scripts and benchmark harnesses.
	fmt.Fprintf(e.stdout, "requests=%d errors=%d rps=%.1f p50_ms=%s p99_ms=%s cpu_us_per_req=%.1f\n",
		snap.Total.Count(), snap.Total.Failures(), snap.Total.TotalRPS(),
		report.Millis(snap.Total.Percentile(0.5)), report.Millis(snap.Total.Percentile(0.99)), cpuPerReq)

	if f := p.flags.CSV; f != "" {
		if err := report.WriteCSVFiles(f, snap, report.CSVOptions{FullHistory: p.flags.CSVFullHistory, Precise: p.flags.CSVPrecise}); err != nil {
			errs = append(errs, fmt.Errorf("--csv %s: %w", f, err))
		}
	}
	if f := p.flags.JSON; f != "" {
		cfg := runConfig{
			Host: res.host, Embedded: p.host == "", Profile: p.profile.Name, Ratio: p.flags.Ratio,
			Users: p.users, SpawnRate: p.spawnRate, RunTime: p.runTime.String(), Wait: p.wait.String(),
			Client: p.flags.Client, Timeout: p.flags.Timeout.String(), Seed: res.seed, Version: version,
			ProcessCPUS: res.cpu.Seconds(), CPUPerReqUs: cpuPerReq,
		}
		if p.host == "" {
			cfg.Store = string(p.store)
		}
		if p.open {
			cfg.Users, cfg.SpawnRate = 0, 0
			cfg.Rate = p.flags.RateStages
			if cfg.Rate == "" {
				cfg.Rate = fmt.Sprintf("%g/s", p.flags.Rate)
			} else if p.flags.Rate > 0 {
				cfg.Rate = fmt.Sprintf("from %g/s: %s", p.flags.Rate, cfg.Rate)
			}
			cfg.Arrival = p.flags.Arrival
			if res.open != nil {
				cfg.Open = res.open
			}
		}
		if p.flags.Warmup > 0 {
			cfg.Warmup = p.flags.Warmup.String()
		}
		cfg.Workers = res.localWorkers
		err := report.WriteFileAtomic(f, func(w io.Writer) error {
			return report.WriteJSON(w, snap, report.JSONOptions{
				Config: cfg, FullHistory: p.flags.CSVFullHistory, Warnings: res.warnings, Thresholds: thresholdsJSON(res.thresholds), Workers: workersJSON(res.dist),
				// What the HTML report shows, so that loadgen report renders it again.
				Title: htmlTitle(res), ConfigItems: configItems(p, res.host, res.seed, res.started, res.localWorkers),
			})
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("--json %s: %w", f, err))
		}
	}
	if f := p.htmlFile; f != "" {
		if err := writeHTMLFile(f, res); err != nil {
			errs = append(errs, fmt.Errorf("--html %s: %w", f, err))
		}
	}
	return errors.Join(errs...)
}
