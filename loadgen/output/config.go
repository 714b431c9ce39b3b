package output

import (
	"fmt"
	"strconv"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// RunConfig is a run's configuration as the JSON report records it
// (results/SCHEMA.md, "config").
type RunConfig struct {
	Host        string             `json:"host"`
	Embedded    bool               `json:"embedded_service"`
	Store       string             `json:"store,omitempty"`
	Profile     string             `json:"profile"`
	Ratio       string             `json:"ratio,omitempty"`
	Users       int                `json:"users"`
	SpawnRate   float64            `json:"spawn_rate"`
	RunTime     string             `json:"run_time"`
	Wait        string             `json:"wait"`
	Client      string             `json:"client"`
	Timeout     string             `json:"timeout"`
	Seed        uint64             `json:"seed"`
	Version     string             `json:"loadgen_version"`
	Rate        string             `json:"rate,omitempty"`
	Arrival     string             `json:"arrival,omitempty"`
	Open        *results.OpenStats `json:"open_model,omitempty"`
	Warmup      string             `json:"warmup,omitempty"`
	Workers     int                `json:"workers,omitempty"`
	ProcessCPUS float64            `json:"process_cpu_s"`
	CPUPerReqUs float64            `json:"process_cpu_us_per_request"`
}

// Config is the run's configuration for the JSON report.
func Config(res *loadgen.Result, version string) RunConfig {
	s := res.Spec
	c := RunConfig{
		Host: s.RedactedHost(), Embedded: res.Embedded, Profile: res.Name, Ratio: s.Ratio,
		Users: s.Users, SpawnRate: s.SpawnRate, RunTime: s.RunTime.String(), Wait: s.Wait.String(),
		Client: s.Client, Timeout: s.Timeout.String(), Seed: s.Seed, Version: version,
		Workers: res.LocalWorkers, ProcessCPUS: res.CPU.Seconds(), CPUPerReqUs: res.CPUPerRequest(),
	}
	if res.Embedded {
		c.Store = s.Store
	}
	if s.Open != nil {
		c.Rate, c.Arrival, c.Open = Rate(s.Open), s.Open.Arrival.String(), res.Open
	}
	if s.Warmup > 0 {
		c.Warmup = s.Warmup.String()
	}
	return c
}

// Rate is an open model's rate as people read it: "200/s", or its stages
// from the start rate.
func Rate(o *loadgen.OpenModel) string {
	if !o.Rate.Bounded() {
		return fmt.Sprintf("%g/s", o.Rate.Start)
	}
	stages := schedule.FormatStages(o.Rate.Stages)
	if o.Rate.Start > 0 {
		return fmt.Sprintf("from %g/s: %s", o.Rate.Start, stages)
	}
	return stages
}

// Target names the target a run tested, its password redacted, and says
// so when it was the album service embedded in loadgen.
func Target(res *loadgen.Result) string {
	target := res.Spec.RedactedHost()
	if res.Embedded {
		target += " (embedded album service, " + res.Spec.Store + " store)"
	}
	return target
}

// ConfigItems is the run's configuration as people read it, for the HTML
// report and the web UI.
func ConfigItems(res *loadgen.Result, version string) []report.ConfigItem {
	s := res.Spec
	items := []report.ConfigItem{{Key: "Host", Value: Target(res)}, {Key: "Profile", Value: res.Name}}
	if s.Ratio != "" {
		items = append(items, report.ConfigItem{Key: "Ratio", Value: s.Ratio})
	}
	if s.Open != nil {
		items = append(items, report.ConfigItem{Key: "Arrival rate", Value: Rate(s.Open) + ", " + s.Open.Arrival.String()})
	} else {
		items = append(items,
			report.ConfigItem{Key: "Users", Value: strconv.Itoa(s.Users)},
			report.ConfigItem{Key: "Spawn rate", Value: strconv.FormatFloat(s.SpawnRate, 'f', -1, 64) + " users/s"})
	}
	runTime := "until stopped"
	if s.RunTime > 0 {
		runTime = s.RunTime.String()
	}
	items = append(items, report.ConfigItem{Key: "Run time", Value: runTime})
	if s.Warmup > 0 {
		items = append(items, report.ConfigItem{Key: "Warm-up (excluded)", Value: s.Warmup.String()})
	}
	wait := s.Wait.String()
	if wait == "" {
		wait = "none"
	}
	items = append(items,
		report.ConfigItem{Key: "Wait", Value: wait},
		report.ConfigItem{Key: "Client", Value: s.Client + ", timeout " + s.Timeout.String()},
		report.ConfigItem{Key: "Seed", Value: strconv.FormatUint(s.Seed, 10)})
	if res.LocalWorkers > 0 {
		items = append(items, report.ConfigItem{Key: "Worker processes", Value: strconv.Itoa(res.LocalWorkers)})
	}
	if !res.Started.IsZero() {
		items = append(items, report.ConfigItem{Key: "Started", Value: res.Started.UTC().Format("2006-01-02 15:04:05 UTC")})
	}
	return append(items, report.ConfigItem{Key: "loadgen version", Value: version})
}
