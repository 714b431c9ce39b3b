package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results/report"
)

// countingTarget answers every request and counts them, so that a test
// can tell that a refused command sent nothing.
func countingTarget(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write([]byte("[]"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

// TestOutputsAreCheckedBeforeTheRun: an output that cannot be written is
// refused before any load is sent, with the flag, the path and why; so is
// a flag whose value is another flag, and "-" (stdout) where it cannot go.
func TestOutputsAreCheckedBeforeTheRun(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"read-only directory", []string{"--json", "/proc/self/r.json"}, "--json /proc/self/r.json: cannot write in /proc/self"},
		{"missing directory", []string{"--html", filepath.Join(dir, "no", "r.html")}, "--html " + filepath.Join(dir, "no", "r.html") + ": cannot write in " + filepath.Join(dir, "no")},
		{"a directory as --json", []string{"--json", dir}, "--json " + dir + ": is a directory"},
		{"a directory among the CSV files", []string{"--csv", filepath.Join(dir, "d")}, "--csv " + filepath.Join(dir, "d_failures.csv") + ": is a directory"},
		{"--csv to stdout", []string{"--csv", "-"}, "--csv -: --csv names a prefix for four files"},
		{"two outputs to stdout", []string{"--json", "-", "--jsonl", "-"}, "--json - and --jsonl -: only one output can go to stdout"},
		{"a read-only live file", []string{"--hdr-log", "/proc/self/r.hlog"}, "--hdr-log /proc/self/r.hlog: cannot write in /proc/self"},
		{"a flag as --json's value", []string{"--json", "--only-summary"}, `--json "--only-summary": the value looks like a flag, so --json has lost its value`},
		{"a flag as -H's value", []string{"-H", "-u", "5"}, `-H "-u": the value looks like a flag`},
		{"a flag as --html's value", []string{"--html", "-t", "1s"}, `--html "-t": the value looks like a flag`},
	}
	if err := os.Mkdir(filepath.Join(dir, "d_failures.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	url, sent := countingTarget(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, _, stderr := runCLI(t, nil, append([]string{"-H", url, "--profile", "albums-by-id", "-u", "1", "-t", "30s"}, tt.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, exitUsage, tt.want)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("refused after %v: the run went ahead", took)
			}
		})
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("the target got %d requests from commands that were refused", n)
	}
	// A value written with = is taken as written.
	odd := filepath.Join(dir, "--odd.json")
	code, _, stderr := runCLI(t, nil, "-H", url, "--profile", "albums-by-id", "-u", "1", "-t", "1s", "--only-summary", "--json="+odd)
	if _, err := os.Stat(odd); code != exitOK || err != nil {
		t.Errorf("--json=%s: exit %d, %v\n%s", odd, code, err, stderr)
	}
}

// TestOutputToStdout: "-" writes an output to stdout, which then holds it
// alone: the JSON parses, and the tables go to stderr. The live files
// stream there too.
func TestOutputToStdout(t *testing.T) {
	url, _ := countingTarget(t)
	code, stdout, stderr := runCLI(t, nil, "-H", url, "--profile", "albums-by-id", "-u", "1", "-t", "1s", "--only-summary", "--json", "-")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	rep, err := report.ReadJSON(strings.NewReader(stdout))
	if err != nil || rep.Aggregated.Count == 0 {
		t.Fatalf("stdout is not the run's JSON (%v):\n%.300s", err, stdout)
	}
	if !strings.Contains(stderr, "requests=") || strings.Contains(stdout, "requests=") {
		t.Errorf("the tables should be on stderr, not stdout:\n%s", stderr)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error("a file named - was written")
	}

	code, stdout, stderr = runCLI(t, nil, "-H", url, "--profile", "albums-by-id", "-u", "1", "-t", "2s", "--only-summary", "--jsonl", "-")
	if code != exitOK {
		t.Fatalf("--jsonl -: exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	for i, l := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatalf("--jsonl -: line %d of stdout is not JSON (%v): %q", i+1, err, l)
		}
	}
	if len(lines) < 2 || !bytes.Contains([]byte(stderr), []byte("requests=")) {
		t.Errorf("--jsonl -: %d lines on stdout, tables on stderr: %v", len(lines), strings.Contains(stderr, "requests="))
	}
}

// TestSavedResultOutputsAreChecked: report and merge try their outputs
// before reading their inputs, and write "-" to stdout.
func TestSavedResultOutputsAreChecked(t *testing.T) {
	url, _ := countingTarget(t)
	saved := filepath.Join(t.TempDir(), "r.json")
	if code, _, stderr := runCLI(t, nil, "-H", url, "--profile", "albums-by-id", "-u", "1", "-t", "1s", "--only-summary", "--json", saved); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	code, _, stderr := runCLI(t, nil, "report", saved, "--html", "/proc/self/r.html")
	if code != exitUsage || !strings.Contains(stderr, "--html /proc/self/r.html: cannot write in /proc/self") {
		t.Errorf("report to a read-only directory: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, nil, "report", saved, "--html", "-")
	if code != exitOK || !strings.HasPrefix(stdout, "<!DOCTYPE html>") || !strings.Contains(stderr, "Aggregated") {
		t.Errorf("report --html -: exit %d, stdout %.60q, tables on stderr %v", code, stdout, strings.Contains(stderr, "Aggregated"))
	}
}
