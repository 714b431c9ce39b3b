package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results/report"
)

// TestMain lets a test run this binary's main in a child process, to send it
// real signals.
func TestMain(m *testing.M) {
	if os.Getenv("LOADGEN_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func noEnv(string) (string, bool) { return "", false }

// testSelf runs this test binary as loadgen (see TestMain).
func testSelf(args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "LOADGEN_TEST_MAIN=1")
	return cmd, nil
}

func runCLI(t *testing.T, getenv func(string) (string, bool), args ...string) (int, string, string) {
	t.Helper()
	if getenv == nil {
		getenv = noEnv
	}
	// Worker processes' output copiers write while the run logs.
	var out, errb syncBuffer
	code := run(context.Background(), env{stdout: &out, stderr: &errb, getenv: getenv, self: testSelf}, args)
	return code, out.String(), errb.String()
}

func TestBadUsageExitsTwoAndNamesTheMistake(t *testing.T) {
	dir := t.TempDir()
	badProfile := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badProfile, []byte("name: bad\ntasks:\n  - path: /x\n    wieght: 2\n"), 0o644)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"negative users", []string{"--users", "-1"}, nil, "--users -1"},
		{"users not a number", []string{"-u", "many"}, nil, "users"},
		{"negative spawn rate", []string{"--spawn-rate", "-2"}, nil, "--spawn-rate"},
		{"ramp alias checked too", []string{"--ramp", "x"}, nil, "spawn-rate"},
		{"bad run time", []string{"--run-time", "soon"}, nil, "--run-time"},
		{"zero run time", []string{"--run-time", "0"}, nil, "--run-time"},
		{"ratio count", []string{"--ratio", "3:1:2"}, nil, "loadgen: --ratio 3:1:2 has 3 weights but profile albums has 2 tasks"},
		{"ratio zeros", []string{"--ratio", "0:0"}, nil, "--ratio"},
		{"ratio negative", []string{"--ratio", "3:-1"}, nil, "--ratio"},
		{"ratio garbage", []string{"--ratio", "three:one"}, nil, "--ratio"},
		{"client", []string{"--client", "curl"}, nil, `--client "curl": want one of`},
		{"wait", []string{"--wait", "sometimes"}, nil, "--wait"},
		{"missing profile", []string{"--profile", filepath.Join(dir, "none.yaml")}, nil, "--profile"},
		{"profile field and line", []string{"--profile", badProfile}, nil, `bad.yaml:4: tasks[0].wieght: unknown field "wieght"`},
		{"host scheme", []string{"--host", "ftp://example"}, nil, `--host "ftp://example"`},
		{"host without scheme", []string{"--host", "127.0.0.1:8080"}, nil, "--host"},
		{"loglevel", []string{"-L", "LOUD"}, nil, "--loglevel"},
		{"timeout", []string{"--timeout", "0s"}, nil, "--timeout"},
		{"unknown flag", []string{"--nope"}, nil, "unknown flag: --nope"},
		{"stray argument", []string{"albums"}, nil, `unexpected argument "albums"`},
		{"store", []string{"--store", "btree"}, nil, "--store"},
		{"json directory", []string{"--json", "/nonexistent/dir/r.json"}, nil, "--json /nonexistent/dir/r.json: cannot write in /nonexistent/dir: no such file or directory"},
		{"csv directory", []string{"--csv", "/nonexistent/x"}, nil, "--csv /nonexistent/x"},
		{"warmup longer than run", []string{"--warmup", "40s"}, nil, "--warmup 40s"},
		{"workers", []string{"--workers", "-1"}, nil, "--workers -1"},
		{"negative rate", []string{"--rate", "-5"}, nil, "--rate -5: must be positive"},
		{"zero rate", []string{"--rate", "0"}, nil, "--rate 0: must be positive"},
		{"bad stages", []string{"--rate-stages", "10s:100,20x:5"}, nil, "--rate-stages: stage 2"},
		{"arrival", []string{"--rate", "10", "--arrival", "bursty"}, nil, "--arrival"},
		{"arrival without rate", []string{"--arrival", "poisson"}, nil, "--arrival applies to open-model runs only"},
		{"users with rate", []string{"--rate", "10", "--users", "5"}, nil, "an open-model run (--rate) has none"},
		{"environment", nil, map[string]string{"LOADGEN_USERS": "lots"}, "LOADGEN_USERS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			code, _, stderr := runCLI(t, getenv, tt.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr does not name the mistake %q:\n%s", tt.want, stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace for a user mistake:\n%s", stderr)
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI(t, nil, "--version")
	if code != 0 || !strings.HasPrefix(out, "loadgen ") {
		t.Errorf("--version: code %d, output %q", code, out)
	}
	code, _, errOut := runCLI(t, nil, "--help")
	if code != 0 || !strings.Contains(errOut, "--spawn-rate") {
		t.Errorf("--help: code %d, output %q", code, errOut)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// readReport reads a run's JSON result.
func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := report.ReadJSON(f)
	if err != nil {
		t.Fatalf("reading the JSON result %s: %v", path, err)
	}
	return rep
}

// checkOutputs checks that a run's CSV and JSON files are complete and agree.
func checkOutputs(t *testing.T, prefix, jsonPath string) *report.Report {
	t.Helper()
	stats := readCSV(t, prefix+"_stats.csv")
	if got := strings.Join(stats[0], ","); got != "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%" {
		t.Errorf("stats header %q", got)
	}
	last := stats[len(stats)-1]
	if last[0] != "" || last[1] != "Aggregated" {
		t.Errorf("last stats row %v, want the Aggregated one", last)
	}
	for _, name := range []string{"_stats_history.csv", "_failures.csv", "_exceptions.csv"} {
		if rows := readCSV(t, prefix+name); len(rows) < 1 {
			t.Errorf("%s is empty", name)
		}
	}
	rep := readReport(t, jsonPath)
	if last[2] != strconv.FormatInt(rep.Aggregated.Count, 10) {
		t.Errorf("CSV counts %s requests, JSON %d", last[2], rep.Aggregated.Count)
	}
	return rep
}

func TestRunAgainstEmbeddedService(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "run")
	jsonPath := filepath.Join(dir, "run.json")
	code, out, stderr := runCLI(t, nil, "--users", "5", "--spawn-rate", "0", "--run-time", "2s", "--ratio", "3:1",
		"--seed", "42", "--csv", prefix, "--json", jsonPath, "--print-interval", "500ms")
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	for _, want := range []string{"Aggregated", "Response time percentiles", "99.99%", "requests="} {
		if !strings.Contains(out, want) {
			t.Errorf("final output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "# reqs") {
		t.Errorf("no live table on stderr:\n%s", stderr)
	}
	rep := checkOutputs(t, prefix, jsonPath)
	if rep.Aggregated.Count == 0 || len(rep.Entries) != 2 {
		t.Errorf("JSON has %d requests in %d entries", rep.Aggregated.Count, len(rep.Entries))
	}
}

func TestFailuresSetTheExitCode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: every request is refused
	for _, tt := range []struct {
		args []string
		want int
	}{
		{nil, 1},
		{[]string{"--exit-code-on-error", "7"}, 7},
	} {
		args := append([]string{"--host", "http://" + addr, "--users", "2", "--run-time", "1s", "--only-summary", "--wait", "constant:50ms"}, tt.args...)
		code, out, stderr := runCLI(t, nil, args...)
		if code != tt.want {
			t.Errorf("%v: exit code %d, want %d\n%s", tt.args, code, tt.want, stderr)
		}
		// The summary names the target once; the errors do not repeat it.
		target := "Target: http://" + addr + "\n"
		if !strings.Contains(out, "connection refused") || strings.Count(out, target) != 1 || strings.Contains(strings.Replace(out, target, "", 1), addr) {
			t.Errorf("error report should group 'connection refused' without the address:\n%s", out)
		}
	}
}

// TestInterruptLeavesCompleteFiles sends SIGINT to a real loadgen process
// mid-run and checks that it exits soon with every file complete.
func TestInterruptLeavesCompleteFiles(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prefix := filepath.Join(dir, "cut")
	jsonPath := filepath.Join(dir, "cut.json")
	cmd := exec.Command(exe, "--users", "5", "--run-time", "60s", "--only-summary", "--csv", prefix, "--json", jsonPath)
	cmd.Env = append(os.Environ(), "LOADGEN_TEST_MAIN=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("loadgen exited with %v after SIGINT:\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("loadgen still running 20s after SIGINT:\n%s", out.String())
	}
	rep := checkOutputs(t, prefix, jsonPath)
	if rep.Aggregated.Count == 0 {
		t.Error("no requests recorded before the interrupt")
	}
	if len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "interrupted") {
		t.Errorf("JSON warnings %v do not record the interrupt", rep.Warnings)
	}
}

