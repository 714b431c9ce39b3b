package profiles

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/profiles/capture"
	"github.com/loadgen/loadgen/profiles/dataset"
	"github.com/loadgen/loadgen/profiles/response"
)

// writeProfile writes a profile and its files into a new directory and
// loads it as --profile would.
func writeProfile(t *testing.T, yaml string, files map[string]string) (*Profile, error) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return LoadFile(path)
}

// TestJourneyProfile decodes the full classes form and checks the model
// it makes.
func TestJourneyProfile(t *testing.T) {
	p, err := writeProfile(t, journeySeed, map[string]string{"users.csv": "user,password\nann,a1\nbob,b2\n"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Headers) != 1 || p.Headers[0].Name != "Accept" {
		t.Errorf("profile headers %+v", p.Headers)
	}
	if len(p.Classes) != 2 {
		t.Fatalf("%d classes", len(p.Classes))
	}
	shopper, admin := p.Classes[0], p.Classes[1]
	if shopper.Name != "Shopper" || shopper.Weight != 3 || !shopper.WaitSet || shopper.Wait.Kind != WaitBetween || shopper.Field != "classes[0]" {
		t.Errorf("Shopper = %+v", shopper)
	}
	if shopper.Data == nil || shopper.Data.File != "users.csv" || shopper.Data.Mode != dataset.PerUser || shopper.Data.Table == nil || len(shopper.Data.Table.Rows) != 2 {
		t.Errorf("Shopper data = %+v", shopper.Data)
	}
	if !shopper.Cookies || !shopper.FollowRedirects || admin.Cookies || admin.FollowRedirects {
		t.Errorf("cookies and redirects: Shopper %v %v, Admin %v %v", shopper.Cookies, shopper.FollowRedirects, admin.Cookies, admin.FollowRedirects)
	}
	login := shopper.OnStart[0]
	if login.Name != "login" || login.Method != "POST" || login.JSON == nil || len(login.Captures) != 1 || login.Captures[0].Var != "token" ||
		login.Captures[0].Expr.String() != "json:token" || !slices.Equal(login.Check.Status, []int{200}) || login.Field != "classes[0].on_start[0]" {
		t.Errorf("login = %+v", login)
	}
	browse := shopper.Tasks[0]
	if browse.Name != "browse" || browse.Weight != 5 || !browse.Sequence || len(browse.Steps) != 3 || !slices.Equal(browse.Tags, []string{"read"}) {
		t.Errorf("browse = %+v", browse)
	}
	if s := browse.Steps[0]; s.Pick != capture.Random || s.Name != "/items" || s.Field != "classes[0].tasks[0].steps[0]" {
		t.Errorf("first step = %+v", s)
	}
	if s := browse.Steps[1]; s.Name != "/items/{id}" || s.Path != "/items/{{.id}}" {
		t.Errorf("second step = %+v", s)
	}
	review := browse.Steps[2]
	if !slices.Equal(review.Check.Status, []int{201}) || !slices.Equal(review.Check.BodyNotContains, []string{"error"}) {
		t.Errorf("review check = %+v", review.Check)
	}
	search := shopper.Tasks[1]
	if search.Sequence || search.Name != "search" || search.Steps[0].Name != "search" || search.Steps[0].Check.MaxTime != 500*time.Millisecond {
		t.Errorf("search = %+v", search)
	}
	if len(shopper.OnStop) != 1 || admin.Tasks[0].Steps[0].Check.Headers[0].Name != "Content-Type" {
		t.Errorf("on_stop %+v, admin %+v", shopper.OnStop, admin.Tasks[0])
	}

	c, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	sc := c.Classes[0]
	if want := []string{"user", "password", "token", "id"}; !slices.Equal(sc.Vars, want) {
		t.Errorf("Shopper's variables %v, want %v", sc.Vars, want)
	}
	if !slices.Equal(sc.DataVars, []int{0, 1}) || sc.Wait.Kind != WaitBetween || c.Classes[1].Wait.Kind != WaitConstant {
		t.Errorf("class template %+v", sc)
	}
}

// TestJourneyRender renders a journey with captured values and data
// columns, as a user does between requests.
func TestJourneyRender(t *testing.T) {
	p, err := writeProfile(t, journeySeed, map[string]string{"users.csv": "user,password\n\"ann \"\"quoted\"\"\",a1\n"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	sc := c.Classes[0]
	ctx := NewRenderContext(1, 1)
	ctx.Vars = NewVars(sc.Vars)
	row := sc.Data.Table.Rows[0]
	for col, v := range sc.DataVars {
		ctx.Vars.SetString(v, row[col])
	}
	var r Rendered
	login := sc.OnStart[0]
	if err := login.Render(ctx, &r); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil || body["user"] != `ann "quoted"` || body["password"] != "x" {
		t.Errorf("login body %s: %v", r.Body, err)
	}
	if got := headerMap(r.Headers); got["Accept"] != "application/json" || got["Content-Type"] != "application/json" {
		t.Errorf("login headers %v", got)
	}
	// The response's token becomes a variable.
	resp := &response.Static{Code: 200, Data: []byte(`{"token":"tok-9"}`)}
	cp := login.Captures[0]
	b, err := cp.Expr.Extract(resp, login.Pick, ctx.Rand, ctx.Vars.Buffer(cp.Var))
	if err != nil {
		t.Fatal(err)
	}
	ctx.Vars.Store(cp.Var, b)

	steps := sc.Tasks[0].Steps
	// Before the list is fetched, the id has no value.
	err = steps[1].Render(ctx, &r)
	var unset *UnsetError
	if !errors.As(err, &unset) || unset.Var != "id" || !strings.Contains(err.Error(), "classes[0].tasks[0].steps[1].path: variable id has no value yet") {
		t.Fatalf("render before capture: %v", err)
	}
	ctx.Vars.SetString(sc.VarIndex("id"), "42")
	if err := steps[1].Render(ctx, &r); err != nil || string(r.Path) != "/items/42" {
		t.Fatalf("render after capture: %q, %v", r.Path, err)
	}
	if err := steps[2].Render(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if got := headerMap(r.Headers); got["Authorization"] != "Bearer tok-9" || string(r.Path) != "/items/42/reviews" || string(r.Body) != `{"stars":5}` {
		t.Errorf("review: %s %v %s", r.Path, got, r.Body)
	}
}

func headerMap(hs []RenderedHeader) map[string]string {
	m := map[string]string{}
	for _, h := range hs {
		m[h.Name] = string(h.Value)
	}
	return m
}

// TestJourneyErrors checks that each mistake in the journey fields is
// reported with the file, the line and the field, by Parse or Compile.
func TestJourneyErrors(t *testing.T) {
	const cls = "classes:\n  - name: A\n    tasks:\n"
	tests := []struct {
		name, src string
		line      int
		field     string
		msg       string
	}{
		{"classes and tasks", "classes: [{name: A, tasks: [{path: /}]}]\ntasks: [{path: /}]\n", 2, "tasks", "either classes or a top-level tasks list"},
		{"on_start beside classes", "classes: [{name: A, tasks: [{path: /}]}]\non_start: [{path: /}]\n", 2, "on_start", "belongs in a class"},
		{"class without name", "classes:\n  - tasks: [{path: /}]\n", 2, "classes[0].name", "missing"},
		{"duplicate class", "classes:\n  - {name: A, tasks: [{path: /}]}\n  - {name: A, tasks: [{path: /}]}\n", 3, "classes[1].name", `duplicate class "A" (first at line 2)`},
		{"class weight", "classes:\n  - {name: A, weight: 10001, tasks: [{path: /}]}\n", 2, "classes[0].weight", "from 0 to 10000"},
		{"class weights zero", "classes:\n  - {name: A, weight: 0, tasks: [{path: /}]}\n", 2, "classes", "every class has weight 0"},
		{"class without tasks", "classes:\n  - name: A\n", 2, "classes[0].tasks", "missing"},
		{"class unknown field", "classes:\n  - {name: A, taks: [], tasks: [{path: /}]}\n", 2, "classes[0].taks", `did you mean "tasks"?`},
		{"classes not a list", "classes: {name: A}\n", 1, "classes", "must be a list of user classes"},
		{"cookies not bool", "cookies: yes\ntasks: [{path: /}]\n", 1, "cookies", `must be true or false, got "yes"`},
		{"redirects not bool", cls + "      - {path: /}\n    follow_redirects: 1\n", 5, "classes[0].follow_redirects", "must be true or false"},
		{"steps and path", "tasks:\n  - path: /a\n    steps: [{path: /b}]\n", 2, "tasks[0].path", "a task with steps makes its requests in its steps; move path into a step"},
		{"steps empty", "tasks:\n  - steps: []\n", 2, "tasks[0].steps", "must be a list of one or more requests"},
		{"step without path", "tasks:\n  - steps:\n      - {name: x}\n", 3, "tasks[0].steps[0].path", "missing"},
		{"step unknown field", "tasks:\n  - steps:\n      - {path: /, weight: 2}\n", 3, "tasks[0].steps[0].weight", "unknown field"},
		{"body and json", "tasks:\n  - path: /\n    body: x\n    json: {a: 1}\n", 4, "tasks[0].json", "a body or a json body, not both"},
		{"json inf", "tasks:\n  - path: /\n    json: {a: .inf}\n", 3, "tasks[0].json", ".inf is not a JSON number"},
		{"json template key", "tasks:\n  - path: /\n    json: {'{{seq}}': 1}\n", 3, "tasks[0].json", "keys are not templates"},
		{"json alias bomb", "tasks:\n  - path: /\n    json:\n      a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
			"      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n      d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n", 4, "tasks[0].json", "has more than 10000 values"},
		{"capture not mapping", "tasks:\n  - path: /\n    capture: json:token\n", 3, "tasks[0].capture", "must be a mapping of variable names"},
		{"capture bad var", "tasks:\n  - path: /\n    capture: {1a: 'json:x'}\n", 3, "tasks[0].capture.1a", "is not a variable name"},
		{"capture bad expr", "tasks:\n  - path: /\n    capture: {t: 'jsn:x'}\n", 3, "tasks[0].capture.t", `unknown kind "jsn"`},
		{"capture bad regex", "tasks:\n  - path: /\n    capture: {t: 'regex:('}\n", 3, "tasks[0].capture.t", "missing closing )"},
		{"capture bad path", "tasks:\n  - path: /\n    capture: {t: 'json:a..b'}\n", 3, "tasks[0].capture.t", "empty component"},
		{"pick unknown", "tasks:\n  - path: /\n    pick: last\n", 3, "tasks[0].pick", `"last" is not a pick`},
		{"pick random single", "tasks:\n  - path: /\n    capture: {t: 'json:token'}\n    pick: random\n", 4, "tasks[0].pick", "no capture of this request can match more than once"},
		{"check unknown", "tasks:\n  - path: /\n    check: {stauts: 200}\n", 3, "tasks[0].check.stauts", `did you mean "status"?`},
		{"check status", "tasks:\n  - path: /\n    check: {status: 700}\n", 3, "tasks[0].check.status", "from 100 to 599"},
		{"check and expect", "tasks:\n  - path: /\n    check: {status: 200}\n    expect: 201\n", 4, "tasks[0].expect", "already set by check.status"},
		{"check empty text", "tasks:\n  - path: /\n    check: {body_contains: ''}\n", 3, "tasks[0].check.body_contains", "must be non-empty text"},
		{"check json object", "tasks:\n  - path: /\n    check: {json: {a: {b: 1}}}\n", 3, "tasks[0].check.json.a", "check a value deeper in the document"},
		{"check json path", "tasks:\n  - path: /\n    check: {json: {'a.': 1}}\n", 3, "tasks[0].check.json.a.", "ends with a separator"},
		{"check header regex", "tasks:\n  - path: /\n    check: {header: {ETag: '('}}\n", 3, "tasks[0].check.header.ETag", "missing closing )"},
		{"check max_time", "tasks:\n  - path: /\n    check: {max_time: soon}\n", 3, "tasks[0].check.max_time", "want a duration"},
		{"check max_time zero", "tasks:\n  - path: /\n    check: {max_time: 0s}\n", 3, "tasks[0].check.max_time", "greater than zero"},
		{"data without file", "data: {mode: random}\ntasks: [{path: /}]\n", 1, "data.file", "missing"},
		{"data mode", "data: {file: a.csv, mode: once}\ntasks: [{path: /}]\n", 1, "data.mode", `"once" is not a mode`},
		{"data recycle sequential", "data: {file: a.csv, mode: sequential, recycle: true}\ntasks: [{path: /}]\n", 1, "data.recycle", "applies to per-user rows"},
		{"tags not list", "tasks:\n  - path: /\n    tags: read\n", 3, "tasks[0].tags", "must be a list of tags"},
		{"tag with comma", "tasks:\n  - path: /\n    tags: ['a,b']\n", 3, "tasks[0].tags[0]", "has a comma or a space"},
		{"stages", "stages: 30s:10,1m\ntasks: [{path: /}]\n", 1, "stages", `stage 2 "1m": no colon`},
		{"stages users", "stages: [30s:-1]\ntasks: [{path: /}]\n", 1, "stages", `users "-1" is not a whole number`},
		{"profile header", "headers: {'a b': x}\ntasks: [{path: /}]\n", 1, "headers.a b", "not a valid header name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.src))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			matchError(t, err, tt.line, tt.field, tt.msg)
		})
	}
}

func matchError(t *testing.T, err error, line int, field, msg string) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %T is not an ErrorList: %v", err, err)
	}
	prefix := fmt.Sprintf("t.yaml:%d: %s: ", line, field)
	for _, e := range list {
		if strings.HasPrefix(e.Error(), prefix) && strings.Contains(e.Error(), msg) {
			return
		}
	}
	t.Errorf("no error %q...%q among:\n%v", prefix, msg, err)
}

// TestVariableErrors checks that a variable no capture or data column
// defines, or one used before anything can have set it, is an error at
// start, with its line.
func TestVariableErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		field     string
		msg       string
	}{
		{"undefined", "tasks:\n  - path: /a\n    capture: {id: 'json:id'}\n  - path: '/b/{{.idd}}'\n", 4, "tasks[1].path",
			"variable idd is not defined: no capture or data column of class t sets it (the class defines id)"},
		{"undefined in header", "tasks:\n  - path: /a\n    headers: {Authorization: 'Bearer {{.token}}'}\n", 3, "tasks[0].headers.Authorization", "variable token is not defined"},
		{"undefined in json", "tasks:\n  - path: /a\n    json:\n      user: '{{.name}}'\n", 4, "tasks[0].json.user", "variable name is not defined"},
		{"undefined in profile header", "headers: {X-T: '{{.t}}'}\nclasses:\n  - {name: A, tasks: [{path: /, capture: {t: 'header:T'}}]}\n  - {name: B, tasks: [{path: /}]}\n",
			1, "headers.X-T", "no capture or data column of class B sets it"},
		{"undefined in slow path", "tasks:\n  - path: '/a/{{urlquery .q}}'\n", 2, "tasks[0].path", "variable q is not defined"},
		{"dotted", "tasks:\n  - path: /a\n    capture: {u: 'json:u'}\n  - path: '/b/{{.u.id}}'\n", 4, "tasks[1].path", "variables are single names"},
		{"on_start before capture", "on_start:\n  - path: '/a/{{.t}}'\n  - path: /login\n    capture: {t: 'json:t'}\ntasks: [{path: /}]\n", 2, "on_start[0].path",
			"variable t has no value yet when this request runs: it is captured by on_start[1].capture at line 4, which runs later"},
		{"on_start uses task capture", "on_start:\n  - path: '/a/{{.t}}'\ntasks:\n  - path: /x\n    capture: {t: 'json:t'}\n", 2, "on_start[0].path", "which runs later"},
		{"step before its capture", "tasks:\n  - steps:\n      - path: '/a/{{.id}}'\n      - path: /list\n        capture: {id: 'json:#.id'}\n", 3, "tasks[0].steps[0].path", "has no value yet"},
		{"step uses its own capture", "tasks:\n  - path: '/a/{{.id}}'\n    capture: {id: 'json:id'}\n", 2, "tasks[0].path", "has no value yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("t.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Compile(p)
			if err == nil {
				t.Fatal("Compile succeeded, want an error")
			}
			matchError(t, err, tt.line, tt.field, tt.msg)
		})
	}
	// Uses that are fine: a variable from on_start, from data, from an
	// earlier step, from another task (set by the time it runs, or a
	// failed request at run time), or in on_stop.
	ok := "data: d.csv\non_start:\n  - {path: /login, capture: {t: 'json:t'}}\n  - {path: '/me/{{.t}}/{{.user}}'}\n" +
		"tasks:\n  - steps:\n      - {path: /l, capture: {id: 'json:#.id'}, pick: random}\n      - {path: '/i/{{.id}}'}\n" +
		"  - {path: '/o/{{.id}}/{{.x}}'}\n  - {path: /x, capture: {x: 'header:X'}}\non_stop:\n  - {path: '/bye/{{.x}}'}\n"
	p, err := Parse("t.yaml", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	p.Classes[0].Data.Table = &dataset.Table{Columns: []string{"user"}, Rows: [][]string{{"u"}}}
	if _, err := Compile(p); err != nil {
		t.Errorf("Compile: %v", err)
	}
}

