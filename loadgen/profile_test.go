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
	snap, err := Run(context.Background(), Options{
		Tasks: ProfileTasks(c, srv.URL+"/api"), InitUser: InitProfileUser, NewRand: ProfileRand(1),
		Client: client.KindNetHTTP, ClientOptions: client.Options{Timeout: 5 * time.Second},
		Users: 2, RunTime: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
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
