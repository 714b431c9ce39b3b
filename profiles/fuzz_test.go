package profiles

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/profiles/dataset"
	"github.com/loadgen/loadgen/profiles/response"
)

// journeySeed is a profile that uses every field of the classes form.
const journeySeed = `host: http://127.0.0.1:8080
headers: {Accept: application/json}
classes:
  - name: Shopper
    weight: 3
    wait: between:1s,3s
    data: {file: users.csv, mode: per-user}
    on_start:
      - name: login
        method: POST
        path: /login
        json: {user: "{{.user}}", password: "x"}
        capture: {token: "json:token"}
        check: {status: 200}
    tasks:
      - name: browse
        weight: 5
        tags: [read]
        steps:
          - {path: /items, capture: {id: "json:items.#.id"}, pick: random}
          - {path: "/items/{{.id}}", name: "/items/{id}"}
          - method: POST
            path: "/items/{{.id}}/reviews"
            headers: {Authorization: "Bearer {{.token}}"}
            json: {stars: 5}
            check: {status: [201], body_not_contains: error}
      - name: search
        tags: [search]
        path: /search?q={{randString 5}}
        check: {body_not_contains: error, max_time: 500ms}
    on_stop:
      - {path: /logout, method: POST}
  - name: Admin
    weight: 1
    wait: constant:5s
    cookies: false
    follow_redirects: false
    tasks:
      - {path: /admin, check: {header: {Content-Type: json}, json: {ok: true}}}
`

// FuzzParse feeds arbitrary bytes through Parse and Compile. Neither may
// panic; failures must be located errors; whatever is accepted must hold
// the invariants that users rely on without checking again.
func FuzzParse(f *testing.F) {
	entries, err := fs.ReadDir(builtin, ".")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := builtin.ReadFile(e.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"tasks:\n  - path: /a\n    weight: -3\n",
		"tasks:\n  - path: /a/{{randInt 1 3}}\n    headers: {X-A: '{{uuid}}'}\n    body: '{{seq}}'\n    expect: [200, 201]\n",
		"a: &x [*x]\n",
		"tasks: &t\n  - path: /a\n  - *t\n",
		"tasks:\n  - path: /a\n---\n",
		"tasks:\n  - {path: '/a/{{if eq (randInt 0 1) 0}}{{randInt 5 1}}{{end}}'}\n",
		"wait: throughput:5\nrun_time: 10\nusers: 3\nspawn_rate: 1.5\nthresholds: [p99<1s]\ntasks: [{path: /}]\n",
		journeySeed,
		"headers: {Accept: '*/*'}\nstages: 1s:2,0s:5\non_start:\n  - {path: /login, method: POST, json: {u: '{{userID}}', n: [1, 2.5, true, null]}, capture: {t: 'header:X-Token'}}\ntasks:\n  - {path: '/a/{{.t}}', tags: [x], check: {status: [200, 201], max_time: 1s}}\ncookies: false\nfollow_redirects: false\n",
		"tasks:\n  - steps:\n      - {path: /i, capture: {id: 'json:items.#.id'}, pick: random}\n      - {path: '/i/{{.id}}', check: {json: {ok: true}, json_exists: [id], header: {ETag: '^\"'}}}\n",
		"tasks:\n  - {path: '/{{.nope}}'}\n",
		"classes:\n  - {name: A, weight: 0, tasks: [{path: /}]}\n",
		"tasks:\n  - {path: /, capture: {x: 'regex:('}}\n",
		"tasks:\n  - {path: /, json: &a [*a]}\n",
		"rate: 5\nrate_stages: 1s:5\narrival: poisson\nmax_lag: -1s\nwarmup: 2\nclient: nethttp\ntimeout: 1s\nseed: 9\nabort_on_threshold: true\ntasks: [{path: /}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.yaml", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Parse error %T %v is not a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e.File != "f.yaml" || e.Err == nil || !strings.HasPrefix(e.Error(), "f.yaml") {
					t.Fatalf("badly located error %#v", e)
				}
			}
			return
		}
		if len(p.Classes) == 0 {
			t.Fatal("accepted a profile without classes")
		}
		classWeights := 0
		for _, c := range p.Classes {
			if c.Weight < 0 || c.Weight > MaxClassWeight || c.Name == "" || len(c.Tasks) == 0 {
				t.Fatalf("accepted class %+v", c)
			}
			classWeights += c.Weight
			total := 0
			for _, task := range c.Tasks {
				if task.Weight < 0 || task.Weight > MaxWeight || len(task.Steps) == 0 {
					t.Fatalf("accepted task %+v", task)
				}
				total += task.Weight
			}
			if total == 0 {
				t.Fatal("accepted a class whose task weights are all zero")
			}
			c.AllRequests(func(r *Request) {
				if !strings.HasPrefix(r.Path, "/") || !response.IsToken(r.Method) || r.Name == "" || (r.Body != "" && r.JSON != nil) {
					t.Fatalf("accepted request %+v", r)
				}
				for _, cp := range r.Captures {
					if cp.Expr == nil || cp.Var == "" {
						t.Fatalf("accepted capture %+v", cp)
					}
				}
			})
			if c.Data != nil {
				// Parse reads no files; give the class a table as LoadData would.
				c.Data.Table = &dataset.Table{Source: "d.csv", Columns: []string{"user"}, Rows: [][]string{{"ann"}}}
			}
		}
		if classWeights == 0 {
			t.Fatal("accepted a profile whose class weights are all zero")
		}
		c, err := Compile(p)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.File != "f.yaml" {
				t.Fatalf("Compile error %T %v is not located", err, err)
			}
			return
		}
		ctx := NewRenderContext(1, 1)
		var r Rendered
		for _, cl := range c.Classes {
			ctx.Vars = NewVars(cl.Vars)
			for range 3 {
				for _, task := range cl.Tasks {
					for _, step := range task.Steps {
						if err := step.Render(ctx, &r); err != nil {
							var pe *Error
							if !errors.As(err, &pe) {
								t.Fatalf("Render error %T %v is not located", err, err)
							}
						}
					}
				}
			}
		}
	})
}
