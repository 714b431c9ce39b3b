package client

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/loadgen/loadgen/internal/race"
	"github.com/loadgen/loadgen/internal/rawhttp"
)

// headerBehaviours are the rows of the behaviour table for reading a
// response's headers: the same values, in the same order, from both
// clients, and none after a failure.
func headerBehaviours() []behaviour {
	return []behaviour{{
		name: "response headers",
		handler: func(t *testing.T, _ *testServer, w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["X-Multi"] = []string{"one", "two"}
			h.Set("Location", "/next")
			h.Set("Content-Type", "application/json")
			h.Add("Set-Cookie", "a=1; Path=/")
			h.Add("Set-Cookie", "b=2; HttpOnly")
			w.WriteHeader(http.StatusCreated)
		},
		run: func(t *testing.T, c Client, s *testServer) {
			hr, ok := c.(HeaderReader)
			if !ok {
				t.Fatalf("%T is not a HeaderReader", c)
			}
			if _, ok := hr.ResponseHeader("Location", 0); ok {
				t.Error("a header before any response")
			}
			// Without KeepHeaders, nothing is kept.
			if _, err := c.Do(context.Background(), &Request{URL: s.URL}); err != nil {
				t.Fatal(err)
			}
			if v, ok := hr.ResponseHeader("Location", 0); ok {
				t.Errorf("a header %q kept without KeepHeaders", v)
			}
			if _, err := c.Do(context.Background(), &Request{URL: s.URL, KeepHeaders: true}); err != nil {
				t.Fatal(err)
			}
			all := func(name string) []string {
				var out []string
				for i := 0; ; i++ {
					v, ok := hr.ResponseHeader(name, i)
					if !ok {
						return out
					}
					out = append(out, string(v))
				}
			}
			for name, want := range map[string][]string{
				"x-multi":      {"one", "two"},
				"LOCATION":     {"/next"},
				"Content-Type": {"application/json"},
				"set-cookie":   {"a=1; Path=/", "b=2; HttpOnly"},
				"X-Missing":    nil,
			} {
				if got := all(name); !slices.Equal(got, want) {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
			if _, ok := hr.ResponseHeader("X-Multi", -1); ok {
				t.Error("a negative index gave a value")
			}
			s.Close()
			if _, err := c.Do(context.Background(), &Request{URL: s.URL, KeepHeaders: true}); err == nil {
				t.Fatal("a request to a closed server succeeded")
			}
			if got := all("Location"); got != nil {
				t.Errorf("headers %q after a failed request, want none", got)
			}
		},
	}}
}

// TestResponseHeaderAlloc pins reading headers at zero allocations, as
// captures and cookies do on every request.
func TestResponseHeaderAlloc(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates; make test runs this again without it")
	}
	s := newTestServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Token", "abc")
		w.Header().Add("Set-Cookie", "s=1")
		w.Header().Add("Set-Cookie", "t=2")
	})
	for _, kind := range Kinds() {
		c, err := New(kind, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Do(context.Background(), &Request{URL: s.URL, KeepHeaders: true}); err != nil {
			t.Fatal(err)
		}
		hr := c.(HeaderReader)
		allocs := testing.AllocsPerRun(200, func() {
			if v, ok := hr.ResponseHeader("X-Token", 0); !ok || string(v) != "abc" {
				t.Fatalf("X-Token %q", v)
			}
			if v, ok := hr.ResponseHeader("Set-Cookie", 1); !ok || string(v) != "t=2" {
				t.Fatalf("second Set-Cookie %q", v)
			}
		})
		if allocs > 0 {
			t.Errorf("%s: reading headers allocates %.1f times, want 0", kind, allocs)
		}
		c.Close()
	}
}

// TestKeepHeadersAlloc: keeping a response's headers costs the fasthttp
// client no allocation once its copy has grown.
func TestKeepHeadersAlloc(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates; make test runs this again without it")
	}
	s := rawhttp.NewWithHeader(t, 200, []byte(`{"ok":true}`), "Set-Cookie: sid=1; Path=/\r\nX-Token: abc\r\n")
	c, err := New(KindFastHTTP, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := &Request{URL: s.URL + "/", KeepHeaders: true}
	for range 20 {
		if _, err := c.Do(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	hr := c.(HeaderReader)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := c.Do(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		if v, ok := hr.ResponseHeader("set-cookie", 0); !ok || string(v) != "sid=1; Path=/" {
			t.Fatalf("Set-Cookie %q", v)
		}
	})
	if allocs > 0 {
		t.Errorf("a request that keeps its headers allocates %.1f times, want 0", allocs)
	}
}
