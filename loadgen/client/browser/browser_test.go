package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/race"
	"github.com/loadgen/loadgen/internal/rawhttp"
	"github.com/loadgen/loadgen/loadgen/client"
)

// seen is what the target saw of one request.
type seen struct {
	method, path, cookie, auth, body, contentType string
}

// target is a test site with a login that sets a session cookie, pages
// that need it, and redirects of every kind.
type target struct {
	*httptest.Server
	other *httptest.Server // another host, for redirects that leave
	mu    sync.Mutex
	log   []seen
}

func newTarget(t *testing.T) *target {
	tg := &target{}
	tg.other = httptest.NewServer(http.HandlerFunc(tg.serve))
	tg.Server = httptest.NewServer(http.HandlerFunc(tg.serve))
	t.Cleanup(tg.Close)
	t.Cleanup(tg.other.Close)
	return tg
}

func (tg *target) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	tg.mu.Lock()
	tg.log = append(tg.log, seen{r.Method, r.URL.RequestURI(), r.Header.Get("Cookie"), r.Header.Get("Authorization"), string(body), r.Header.Get("Content-Type")})
	tg.mu.Unlock()
	switch p := r.URL.Path; {
	case p == "/login":
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s-" + r.URL.Query().Get("u"), Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "pref", Value: "dark", Path: "/account"})
		w.WriteHeader(http.StatusNoContent)
	case p == "/me":
		c, err := r.Cookie("session")
		if err != nil {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"user":%q}`, c.Value)
	case p == "/logout":
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "", Path: "/", MaxAge: -1})
	case p == "/form":
		// Post/redirect/get: the cookie is set on the redirect itself.
		http.SetCookie(w, &http.Cookie{Name: "flash", Value: "saved", Path: "/"})
		http.Redirect(w, r, "/done?x=1", http.StatusFound)
	case p == "/done":
		fmt.Fprint(w, "done")
	case strings.HasPrefix(p, "/hop/"):
		var n int
		fmt.Sscanf(p, "/hop/%d", &n)
		if n == 0 {
			fmt.Fprint(w, "arrived")
			return
		}
		time.Sleep(5 * time.Millisecond)
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusMovedPermanently)
	case p == "/loop":
		http.Redirect(w, r, "/loop", http.StatusFound)
	case p == "/keep":
		w.Header().Set("Location", "/echo")
		w.WriteHeader(http.StatusTemporaryRedirect)
	case p == "/see-other":
		w.Header().Set("Location", "echo") // relative to /see-other
		w.WriteHeader(http.StatusSeeOther)
	case p == "/away":
		// Another host name: Locust (requests) keeps Authorization for
		// another port of the same host, and so does the browser.
		http.Redirect(w, r, strings.Replace(tg.other.URL, "127.0.0.1", "localhost", 1)+"/echo", http.StatusFound)
	case p == "/no-location":
		w.WriteHeader(http.StatusFound)
	case p == "/bad-location":
		w.Header().Set("Location", "ftp://files/x")
		w.WriteHeader(http.StatusFound)
	case p == "/echo":
		fmt.Fprintf(w, "%s %s", r.Method, body)
	default:
		http.NotFound(w, r)
	}
}

func (tg *target) take() []seen {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	out := tg.log
	tg.log = nil
	return out
}

// TestBrowser is the cookie and redirect table, run against both clients:
// each row must see the target behave the same, whichever client sends.
func TestBrowser(t *testing.T) {
	for _, kind := range client.Kinds() {
		t.Run(kind, func(t *testing.T) {
			for _, row := range browserRows() {
				t.Run(row.name, func(t *testing.T) {
					tg := newTarget(t)
					c, err := client.New(kind, client.Options{Timeout: 5 * time.Second})
					if err != nil {
						t.Fatal(err)
					}
					b, err := New(c, row.opts)
					if err != nil {
						t.Fatal(err)
					}
					defer b.Close()
					row.run(t, b, tg)
				})
			}
		})
	}
}

type browserRow struct {
	name string
	opts Options
	run  func(t *testing.T, b *Browser, tg *target)
}

var both = Options{Cookies: true, FollowRedirects: true}

func do(t *testing.T, b *Browser, req *client.Request) client.Response {
	t.Helper()
	resp, err := b.Do(context.Background(), req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return resp
}

func browserRows() []browserRow {
	return []browserRow{
		{name: "session cookie kept and sent back", opts: both, run: func(t *testing.T, b *Browser, tg *target) {
			do(t, b, &client.Request{Method: "POST", URL: tg.URL + "/login?u=ann"})
			resp := do(t, b, &client.Request{URL: tg.URL + "/me", KeepBody: true})
			if resp.Status != 200 || string(b.Body()) != `{"user":"s-ann"}` {
				t.Errorf("/me: %d %q", resp.Status, b.Body())
			}
			do(t, b, &client.Request{URL: tg.URL + "/account/settings"})
			log := tg.take()
			if log[0].cookie != "" || log[1].cookie != "session=s-ann" || log[2].cookie != "pref=dark; session=s-ann" {
				t.Errorf("cookies sent: %q, %q, %q", log[0].cookie, log[1].cookie, log[2].cookie)
			}
			if v, ok := b.Cookie("session"); !ok || string(v) != "s-ann" {
				t.Errorf("Cookie(session) = %q, %v", v, ok)
			}
			do(t, b, &client.Request{URL: tg.URL + "/logout"})
			if resp := do(t, b, &client.Request{URL: tg.URL + "/me"}); resp.Status != 401 {
				t.Errorf("after logout: %d, want 401: the deleted cookie was still sent", resp.Status)
			}
		}},
		{name: "cookies off", opts: Options{FollowRedirects: true}, run: func(t *testing.T, b *Browser, tg *target) {
			do(t, b, &client.Request{Method: "POST", URL: tg.URL + "/login?u=ann"})
			if resp := do(t, b, &client.Request{URL: tg.URL + "/me"}); resp.Status != 401 {
				t.Errorf("/me without cookies: %d, want 401", resp.Status)
			}
			if v, ok := b.Cookie("session"); ok {
				t.Errorf("Cookie(session) = %q with cookies off", v)
			}
		}},
		{name: "own cookie header merged", opts: both, run: func(t *testing.T, b *Browser, tg *target) {
			do(t, b, &client.Request{Method: "POST", URL: tg.URL + "/login?u=bob"})
			do(t, b, &client.Request{URL: tg.URL + "/me", Header: []client.Header{{Key: "cookie", Value: "ab=test"}}})
			if got := tg.take()[1].cookie; got != "ab=test; session=s-bob" {
				t.Errorf("Cookie sent %q", got)
			}
		}},
		{name: "redirects followed within one request", opts: both, run: func(t *testing.T, b *Browser, tg *target) {
			start := time.Now()
			resp := do(t, b, &client.Request{URL: tg.URL + "/hop/3", KeepBody: true})
			took := time.Since(start)
			if resp.Status != 200 || string(b.Body()) != "arrived" || !strings.HasSuffix(b.URL(), "/hop/0") {
				t.Errorf("after 3 hops: %d %q at %s", resp.Status, b.Body(), b.URL())
			}
			if took < 15*time.Millisecond {
				t.Errorf("Do took %v; every hop's time belongs to the request", took)
			}
			if n := len(tg.take()); n != 4 {
				t.Errorf("the target saw %d requests, want 4", n)
			}
		}},
		{name: "cookie set on a redirect", opts: both, run: func(t *testing.T, b *Browser, tg *target) {
			resp := do(t, b, &client.Request{Method: "POST", URL: tg.URL + "/form", Body: []byte("a=1"), ContentType: "application/x-www-form-urlencoded"})
			log := tg.take()
			if resp.Status != 200 || len(log) != 2 {
				t.Fatalf("status %d, %d requests", resp.Status, len(log))
			}
			if got := log[1]; got.method != "GET" || got.path != "/done?x=1" || got.body != "" || got.contentType != "" || got.cookie != "flash=saved" {
				t.Errorf("the redirected request: %+v; want a GET without body, with the cookie", got)
			}
			if v, ok := b.Cookie("flash"); !ok || string(v) != "saved" {
				t.Errorf("Cookie(flash) after the redirect = %q, %v", v, ok)
			}
		}},
		{name: "307 repeats method and body", opts: both, run: func(t *testing.T, b *Browser, tg *target) {
			do(t, b, &client.Request{Method: "PUT", URL: tg.URL + "/keep", Body: []byte("payload"), KeepBody: true})
			if string(b.Body()) != "PUT payload" {
				t.Errorf("body after a 307: %q", b.Body())
			}
		}},
		{name: "303 relative location", opts: both, run: func(t *testing.T, b *Browser, tg *target) {
			do(t, b, &client.Request{Method: "POST", URL: tg.URL + "/see-other", Body: []byte("x"), KeepBody: true})
			if string(b.Body()) != "GET " {
				t.Errorf("body after a 303: %q", b.Body())
			}
		}},
		{name: "authorization not sent to another host", opts: both, run: func(t *testing.T, b *Browser, tg *target) {
			do(t, b, &client.Request{URL: tg.URL + "/away", Header: []client.Header{{Key: "Authorization", Value: "Bearer t"}}})
			log := tg.take()
			if len(log) != 2 || log[0].auth != "Bearer t" || log[1].auth != "" {
				t.Errorf("Authorization seen: %+v", log)
			}
		}},
		{name: "redirect loop stops", opts: both, run: func(t *testing.T, b *Browser, tg *target) {
			_, err := b.Do(context.Background(), &client.Request{URL: tg.URL + "/loop"})
			if !errors.Is(err, ErrTooManyRedirects) || err.Error() != "stopped after 10 redirects" {
				t.Errorf("loop: %v", err)
			}
			if n := len(tg.take()); n != MaxRedirects+1 {
				t.Errorf("%d requests for a loop, want %d", n, MaxRedirects+1)
			}
		}},
		{name: "redirect without or with a bad location", opts: both, run: func(t *testing.T, b *Browser, tg *target) {
			if resp := do(t, b, &client.Request{URL: tg.URL + "/no-location"}); resp.Status != 302 {
				t.Errorf("a 302 without Location: %d", resp.Status)
			}
			_, err := b.Do(context.Background(), &client.Request{URL: tg.URL + "/bad-location"})
			if err == nil || !strings.Contains(err.Error(), "redirect to a ftp: URL") {
				t.Errorf("a redirect to ftp: %v", err)
			}
		}},
		{name: "redirects off", opts: Options{Cookies: true}, run: func(t *testing.T, b *Browser, tg *target) {
			resp := do(t, b, &client.Request{URL: tg.URL + "/form"})
			if loc, _ := b.Header("Location", 0); resp.Status != 302 || string(loc) != "/done?x=1" {
				t.Errorf("with redirects off: %d to %q", resp.Status, loc)
			}
			if n := len(tg.take()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		}},
		{name: "neither", opts: Options{}, run: func(t *testing.T, b *Browser, tg *target) {
			do(t, b, &client.Request{URL: tg.URL + "/login"})
			if resp := do(t, b, &client.Request{URL: tg.URL + "/form", KeepHeaders: true}); resp.Status != 302 {
				t.Errorf("%d", resp.Status)
			}
			if v, ok := b.Cookie("flash"); !ok || string(v) != "saved" {
				t.Errorf("a cookie the last response set is readable, when the request kept its headers, even without a jar: %q %v", v, ok)
			}
		}},
	}
}

// TestUsersDoNotShareCookies: two users' browsers keep two sessions.
func TestUsersDoNotShareCookies(t *testing.T) {
	tg := newTarget(t)
	var bs []*Browser
	for _, u := range []string{"ann", "bob"} {
		c, _ := client.New(client.KindFastHTTP, client.Options{})
		b, err := New(c, both)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		do(t, b, &client.Request{Method: "POST", URL: tg.URL + "/login?u=" + u})
		bs = append(bs, b)
	}
	for i, want := range []string{`{"user":"s-ann"}`, `{"user":"s-bob"}`} {
		do(t, bs[i], &client.Request{URL: tg.URL + "/me", KeepBody: true})
		if string(bs[i].Body()) != want {
			t.Errorf("user %d: %q", i, bs[i].Body())
		}
	}
}

// TestBrowserAlloc: a request with cookies to send and none to take
// allocates nothing, as a plain request does.
func TestBrowserAlloc(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates; make test runs this again without it")
	}
	raw := rawhttp.New(t, []byte(`{"ok":true}`))
	c, _ := client.New(client.KindFastHTTP, client.Options{})
	b, err := New(c, both)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	u, _ := jarURL(raw.URL)
	b.jar.SetCookie(u, []byte("session=s-ann; Path=/"))
	b.jar.SetCookie(u, []byte("csrf=x1; Path=/"))
	req := &client.Request{URL: raw.URL + "/me", KeepBody: true}
	do(t, b, req)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := b.Do(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		if v, ok := b.Cookie("session"); !ok || string(v) != "s-ann" {
			t.Fatalf("Cookie(session) = %q", v)
		}
	})
	if allocs > 0 {
		t.Errorf("a request through the browser allocates %.1f times, want 0", allocs)
	}
}

// countingConnector is a client that counts Connect calls.
type countingConnector struct {
	client.Client
	connects int
	url      string
}

func (c *countingConnector) Connect(_ context.Context, url string) error {
	c.connects++
	c.url = url
	return nil
}

// TestBrowserConnectsThroughItsClient: a Browser connects ahead through a
// client that can, and does nothing for one that cannot.
func TestBrowserConnectsThroughItsClient(t *testing.T) {
	inner, err := client.New(client.KindNetHTTP, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingConnector{Client: inner}
	b, err := New(cc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Connect(context.Background(), "http://127.0.0.1:1/x"); err != nil || cc.connects != 1 || cc.url != "http://127.0.0.1:1/x" {
		t.Errorf("Connect through a Connector: %v, %d calls with %q", err, cc.connects, cc.url)
	}
	plain, err := New(inner, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Connect(context.Background(), "http://127.0.0.1:1/x"); err != nil {
		t.Errorf("Connect through a client that cannot connect ahead: %v, want nothing done", err)
	}
}
