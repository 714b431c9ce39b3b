package profiles

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

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
		if len(p.Tasks) == 0 {
			t.Fatal("accepted a profile without tasks")
		}
		total := 0
		for _, task := range p.Tasks {
			if task.Weight < 0 || task.Weight > MaxWeight {
				t.Fatalf("accepted weight %d", task.Weight)
			}
			if !strings.HasPrefix(task.Path, "/") || !isToken(task.Method) || task.Name == "" {
				t.Fatalf("accepted task %+v", task)
			}
			total += task.Weight
		}
		if total == 0 {
			t.Fatal("accepted a profile whose weights are all zero")
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
		for range 3 {
			for _, task := range c.Tasks {
				if err := task.Render(ctx, &r); err != nil {
					var pe *Error
					if !errors.As(err, &pe) {
						t.Fatalf("Render error %T %v is not located", err, err)
					}
				}
			}
		}
	})
}
