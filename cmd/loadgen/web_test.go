package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/loadgen/web"
)

func TestWebFlagsUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"autostart without web", []string{"--autostart"}, "--autostart applies to the web UI only: add --web"},
		{"web port without web", []string{"--web-port", "9000"}, "--web-port applies"},
		{"open to others without auth", []string{"--web", "--web-host", "0.0.0.0"}, "--web-host 0.0.0.0: a web UI reachable from other machines needs credentials"},
		{"auth without password", []string{"--web", "--web-auth", "admin"}, "--web-auth: want user:pass"},
		{"port out of range", []string{"--web", "--web-port", "70000"}, "--web-port 70000"},
		{"html into a missing directory", []string{"--html", filepath.Join(dir, "none", "r.html")}, "--html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer that several goroutines may write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var webURL = regexp.MustCompile(`msg="web UI listening" url=(http://\S+)`)

// startWeb runs loadgen --web in the background and returns its URL and a
// function that interrupts it (as Ctrl-C does) and returns its exit code
// and standard output.
func startWeb(t *testing.T, args ...string) (string, func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, env{stdout: &stdout, stderr: &stderr, getenv: noEnv, self: testSelf}, append([]string{"--web", "--web-port", "0"}, args...))
	}()
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if m := webURL.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("loadgen --web exited %d: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the web UI did not start: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop := func() (int, string) {
		cancel()
		select {
		case code := <-done:
			return code, stdout.String()
		case <-time.After(60 * time.Second):
			t.Fatalf("loadgen --web did not end after Ctrl-C: %s", stderr.String())
			return 0, ""
		}
	}
	t.Cleanup(func() { cancel() })
	return url, stop
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func postJSON(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestWebAutostart starts a run from the flags, edits it through the API,
// and checks that Ctrl-C reports it as a command-line run would.
func TestWebAutostart(t *testing.T) {
	dir := t.TempDir()
	prefix, jsonPath, htmlPath := filepath.Join(dir, "run"), filepath.Join(dir, "run.json"), filepath.Join(dir, "run.html")
	url, stop := startWeb(t, "--autostart", "-u", "2", "-r", "100", "--csv", prefix, "--json", jsonPath, "--html", htmlPath, "--threshold", "fail_ratio<0.5")

	var st web.Stats
	deadline := time.Now().Add(20 * time.Second)
	for {
		getJSON(t, url+"/api/stats", &st)
		if st.State == "running" && st.Total.NumRequests > 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the autostarted run did not get going: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.Run == nil || st.Run.Users != 2 || st.Run.Profile != "albums" || st.Run.RunTime != "" {
		t.Errorf("autostarted run %+v, want the flags' 2 users of albums until stopped", st.Run)
	}
	if len(st.Thresholds) != 1 || !st.Thresholds[0].Pass {
		t.Errorf("thresholds %+v", st.Thresholds)
	}
	if len(st.Ratio) != 2 || st.Ratio[0].Weight == 0 {
		t.Errorf("ratio %+v", st.Ratio)
	}
	if code := postJSON(t, url+"/api/edit", `{"users":3}`); code != 200 {
		t.Fatalf("edit: %d", code)
	}
	deadline = time.Now().Add(20 * time.Second)
	for st.UserCount != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("users %d after the edit", st.UserCount)
		}
		time.Sleep(20 * time.Millisecond)
		getJSON(t, url+"/api/stats", &st)
	}
	var ws web.Workers
	getJSON(t, url+"/api/workers", &ws)
	if len(ws.Workers) != 0 {
		t.Errorf("a run in this process lists workers %+v", ws.Workers)
	}

	code, stdout := stop()
	if code != exitOK {
		t.Fatalf("exit %d after Ctrl-C\n%s", code, stdout)
	}
	if !strings.Contains(stdout, "Aggregated") || !strings.Contains(stdout, "requests=") {
		t.Errorf("no final tables:\n%s", stdout)
	}
	rep := checkOutputs(t, prefix, jsonPath)
	if rep.Aggregated.Count == 0 {
		t.Error("the JSON report of the run is empty")
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="stats-table"`, `id="thresholds-table"`, "<svg", "GET", "/albums", "embedded album service"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("--html report lacks %q", want)
		}
	}
}

func TestWebWithoutARun(t *testing.T) {
	url, stop := startWeb(t)
	var st web.Stats
	getJSON(t, url+"/api/stats", &st)
	if st.State != "ready" {
		t.Errorf("state %q before any run", st.State)
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("page: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	code, stdout := stop()
	if code != exitOK || !strings.Contains(stdout, "No run was started") {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
}

func TestHTMLReportOfACommandLineRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.html")
	code, _, stderr := runCLI(t, nil, "-u", "2", "-r", "100", "-t", "1s", "--only-summary", "--html", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>loadgen report: albums</title>", `id="stats-table"`, `id="percentiles-table"`, "<svg", "Spawn rate", "100 users/s"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// webSpec builds a start request's Spec as loadgen --web does, from the
// command line's settings.
func webSpec(c *cli.Command, set *cli.Settings, req web.StartRequest) (*loadgen.Spec, error) {
	o, err := webOverrides(c, req)
	if err != nil {
		return nil, web.BadRequest(err)
	}
	s, err := c.Spec(set, version, o)
	if err != nil {
		return nil, web.BadRequest(err)
	}
	return s, nil
}

func TestWebSpecFor(t *testing.T) {
	const yaml = "name: mine\ntasks:\n  - name: ping\n    method: GET\n    path: /albums\n"
	c, err := cli.NewCommand("")
	if err != nil {
		t.Fatal(err)
	}
	set, err := c.Parse([]string{"--ratio", "3:1", "--threshold", "p99<1s", "--warmup", "2s"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	base, err := c.Spec(set, version, cli.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		req     web.StartRequest
		bad     string
		profile string
		ratio   string
	}{
		{"the command line's profile", web.StartRequest{Users: 3, Profile: "albums", RunTime: "1m"}, "", "albums", "3:1"},
		{"another built-in", web.StartRequest{Users: 3, Profile: "smoke"}, "", "smoke", ""},
		{"YAML", web.StartRequest{Users: 1, Profile: "albums", ProfileYAML: yaml}, "", "mine", ""},
		{"a path", web.StartRequest{Profile: "/etc/passwd"}, "neither a built-in profile", "", ""},
		{"a relative path", web.StartRequest{Profile: "profiles/albums.yaml"}, "neither a built-in profile", "", ""},
		{"bad YAML", web.StartRequest{ProfileYAML: "tasks: [}"}, "profile_yaml", "", ""},
		{"run time within the warm-up", web.StartRequest{Profile: "albums", RunTime: "1s"}, "warm-up", "", ""},
		{"bad host", web.StartRequest{Profile: "albums", Host: "http://x/?q=1"}, "host", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := webSpec(c, set, tt.req)
			if tt.bad != "" {
				var re *web.RequestError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.bad) {
					t.Fatalf("error %v, want a bad request about %q", err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.Plan()
			if err != nil || p.Name() != tt.profile || s.Ratio != tt.ratio || s.Users != tt.req.Users {
				t.Errorf("spec: profile %s, ratio %q, %d users (%v)", p.Name(), s.Ratio, s.Users, err)
			}
			if len(s.Thresholds) == 0 || s.Thresholds[len(s.Thresholds)-1].Expr != "p99<1s" {
				t.Errorf("the command line's threshold is lost: %v", s.Thresholds)
			}
			if base.Users == s.Users && tt.req.Users != base.Users {
				t.Error("the request changed the command line's spec")
			}
		})
	}
	if base.Profile.Builtin != "albums" || base.Ratio != "3:1" || c.Run.Ratio != "3:1" {
		t.Error("a start request changed the command line's spec")
	}
}

// TestWebDistributed runs the UI as the coordinator of two worker
// processes: the worker table fills, an edit moves the fleet, a reset
// restarts the statistics, and the final report has the workers.
func TestWebDistributed(t *testing.T) {
	htmlPath := filepath.Join(t.TempDir(), "run.html")
	url, stop := startWeb(t, "--autostart", "--workers", "2", "-u", "4", "-r", "100", "--html", htmlPath)
	var ws web.Workers
	deadline := time.Now().Add(30 * time.Second)
	for {
		getJSON(t, url+"/api/workers", &ws)
		if len(ws.Workers) == 2 && ws.Workers[0].Requests > 0 && ws.Workers[1].Requests > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers %+v", ws.Workers)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code := postJSON(t, url+"/api/edit", `{"users":2,"spawn_rate":100}`); code != http.StatusOK {
		t.Errorf("edit of a distributed run: %d, want 200", code)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		getJSON(t, url+"/api/workers", &ws)
		if len(ws.Workers) == 2 && ws.Workers[0].Users+ws.Workers[1].Users == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the edit to 2 users: workers %+v", ws.Workers)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var before, after web.Stats
	getJSON(t, url+"/api/stats", &before)
	if code := postJSON(t, url+"/api/reset", ``); code != http.StatusOK {
		t.Errorf("reset of a distributed run: %d, want 200", code)
	}
	getJSON(t, url+"/api/stats", &after)
	if after.Total.NumRequests >= before.Total.NumRequests && before.Total.NumRequests > 0 {
		t.Errorf("%d requests after the reset, %d before", after.Total.NumRequests, before.Total.NumRequests)
	}
	if code := postJSON(t, url+"/api/stop", ``); code != 200 {
		t.Fatalf("stop: %d", code)
	}
	var st web.Stats
	getJSON(t, url+"/api/stats", &st)
	if st.State != "stopped" || st.Total.NumRequests == 0 {
		t.Errorf("after stop: %s with %d requests", st.State, st.Total.NumRequests)
	}
	code, stdout := stop()
	if code != exitOK || !strings.Contains(stdout, "Worker") {
		t.Errorf("exit %d, stdout:\n%s", code, stdout)
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(`id="workers-table"`)) || !bytes.Contains(page, []byte("Worker processes")) {
		t.Error("the HTML report lacks the worker table")
	}
}
