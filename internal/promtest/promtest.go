// Package promtest runs a real Prometheus server for the tests that hold
// loadgen's metrics to it: Debian's prometheus package, which .ci/run
// installs. In CI a missing Prometheus fails the test that needs it;
// elsewhere the test is skipped with the reason.
package promtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Target is an endpoint for the server to scrape.
type Target struct {
	// URL is the metrics endpoint, such as http://127.0.0.1:9464/metrics.
	URL string
	// BearerToken, when set, is sent as "Authorization: Bearer TOKEN".
	BearerToken string
}

// Server is a Prometheus server scraping the test's targets.
type Server struct {
	// URL is the server's base URL, for its HTTP API.
	URL string
}

// Start starts Prometheus scraping the targets every second, with its
// data in a temporary directory, and stops it when the test ends.
func Start(t testing.TB, targets ...Target) *Server {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		msg := "no prometheus on PATH (Debian's prometheus package provides it)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + ": CI must install it")
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n")
	for i, tg := range targets {
		u, err := url.Parse(tg.URL)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&cfg, "  - job_name: t%d\n    metrics_path: %q\n    static_configs:\n      - targets: [%q]\n", i, u.Path, u.Host)
		if tg.BearerToken != "" {
			tokenFile := filepath.Join(dir, fmt.Sprintf("token%d", i))
			if err := os.WriteFile(tokenFile, []byte(tg.BearerToken), 0o600); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&cfg, "    authorization:\n      credentials_file: %q\n", tokenFile)
		}
	}
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+cfgFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	})
	s := &Server{URL: "http://" + addr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-done:
			t.Fatalf("prometheus exited at start:\n%s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready after 30 s:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port free a moment ago:
// Prometheus takes its address as a flag, not a listener.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Sample is one series of an instant query's answer.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query runs an instant PromQL query through the HTTP API.
func (s *Server) Query(t testing.TB, expr string) []Sample {
	t.Helper()
	resp, err := http.Get(s.URL + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("query %s: %v", expr, err)
	}
	if out.Status != "success" {
		t.Fatalf("query %s: %s", expr, out.Error)
	}
	var samples []Sample
	for _, r := range out.Data.Result {
		str, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			t.Fatalf("query %s: value %v: %v", expr, r.Value[1], err)
		}
		samples = append(samples, Sample{Labels: r.Metric, Value: v})
	}
	return samples
}

// Scalar runs a query whose answer is one series, and returns its value;
// ok is false when the answer is empty.
func (s *Server) Scalar(t testing.TB, expr string) (v float64, ok bool) {
	t.Helper()
	samples := s.Query(t, expr)
	switch len(samples) {
	case 0:
		return 0, false
	case 1:
		return samples[0].Value, true
	}
	t.Fatalf("query %s: %d series, want one", expr, len(samples))
	return 0, false
}

// WaitFor queries expr until cond holds for its value, or fails the test
// after timeout.
func (s *Server) WaitFor(t testing.TB, expr string, timeout time.Duration, cond func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v, ok := s.Scalar(t, expr)
		if ok && cond(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, %s is %v (found: %v)", timeout, expr, v, ok)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
