package check

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/race"

	"github.com/loadgen/loadgen/profiles/response"
)

func TestEvaluate(t *testing.T) {
	resp := &response.Static{
		Code:    201,
		Data:    []byte(`{"status":"ok","n":3,"f":1.5,"ok":true,"nil":null,"items":[{"id":1}],"long":"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"}`),
		Headers: map[string][]string{"Content-Type": {"application/json; charset=utf-8"}},
	}
	for _, tc := range []struct {
		name string
		c    Check
		took time.Duration
		want string // "" for success
	}{
		{name: "default accepts 201", c: Check{}},
		{name: "status list", c: Check{Status: []int{200, 201}}},
		{name: "status refused", c: Check{Status: []int{200}}, want: "HTTP 201 Created"},
		{name: "contains", c: Check{BodyContains: []string{`"ok"`, "items"}}},
		{name: "contains missing", c: Check{BodyContains: []string{"ok", "welcome"}}, want: `check body_contains "welcome": not found`},
		{name: "not contains", c: Check{BodyNotContains: []string{"error"}}},
		{name: "not contains found", c: Check{BodyNotContains: []string{"status"}}, want: `check body_not_contains "status": found`},
		{name: "json string", c: Check{JSON: []JSONCheck{{Path: "status", Want: StringValue("ok")}}}},
		{name: "json string differs", c: Check{JSON: []JSONCheck{{Path: "status", Want: StringValue("fine")}}}, want: `check json status: got "ok", want "fine"`},
		{name: "json number", c: Check{JSON: []JSONCheck{{Path: "n", Want: NumberValue(3, "3")}, {Path: "f", Want: NumberValue(1.5, "1.50")}}}},
		{name: "json number is not a string", c: Check{JSON: []JSONCheck{{Path: "n", Want: StringValue("3")}}}, want: `check json n: got 3, want "3"`},
		{name: "json bool", c: Check{JSON: []JSONCheck{{Path: "ok", Want: BoolValue(true)}}}},
		{name: "json bool differs", c: Check{JSON: []JSONCheck{{Path: "ok", Want: BoolValue(false)}}}, want: "check json ok: got true, want false"},
		{name: "json null", c: Check{JSON: []JSONCheck{{Path: "nil", Want: NullValue()}}}},
		{name: "json count", c: Check{JSON: []JSONCheck{{Path: "items.#", Want: NumberValue(1, "1")}}}},
		{name: "json exists", c: Check{JSON: []JSONCheck{{Path: "items.0.id"}, {Path: "nil"}}}},
		{name: "json missing", c: Check{JSON: []JSONCheck{{Path: "token"}}}, want: "check json token: not found"},
		{name: "json long value cut", c: Check{JSON: []JSONCheck{{Path: "long", Want: StringValue("x")}}}, want: `check json long: got "abcdefghijklmnopqrstuvwxyzabcdefghijklm..., want "x"`},
		{name: "header", c: Check{Headers: []HeaderCheck{{Name: "content-type", Pattern: regexp.MustCompile("^application/json")}}}},
		{name: "header mismatch", c: Check{Headers: []HeaderCheck{{Name: "Content-Type", Pattern: regexp.MustCompile("^text/")}}}, want: `check header Content-Type: "application/json; charset=utf-8" does not match ^text/`},
		{name: "header missing", c: Check{Headers: []HeaderCheck{{Name: "ETag", Pattern: regexp.MustCompile(".")}}}, want: "check header ETag: missing"},
		{name: "fast enough", c: Check{MaxTime: 500 * time.Millisecond}, took: 500 * time.Millisecond},
		{name: "too slow", c: Check{MaxTime: 500 * time.Millisecond}, took: 501 * time.Millisecond, want: "check max_time: took longer than 500ms"},
		{name: "status before body", c: Check{Status: []int{200}, BodyContains: []string{"nope"}}, want: "HTTP 201 Created"},
	} {
		err := tc.c.Evaluate(resp, tc.took)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want success", tc.name, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestDefaultStatus(t *testing.T) {
	var c Check
	for st, want := range map[int]bool{0: false, 100: true, 200: true, 302: true, 399: true, 400: false, 503: false} {
		err := c.Evaluate(&response.Static{Code: st}, 0)
		if (err == nil) != want {
			t.Errorf("status %d: %v, want success %v", st, err, want)
		}
		var se *StatusError
		if err != nil && !errors.As(err, &se) {
			t.Errorf("status %d: %T is not a *StatusError", st, err)
		}
	}
	if got := (&StatusError{Code: 599}).Error(); got != "HTTP 599" {
		t.Errorf("unknown status text %q", got)
	}
}

func TestDescribe(t *testing.T) {
	c := Check{
		Status: []int{200, 201}, BodyContains: []string{"a"}, BodyNotContains: []string{"b"},
		JSON:    []JSONCheck{{Path: "x", Want: NumberValue(1, "1")}, {Path: "y"}},
		Headers: []HeaderCheck{{Name: "ETag", Pattern: regexp.MustCompile(`^"`)}}, MaxTime: time.Second,
	}
	want := `status 200|201, body_contains "a", body_not_contains "b", json x == 1, json_exists y, header ETag ~ ^", max_time 1s`
	if got := c.Describe(); got != want {
		t.Errorf("Describe() = %s\nwant %s", got, want)
	}
}

func TestEvaluateAlloc(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates; make test runs this again without it")
	}
	resp := &response.Static{Code: 200, Data: []byte(`{"status":"ok","items":[1,2,3]}`)}
	c := Check{Status: []int{200}, BodyNotContains: []string{"error"}, JSON: []JSONCheck{{Path: "status", Want: StringValue("ok")}}}
	allocs := testing.AllocsPerRun(100, func() {
		if err := c.Evaluate(resp, time.Millisecond); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Errorf("a passing check allocates %.1f times, want 0", allocs)
	}
}
