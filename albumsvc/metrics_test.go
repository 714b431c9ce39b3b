package albumsvc

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
)

// scrape reads /metrics into sample name (with labels) -> value, and
// checks the lines a Prometheus parser relies on: every sample has a TYPE
// before it and an integer value.
func scrape(t *testing.T, s *Service) map[string]int64 {
	t.Helper()
	r := serve(t, s.Handler(), "GET", "/metrics", "", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q, want 200 with the Prometheus text format", r.status, r.header.Get("Content-Type"))
	}
	typed := map[string]bool{}
	out := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(r.body))
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			typed[f[2]] = true
		}
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		family, _, _ := strings.Cut(name, "{")
		v, err := strconv.ParseInt(value, 10, 64)
		if !ok || err != nil || !typed[family] {
			t.Fatalf("GET /metrics: bad sample line %q (a TYPE line first, then NAME VALUE)", line)
		}
		out[name] = v
	}
	return out
}

func TestMetricsCountRequestsByMethod(t *testing.T) {
	s := newTestService(t, Config{Preload: 3})
	before := scrape(t, s)
	for name, want := range map[string]int64{
		`albumsvc_requests_total{method="GET"}`:  0,
		`albumsvc_requests_total{method="POST"}`: 0,
		`albumsvc_albums`:                        3,
	} {
		if got, ok := before[name]; !ok || got != want {
			t.Errorf("before any request: %s = %d (present %v), want %d", name, got, ok, want)
		}
	}

	h := s.Handler()
	for range 3 {
		serve(t, h, "GET", "/albums", "", "")
	}
	serve(t, h, "GET", "/albums/1", "", "")
	serve(t, h, "HEAD", "/healthz", "", "")
	serve(t, h, "POST", "/albums", jsonCT, `{"title":"t","artist":"a","price":1}`)
	serve(t, h, "POST", "/albums", jsonCT, `{"title":""}`) // rejected, still received
	serve(t, h, "DELETE", "/albums/1", "", "")
	serve(t, h, "GET", "/nowhere", "", "")

	got := scrape(t, s)
	for name, want := range map[string]int64{
		`albumsvc_requests_total{method="GET"}`:   5, // scrapes of /metrics not counted
		`albumsvc_requests_total{method="HEAD"}`:  1,
		`albumsvc_requests_total{method="POST"}`:  2,
		`albumsvc_requests_total{method="other"}`: 1,
		`albumsvc_albums`:                         4,
	} {
		if got[name] != want {
			t.Errorf("%s = %d, want %d", name, got[name], want)
		}
	}
	if r := serve(t, h, "POST", "/metrics", "", ""); r.status != 405 {
		t.Errorf("POST /metrics: %d, want 405", r.status)
	}
}
