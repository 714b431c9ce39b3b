package profiles

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// compileOne compiles a profile with one task whose path is path and whose
// body is body (none when empty).
func compileOne(t testing.TB, path, body string) *RequestTemplate {
	t.Helper()
	src := fmt.Sprintf("tasks:\n  - path: %q\n", path)
	if body != "" {
		src += fmt.Sprintf("    method: POST\n    body: %q\n", body)
	}
	p, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return c.Tasks()[0].Steps[0]
}

func renderPath(t testing.TB, task *RequestTemplate, ctx *RenderContext) string {
	t.Helper()
	var r Rendered
	if err := task.Render(ctx, &r); err != nil {
		t.Fatal(err)
	}
	return string(r.Path)
}

func TestRandIntRange(t *testing.T) {
	tests := []struct{ lo, hi int }{{1, 3}, {-2, 2}, {5, 5}, {0, 1}}
	for _, tt := range tests {
		task := compileOne(t, fmt.Sprintf("/n/{{randInt %d %d}}", tt.lo, tt.hi), "")
		ctx := NewRenderContext(1, 1)
		seen := map[int]bool{}
		for range 500 {
			v, err := strconv.Atoi(strings.TrimPrefix(renderPath(t, task, ctx), "/n/"))
			if err != nil {
				t.Fatal(err)
			}
			if v < tt.lo || v > tt.hi {
				t.Fatalf("randInt %d %d gave %d", tt.lo, tt.hi, v)
			}
			seen[v] = true
		}
		if len(seen) != tt.hi-tt.lo+1 {
			t.Errorf("randInt %d %d reached %v, want every value in the range", tt.lo, tt.hi, seen)
		}
	}
	// The widest range must neither panic nor fail.
	ctx := NewRenderContext(1, 1)
	for range 10 {
		if _, err := ctx.randInt(math.MinInt, math.MaxInt); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTemplateFunctions(t *testing.T) {
	task := compileOne(t, "/u/{{userID}}/{{seq}}/{{seq}}/{{uuid}}/{{randString 12}}/{{randString 0}}x", "")
	re := regexp.MustCompile(`^/u/(\d+)/(\d+)/(\d+)/([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})/([a-zA-Z]{12})/x$`)
	ctx := NewRenderContext(5, 17)
	uuids := map[string]bool{}
	for i := 1; i <= 50; i++ {
		path := renderPath(t, task, ctx)
		m := re.FindStringSubmatch(path)
		if m == nil {
			t.Fatalf("path %q does not have the expected shape", path)
		}
		if m[1] != "17" {
			t.Errorf("userID = %s, want 17", m[1])
		}
		if want := strconv.Itoa(i); m[2] != want || m[3] != want {
			t.Errorf("seq = %s, %s in render %d; want %s twice", m[2], m[3], i, want)
		}
		uuids[m[4]] = true
	}
	if len(uuids) != 50 {
		t.Errorf("%d distinct uuids in 50 renders", len(uuids))
	}
}

func TestRenderDeterministic(t *testing.T) {
	task := compileOne(t, "/a/{{randInt 1 1000000}}/{{uuid}}", `{"n":"{{randString 16}}","x":{{printf "%d" (randInt 1 1000000)}}}`)
	run := func(seed uint64, user int) []string {
		ctx := NewRenderContext(seed, user)
		var r Rendered
		var out []string
		for range 20 {
			if err := task.Render(ctx, &r); err != nil {
				t.Fatal(err)
			}
			out = append(out, string(r.Path)+" "+string(r.Body))
		}
		return out
	}
	a, b := run(99, 3), run(99, 3)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("same seed and user, different requests:\n%v\n%v", a, b)
	}
	if c := run(99, 4); a[0] == c[0] {
		t.Errorf("users 3 and 4 rendered the same first request %q", a[0])
	}
	if c := run(100, 3); a[0] == c[0] {
		t.Errorf("seeds 99 and 100 rendered the same first request %q", a[0])
	}
}

// TestFastPathMatchesTemplate renders templates through the fast path and
// through text/template with equal contexts: the bytes and the random
// draws must match, or a run would depend on which path a template took.
func TestFastPathMatchesTemplate(t *testing.T) {
	texts := []string{
		"/a/{{randInt 1 3}}",
		"/a/{{- randInt -5 5 -}} /b",
		`{"t":"{{userID}}-{{seq}}","a":"{{randString 8}}","p":{{randInt 1 100}}.99,"id":"{{uuid}}"}`,
		"{{/* comment */}}/x/{{seq}}",
		"/{{randInt 9223372036854775806 9223372036854775807}}/{{randInt -9223372036854775808 -9223372036854775807}}",
	}
	for _, text := range texts {
		f, err := compileField("t.yaml", "f", text, textPos{line: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if f.segs == nil {
			t.Fatalf("%q did not take the fast path", text)
		}
		slow := f
		slow.segs = nil
		fast, tmpl := NewRenderContext(8, 2), NewRenderContext(8, 2)
		for i := range 20 {
			fast.Seq++
			tmpl.Seq++
			a, _, errA := f.render(fast, nil)
			b, _, errB := slow.render(tmpl, nil)
			if errA != nil || errB != nil {
				t.Fatal(errA, errB)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("%q render %d: fast path %q, text/template %q", text, i, a, b)
			}
		}
	}
}

func TestSlowPathTemplates(t *testing.T) {
	tests := []struct{ text, want string }{
		{`/p/{{printf "%03d" (randInt 7 7)}}`, "/p/007"},
		{`/q?name={{urlquery "a b&c"}}`, "/q?name=a+b%26c"},
		{`/c/{{if eq (randInt 1 1) 1}}one{{else}}other{{end}}`, "/c/one"},
		{`/v/{{$x := randInt 4 4}}{{$x}}{{$x}}`, "/v/44"},
		{`/s/{{seq | printf "%d"}}`, "/s/1"},
	}
	for _, tt := range tests {
		task := compileOne(t, tt.text, "")
		if task.path.segs != nil || task.path.static {
			t.Errorf("%q unexpectedly took the fast path", tt.text)
		}
		if got := renderPath(t, task, NewRenderContext(0, 0)); got != tt.want {
			t.Errorf("%q rendered %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestStaticRendering(t *testing.T) {
	for _, text := range []string{"/plain", "/c{{/* a comment */}}", "/t {{- /* trimmed */ -}}x"} {
		task := compileOne(t, text, "")
		if !task.Static {
			t.Errorf("%q: Static = false, want true", text)
		}
	}
	if task := compileOne(t, "/x/{{seq}}", ""); task.Static {
		t.Error("a template with seq is not static")
	}
}

// TestStaticBytesAreNotOverwritten renders a static task, then a templated
// one into the same Rendered: the static task's shared bytes must survive.
func TestStaticBytesAreNotOverwritten(t *testing.T) {
	p, err := Parse("t.yaml", []byte("tasks:\n  - path: /static/path\n    body: static body\n  - path: /t/{{randString 20}}\n    body: '{{randString 30}}'\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := NewRenderContext(1, 1)
	var r Rendered
	for range 3 {
		for _, task := range c.Tasks() {
			if err := task.Steps[0].Render(ctx, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.Tasks()[0].Steps[0].Render(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if string(r.Path) != "/static/path" || string(r.Body) != "static body" {
		t.Errorf("static task now renders %q %q", r.Path, r.Body)
	}
}

func TestRenderZeroAllocs(t *testing.T) {
	p, err := Parse("t.yaml", []byte(`tasks:
  - path: /albums
    headers:
      Accept: application/json
  - method: POST
    path: /albums/{{randInt 1 3}}
    headers:
      Content-Type: application/json
      X-Request-Id: "{{uuid}}"
    body: '{"title":"Album {{userID}}-{{seq}}","artist":"{{randString 8}}","price":{{randInt 1 100}}.99}'
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range c.Tasks() {
		task := tt.Steps[0]
		ctx := NewRenderContext(1, 1)
		var r Rendered
		if err := task.Render(ctx, &r); err != nil { // grow the buffers
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(200, func() {
			if err := task.Render(ctx, &r); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s %s: %v allocations per render, want 0", task.Method, task.Name, allocs)
		}
	}
}

func TestRenderConcurrentUsers(t *testing.T) {
	task := compileOne(t, `/a/{{printf "%d" (randInt 1 9)}}`, `{{userID}}-{{seq}}-{{randString 4}}`)
	var wg sync.WaitGroup
	bodies := make([][]string, 8)
	for u := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := NewRenderContext(1, u)
			var r Rendered
			for range 100 {
				if err := task.Render(ctx, &r); err != nil {
					t.Error(err)
					return
				}
				bodies[u] = append(bodies[u], string(r.Body))
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, bs := range bodies {
		for _, b := range bs {
			key := b[:strings.LastIndexByte(b, '-')] // userID-seq
			if seen[key] {
				t.Fatalf("userID-seq %s repeated", key)
			}
			seen[key] = true
		}
	}
	if len(seen) != 800 {
		t.Errorf("%d distinct userID-seq values, want 800", len(seen))
	}
}

func TestExpect(t *testing.T) {
	def := compileOne(t, "/", "")
	for status, want := range map[int]bool{0: false, 200: true, 204: true, 302: true, 399: true, 400: false, 404: false, 500: false} {
		if got := def.Expect(status); got != want {
			t.Errorf("default Expect(%d) = %v, want %v", status, got, want)
		}
	}
	if def.Check.Status != nil {
		t.Errorf("Check.Status = %v, want nil by default", def.Check.Status)
	}
	p, err := Parse("t.yaml", []byte("tasks:\n  - path: /\n    expect: [201, 404]\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for status, want := range map[int]bool{200: false, 201: true, 404: true, 500: false} {
		if got := c.Tasks()[0].Steps[0].Expect(status); got != want {
			t.Errorf("expect [201, 404]: Expect(%d) = %v, want %v", status, got, want)
		}
	}
}

// TestCompileErrors checks that template mistakes are reported with the
// file line they are on, even inside a multi-line body.
func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		field     string
		msg       string
	}{
		{"unknown function", "tasks:\n  - path: /a/{{randint 1 3}}\n", 2, "tasks[0].path", `function "randint" not defined`},
		{"unclosed action", "tasks:\n  - path: /a/{{seq\n", 2, "tasks[0].path", "unclosed action"},
		{"reversed randInt", "tasks:\n  - path: /a/{{randInt 5 1}}\n", 2, "tasks[0].path", "error calling randInt: the minimum 5 is greater than the maximum 1"},
		{"reversed randInt slow", "tasks:\n  - path: /a/{{printf \"%d\" (randInt 5 1)}}\n", 2, "tasks[0].path", "error calling randInt: the minimum 5 is greater than the maximum 1"},
		{"randString negative", "tasks:\n  - path: /a/{{randString -1}}\n", 2, "tasks[0].path", "error calling randString: the length -1 is not from 0"},
		{"wrong arity", "tasks:\n  - path: /a/{{randInt 1}}\n", 2, "tasks[0].path", "wrong number of args for randInt"},
		{"range", "tasks:\n  - path: /a/{{range 3}}x{{end}}\n", 2, "tasks[0].path", "range is not supported"},
		{"dot", "tasks:\n  - path: /a/{{.}}\n", 2, "tasks[0].path", "templates have no data (.) but their variables"},
		{"field", "tasks:\n  - path: /a/{{.User}}\n", 2, "tasks[0].path", "variable User is not defined: no capture or data column of class t sets it (the class defines none)"},
		{"dollar", "tasks:\n  - path: /a/{{$}}\n", 2, "tasks[0].path", "templates have no data ($)"},
		{"define", "tasks:\n  - path: /a/{{define \"x\"}}y{{end}}\n", 2, "tasks[0].path", "define and block are not supported"},
		{"template", "tasks:\n  - path: /a/{{template \"x\"}}\n", 2, "tasks[0].path", "template and block are not supported"},
		{"space in path", "tasks:\n  - path: /a/{{printf \"x y\"}}\n", 2, "tasks[0].path", `renders to "/a/x y", which has a space`},
		{"literal space in path", "tasks:\n  - path: /a b\n", 2, "tasks[0].path", "which has a space"},
		{"header", "tasks:\n  - path: /a\n    headers:\n      X-Id: \"{{nope}}\"\n", 4, "tasks[0].headers.X-Id", `function "nope" not defined`},
		{"header line break", "tasks:\n  - path: /a\n    headers:\n      X-Id: '{{printf \"a\\n\"}}'\n", 4, "tasks[0].headers.X-Id", "line break"},
		{"body third line", "tasks:\n  - path: /a\n    method: POST\n    body: |\n      {\n        \"a\": 1,\n        \"b\": {{randInt 2 1}}\n      }\n", 7, "tasks[0].body", "error calling randInt"},
		{"body parse error on line 2", "tasks:\n  - path: /a\n    method: POST\n    body: |\n      {\n        \"b\": {{if}}\n      }\n", 6, "tasks[0].body", "missing value for if"},
		{"second task", "tasks:\n  - path: /a\n  - path: /b/{{uuid 1}}\n", 3, "tasks[1].path", "wrong number of args for uuid"},
		{"too large", "tasks:\n  - path: /a\n    method: POST\n    body: '{{randString 4000000}}{{randString 4000000}}'\n", 4, "tasks[0].body", "larger than"},
		{"too large slow", "tasks:\n  - path: /a\n    method: POST\n    body: '{{printf \"%0999999d\" 1}}{{printf \"%0999999d\" 1}}{{printf \"%0999999d\" 1}}{{printf \"%0999999d\" 1}}{{printf \"%0999999d\" 1}}'\n", 4, "tasks[0].body", "larger than"},
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
			prefix := fmt.Sprintf("t.yaml:%d: %s: ", tt.line, tt.field)
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %q\nwant %q...%q", err, prefix, tt.msg)
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	cases := []struct{ name, path, body string }{
		{"static", "/albums", ""},
		{"fast", "/albums/{{randInt 1 3}}", ""},
		{"fast-body", "/albums", `{"title":"Album {{userID}}-{{seq}}","artist":"{{randString 8}}","price":{{randInt 1 100}}.99}`},
		{"template-body", "/albums", `{"title":"Album {{printf "%d-%d" userID seq}}","artist":"{{randString 8}}","price":{{randInt 1 100}}.99}`},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			task := compileOne(b, bc.path, bc.body)
			ctx := NewRenderContext(1, 1)
			var r Rendered
			b.ReportAllocs()
			for b.Loop() {
				if err := task.Render(ctx, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzFastPath checks, for any template the fast path accepts, that it
// renders exactly what text/template renders from the same state.
func FuzzFastPath(f *testing.F) {
	for _, s := range []string{"/a/{{randInt 1 3}}", "{{seq}}-{{userID}}", "{{uuid}}{{randString 3}}", "x{{- randInt -1 1 -}} y", "{{/* c */}}{{randInt 'a' 'z'}}"} {
		f.Add(s, uint64(1))
	}
	f.Fuzz(func(t *testing.T, text string, seed uint64) {
		fld, err := compileField("f.yaml", "f", text, textPos{line: 1}, nil)
		if err != nil || fld.segs == nil {
			return
		}
		slow := fld
		slow.segs = nil
		a, b := NewRenderContext(seed, 1), NewRenderContext(seed, 1)
		for range 3 {
			a.Seq++
			b.Seq++
			x, _, errA := fld.render(a, nil)
			y, _, errB := slow.render(b, nil)
			if (errA == nil) != (errB == nil) {
				t.Fatalf("%q: fast path error %v, text/template error %v", text, errA, errB)
			}
			if errA != nil {
				return
			}
			if !bytes.Equal(x, y) {
				t.Fatalf("%q: fast path %q, text/template %q", text, x, y)
			}
		}
		if a.Rand.Uint64() != b.Rand.Uint64() {
			t.Fatalf("%q: the paths drew different amounts of randomness", text)
		}
	})
}
