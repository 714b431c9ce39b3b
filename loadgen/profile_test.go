package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/profiles/dataset"
)

// TestProfileTasksNameRequestsUnderTheBasePath: as Locust does, a request
// to http://host/api/items is counted under /api/items unless the profile
// named it.
func TestProfileTasksNameRequestsUnderTheBasePath(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method+" "+r.URL.Path] = true
		mu.Unlock()
	}))
	defer srv.Close()
	p, err := profiles.Parse("base.yaml", []byte("tasks:\n  - path: /items\n  - path: /items/{{randInt 1 3}}\n  - name: /by-id\n    path: /items/1\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := profiles.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{srv.URL + "/api", srv.URL + "/api/"} {
		tasks := ProfileTasks(c, base)
		var names []string
		for _, task := range tasks {
			names = append(names, task.Name)
		}
		if got, want := strings.Join(names, ","), "/api/items,/api/items/{{randInt 1 3}},/by-id"; got != want {
			t.Errorf("base %s: names %s, want %s", base, got, want)
		}
	}
	spec := &Spec{Host: srv.URL + "/api", Profile: profiles.Source{File: "base.yaml", YAML: "tasks:\n  - path: /items\n  - path: /items/{{randInt 1 3}}\n  - name: /by-id\n    path: /items/1\n"},
		Seed: 1, Client: client.KindNetHTTP, Timeout: 5 * time.Second, Users: 2, RunTime: 300 * time.Millisecond}
	snap := doLocal(t, context.Background(), spec, Hooks{}).Snapshot
	for _, e := range snap.Entries {
		if e.Name() != "/by-id" && !strings.HasPrefix(e.Name(), "/api/items") {
			t.Errorf("entry %s %s", e.Method(), e.Name())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !seen["GET /api/items"] || !seen["GET /api/items/1"] {
		t.Errorf("requests seen %v", seen)
	}
}

func TestBasePath(t *testing.T) {
	for in, want := range map[string]string{
		"http://h":          "",
		"http://h/":         "",
		"http://h:8080/api": "/api",
		"http://h/api/v1/":  "/api/v1",
		"http://h/a%20b":    "/a%20b",
		"http://h/api?x=1":  "/api",
	} {
		if got := BasePath(in); got != want {
			t.Errorf("BasePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheckProfile: a profile with journey parts the open model cannot run
// is refused with a message naming them, never run with them ignored.
func TestCheckProfile(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"tasks: [{path: /a}, {path: /b, method: POST, json: {a: 1}, expect: 201}]\nheaders: {Accept: x}\n", ""},
		{"classes:\n  - {name: A, tasks: [{path: /}]}\n  - {name: B, tasks: [{path: /}]}\n", "several user classes"},
		{"on_start: [{path: /login}]\ntasks: [{path: /}]\n", "on_start and on_stop"},
		{"tasks: [{steps: [{path: /a}, {path: /b}]}]\n", "tasks with steps"},
		{"tasks: [{path: /, capture: {t: 'json:t'}}]\n", "captures"},
		{"tasks: [{path: /, check: {body_contains: ok}}]\n", "checks other than the status"},
		{"stages: 1s:1\ntasks: [{path: /}]\n", "stages"},
		{"data: d.csv\ntasks: [{path: /}]\n", "data files"},
	} {
		p, err := profiles.Parse("p.yaml", []byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		if p.Classes[0].Data != nil {
			p.Classes[0].Data.Table = &dataset.Table{Columns: []string{"a"}, Rows: [][]string{{"1"}}}
		}
		c, err := profiles.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		err = CheckProfile(c)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.src, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "the open model (a rate) sends single requests")):
			t.Errorf("%q: %v, want an error naming %s", tc.src, err, tc.want)
		}
	}
}