func TestDataFiles(t *testing.T) {
	src := "data: {file: users.csv, mode: sequential}\ntasks:\n  - path: '/u/{{.user}}'\n"
	if _, err := writeProfile(t, src, nil); err == nil || !strings.Contains(err.Error(), "shop.yaml:1: data: data file: open ") {
		t.Errorf("a missing data file: %v", err)
	}
	if _, err := writeProfile(t, src, map[string]string{"users.csv": "user,e-mail\nx,y\n"}); err == nil || !strings.Contains(err.Error(), `users.csv:1: column 2: "e-mail" is not a variable name`) {
		t.Errorf("a bad data file: %v", err)
	}
	p, err := writeProfile(t, src, map[string]string{"users.csv": "user\nann\n"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Classes[0].Data.Mode != dataset.Sequential || !strings.HasSuffix(p.Classes[0].Data.Path, string(filepath.Separator)+"users.csv") {
		t.Errorf("data %+v", p.Classes[0].Data)
	}
	// Parse reads no files: Compile says the rows are missing.
	q, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(q); err == nil || !strings.Contains(err.Error(), "t.yaml:1: data: the rows of users.csv are not loaded") {
		t.Errorf("Compile without rows: %v", err)
	}
}

func TestJSONBody(t *testing.T) {
	src := "tasks:\n  - method: POST\n    path: /a\n    headers: {content-type: application/vnd.x+json}\n    json:\n" +
		"      s: \"line\\nbreak \\\"q\\\" \\u0001\"\n      n: [1, -2, 2.5, 1e3, 0x10]\n      b: [true, false, null, ~]\n      o: {}\n      e: []\n      t: 'u{{userID}}'\n"
	p, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	var r Rendered
	req := c.Tasks()[0].Steps[0]
	if err := req.Render(NewRenderContext(1, 7), &r); err != nil {
		t.Fatal(err)
	}
	want := `{"s":"line\nbreak \"q\" \u0001","n":[1,-2,2.5,1000,16],"b":[true,false,null,null],"o":{},"e":[],"t":"u7"}`
	if string(r.Body) != want {
		t.Errorf("body\n got %s\nwant %s", r.Body, want)
	}
	if !json.Valid(r.Body) {
		t.Error("body is not valid JSON")
	}
	if h := headerMap(r.Headers); len(r.Headers) != 1 || h["content-type"] != "application/vnd.x+json" {
		t.Errorf("a Content-Type of the request's own is kept, not doubled: %v", r.Headers)
	}
}

func TestHeaderMerge(t *testing.T) {
	src := "headers: {Accept: a/1, X-P: p}\nclasses:\n  - name: A\n    headers: {accept: a/2, X-C: c}\n    tasks:\n      - path: /\n        headers: {X-P: r}\n"
	p, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	var r Rendered
	if err := c.Tasks()[0].Steps[0].Render(NewRenderContext(1, 1), &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range r.Headers {
		got = append(got, h.Name+"="+string(h.Value))
	}
	if want := []string{"accept=a/2", "X-C=c", "X-P=r"}; !slices.Equal(got, want) {
		t.Errorf("headers %v, want %v (profile, then class, then request; later ones replace)", got, want)
	}
}

func TestSelectTags(t *testing.T) {
	src := `classes:
  - name: Shopper
    tasks:
      - {path: /browse, tags: [read]}
      - {path: /search, tags: [read, search]}
      - {path: /buy, tags: [write]}
  - name: Admin
    tasks:
      - {path: /admin, tags: [write]}
`
	load := func() *Profile {
		p, err := Parse("t.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	names := func(p *Profile) []string {
		var out []string
		for _, c := range p.Classes {
			for _, t := range c.Tasks {
				out = append(out, c.Name+":"+t.Name)
			}
		}
		return out
	}
	p := load()
	notices, err := SelectTags(p, []string{"read"}, nil)
	if err != nil || !slices.Equal(names(p), []string{"Shopper:/browse", "Shopper:/search"}) || len(notices) != 1 || !strings.Contains(notices[0], "class Admin has no task left") {
		t.Errorf("--tags read: %v, %v, %v", names(p), notices, err)
	}
	p = load()
	if _, err := SelectTags(p, nil, []string{"search", "write"}); err != nil || !slices.Equal(names(p), []string{"Shopper:/browse"}) {
		t.Errorf("--exclude-tags search,write: %v, %v", names(p), err)
	}
	p = load()
	if _, err := SelectTags(p, []string{"write"}, []string{"write"}); err == nil || !strings.Contains(err.Error(), "no task of a class with users is left") {
		t.Errorf("selecting nothing: %v", err)
	}
	p = load()
	if _, err := SelectTags(p, []string{"raed"}, nil); err == nil || err.Error() != `no task has the tag "raed"; the profile's tags are read, search, write` {
		t.Errorf("an unknown tag: %v", err)
	}
	if got := ParseTags(" read,search  read "); !slices.Equal(got, []string{"read", "search"}) {
		t.Errorf("ParseTags = %v", got)
	}
}

func TestParseStages(t *testing.T) {
	st, err := ParseStages("30s:10, 1m:100,0:0")
	want := []Stage{{30 * time.Second, 10}, {time.Minute, 100}, {0, 0}}
	if err != nil || !slices.Equal(st, want) {
		t.Fatalf("ParseStages = %v, %v", st, err)
	}
	if got := FormatStages(st); got != "30s:10,1m0s:100,0s:0" {
		t.Errorf("FormatStages = %q", got)
	}
	if StagesDuration(st) != 90*time.Second {
		t.Errorf("StagesDuration = %v", StagesDuration(st))
	}
	for _, bad := range []string{"", "30s", "x:1", "1s:x", "1s:-1", "1s:20000000", "-1s:1", "1s:1,"} {
		if _, err := ParseStages(bad); err == nil || !strings.Contains(err.Error(), "such as 30s:10") {
			t.Errorf("ParseStages(%q) = %v", bad, err)
		}
	}
	p, err := Parse("t.yaml", []byte("stages: [1m:10, 30s:0]\ntasks: [{path: /}]\n"))
	if err != nil || !slices.Equal(p.Stages, []Stage{{time.Minute, 10}, {30 * time.Second, 0}}) {
		t.Errorf("stages list: %v, %v", p, err)
	}
}
