package profiles

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseValid(t *testing.T) {
	src := `name: shop
host: http://127.0.0.1:8080
users: 20
spawn_rate: 2.5
run_time: 1h20m
wait: between:1s,2s
tasks:
  - name: list
    path: /items?limit=10
    weight: 5
  - method: post
    path: /items
    weight: 0
    headers:
      Content-Type: application/json
      X-Trace: "{{uuid}}"
    body: |
      {"n": {{seq}}}
    expect: [201, 202]
  - path: /health
    expect: 204
thresholds:
  - p99<250ms
  - 'fail_ratio < 0.01'
`
	p, err := Parse("shop.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	req := func(name, method, path string, line int, pos textPos) Request {
		return Request{Name: name, Method: method, Path: path, Line: line, pathPos: pos}
	}
	list := req("list", "GET", "/items?limit=10", 8, textPos{line: 9})
	list.Field, list.Named = "tasks[0]", true
	post := req("/items", "POST", "/items", 11, textPos{line: 12})
	post.Field = "tasks[1]"
	post.Headers = []Header{
		{Name: "Content-Type", Value: "application/json", Line: 15, pos: textPos{line: 15}},
		{Name: "X-Trace", Value: "{{uuid}}", Line: 16, pos: textPos{line: 16}},
	}
	post.Body, post.bodyPos = "{\"n\": {{seq}}}\n", textPos{line: 18, lineExact: true}
	post.Check.Status = []int{201, 202}
	health := req("/health", "GET", "/health", 20, textPos{line: 20})
	health.Field = "tasks[2]"
	health.Check.Status = []int{204}
	want := &Profile{
		Name:      "shop",
		Source:    "shop.yaml",
		Host:      "http://127.0.0.1:8080",
		Users:     20,
		SpawnRate: 2.5,
		RunTime:   80 * time.Minute,
		Wait:      Wait{Kind: WaitBetween, Min: time.Second, Max: 2 * time.Second},
		Settings: Settings{Lines: map[string]int{"name": 1, "host": 2, "users": 3, "spawn_rate": 4, "run_time": 5,
			"wait": 6, "tasks": 7, "thresholds": 22}},
		Classes: []Class{{
			Name: "shop", Weight: 1, Line: 1, Cookies: true, FollowRedirects: true,
			Tasks: []Task{
				{Name: "list", Weight: 5, Line: 8, Field: "tasks[0]", Steps: []Request{list}},
				{Name: "/items", Weight: 0, Line: 11, Field: "tasks[1]", Steps: []Request{post}},
				{Name: "/health", Weight: 1, Line: 20, Field: "tasks[2]", Steps: []Request{health}},
			},
		}},
		Thresholds: []Threshold{{Expr: "p99<250ms", Line: 23}, {Expr: "fail_ratio < 0.01", Line: 24}},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", p, want)
	}
}

