package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/locust"
)

// jsonTarget answers every request as the album profile expects (a JSON
// list, 201 to a POST) and counts them.
func jsonTarget(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"id":1}`))
			return
		}
		w.Write([]byte(`[]`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

// runProcess runs loadgen as a process in dir with env added to the
// test's, and returns its exit code and output (stdout and stderr).
func runProcess(t *testing.T, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd, err := testSelf(args...)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("loadgen %v still running after 90s:\n%s", args, out.String())
	}
	return exitCode(err), out.String()
}

// TestLocustEnvironmentReachesTheRun: LOCUST_HOST, LOCUST_USERS and
// LOCUST_RUN_TIME run the test against that host, not the embedded
// service, which the output says; and the run logs Locust's lines.
func TestLocustEnvironmentReachesTheRun(t *testing.T) {
	url, hits := jsonTarget(t)
	code, out := runProcess(t, t.TempDir(), []string{"LOCUST_HOST=" + url, "LOCUST_USERS=3", "LOCUST_RUN_TIME=2s", "LOCUST_SPAWN_RATE=30"},
		"--headless", "--only-summary")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if hits.Load() == 0 {
		t.Fatalf("the target of LOCUST_HOST got no request:\n%s", out)
	}
	if strings.Contains(out, "embedded album service") || !strings.Contains(out, "Target: "+url+"\n") {
		t.Errorf("the output does not name %s as the target, or mentions the embedded service:\n%s", url, out)
	}
	wantLogLines(t, out, locust.RunTimeSet(2*time.Second), locust.Ramping(3, 30), locust.AllSpawned(map[string]int{"albums": 3}),
		locust.RunTimeReached, locust.ShuttingDown(0))
}

// wantLogLines checks that the log holds each of Locust's lines, as the
// message of a log line.
func wantLogLines(t *testing.T, log string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(log, "msg="+strconv.Quote(l)) {
			t.Errorf("the log lacks %q:\n%s", l, log)
		}
	}
}

// TestEmbeddedTargetIsNeverASurprise: without a host, every mode says on
// stderr that the embedded service is the target, even with only
// warnings logged, and the final summary names it.
func TestEmbeddedTargetIsNeverASurprise(t *testing.T) {
	for _, mode := range [][]string{nil, {"--workers", "1"}} {
		code, stdout, stderr := runCLI(t, nil, append([]string{"-u", "2", "-t", "1s", "--only-summary", "--loglevel", "WARNING"}, mode...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d:\n%s", mode, code, stderr)
		}
		if !strings.Contains(stderr, "this run tests the album service embedded in loadgen") {
			t.Errorf("%v: stderr does not say the target is the embedded service:\n%s", mode, stderr)
		}
		if !strings.Contains(stdout, "Target: http://127.0.0.1:") || !strings.Contains(stdout, "(embedded album service") {
			t.Errorf("%v: the summary does not name the embedded target:\n%s", mode, stdout)
		}
	}
}

// TestConfigFilesInTheRunDirectory: ./locust.conf is read, said so in
// the log, and sets the run; a mistake in it exits 2 naming file and
// line; a locustfile is refused with the porting guide.
func TestConfigFilesInTheRunDirectory(t *testing.T) {
	url, hits := jsonTarget(t)
	dir := t.TempDir()
	conf := fmt.Sprintf("# from a Locust project\nhost = %s\nusers = 2\nspawn-rate = 20\nrun-time = 1\nheadless = true\nonly-summary = true\n", url)
	if err := os.WriteFile(filepath.Join(dir, "locust.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runProcess(t, dir, nil)
	if code != exitOK || hits.Load() == 0 {
		t.Fatalf("exit %d, %d requests to the config file's host:\n%s", code, hits.Load(), out)
	}
	if !strings.Contains(out, `msg="config file read" file=locust.conf`) {
		t.Errorf("the log does not announce locust.conf:\n%s", out)
	}
	if err := os.WriteFile(filepath.Join(dir, "loadgen.conf"), []byte("\nuzers = 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = runProcess(t, dir, nil)
	if code != exitUsage || !strings.Contains(out, "loadgen.conf:2: uzers: unknown key") {
		t.Errorf("exit %d, want 2 naming loadgen.conf:2:\n%s", code, out)
	}
	code, out = runProcess(t, t.TempDir(), nil, "-f", "locustfile.py")
	if code != exitUsage || !strings.Contains(out, "docs/locust.md") {
		t.Errorf("-f locustfile.py: exit %d, want 2 pointing at docs/locust.md:\n%s", code, out)
	}
}

// TestResetStatsAndLogFile: --reset-stats restarts the statistics once
// the users have spawned, which the log, in --logfile, says.
func TestResetStatsAndLogFile(t *testing.T) {
	url, _ := jsonTarget(t)
	dir := t.TempDir()
	logPath, jsonPath := filepath.Join(dir, "run.log"), filepath.Join(dir, "run.json")
	code, out := runProcess(t, dir, nil, "-H", url, "-u", "4", "-r", "2", "-t", "4s", "--reset-stats", "--only-summary",
		"--logfile", logPath, "--json", jsonPath)
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	wantLogLines(t, string(log), locust.Ramping(4, 2), locust.AllSpawned(map[string]int{"albums": 4}), locust.ResettingStats)
	if strings.Contains(out, "level=INFO") {
		t.Errorf("with --logfile, stderr got routine log lines:\n%s", out)
	}
	rep := readReport(t, jsonPath)
	// The ramp takes 1.5 s (users at 0, 0.5, 1 and 1.5 s): the statistics
	// start after it.
	if ramp := rep.Start.Sub(rep.History[0].Time); rep.Aggregated.Count == 0 {
		t.Errorf("nothing measured after the reset (history from %v)", ramp)
	}
	if d := rep.End.Sub(rep.Start); d > 3500*time.Millisecond {
		t.Errorf("statistics span %v of a 4 s run: not reset after the ramp", d)
	}
}

// TestSIGKILLLeavesCSVFiles: a run killed halfway leaves stats and
// history files that parse and hold the seconds before the kill.
func TestSIGKILLLeavesCSVFiles(t *testing.T) {
	url, _ := jsonTarget(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "killed")
	cmd, err := testSelf("-H", url, "-u", "3", "-r", "30", "-t", "30s", "--only-summary", "--csv", prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	history := prefix + "_stats_history.csv"
	deadline := time.Now().Add(40 * time.Second)
	for historySeconds(t, history) < 5 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no 5 s of history after 40 s:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	killed := time.Now()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	rows := readCSV(t, history)
	last, err := strconv.ParseInt(rows[len(rows)-1][0], 10, 64)
	if err != nil {
		t.Fatalf("history's last row %q: %v", rows[len(rows)-1], err)
	}
	if age := killed.Sub(time.Unix(last, 0)); age > 3*time.Second || age < 0 {
		t.Errorf("the history's last second is %v before the kill", age)
	}
	wantCSVFiles(t, prefix, 5)
}

// historySeconds counts the distinct seconds of a history file's rows
// with requests; 0 while it does not exist.
func historySeconds(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("%s does not parse: %v\n%s", path, err, data)
	}
	col := slices.Index(rows[0], "Total Request Count")
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if r[col] != "0" {
			seen[r[0]] = true
		}
	}
	return len(seen)
}

// TestAutostartAutoquit: --web --autostart runs the command line's test
// at once, --autoquit 0 ends the program after it, and the log says so
// in Locust's words.
func TestAutostartAutoquit(t *testing.T) {
	url, hits := jsonTarget(t)
	prefix := filepath.Join(t.TempDir(), "web")
	code, out := runProcess(t, t.TempDir(), nil, "--web", "--web-port", "0", "--autostart", "--autoquit", "0",
		"-H", url, "-u", "2", "-r", "20", "-t", "2", "--only-summary", "--csv", prefix)
	if code != exitOK || hits.Load() == 0 {
		t.Fatalf("exit %d, %d requests:\n%s", code, hits.Load(), out)
	}
	wantLogLines(t, out, locust.RunTimeSet(2*time.Second), locust.Ramping(2, 20), locust.AllSpawned(map[string]int{"albums": 2}),
		locust.RunTimeReachedStopping, locust.AutoquitReached, locust.ShuttingDown(0))
	if !strings.Contains(out, "Target: "+url+"\n") {
		t.Errorf("the summary does not name the target:\n%s", out)
	}
	wantCSVFiles(t, prefix, 2)
}

// wantCSVFiles checks a finished run's stats and history files: an
// Aggregated row with requests, and at least seconds seconds of history.
func wantCSVFiles(t *testing.T, prefix string, seconds int) {
	t.Helper()
	stats := readCSV(t, prefix+"_stats.csv")
	if agg := stats[len(stats)-1]; agg[1] != "Aggregated" || agg[2] == "0" {
		t.Errorf("%s_stats.csv's last row %q: want an Aggregated row with requests", prefix, agg)
	}
	if n := historySeconds(t, prefix+"_stats_history.csv"); n < seconds {
		t.Errorf("%s_stats_history.csv holds %d seconds with requests, want %d", prefix, n, seconds)
	}
}

// TestWorkersLogLocustLines: on worker processes, the run logs the same
// lines, and --expect-workers starts it with fewer than --workers.
func TestWorkersLogLocustLines(t *testing.T) {
	url, hits := jsonTarget(t)
	prefix := filepath.Join(t.TempDir(), "fleet")
	code, out := runProcess(t, t.TempDir(), nil, "--workers", "2", "--expect-workers", "1", "-H", url, "-u", "4", "-r", "40", "-t", "3s", "--only-summary",
		"--csv", prefix)
	if code != exitOK || hits.Load() == 0 {
		t.Fatalf("exit %d, %d requests:\n%s", code, hits.Load(), out)
	}
	wantLogLines(t, out, locust.RunTimeSet(3*time.Second), locust.Ramping(4, 40), locust.AllSpawned(map[string]int{"albums": 4}),
		locust.RunTimeReached, locust.ShuttingDown(0))
	if !strings.Contains(out, "expect_workers=1") {
		t.Errorf("the coordinator did not expect 1 worker:\n%s", out)
	}
	wantCSVFiles(t, prefix, 2)
}
