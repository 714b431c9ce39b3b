package control

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
)

// FuzzCoordinatorRequests sends arbitrary bodies to the coordinator's
// endpoints: every answer must be a 2xx or a 4xx, never a 5xx, and a
// refused request must leave the worker table as it was.
func FuzzCoordinatorRequests(f *testing.F) {
	f.Add(uint8(0), []byte(`{"v":1,"id":"w2","host":"h","version":"test","cores":2,"pid":3}`))
	f.Add(uint8(1), []byte(`{"v":1,"id":"w1","state":"running","users":3,"cpu_percent":12.5,"rss_bytes":1000}`))
	f.Add(uint8(1), []byte(`{"v":1,"id":"w1","state":"quit"}`))
	f.Add(uint8(2), []byte(`{"version":1,"entries":[],"errors":[]}`))
	f.Add(uint8(2), []byte(`{"version":1,"entries":[{"method":"GET","name":"/a","count":1,"min_us":1,"max_us":1,"sum_us":1,"hdr":""}]}`))
	f.Add(uint8(3), []byte(`{}`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		c, err := NewCoordinator(CoordinatorConfig{Spec: testSpec("http://127.0.0.1:9"), Users: 4, MissedHeartbeats: 1000, PollHold: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		h := c.Handler()
		serve := func(method, target string, body []byte) int {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(method, target, bytes.NewReader(body))
			req.Host = "127.0.0.1:5557"
			req.Header.Set("Content-Type", "application/json")
			h.ServeHTTP(rec, req)
			return rec.Code
		}
		if code := serve(http.MethodPost, wire.PathRegister, []byte(`{"v":1,"id":"w1"}`)); code != http.StatusOK {
			t.Fatalf("register: %d", code)
		}
		c.mu.Lock()
		c.state = runRunning
		c.start = time.Now()
		c.stats = loadgen.NewStats(time.Now(), false, 0)
		c.mu.Unlock()
		before := c.Workers()

		var code int
		switch which % 4 {
		case 0:
			code = serve(http.MethodPost, wire.PathRegister, body)
		case 1:
			code = serve(http.MethodPost, wire.PathHeartbeat, body)
		case 2:
			code = serve(http.MethodPost, wire.ReportRequest{ID: "w1", Run: c.RunID(), Seq: 1}.Query(), body)
		case 3:
			code = serve(http.MethodGet, wire.PathCommands+"?worker=w1&after=999", body)
		}
		if code >= 500 || code < 200 {
			t.Fatalf("HTTP %d for %q", code, body)
		}
		if code >= 400 {
			after := c.Workers()
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused request (HTTP %d) changed the table:\n%+v\n%+v", code, before, after)
			}
		}
	})
}
