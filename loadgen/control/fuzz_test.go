package control

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/results"
)

// FuzzCommand decodes commands as a worker does: nothing may panic, and a
// command that is accepted survives encoding and decoding unchanged.
func FuzzCommand(f *testing.F) {
	spec := testSpec("http://127.0.0.1:8080")
	open := spec
	open.Open = &OpenSpec{Rate: schedule.Rate{Start: 10, Stages: []schedule.Stage{{Duration: time.Second, Target: 100}}},
		Arrival: schedule.ArrivalPoisson, MaxInFlight: 50, MaxLag: -1, LateAfter: time.Millisecond}
	for _, c := range []Command{
		{V: 1, Seq: 1, Kind: CommandSpawn, Run: "r", Users: 13, Rate: 2.5, FirstID: UserIDBlock, Spec: &spec},
		{V: 1, Seq: 2, Kind: CommandStop, Run: "r"},
		{V: 1, Seq: 3, Kind: CommandQuit, Run: "r"},
		{V: 1, Seq: 4, Kind: CommandSpawn, Run: "r", FirstID: UserIDBlock, Spec: &open,
			Open: &OpenShare{Start: time.Date(2025, 1, 2, 10, 0, 0, 123456789, time.UTC), At: 1500 * time.Millisecond, Index: 1, Workers: 3, Seed: 1<<64 - 1}},
		{V: 1, Seq: 5, Kind: CommandStop, Run: "r", Open: &OpenShare{At: 3 * time.Second}},
	} {
		b, err := json.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"v":1,"seq":1,"kind":"spawn","run":"r","users":1,"spec":{"profile":{"builtin":"albums"},"client":"x","host":"h","seed":"18446744073709551615"}}`))
	f.Add([]byte(`{"v":1,"seq":1,"kind":"spawn","run":"r","spec":{"profile":{},"extra":1}}`))
	f.Add([]byte(`{"v":1,"seq":1,"kind":"spawn","run":"r","spec":{"profile":{"builtin":"albums"},"client":"x","host":"h","seed":"1","open":{"rate":5,"stages":"1s:5","arrival":"constant"}},"open":{"start":"2025-01-02T11:00:00+01:00","workers":2,"index":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var cmd Command
		if decodeStrict(data, &cmd) != nil || cmd.validate() != nil {
			return
		}
		b, err := json.Marshal(cmd)
		if err != nil {
			t.Fatalf("an accepted command does not encode: %v", err)
		}
		var again Command
		if err := decodeStrict(b, &again); err != nil {
			t.Fatalf("re-encoded command %s does not decode: %v", b, err)
		}
		if err := again.validate(); err != nil {
			t.Fatalf("re-encoded command %s is invalid: %v", b, err)
		}
		if !reflect.DeepEqual(cmd, again) {
			t.Fatalf("round trip changed the command:\n%+v\n%+v", cmd, again)
		}
	})
}

// FuzzReportQuery parses report query strings: nothing may panic, and an
// accepted one is what Query writes back.
func FuzzReportQuery(f *testing.F) {
	f.Add("v=1&worker=w-1&run=abc&seq=7&final=1")
	f.Add("v=1&worker=w&run=r&seq=18446744073709551615&final=0")
	f.Add("v=1&worker=a%20b&run=r&seq=1&final=0")
	f.Add("v=1&v=1&worker=w&run=r&seq=1&final=0")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		m, err := parseReportQuery(q)
		if err != nil {
			return
		}
		u, err := url.Parse(m.Query())
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseReportQuery(u.Query())
		if err != nil || again != m {
			t.Fatalf("round trip of %+v: %+v, %v", m, again, err)
		}
	})
}

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
			h.ServeHTTP(rec, httptest.NewRequest(method, target, bytes.NewReader(body)))
			return rec.Code
		}
		if code := serve(http.MethodPost, PathRegister, []byte(`{"v":1,"id":"w1"}`)); code != http.StatusOK {
			t.Fatalf("register: %d", code)
		}
		c.mu.Lock()
		c.phase = phaseRunning
		c.start = time.Now()
		c.agg = newTestAggregator()
		c.mu.Unlock()
		before := c.Workers()

		var code int
		switch which % 4 {
		case 0:
			code = serve(http.MethodPost, PathRegister, body)
		case 1:
			code = serve(http.MethodPost, PathHeartbeat, body)
		case 2:
			code = serve(http.MethodPost, ReportRequest{ID: "w1", Run: c.RunID(), Seq: 1}.Query(), body)
		case 3:
			code = serve(http.MethodGet, PathCommands+"?worker=w1&after=999", body)
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

func newTestAggregator() *results.Aggregator {
	return results.NewAggregator(time.Now(), results.AggregatorOptions{})
}