func TestParseDefaults(t *testing.T) {
	p, err := Parse("dir/my-load.yml", []byte("tasks:\n  - path: /\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "my-load" {
		t.Errorf("Name = %q, want the file name without extension", p.Name)
	}
	task := p.Classes[0].Tasks[0]
	r := task.Steps[0]
	if r.Method != "GET" || task.Weight != 1 || r.Name != "/" || task.Name != "/" || r.Check.Status != nil || task.Sequence {
		t.Errorf("task defaults = %+v, want GET, weight 1, name = path, no expect", task)
	}
	if c := p.Classes[0]; len(p.Classes) != 1 || c.Name != "my-load" || !c.Cookies || !c.FollowRedirects || c.Weight != 1 {
		t.Errorf("implicit class = %+v, want one class named after the profile, with cookies and redirects", p.Classes)
	}
	if p.Users != 0 || p.SpawnRate != 0 || p.RunTime != 0 || p.Host != "" || p.Wait != (Wait{}) {
		t.Errorf("unset run settings should stay zero, got %+v", p)
	}
}

func TestParseAliases(t *testing.T) {
	src := `hdrs: &json
  Content-Type: application/json
tasks:
  - path: /a
    headers: *json
  - path: /b
    headers: *json
`
	// hdrs is not a profile field: aliases work, but anchors still have to
	// sit on a known field.
	if _, err := Parse("t.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), `t.yaml:1: hdrs: unknown field "hdrs"`) {
		t.Fatalf("err = %v, want unknown field hdrs at line 1", err)
	}
	src = `tasks:
  - path: /a
    headers: &json
      Content-Type: application/json
  - path: /b
    headers: *json
`
	p, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Classes[0].Tasks[1].Steps[0].Headers; len(got) != 1 || got[0].Value != "application/json" {
		t.Errorf("aliased headers = %+v", got)
	}
}

// TestParseErrors checks that each mistake is reported with the file, the
// line and the field path it concerns.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		line  int
		field string
		msg   string
	}{
		{"unknown top-level key", "name: x\nusers: 1\ntaks: []\n", 3, "taks", `unknown field "taks"; did you mean "tasks"?`},
		{"unknown task key", "tasks:\n  - path: /a\n    wieght: 2\n", 3, "tasks[0].wieght", `did you mean "weight"?`},
		{"unknown key far from any", "tasks:\n  - path: /a\n    zzzzzzzz: 2\n", 3, "tasks[0].zzzzzzzz", "known fields are name, weight, tags, method"},
		{"duplicate key", "tasks:\n  - path: /a\n    path: /b\n", 3, "tasks[0].path", "duplicate key (first set at line 2)"},
		{"merge key", "tasks:\n  - path: /a\n    <<: {weight: 2}\n", 3, "tasks[0].<<", "merge keys"},
		{"negative weight", "tasks:\n  - path: /a\n  - path: /b\n    weight: -3\n", 4, "tasks[1].weight", "must be >= 0, got -3"},
		{"huge weight", "tasks:\n  - path: /a\n    weight: 2000000\n", 3, "tasks[0].weight", "must be <= 1000000"},
		{"float weight", "tasks:\n  - path: /a\n    weight: 1.5\n", 3, "tasks[0].weight", "must be an integer, got the number 1.5"},
		{"string weight", "tasks:\n  - path: /a\n    weight: \"3\"\n", 3, "tasks[0].weight", `must be an integer, got "3"`},
		{"weight overflow", "tasks:\n  - path: /a\n    weight: 99999999999999999999\n", 3, "tasks[0].weight", "must be an integer"},
		{"all weights zero", "tasks:\n  - path: /a\n    weight: 0\n  - path: /b\n    weight: 0\n", 2, "tasks", "every task has weight 0"},
		{"missing path", "tasks:\n  - name: x\n", 2, "tasks[0].path", "missing"},
		{"path without slash", "tasks:\n  - path: albums\n", 2, "tasks[0].path", `must start with /, got "albums"`},
		{"path template first", "tasks:\n  - path: \"{{seq}}\"\n", 2, "tasks[0].path", "must start with /"},
		{"path is a list", "tasks:\n  - path: [/a]\n", 2, "tasks[0].path", "must be a string, got a list"},
		{"bad method", "tasks:\n  - path: /a\n    method: GE T\n", 3, "tasks[0].method", `"GE T" is not an HTTP method`},
		{"empty method", "tasks:\n  - path: /a\n    method: ''\n", 3, "tasks[0].method", `"" is not an HTTP method`},
		{"duplicate task", "tasks:\n  - path: /a\n  - path: /b\n  - path: /a\n", 4, "tasks[2].path", "duplicate task GET /a (tasks[0] at line 2"},
		{"duplicate task name", "tasks:\n  - path: /a\n    name: x\n  - path: /b\n    name: x\n", 4, "tasks[1].name", "duplicate task GET x"},
		{"empty name", "tasks:\n  - path: /a\n    name: ' '\n", 3, "tasks[0].name", "must not be empty"},
		{"control char in name", "tasks:\n  - path: /a\n    name: \"a\\tb\"\n", 3, "tasks[0].name", "control characters"},
		{"no tasks key", "name: x\n", 1, "tasks", "missing"},
		{"null tasks", "tasks:\n", 1, "tasks", "missing"},
		{"empty tasks", "tasks: []\n", 1, "tasks", "is empty"},
		{"tasks not a list", "tasks: {path: /a}\n", 1, "tasks", "must be a list of tasks, got a mapping"},
		{"task not a mapping", "tasks:\n  - /a\n", 2, "tasks[0]", `a task must be a mapping with at least a path, got "/a"`},
		{"headers not a mapping", "tasks:\n  - path: /a\n    headers: [a]\n", 3, "tasks[0].headers", "must be a mapping"},
		{"bad header name", "tasks:\n  - path: /a\n    headers:\n      \"Bad Name\": x\n", 4, "tasks[0].headers.Bad Name", "not a valid header name"},
		{"duplicate header", "tasks:\n  - path: /a\n    headers:\n      Accept: a\n      accept: b\n", 5, "tasks[0].headers.accept", "duplicate header (first set at line 4)"},
		{"header line break", "tasks:\n  - path: /a\n    headers:\n      X-A: \"a\\nb\"\n", 4, "tasks[0].headers.X-A", "single line"},
		{"header value mapping", "tasks:\n  - path: /a\n    headers:\n      X-A: {b: c}\n", 4, "tasks[0].headers.X-A", "must be text, got a mapping"},
		{"body mapping", "tasks:\n  - path: /a\n    body:\n      title: x\n", 4, "tasks[0].body", "write a JSON body as text"},
		{"expect out of range", "tasks:\n  - path: /a\n    expect: 99\n", 3, "tasks[0].expect", "from 100 to 599, got 99"},
		{"expect list item", "tasks:\n  - path: /a\n    expect:\n      - 200\n      - abc\n", 5, "tasks[0].expect[1]", `must be an integer, got "abc"`},
		{"expect empty list", "tasks:\n  - path: /a\n    expect: []\n", 3, "tasks[0].expect", "is empty"},
		{"expect mapping", "tasks:\n  - path: /a\n    expect: {a: 1}\n", 3, "tasks[0].expect", "must be a status code or a list"},
		{"users zero", "users: 0\ntasks:\n  - path: /a\n", 1, "users", "must be >= 1, got 0"},
		{"users text", "users: many\ntasks:\n  - path: /a\n", 1, "users", `must be an integer, got "many"`},
		{"spawn rate zero", "spawn_rate: 0\ntasks:\n  - path: /a\n", 1, "spawn_rate", "above 0"},
		{"spawn rate nan", "spawn_rate: .nan\ntasks:\n  - path: /a\n", 1, "spawn_rate", "above 0"},
		{"spawn rate text", "spawn_rate: fast\ntasks:\n  - path: /a\n", 1, "spawn_rate", "must be a number"},
		{"run time garbage", "run_time: soon\ntasks:\n  - path: /a\n", 1, "run_time", `"soon": want a duration`},
		{"run time zero", "run_time: 0\ntasks:\n  - path: /a\n", 1, "run_time", "greater than zero"},
		{"wait garbage", "tasks:\n  - path: /a\nwait: sometimes\n", 3, "wait", `"sometimes": want 0, constant:1s`},
		{"wait reversed", "wait: between:2s,1s\ntasks:\n  - path: /a\n", 1, "wait", "minimum 2s is greater than maximum 1s"},
		{"host scheme", "host: 127.0.0.1:8080\ntasks:\n  - path: /a\n", 1, "host", "http:// or https://"},
		{"host query", "host: http://h/?a=1\ntasks:\n  - path: /a\n", 1, "host", "query"},
		{"host not text", "host: [a]\ntasks:\n  - path: /a\n", 1, "host", "must be a string, got a list"},
		{"thresholds not a list", "tasks:\n  - path: /a\nthresholds: p99<1s\n", 3, "thresholds", "must be a list"},
		{"threshold empty", "tasks:\n  - path: /a\nthresholds:\n  - ''\n", 4, "thresholds[0]", "is empty"},
		{"threshold mapping", "tasks:\n  - path: /a\nthresholds:\n  - {p99: 1}\n", 4, "thresholds[0]", "must be an expression"},
		{"top level list", "- path: /a\n", 1, "", "a profile must be a mapping"},
		{"top level scalar", "hello\n", 1, "", "a profile must be a mapping"},
		{"two documents", "tasks:\n  - path: /a\n---\ntasks:\n  - path: /b\n", 3, "", "more than one YAML document"},
		// The YAML library gives the line where the enclosing construct
		// starts, not always the line of the mistake itself.
		{"syntax error", "tasks:\n  - path: /a\n    weight: [1\n", 2, "", "invalid YAML: did not find expected ',' or ']'"},
		{"tab indent", "name: x\n\tusers: 1\n", 2, "", "invalid YAML: found a tab character that violates indentation"},
		{"non-scalar key", "? [a]\n: 1\ntasks:\n  - path: /a\n", 1, "", "keys must be plain names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("t.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want an error", p)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T is not an ErrorList: %v", err, err)
			}
			var prefix string
			if tt.field == "" {
				prefix = fmt.Sprintf("t.yaml:%d: ", tt.line)
			} else {
				prefix = fmt.Sprintf("t.yaml:%d: %s: ", tt.line, tt.field)
			}
			for _, e := range list {
				if e.Line == tt.line && e.Field == tt.field && strings.HasPrefix(e.Error(), prefix) && strings.Contains(e.Error(), tt.msg) {
					return
				}
			}
			t.Errorf("no error %q...%q among:\n%v", prefix, tt.msg, err)
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# only a comment\n", "---\n", "~\n"} {
		_, err := Parse("e.yaml", []byte(src))
		if err == nil || !strings.HasPrefix(err.Error(), "e.yaml") || !strings.Contains(err.Error(), "empty") {
			t.Errorf("Parse(%q) = %v, want an error saying the file is empty", src, err)
		}
	}
}