func TestThresholds(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	base := []string{"--users", "2", "--run-time", "1s", "--only-summary"}
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"passing", []string{"--threshold", "fail_ratio<0.01", "--threshold", "requests>0"}, 0, "all thresholds passed"},
		{"breached", []string{"--threshold", "p99<1us"}, exitThreshold, "1 of 1 thresholds FAILED"},
		{"breach beats request failures", []string{"--host", dead, "--wait", "constant:50ms", "--threshold", "fail_ratio<0.5"}, exitThreshold, "FAIL"},
		{"no matching entry fails", []string{"--threshold", `p95{name="GET /nowhere"}<100ms`}, exitThreshold, "no requests matched"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, nil, append(base, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\n%s\n%s", code, tt.code, out, stderr)
			}
			if !strings.Contains(out, tt.out) {
				t.Errorf("output lacks %q:\n%s", tt.out, out)
			}
		})
	}
}

func TestThresholdErrorsNameTheirPlace(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "th.yaml")
	os.WriteFile(prof, []byte("name: th\ntasks:\n  - path: /albums\nthresholds:\n  - p99<250ms\n  - p99<fast\n"), 0o644)
	code, _, stderr := runCLI(t, nil, "--profile", prof)
	if code != exitUsage || !strings.Contains(stderr, "th.yaml:6: thresholds[1]") {
		t.Errorf("exit %d, stderr %q: want exit 2 naming th.yaml:6: thresholds[1]", code, stderr)
	}
	code, _, stderr = runCLI(t, nil, "--threshold", "latency<3")
	if code != exitUsage || !strings.Contains(stderr, `--threshold: threshold "latency<3"`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestAbortOnThresholdStopsEarly(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "a.json")
	start := time.Now()
	code, out, stderr := runCLI(t, nil, "--users", "2", "--run-time", "60s", "--only-summary",
		"--threshold", "max<1us", "--abort-on-threshold", "--json", jsonPath)
	if code != exitThreshold {
		t.Fatalf("exit code %d, want %d\n%s\n%s", code, exitThreshold, out, stderr)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("run took %v; it should stop within seconds of the breach", took)
	}
	rep := readReport(t, jsonPath)
	if len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "threshold max<1us breached") {
		t.Errorf("warnings %v do not record the abort", rep.Warnings)
	}
	var ths []struct {
		Threshold string
		Pass      bool
	}
	if err := json.Unmarshal(rep.Thresholds, &ths); err != nil || len(ths) != 1 || ths[0].Threshold != "max<1us" || ths[0].Pass {
		t.Errorf("JSON thresholds section %s (%v)", rep.Thresholds, err)
	}
}

