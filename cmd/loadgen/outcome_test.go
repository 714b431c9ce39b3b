package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/hostile"
)

// nothingMeasured are the warnings of a run against a target that never
// answers, in every output.
var nothingMeasured = []string{"no request completed in", "requests were still in flight when the run stopped and were abandoned, the oldest after"}

// checkNothingMeasured checks a run against a target that never answers:
// exit 6, and the warnings in the console summary, the JSON and the HTML.
func checkNothingMeasured(t *testing.T, code int, console, jsonPath, htmlPath string) {
	t.Helper()
	if code != exitIncomplete {
		t.Errorf("exit %d, want %d", code, exitIncomplete)
	}
	rep := readReport(t, jsonPath)
	html, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range nothingMeasured {
		if !strings.Contains(console, "warning: ") || !strings.Contains(console, want) {
			t.Errorf("the console summary lacks the warning %q:\n%s", want, console)
		}
		if !strings.Contains(strings.Join(rep.Warnings, "\n"), want) {
			t.Errorf("the JSON's warnings %q lack %q", rep.Warnings, want)
		}
		if !strings.Contains(string(html), want) {
			t.Errorf("the HTML report lacks the warning %q", want)
		}
	}
	if rep.Aggregated.Count != 0 || rep.Abandoned == nil || rep.Abandoned.Count == 0 || rep.Abandoned.OldestMs < 1000 {
		t.Errorf("JSON: %d requests, abandoned %+v; want none completed and the hung ones abandoned after most of the run", rep.Aggregated.Count, rep.Abandoned)
	}
}

// TestConformanceNothingMeasured: against a target that never answers,
// with the default 60 s timeout, a run measures nothing: however it ran
// (one process or workers, users or an open model, the command line or
// the web UI), it exits 6 and every output says that nothing completed
// and how many requests were abandoned, the oldest after how long.
func TestConformanceNothingMeasured(t *testing.T) {
	hung := hostile.New(t, hostile.Never, hostile.Options{})
	for _, c := range conformanceCases("-H", hung.URL, "-t", "2s", "--stop-timeout", "100ms") {
		t.Run(c.String(), func(t *testing.T) {
			dir := t.TempDir()
			jsonPath, htmlPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
			args := append(c.args, "--json", jsonPath, "--html", htmlPath)
			var code int
			var console string
			if c.front == "cli" {
				code, console, _ = runCLI(t, nil, append(args, "--only-summary")...)
			} else {
				url, stop := startWeb(t, append(args, "--autostart")...)
				waitStopped(t, url, 40*time.Second)
				var st struct {
					Warnings []string
					Outcome  string
				}
				getJSON(t, url+"/api/stats", &st)
				if st.Outcome != "incomplete" {
					t.Errorf("the web UI says the run's outcome is %q, want incomplete", st.Outcome)
				}
				for _, want := range nothingMeasured {
					if !strings.Contains(strings.Join(st.Warnings, "\n"), want) {
						t.Errorf("the web UI's warnings %q lack %q", st.Warnings, want)
					}
				}
				code, console = stop()
			}
			checkNothingMeasured(t, code, console, jsonPath, htmlPath)
		})
	}
}

var coordinatorURL = regexp.MustCompile(`msg="coordinator listening" url=(http://\S+)`)

// TestCoordinatorNothingMeasured: the coordinator command, whose workers
// join from elsewhere, decides its exit code as every other mode does.
func TestCoordinatorNothingMeasured(t *testing.T) {
	hung := hostile.New(t, hostile.Never, hostile.Options{})
	dir := t.TempDir()
	jsonPath, htmlPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env{stdout: &stdout, stderr: &stderr, getenv: noEnv, self: testSelf},
			[]string{"coordinator", "--listen", "127.0.0.1:0", "-H", hung.URL, "-u", "3", "-r", "0", "-t", "2s", "--only-summary", "--json", jsonPath, "--html", htmlPath})
	}()
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if m := coordinatorURL.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("the coordinator did not say where it listens:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var wout syncBuffer
	worker := make(chan int, 1)
	go func() {
		worker <- run(ctx, env{stdout: &wout, stderr: &wout, getenv: noEnv, self: testSelf}, []string{"worker", "--coordinator", url, "--connect-timeout", "5s"})
	}()
	var code int
	select {
	case code = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the coordinator did not end:\n%s", stderr.String())
	}
	if wcode := <-worker; wcode != exitOK {
		t.Errorf("the worker exited %d:\n%s", wcode, wout.String())
	}
	checkNothingMeasured(t, code, stdout.String(), jsonPath, htmlPath)
}
