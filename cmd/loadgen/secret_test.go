package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// authTarget answers 200 to requests with alice's basic authentication
// and 401 to others, and counts both.
type authTarget struct {
	*httptest.Server
	ok, refused atomic.Int64
}

func newAuthTarget(t *testing.T) *authTarget {
	t.Helper()
	a := &authTarget{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if u, p, ok := r.BasicAuth(); ok && u == "alice" && p == "s3cret-pw" {
			a.ok.Add(1)
			io.WriteString(w, "[]")
			return
		}
		a.refused.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(a.Close)
	return a
}

// withSecret is the target's URL with alice's password in it.
func (a *authTarget) withSecret() string {
	return strings.Replace(a.URL, "http://", "http://alice:s3cret-pw@", 1)
}

// noSecret fails the test if the password shows in what was printed or
// written.
func noSecret(t *testing.T, where, text string) {
	t.Helper()
	if strings.Contains(text, "s3cret-pw") {
		t.Errorf("%s shows the password from --host", where)
	}
}

// TestHostPasswordStaysSecret: a password in --host is sent as basic
// authentication, by both clients and by workers, and never printed,
// logged or saved: the log, the tables, the JSON and the HTML report show
// it as xxxxx.
func TestHostPasswordStaysSecret(t *testing.T) {
	for _, tt := range []struct{ name, client, workers string }{
		{"fasthttp", "fasthttp", "0"},
		{"nethttp", "nethttp", "0"},
		{"workers", "fasthttp", "2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target := newAuthTarget(t)
			dir := t.TempDir()
			jsonPath, htmlPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
			code, stdout, stderr := runCLI(t, nil, "-H", target.withSecret(), "--client", tt.client, "--workers", tt.workers,
				"--profile", "albums-by-id", "-u", "2", "-r", "0", "-t", "1500ms", "--stop-timeout", "1s",
				"--json", jsonPath, "--html", htmlPath, "-L", "DEBUG")
			if code != exitOK || target.ok.Load() == 0 || target.refused.Load() != 0 {
				t.Fatalf("exit %d, %d requests authenticated, %d refused; want every request authenticated\n%s", code, target.ok.Load(), target.refused.Load(), stderr)
			}
			noSecret(t, "stdout", stdout)
			noSecret(t, "the log", stderr)
			if !strings.Contains(stderr, "alice:xxxxx@127.0.0.1") {
				t.Errorf("the log does not name the target, redacted:\n%s", stderr)
			}
			for _, p := range []string{jsonPath, htmlPath} {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				noSecret(t, filepath.Base(p), string(b))
				if !strings.Contains(string(b), "alice:xxxxx@127.0.0.1") {
					t.Errorf("%s does not name the target, redacted", filepath.Base(p))
				}
			}
		})
	}
}

// TestWebKeepsHostPasswordSecret: the web UI shows the command line's host
// redacted, in its form's defaults, its statistics, its log and its
// downloads; a start from the form, which sends the host back as shown,
// still authenticates, and so does one that names the host in full.
func TestWebKeepsHostPasswordSecret(t *testing.T) {
	target := newAuthTarget(t)
	url, stop := startWeb(t, "-H", target.withSecret(), "--profile", "albums-by-id", "-u", "1", "-r", "0", "-t", "1s")
	var info struct {
		Defaults struct{ Host string }
	}
	getJSON(t, url+"/api/info", &info)
	if want := strings.Replace(target.URL, "http://", "http://alice:xxxxx@", 1); info.Defaults.Host != want {
		t.Fatalf("the form's default host is %q, want %q", info.Defaults.Host, want)
	}
	for i, host := range []string{info.Defaults.Host, target.withSecret()} {
		before := target.ok.Load()
		if code := postJSON(t, url+"/api/start", `{"host":"`+host+`","run_time":"1s"}`); code != 200 {
			t.Fatalf("start %d: %d", i, code)
		}
		waitStopped(t, url, 20*time.Second)
		if target.ok.Load() == before || target.refused.Load() != 0 {
			t.Fatalf("start %d: %d requests authenticated, %d refused", i, target.ok.Load()-before, target.refused.Load())
		}
	}
	for _, path := range []string{"/api/info", "/api/stats", "/api/logs", "/download/report.json", "/download/report.html"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		noSecret(t, path, string(b))
		if !strings.Contains(string(b), "alice:xxxxx@") {
			t.Errorf("%s does not name the target, redacted", path)
		}
	}
	code, stdout := stop()
	if code != exitOK {
		t.Errorf("exit %d", code)
	}
	noSecret(t, "stdout", stdout)
}