func TestCompareRunsEachClientInItsOwnProcess(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "cmp.json")
	code, out, stderr := runCLI(t, nil, "compare", "--run-time", "1s", "--users", "2", "--profile", "albums-by-id",
		"--cooldown", "0s", "--json", jsonPath, "--threshold", "fail_ratio<0.5",
		"--csv", filepath.Join(dir, "run"), "--html", filepath.Join(dir, "report.html"),
		"--hdr-log", filepath.Join(dir, "lat.hlog"), "--jsonl", filepath.Join(dir, "run.jsonl"))
	if code != 0 {
		t.Fatalf("exit code %d\n%s\n%s", code, out, stderr)
	}
	// Each client's run writes its own files.
	for _, kind := range []string{"nethttp", "fasthttp"} {
		for _, name := range []string{"run-" + kind + "_stats.csv", "report-" + kind + ".html", "lat-" + kind + ".hlog", "run-" + kind + ".jsonl"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	for _, want := range []string{"nethttp", "fasthttp", "fasthttp/nethttp", "CPU us/request", "peak RSS MB"} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Seed uint64
		Runs []struct {
			Client     string
			CPUSeconds float64 `json:"cpu_s"`
			MaxRSSMB   float64 `json:"max_rss_mb"`
			Report     struct {
				Config     struct{ Seed uint64 }
				Aggregated struct{ Count int64 }
			}
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs) != 2 || doc.Runs[0].Client != "nethttp" || doc.Runs[1].Client != "fasthttp" {
		t.Fatalf("runs %+v", doc.Runs)
	}
	for _, r := range doc.Runs {
		if r.CPUSeconds <= 0 || r.MaxRSSMB <= 0 || r.Report.Aggregated.Count == 0 {
			t.Errorf("%s: cpu %v s, rss %v MB, %d requests", r.Client, r.CPUSeconds, r.MaxRSSMB, r.Report.Aggregated.Count)
		}
		if r.Report.Config.Seed != doc.Seed {
			t.Errorf("%s ran with seed %d, comparison seed %d", r.Client, r.Report.Config.Seed, doc.Seed)
		}
	}
}

func TestCompareRejectsUnknownClient(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "compare", "--clients", "nethttp,curl")
	if code != exitUsage || !strings.Contains(stderr, `--clients: unknown client "curl"`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// TestScaleRefusesStreamsOfOneRun: a sweep's steps run in processes of
// their own, so what streams one run's intervals is refused, not ignored.
func TestScaleRefusesStreamsOfOneRun(t *testing.T) {
	for _, flag := range []string{"--hdr-log", "--jsonl", "--metrics"} {
		code, _, stderr := runCLI(t, nil, "scale", "--over", "users=1,2", flag, "x")
		if want := "watch one step with loadgen --users 1 " + flag + " x"; code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("scale %s: exit %d, stderr %q; want %d and %q", flag, code, stderr, exitUsage, want)
		}
	}
}

// TestCompareRefusesOutputsItCannotSplit: what a comparison cannot write
// once per client is refused, with the way to get it, before any run.
func TestCompareRefusesOutputsItCannotSplit(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--metrics", "127.0.0.1:0"}, "loadgen --client nethttp --metrics 127.0.0.1:0"},
		{[]string{"--jsonl", "-"}, "--jsonl -: compare writes one per client, so it needs a path"},
		{[]string{"--html", "-"}, "out/run-nethttp"},
		{[]string{"--csv", "-"}, "--csv -: compare writes one per client"},
	} {
		code, _, stderr := runCLI(t, nil, append([]string{"compare", "--run-time", "1s"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("compare %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}

func TestScaleSweepFitsAndDraws(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "sweep.json")
	code, out, stderr := runCLI(t, nil, "scale", "--over", "users=1,2,4", "--warmup", "300ms", "--step", "1s",
		"--cooldown", "0s", "--profile", "albums-by-id", "--json", jsonPath, "--csv", filepath.Join(dir, "sweep.csv"),
		"--html", filepath.Join(dir, "sweep.html"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"users=1", "users=4", "Amdahl:", "USL:", "chart: " + filepath.Join(dir, "sweep-throughput.png")} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Dimension string
		Steps     []struct {
			N         float64
			RPS       float64
			Requests  int64
			GenCPU    float64 `json:"generator_cpu"`
			ServerCPU float64 `json:"server_cpu"`
		}
		Analysis *struct {
			Amdahl *struct{ Sigma float64 }
			USL    *struct{ Sigma, Kappa float64 }
		}
		Charts []string
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if res.Dimension != "users" || len(res.Steps) != 3 {
		t.Fatalf("dimension %q, %d steps", res.Dimension, len(res.Steps))
	}
	for i, st := range res.Steps {
		if st.N != []float64{1, 2, 4}[i] || st.RPS <= 0 || st.Requests == 0 || st.GenCPU <= 0 || st.ServerCPU <= 0 {
			t.Errorf("step %d: %+v", i, st)
		}
	}
	if res.Analysis == nil || res.Analysis.Amdahl == nil || res.Analysis.USL == nil {
		t.Fatalf("no fits in %s", data)
	}
	for _, c := range res.Charts {
		f, err := os.Open(c)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(c, ".png") {
			if _, err := png.Decode(f); err != nil {
				t.Errorf("%s: %v", c, err)
			}
		}
		f.Close()
	}
	if len(res.Charts) != 4 {
		t.Errorf("charts %v, want throughput and latency as SVG and PNG", res.Charts)
	}
	page, err := os.ReadFile(filepath.Join(dir, "sweep.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"users=4", "Amdahl", "USL", `id="scaling"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	rows := readCSV(t, filepath.Join(dir, "sweep.csv"))
	if len(rows) != 4 || rows[0][0] != "Step" {
		t.Errorf("CSV rows %v", rows)
	}
}

func TestScaleStoresSideBySide(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runCLI(t, nil, "scale", "--over", "store=mutex,syncmap", "--warmup", "0s", "--step", "700ms",
		"--cooldown", "0s", "-u", "4", "--json", filepath.Join(dir, "stores.json"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "store=mutex") || !strings.Contains(out, "store=syncmap") || strings.Contains(out, "Amdahl") {
		t.Errorf("want both stores and no fit:\n%s", out)
	}
}

func TestScaleUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"scale"}, "--over is required"},
		{[]string{"scale", "--over", "cores=1,2"}, `unknown dimension "cores"`},
		{[]string{"scale", "--over", "users=1,x"}, `"x" is not a positive whole number`},
		{[]string{"scale", "--over", "users=2,2"}, "2 appears twice"},
		{[]string{"scale", "--over", "store=mutex,btree"}, "--over"},
		{[]string{"scale", "--over", "store=mutex", "-H", "http://127.0.0.1:1"}, "cannot be used with --host"},
		{[]string{"scale", "--over", "users=1,2", "--users", "3"}, "both set the same thing"},
	} {
		code, _, stderr := runCLI(t, nil, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestOpenModelRun(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "open.json")
	code, out, stderr := runCLI(t, nil, "--rate", "200", "--run-time", "1500ms", "--arrival", "poisson", "--seed", "3",
		"--profile", "albums-by-id", "--only-summary", "--json", jsonPath)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"Open model:", "scheduled", "service"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	rep := readReport(t, jsonPath)
	var cfg struct {
		Rate    string
		Arrival string
		Open    struct{ Scheduled, Sent, Dropped uint64 } `json:"open_model"`
	}
	if err := json.Unmarshal(rep.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Rate != "200/s" || cfg.Arrival != "poisson" || cfg.Open.Sent == 0 || cfg.Open.Sent+cfg.Open.Dropped != cfg.Open.Scheduled {
		t.Errorf("config %+v", cfg)
	}
	if rep.Aggregated.Count != int64(cfg.Open.Sent) {
		t.Errorf("%d requests recorded, %d sent", rep.Aggregated.Count, cfg.Open.Sent)
	}
	if rep.Aggregated.Service == nil {
		t.Error("no service-time series in the JSON")
	}
}

func TestEnvironmentSetsFlagsAndCommandLineWins(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "env.json")
	env := map[string]string{
		"LOADGEN_USERS": "3", "LOADGEN_RUN_TIME": "1s", "LOADGEN_PROFILE": "albums-by-id",
		"LOADGEN_ONLY_SUMMARY": "true", "LOADGEN_CLIENT": "curl", "LOADGEN_SPAWN_RATE": "0",
	}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code, out, stderr := runCLI(t, getenv, "--client", "nethttp", "--json", jsonPath)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(stderr, "# reqs") {
		t.Error("LOADGEN_ONLY_SUMMARY=true did not silence the live table")
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Config struct {
			Users   int
			Client  string
			Profile string
			RunTime string `json:"run_time"`
		}
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if c := rep.Config; c.Users != 3 || c.Client != "nethttp" || c.Profile != "albums-by-id" || c.RunTime != "1s" {
		t.Errorf("config %+v: want users, profile and run time from the environment and the client from the command line", c)
	}
}

func TestFleetCommandErrors(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "coordinator", "--listen", "0.0.0.0:5557")
	if code != exitUsage || !strings.Contains(stderr, "without a token") || !strings.Contains(stderr, "open relay") {
		t.Errorf("coordinator on every interface without a token: exit %d, %q", code, stderr)
	}
	start := time.Now()
	code, _, stderr = runCLI(t, nil, "worker", "--coordinator", "http://127.0.0.1:1", "--connect-timeout", "1s")
	if code != exitUnreachable || !strings.Contains(stderr, "could not register") {
		t.Errorf("worker without a coordinator: exit %d, %q", code, stderr)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the worker gave up after %v, want about its 1s connect timeout", took)
	}
	// A worker's --logfile gets its log; stderr keeps only the error.
	logPath := filepath.Join(t.TempDir(), "worker.log")
	code, _, stderr = runCLI(t, nil, "worker", "--coordinator", "http://127.0.0.1:1", "--connect-timeout", "300ms", "--loglevel", "DEBUG", "--logfile", logPath)
	logged, _ := os.ReadFile(logPath)
	if code != exitUnreachable || !strings.Contains(string(logged), "coordinator not reachable yet") || strings.Contains(stderr, "not reachable yet") {
		t.Errorf("worker --logfile: exit %d, log file %q, stderr %q; want the log in the file only", code, logged, stderr)
	}
	code, _, stderr = runCLI(t, nil, "worker")
	if code != exitUsage || !strings.Contains(stderr, "--coordinator is required") {
		t.Errorf("worker without --coordinator: exit %d, %q", code, stderr)
	}
	// A Locust worker's environment names its master: refused, with the
	// loadgen way, even where LOADGEN_COORDINATOR would let the worker run.
	for _, v := range []string{"LOCUST_MASTER_NODE_HOST", "LOCUST_MASTER_NODE_PORT"} {
		vars := map[string]string{v: "5557", "LOADGEN_COORDINATOR": "http://127.0.0.1:1"}
		getenv := func(k string) (string, bool) { s, ok := vars[k]; return s, ok }
		code, _, stderr = runCLI(t, getenv, "worker", "--connect-timeout", "300ms")
		if code != exitUsage || !strings.Contains(stderr, v) || !strings.Contains(stderr, "--coordinator http://HOST:PORT") {
			t.Errorf("worker with %s: exit %d, %q; want exit 2 naming the variable and --coordinator", v, code, stderr)
		}
	}
}
