package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results/report"
)

// These tests pin behaviours in which front ends or modes used to differ:
// the same run, described once, must mean the same whatever runs it.

// TestDistributedPacedRunRecordsCorrectedSeries: a paced closed-model run
// on workers keeps the coordinated-omission corrected series, as a run in
// one process does.
func TestDistributedPacedRunRecordsCorrectedSeries(t *testing.T) {
	for _, workers := range []string{"0", "2"} {
		t.Run("workers="+workers, func(t *testing.T) {
			jsonPath := filepath.Join(t.TempDir(), "paced.json")
			code, out, stderr := runCLI(t, nil, "--workers", workers, "-u", "4", "-r", "0", "-t", "2s", "--wait", "pacing:100ms",
				"--profile", "albums-by-id", "--only-summary", "--json", jsonPath)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
			}
			rep := readReport(t, jsonPath)
			if rep.Aggregated.Count == 0 || rep.Aggregated.Corrected == nil {
				t.Errorf("%d requests, corrected series %v: want the series a paced run records", rep.Aggregated.Count, rep.Aggregated.Corrected)
			}
		})
	}
}

// TestUnknownProfileListsTheBuiltins: a mistyped built-in profile name
// gets the list of built-in profiles, not a bare "no such file".
func TestUnknownProfileListsTheBuiltins(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "--profile", "albumz")
	if code != exitUsage || !strings.Contains(stderr, `"albumz" is neither a built-in profile (albums, albums-by-id, smoke`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// waitStopped polls the web UI until its run has stopped, within limit.
func waitStopped(t *testing.T, url string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var st struct{ State string }
		getJSON(t, url+"/api/stats", &st)
		if st.State == "stopped" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run is %s after %v, want it stopped", st.State, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWebRunAbortsOnThreshold: --abort-on-threshold stops a run started
// from the web UI at the first breach, as it stops one from the command
// line.
func TestWebRunAbortsOnThreshold(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "abort.json")
	url, stop := startWeb(t, "--autostart", "-u", "2", "-r", "0", "-t", "60s", "--threshold", "max<1us", "--abort-on-threshold", "--json", jsonPath)
	waitStopped(t, url, 20*time.Second)
	code, stdout := stop()
	if code != exitThreshold {
		t.Errorf("exit %d, want %d\n%s", code, exitThreshold, stdout)
	}
	rep := readReport(t, jsonPath)
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "threshold max<1us breached") {
		t.Errorf("warnings %v do not record the abort", rep.Warnings)
	}
}

// warmupExcluded reads how many requests a result's warm-up note says were
// excluded.
func warmupExcluded(t *testing.T, warnings []string) int64 {
	t.Helper()
	for _, w := range warnings {
		var d string
		var n int64
		if _, err := fmt.Sscanf(w, "warm-up of %s excluded: %d requests", &d, &n); err == nil {
			return n
		}
	}
	t.Fatalf("no warm-up note in %v", warnings)
	return 0
}

// checkCPUPerRequest checks that a result's CPU per request is its CPU
// time over every request it measured, the warm-up's included.
func checkCPUPerRequest(t *testing.T, rep *report.Report) {
	t.Helper()
	var cfg struct {
		CPU    float64 `json:"process_cpu_s"`
		PerReq float64 `json:"process_cpu_us_per_request"`
	}
	if err := json.Unmarshal(rep.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	excluded := warmupExcluded(t, rep.Warnings)
	want := cfg.CPU * 1e6 / float64(rep.Aggregated.Count+excluded)
	if excluded == 0 || rep.Aggregated.Count == 0 || math.Abs(cfg.PerReq-want) > want*0.01+0.1 {
		t.Errorf("CPU per request %.2f us, want %.2f: %.3f s over %d requests and %d in the warm-up", cfg.PerReq, want, cfg.CPU, rep.Aggregated.Count, excluded)
	}
}

// TestCPUPerRequestCountsTheWarmupEverywhere: the CPU a run spent covers
// its warm-up, so CPU per request divides by the warm-up's requests too,
// whether the command line or the web UI ran it.
func TestCPUPerRequestCountsTheWarmupEverywhere(t *testing.T) {
	args := []string{"-u", "2", "-r", "0", "-t", "3s", "--warmup", "1s", "--wait", "constant:5ms", "--profile", "albums-by-id"}
	t.Run("command line", func(t *testing.T) {
		jsonPath := filepath.Join(t.TempDir(), "cli.json")
		if code, out, stderr := runCLI(t, nil, append(args, "--only-summary", "--json", jsonPath)...); code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
		}
		checkCPUPerRequest(t, readReport(t, jsonPath))
	})
	t.Run("web UI", func(t *testing.T) {
		jsonPath := filepath.Join(t.TempDir(), "web.json")
		url, stop := startWeb(t, append(args, "--autostart", "--json", jsonPath)...)
		waitStopped(t, url, 20*time.Second)
		if code, stdout := stop(); code != 0 {
			t.Fatalf("exit %d\n%s", code, stdout)
		}
		checkCPUPerRequest(t, readReport(t, jsonPath))
	})
}

