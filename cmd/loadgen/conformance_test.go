package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results/report"
)

// The conformance table runs one test through every combination of
// engine (this process, two worker processes), model (closed, open) and
// front end (the command line, the web UI's API): the same Spec must give
// the same entries and task ratio, exclude its warm-up the same way,
// record the corrected series where the wait has an interval, honour its
// thresholds and the abort rule, count CPU per request the same way, and
// end with the same exit code.

type conformanceCase struct {
	engine, model, front string
	workers              string
	args                 []string
}

func conformanceCases(extra ...string) []conformanceCase {
	models := map[string][]string{
		// Paced users: the wait has an interval, so the corrected series
		// is recorded.
		"closed": {"-u", "4", "-r", "0", "--wait", "pacing:40ms"},
		"open":   {"--rate", "80"},
	}
	var out []conformanceCase
	for _, engine := range []string{"local", "workers"} {
		for _, model := range []string{"closed", "open"} {
			for _, front := range []string{"cli", "web"} {
				workers := "0"
				if engine == "workers" {
					workers = "2"
				}
				args := append([]string{"--profile", "albums", "--ratio", "3:1", "--seed", "5", "--workers", workers}, models[model]...)
				out = append(out, conformanceCase{engine, model, front, workers, append(args, extra...)})
			}
		}
	}
	return out
}

func (c conformanceCase) String() string { return c.engine + "/" + c.model + "/" + c.front }

// run runs the case to its end and returns its exit code, its JSON result
// and how long it took.
func (c conformanceCase) run(t *testing.T) (int, *report.Report, time.Duration) {
	t.Helper()
	jsonPath := filepath.Join(t.TempDir(), "result.json")
	start := time.Now()
	var code int
	if c.front == "cli" {
		var out, stderr string
		code, out, stderr = runCLI(t, nil, append(c.args, "--only-summary", "--json", jsonPath)...)
		if code == exitUsage || code == exitInternal {
			t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
		}
	} else {
		url, stop := startWeb(t, append(c.args, "--autostart", "--json", jsonPath)...)
		waitStopped(t, url, 40*time.Second)
		var stdout string
		if code, stdout = stop(); code == exitUsage || code == exitInternal {
			t.Fatalf("exit %d\n%s", code, stdout)
		}
	}
	return code, readReport(t, jsonPath), time.Since(start)
}

func TestConformanceTable(t *testing.T) {
	// Workers report once a second, so a distributed run's warm-up is
	// excluded to within a report: two seconds exclude a second at least.
	for _, c := range conformanceCases("-t", "4s", "--warmup", "2s", "--threshold", "fail_ratio<0.5") {
		t.Run(c.String(), func(t *testing.T) {
			code, rep, _ := c.run(t)
			if code != exitOK {
				t.Errorf("exit %d, want %d", code, exitOK)
			}
			checkEntriesAndRatio(t, rep)
			checkWarmup(t, rep)
			checkSeries(t, c.model, rep)
			var ths []struct {
				Threshold string
				Pass      bool
			}
			if err := json.Unmarshal(rep.Thresholds, &ths); err != nil || len(ths) != 1 || ths[0].Threshold != "fail_ratio<0.5" || !ths[0].Pass {
				t.Errorf("thresholds %s (%v)", rep.Thresholds, err)
			}
			var cfg struct{ Workers int }
			if err := json.Unmarshal(rep.Config, &cfg); err != nil || fmt.Sprint(cfg.Workers) != c.workers {
				t.Errorf("config says %d worker processes, want %s (%v)", cfg.Workers, c.workers, err)
			}
			checkCPUPerRequest(t, rep)
		})
	}
}

// TestConformanceAbortOnThreshold: a threshold breached at once stops the
// run within seconds, exits 3 and says why, however it ran.
func TestConformanceAbortOnThreshold(t *testing.T) {
	for _, c := range conformanceCases("-t", "60s", "--threshold", "max<1us", "--abort-on-threshold") {
		t.Run(c.String(), func(t *testing.T) {
			code, rep, took := c.run(t)
			if code != exitThreshold {
				t.Errorf("exit %d, want %d", code, exitThreshold)
			}
			if took > 30*time.Second {
				t.Errorf("the run took %v; it should stop within seconds of the breach", took)
			}
			if !strings.Contains(strings.Join(rep.Warnings, "\n"), "threshold max<1us breached") {
				t.Errorf("warnings %v do not record the abort", rep.Warnings)
			}
		})
	}
}

// checkEntriesAndRatio checks the profile's two entries, at its 3:1 ratio.
func checkEntriesAndRatio(t *testing.T, rep *report.Report) {
	t.Helper()
	counts := map[string]int64{}
	for _, e := range rep.Entries {
		counts[e.Method+" "+e.Name] = e.Count
	}
	get, post := counts["GET /albums"], counts["POST /albums"]
	if len(counts) != 2 || post == 0 {
		t.Fatalf("entries %v, want GET and POST /albums", counts)
	}
	if r := float64(get) / float64(post); r < 2.4 || r > 3.6 {
		t.Errorf("GET:POST = %d:%d = %.2f, want 3 within 20%%", get, post, r)
	}
	if rep.Aggregated.Failures != 0 {
		t.Errorf("%d failures", rep.Aggregated.Failures)
	}
}

// checkWarmup checks that the warm-up was excluded and said so.
func checkWarmup(t *testing.T, rep *report.Report) {
	t.Helper()
	var cfg struct{ Warmup string }
	if err := json.Unmarshal(rep.Config, &cfg); err != nil || cfg.Warmup != "2s" {
		t.Errorf("config warm-up %q (%v)", cfg.Warmup, err)
	}
	if n := warmupExcluded(t, rep.Warnings); n == 0 {
		t.Error("the warm-up excluded no request")
	}
}

// checkSeries checks the second series: the corrected one of paced users,
// the service time of the open model.
func checkSeries(t *testing.T, model string, rep *report.Report) {
	t.Helper()
	a := rep.Aggregated
	switch {
	case model == "closed" && (a.Corrected == nil || a.Service != nil):
		t.Errorf("paced users: corrected %v, service %v; want the corrected series only", a.Corrected != nil, a.Service != nil)
	case model == "open" && (a.Service == nil || a.Corrected != nil):
		t.Errorf("open model: corrected %v, service %v; want the service-time series only", a.Corrected != nil, a.Service != nil)
	}
}