func TestParseReportsEveryError(t *testing.T) {
	src := "users: 0\ntasks:\n  - path: a\n    weight: -1\n  - path: /b\n    method: 'x y'\n"
	_, err := Parse("t.yaml", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err = %v, want an ErrorList", err)
	}
	var lines []int
	for _, e := range list {
		lines = append(lines, e.Line)
	}
	if want := []int{1, 3, 4, 6}; !reflect.DeepEqual(lines, want) {
		t.Errorf("error lines = %v, want %v (all problems, in file order):\n%v", lines, want, err)
	}
	var one *Error
	if !errors.As(err, &one) || one.Line != 1 {
		t.Errorf("errors.As(*Error) = %v, want the first problem", one)
	}
}

func TestErrorFormat(t *testing.T) {
	cause := errors.New("bad")
	tests := []struct {
		e    *Error
		want string
	}{
		{&Error{File: "f.yaml", Line: 12, Field: "tasks[1].weight", Err: cause}, "f.yaml:12: tasks[1].weight: bad"},
		{&Error{File: "f.yaml", Field: "tasks", Err: cause}, "f.yaml: tasks: bad"},
		{&Error{File: "f.yaml", Line: 3, Err: cause}, "f.yaml:3: bad"},
		{&Error{Err: cause}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.e, cause) {
			t.Errorf("%v does not unwrap to its cause", tt.e)
		}
	}
	list := ErrorList{tests[0].e, tests[2].e}
	if got, want := list.Error(), "f.yaml:12: tasks[1].weight: bad\nf.yaml:3: bad"; got != want {
		t.Errorf("ErrorList.Error() = %q, want %q", got, want)
	}
}