// TestCoordinatorTakesLocalhostInAnyCase: LOCALHOST is loopback, so a
// coordinator listening there can test the embedded service.
func TestCoordinatorTakesLocalhostInAnyCase(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "coordinator", "--listen", "LOCALHOST:0", "--expect-workers-max-wait", "300ms", "-t", "1s")
	if code == exitUsage || strings.Contains(stderr, "cannot reach the album service") {
		t.Errorf("exit %d, stderr %q: LOCALHOST is loopback", code, stderr)
	}
	if !strings.Contains(stderr, "no worker registered") {
		t.Errorf("stderr %q: want the coordinator to have waited for its workers", stderr)
	}
}

// TestWorkerRefusesABaseURLWithAQuery: a worker checks the target's URL as
// the command line does, and refuses one with a query string, to which
// task paths cannot be appended, saying so to its coordinator.
func TestWorkerRefusesABaseURLWithAQuery(t *testing.T) {
	var mu sync.Mutex
	var states []string
	var failure string
	polled := false
	coord := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/register":
			io.WriteString(w, `{"v":1,"id":"w1","version":"dev","heartbeat_ms":200,"report_ms":200,"missed_heartbeats":3}`)
		case "/v1/heartbeat":
			var m struct{ State, Error string }
			json.NewDecoder(r.Body).Decode(&m)
			mu.Lock()
			states, failure = append(states, m.State), failure+m.Error
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		case "/v1/commands":
			mu.Lock()
			first := !polled
			polled = true
			mu.Unlock()
			if !first {
				time.Sleep(200 * time.Millisecond)
				w.WriteHeader(http.StatusNoContent)
				return
			}
			io.WriteString(w, `{"v":1,"seq":1,"kind":"spawn","run":"r1","users":1,"spec":{"profile":{"builtin":"albums-by-id"},"client":"nethttp","timeout_ms":1000,"stop_timeout_ms":0,"seed":"1","host":"http://127.0.0.1:9/api?x=1"}}`)
		default:
			io.WriteString(w, `{"v":1,"seq":1,"applied":true}`)
		}
	}))
	defer coord.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env{stdout: &out, stderr: &out, getenv: noEnv, self: testSelf}, []string{"worker", "--coordinator", coord.URL, "--id", "w1", "--connect-timeout", "2s"})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		failed := slices.Contains(states, "failed")
		msg := failure
		mu.Unlock()
		if failed {
			if !strings.Contains(msg, "query") {
				t.Errorf("the worker failed with %q, want the reason: the query string", msg)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker ran a spec whose host has a query string; heartbeats %v\n%s", states, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code == exitOK {
		t.Errorf("the worker exited %d after refusing its spec", code)
	}
}

// TestProfileDescribesAnOpenModelRun: a profile can say everything a flag
// can about a test, an open model's rate included.
func TestProfileDescribesAnOpenModelRun(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "open.yaml")
	if err := os.WriteFile(prof, []byte("name: open\nrate: 100\narrival: poisson\nseed: 7\nrun_time: 1s\ntasks:\n  - path: /albums/1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(dir, "open.json")
	code, out, stderr := runCLI(t, nil, "--profile", prof, "--only-summary", "--json", jsonPath)
	if code != 0 || !strings.Contains(out, "Open model:") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var cfg struct {
		Rate, Arrival string
		Seed          uint64
	}
	if err := json.Unmarshal(readReport(t, jsonPath).Config, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Rate != "100/s" || cfg.Arrival != "poisson" || cfg.Seed != 7 {
		t.Errorf("config %+v: want the profile's rate, arrival and seed", cfg)
	}
}
