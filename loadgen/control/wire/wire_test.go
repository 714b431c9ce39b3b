package wire

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/jsonhttp"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/profiles"
)

// testSpec is a valid spec in its worker form, to change in tests.
func testSpec(host string) loadgen.Spec {
	return loadgen.Spec{
		Profile: profiles.Source{File: "wire-test.yaml", YAML: "name: wire-test\ntasks:\n  - path: /u\n"},
		Wait:    profiles.Wait{Kind: profiles.WaitConstant, Min: 20 * time.Millisecond, Max: 20 * time.Millisecond},
		Client:  "nethttp",
		Timeout: 5 * time.Second,
		Seed:    42,
		Host:    host,
	}
}

func TestNewToken(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if len(a) != 64 || a == b {
		t.Fatalf("tokens %q and %q: want two different 64-digit tokens", a, b)
	}
}

func TestTokenCheck(t *testing.T) {
	check := NewTokenCheck("s3cret")
	tests := []struct {
		header string
		ok     bool
	}{
		{"Bearer s3cret", true},
		{"", false},
		{"Bearer ", false},
		{"Bearer s3cre", false},
		{"Bearer s3cret2", false},
		{"bearer s3cret", false},
		{"Basic s3cret", false},
		{"s3cret", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		if got := check.OK(r); got != tt.ok {
			t.Errorf("Authorization %q: ok = %v, want %v", tt.header, got, tt.ok)
		}
	}
	open := NewTokenCheck("")
	if !open.OK(httptest.NewRequest(http.MethodGet, "/", nil)) {
		t.Error("without a configured token every request should pass")
	}
}

// TestOpenCommandValidation checks what a worker refuses in the open-model
// parts of commands.
func TestOpenCommandValidation(t *testing.T) {
	spec := testSpec("http://127.0.0.1:8080")
	open := spec
	open.Open = &loadgen.OpenModel{Rate: schedule.Constant(10)}
	start := time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	share := func(f func(*OpenShare)) *OpenShare {
		s := &OpenShare{Start: start, Index: 1, Workers: 2}
		f(s)
		return s
	}
	withOpen := func(f func(*loadgen.OpenModel)) *loadgen.Spec {
		s := open
		o := *open.Open
		f(&o)
		s.Open = &o
		return &s
	}
	spawn := func(s *loadgen.Spec, sh *OpenShare) Command {
		return Command{V: 1, Seq: 1, Kind: CommandSpawn, Run: "r", Spec: s, Open: sh}
	}
	ok := share(func(*OpenShare) {})
	tests := []struct {
		name string
		cmd  Command
		want string // "" for valid
	}{
		{"valid", spawn(&open, ok), ""},
		{"valid stop", Command{V: 1, Seq: 1, Kind: CommandStop, Run: "r", Open: &OpenShare{At: time.Second}}, ""},
		{"no share", spawn(&open, nil), "without its share"},
		{"share in a closed run", spawn(&spec, ok), "run with users"},
		{"no start", spawn(&open, share(func(s *OpenShare) { s.Start = time.Time{} })), "without a start"},
		{"negative at", spawn(&open, share(func(s *OpenShare) { s.At = -1 })), "negative"},
		{"no workers", spawn(&open, share(func(s *OpenShare) { s.Workers = 0 })), "out of range"},
		{"index too high", spawn(&open, share(func(s *OpenShare) { s.Index = 2 })), "not below"},
		{"negative index", spawn(&open, share(func(s *OpenShare) { s.Index = -1 })), "not below"},
		{"zero rate", spawn(withOpen(func(o *loadgen.OpenModel) { o.Rate = schedule.Constant(0) }), ok), "must be positive"},
		{"negative stage", spawn(withOpen(func(o *loadgen.OpenModel) { o.Rate.Stages = []schedule.Stage{{Duration: time.Second, Target: -1}} }), ok), "negative"},
		{"huge cap", spawn(withOpen(func(o *loadgen.OpenModel) { o.MaxInFlight = loadgen.MaxInFlightLimit + 1 }), ok), "max_inflight"},
		{"negative late_after", spawn(withOpen(func(o *loadgen.OpenModel) { o.LateAfter = -1 }), ok), "late_after"},
		{"negative stop", Command{V: 1, Seq: 1, Kind: CommandStop, Run: "r", Open: &OpenShare{At: -time.Second}}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cmd.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestOpenShareStartIsUTC checks that a start sent with an offset reads
// as the same instant, in UTC.
func TestOpenShareStartIsUTC(t *testing.T) {
	var s OpenShare
	if err := json.Unmarshal([]byte(`{"start":"2025-01-02T11:00:00.5+01:00","workers":1,"seed":"7"}`), &s); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2025, 1, 2, 10, 0, 0, 5e8, time.UTC)
	if !s.Start.Equal(want) || s.Start.Location() != time.UTC || s.Seed != 7 {
		t.Errorf("share %+v, want start %v in UTC and seed 7", s, want)
	}
	if err := json.Unmarshal([]byte(`{"workers":1,"phase":0.5}`), &s); err == nil {
		t.Error("an unknown share field was accepted")
	}
}

// FuzzCommand decodes commands as a worker does: nothing may panic, and a
// command that is accepted survives encoding and decoding unchanged.
func FuzzCommand(f *testing.F) {
	spec := testSpec("http://127.0.0.1:8080")
	open := spec
	open.Open = &loadgen.OpenModel{Rate: schedule.Rate{Start: 10, Stages: []schedule.Stage{{Duration: time.Second, Target: 100}}},
		Arrival: schedule.ArrivalPoisson, MaxInFlight: 50, MaxLag: -1, LateAfter: time.Millisecond}
	for _, c := range []Command{
		{V: 1, Seq: 1, Kind: CommandSpawn, Run: "r", Users: 13, Rate: 2.5, FirstID: 1000000, Spec: &spec},
		{V: 1, Seq: 2, Kind: CommandStop, Run: "r"},
		{V: 1, Seq: 3, Kind: CommandQuit, Run: "r"},
		{V: 1, Seq: 4, Kind: CommandSpawn, Run: "r", FirstID: 1000000, Spec: &open,
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
		if jsonhttp.DecodeStrict(data, &cmd) != nil || cmd.Validate() != nil {
			return
		}
		b, err := json.Marshal(cmd)
		if err != nil {
			t.Fatalf("an accepted command does not encode: %v", err)
		}
		var again Command
		if err := jsonhttp.DecodeStrict(b, &again); err != nil {
			t.Fatalf("re-encoded command %s does not decode: %v", b, err)
		}
		if err := again.Validate(); err != nil {
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
		m, err := ParseReportQuery(q)
		if err != nil {
			return
		}
		u, err := url.Parse(m.Query())
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseReportQuery(u.Query())
		if err != nil || again != m {
			t.Fatalf("round trip of %+v: %+v, %v", m, again, err)
		}
	})
}
