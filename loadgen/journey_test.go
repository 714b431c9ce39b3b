package loadgen

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/race"
	"github.com/loadgen/loadgen/internal/rawhttp"
	"github.com/loadgen/loadgen/internal/shoptest"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/client/browser"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results"
)

// memSink records what a journey records, by row name.
type memSink struct {
	rows *results.Rows
	mu   sync.Mutex
	ok   map[string]int
	fail map[string][]string
	skip map[string]int
}

func newSink(rows *results.Rows) *memSink {
	return &memSink{rows: rows, ok: map[string]int{}, fail: map[string][]string{}, skip: map[string]int{}}
}

func (s *memSink) name(row int) string {
	k := s.rows.Keys()[row]
	return k.Method + " " + k.Name
}

func (s *memSink) RecordRow(row int, took time.Duration, bytes int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.fail[s.name(row)] = append(s.fail[s.name(row)], err.Error())
		return
	}
	s.ok[s.name(row)]++
}

func (s *memSink) SkipRow(row, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skip[s.name(row)] += n
}

func loadExample(t *testing.T, name string) *profiles.Compiled {
	t.Helper()
	p, err := profiles.LoadFile("../profiles/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := profiles.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestJourneyAgainstTheShop runs one user of the sequence example through
// its journey, for both clients: login once, then list, fetch and review
// items whose ids come from the list, with the token and the cookie.
func TestJourneyAgainstTheShop(t *testing.T) {
	for _, kind := range client.Kinds() {
		t.Run(kind, func(t *testing.T) {
			shop := shoptest.New(t)
			c := loadExample(t, "sequence.yaml")
			rows := results.NewRows()
			jc := newJourneyClass(c.Classes[0], shop.URL, rows, nil, 0, 1)
			cl, err := client.New(kind, client.Options{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			b, err := browser.New(cl, browser.Options{Cookies: true, FollowRedirects: true})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			u := newJourneyUser(jc, b, 7, ProfileRand(1)(7))
			sink := newSink(rows)
			ctx := context.Background()
			if err := u.start(ctx, 0, sink); err != nil {
				t.Fatal(err)
			}
			for range 5 {
				u.task(ctx, c.Classes[0].Tasks[0], sink)
			}
			u.stop(ctx, sink)
			if len(sink.fail) > 0 {
				t.Fatalf("failures: %v", sink.fail)
			}
			want := map[string]int{"POST login": 1, "GET /items": 5, "GET /items/{id}": 5, "POST /items/{id}/reviews": 5}
			for k, n := range want {
				if sink.ok[k] != n {
					t.Errorf("%s: %d successes, want %d (all: %v)", k, sink.ok[k], n, sink.ok)
				}
			}
			acct := shop.Stats().Accounts["user7"]
			if acct.Logins != 1 || acct.Listed != 5 || acct.Fetched != 5 || acct.Reviews != 5 {
				t.Errorf("the shop saw %+v", acct)
			}
		})
	}
}

// TestJourneyFailuresSkipTheRest: a capture that finds nothing fails its
// request with a clear error, and the steps after it are skipped and
// counted.
func TestJourneyFailuresSkipTheRest(t *testing.T) {
	shop := shoptest.New(t)
	p, err := profiles.Parse("t.yaml", []byte(`
on_start:
  - {name: login, method: POST, path: /login, json: {username: ann, password: wrong}, capture: {token: "json:token"}}
  - {name: after login, path: /items}
tasks:
  - steps:
      - {path: "/search?q=x", capture: {id: "json:nope.#.id"}, pick: random}
      - {name: "/items/{id}", path: "/items/{{.id}}"}
      - {name: "/items/{id}/reviews", method: POST, path: "/items/{{.id}}/reviews"}
  - {name: "/search?q=", path: "/search?q=", check: {body_not_contains: error}}
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := profiles.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	rows := results.NewRows()
	jc := newJourneyClass(c.Classes[0], shop.URL, rows, nil, 0, 1)
	cl, _ := client.New(client.KindFastHTTP, client.Options{Timeout: 5 * time.Second})
	b, err := browser.New(cl, browser.Options{Cookies: true, FollowRedirects: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	u := newJourneyUser(jc, b, 1, ProfileRand(1)(1))
	sink := newSink(rows)
	ctx := context.Background()
	if err := u.start(ctx, 0, sink); err != nil {
		t.Fatal(err)
	}
	u.task(ctx, c.Classes[0].Tasks[0], sink)
	u.task(ctx, c.Classes[0].Tasks[1], sink)
	for row, want := range map[string]string{
		"POST login":      "HTTP 401 Unauthorized",
		"GET /search?q=x": "capture id: json path nope.#.id not found",
		"GET /search?q=":  `check body_not_contains "error": found`,
	} {
		if got := sink.fail[row]; len(got) != 1 || got[0] != want {
			t.Errorf("%s failed with %q, want %q", row, got, want)
		}
	}
	for row, n := range map[string]int{"GET after login": 1, "GET /items/{id}": 1, "POST /items/{id}/reviews": 1} {
		if sink.skip[row] != n {
			t.Errorf("%s skipped %d times, want %d (skips %v)", row, sink.skip[row], n, sink.skip)
		}
	}
	if len(sink.ok) != 0 {
		t.Errorf("successes %v, want none", sink.ok)
	}
}

// countSink counts what it is given, allocating nothing.
type countSink struct{ ok, fail, skip int }

func (s *countSink) RecordRow(row int, took time.Duration, bytes int64, err error) {
	if err != nil {
		s.fail++
		return
	}
	s.ok++
}
func (s *countSink) SkipRow(row, n int) { s.skip += n }

// journeyBench is a three-step journey with a JSON capture, a cookie and
// status checks, against a canned JSON answer.
const journeyBench = `name: journey
tasks:
  - steps:
      - {name: /albums, path: /albums, capture: {id: "json:id"}, check: {status: 201}}
      - {name: "/albums/{id}", path: "/albums/{{.id}}", check: {status: 201}}
      - {name: new album, method: POST, path: /albums, json: {title: "t {{.id}}", price: 1.5}, check: {status: [200, 201]}}
`

// TestJourneyAllocatesNothing pins a journey's request path, rendering
// through checks and captures, at zero allocations per request once the
// user's buffers have grown, with a cookie sent on every request.
func TestJourneyAllocatesNothing(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are meaningless under the race detector; make test runs this without -race")
	}
	// Every answer sets the session cookie again, as many sites do: the
	// jar updates it in place, and sends it back on every request.
	srv := rawhttp.NewWithHeader(t, http.StatusCreated, []byte(`{"id":42,"title":"t"}`), "Set-Cookie: sid=s-1; Path=/\r\n")
	p, err := profiles.Parse("journey.yaml", []byte(journeyBench))
	if err != nil {
		t.Fatal(err)
	}
	c, err := profiles.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	jc := newJourneyClass(c.Classes[0], srv.URL, results.NewRows(), nil, 0, 1)
	cl, _ := client.New(client.KindFastHTTP, client.Options{Timeout: 5 * time.Second})
	b, err := browser.New(cl, browser.Options{Cookies: true, FollowRedirects: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Do(context.Background(), &client.Request{URL: srv.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	if v, ok := b.Cookie("sid"); !ok || string(v) != "s-1" {
		t.Fatalf("the session cookie %q was not kept", v)
	}
	u := newJourneyUser(jc, b, 1, ProfileRand(1)(1))
	sink := &countSink{}
	ctx := context.Background()
	task := c.Classes[0].Tasks[0]
	for range 50 {
		u.task(ctx, task, sink)
	}
	if a := testing.AllocsPerRun(200, func() { u.task(ctx, task, sink) }); a != 0 {
		t.Errorf("%.1f allocations per run of a three-step journey, want 0", a)
	}
	if sink.fail > 0 || sink.skip > 0 || sink.ok == 0 {
		t.Errorf("%d ok, %d failed, %d skipped", sink.ok, sink.fail, sink.skip)
	}
}
