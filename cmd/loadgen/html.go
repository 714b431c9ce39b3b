package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/loadgen/loadgen/loadgen/control"
	"github.com/loadgen/loadgen/results/report"
)

// writeHTMLFile writes the --html report of a finished run.
func writeHTMLFile(path string, res *result) error {
	var workers []report.WorkerRow
	if res.dist != nil {
		workers = workerRows(res.dist.Workers)
	}
	return report.WriteFileAtomic(path, func(w io.Writer) error {
		return report.WriteHTML(w, res.snap, report.HTMLOptions{
			Title:      htmlTitle(res),
			Config:     configItems(res.plan, res.host, res.seed, res.started, res.localWorkers),
			Warnings:   res.warnings,
			Thresholds: res.thresholds,
			Workers:    workers,
		})
	})
}

// htmlTitle heads a run's HTML report.
func htmlTitle(res *result) string { return "loadgen report: " + res.plan.profile.Name }

// configItems is a run's configuration as people read it, for the HTML
// report and the web UI.
func configItems(p *testPlan, host string, seed uint64, started time.Time, localWorkers int) []report.ConfigItem {
	target := host
	if p.host == "" {
		target += " (embedded album service, " + string(p.store) + " store)"
	}
	items := []report.ConfigItem{
		{Key: "Host", Value: target},
		{Key: "Profile", Value: p.profile.Name},
	}
	if p.flags.Ratio != "" {
		items = append(items, report.ConfigItem{Key: "Ratio", Value: p.flags.Ratio})
	}
	if p.open {
		rate := fmt.Sprintf("%g/s", p.flags.Rate)
		if p.flags.RateStages != "" {
			rate = fmt.Sprintf("from %g/s: %s", p.flags.Rate, p.flags.RateStages)
		}
		items = append(items, report.ConfigItem{Key: "Arrival rate", Value: rate + ", " + p.flags.Arrival})
	} else {
		items = append(items,
			report.ConfigItem{Key: "Users", Value: strconv.Itoa(p.users)},
			report.ConfigItem{Key: "Spawn rate", Value: strconv.FormatFloat(p.spawnRate, 'f', -1, 64) + " users/s"})
	}
	runTime := "until stopped"
	if p.runTime > 0 {
		runTime = p.runTime.String()
	}
	items = append(items, report.ConfigItem{Key: "Run time", Value: runTime})
	if p.flags.Warmup > 0 {
		items = append(items, report.ConfigItem{Key: "Warm-up (excluded)", Value: p.flags.Warmup.String()})
	}
	wait := p.wait.String()
	if wait == "" {
		wait = "none"
	}
	items = append(items,
		report.ConfigItem{Key: "Wait", Value: wait},
		report.ConfigItem{Key: "Client", Value: p.flags.Client + ", timeout " + p.flags.Timeout.String()},
		report.ConfigItem{Key: "Seed", Value: strconv.FormatUint(seed, 10)})
	if localWorkers > 0 {
		items = append(items, report.ConfigItem{Key: "Worker processes", Value: strconv.Itoa(localWorkers)})
	}
	if !started.IsZero() {
		items = append(items, report.ConfigItem{Key: "Started", Value: started.UTC().Format("2006-01-02 15:04:05 UTC")})
	}
	return append(items, report.ConfigItem{Key: "loadgen version", Value: version})
}

// workerRows turns the coordinator's worker table into the reports' rows.
func workerRows(ws []control.WorkerStatus) []report.WorkerRow {
	if ws == nil {
		return nil
	}
	rows := make([]report.WorkerRow, 0, len(ws))
	for _, w := range ws {
		rows = append(rows, report.WorkerRow{
			ID: w.ID, Host: w.Host, State: string(w.State), Users: w.Users, Target: w.Target,
			Requests: w.Requests, Failures: w.Failures, RPS: w.RPS,
			CPUPercent: w.CPUPercent, RSSBytes: w.RSSBytes, LastHeartbeat: w.LastHeartbeat, Error: w.Error,
		})
	}
	return rows
}
