package jar

import (
	"net/http"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/race"
)

func mustURL(t *testing.T, s string) URL {
	t.Helper()
	u, ok := ParseURL(s)
	if !ok {
		t.Fatalf("ParseURL(%q) failed", s)
	}
	return u
}

func TestParseURL(t *testing.T) {
	for in, want := range map[string]URL{
		"http://a.example/x/y?q=1":       {Host: "a.example", Path: "/x/y"},
		"HTTPS://u:p@B.example:8443":     {Secure: true, Host: "B.example"},
		"http://127.0.0.1:80/#frag":      {Host: "127.0.0.1", Path: "/"},
		"http://[::1]:8080/p":            {Host: "::1", Path: "/p"},
		"http://h?x=/y":                  {Host: "h"},
		"https://h/a/b/c.html?x=1#top/z": {Secure: true, Host: "h", Path: "/a/b/c.html"},
	} {
		got, ok := ParseURL(in)
		if !ok || got != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "ftp://h/", "http://", "//h/", "http://:80/"} {
		if _, ok := ParseURL(bad); ok {
			t.Errorf("ParseURL(%q) accepted", bad)
		}
	}
}

// TestJar walks through RFC 6265's rules with the cases a load test meets.
func TestJar(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	j := &Jar{Now: func() time.Time { return now }}
	site := mustURL(t, "http://shop.example/login")
	set := func(u URL, h string) { j.SetCookie(u, []byte(h)) }
	header := func(u string) string { return string(j.AppendHeader(nil, mustURL(t, u))) }

	set(site, "session=abc; Path=/; HttpOnly")
	set(site, `theme="dark"`) // default path of /login is /
	set(site, "cart=1; Path=/cart")
	set(site, "wide=1; Domain=.example")           // a bare suffix: refused
	set(site, "other=1; Domain=elsewhere.example") // not this host's domain: refused
	set(site, "sub=1; Domain=shop.example")        // a domain cookie
	set(site, "sec=1; Secure")
	set(site, "bad name=1")
	set(site, "noequals")

	for _, tc := range []struct{ url, want string }{
		{"http://shop.example/", "session=abc; theme=dark; sub=1"},
		{"http://SHOP.example/cart/items", "cart=1; session=abc; theme=dark; sub=1"},
		{"http://shop.example/cartoons", "session=abc; theme=dark; sub=1"},
		{"http://www.shop.example/", "sub=1"},
		{"https://shop.example/", "session=abc; theme=dark; sub=1; sec=1"},
		{"http://example/", ""},
		{"http://other.example/", ""},
	} {
		if got := header(tc.url); got != tc.want {
			t.Errorf("Cookie for %s = %q, want %q", tc.url, got, tc.want)
		}
	}

	// Set again: replaced in place, keeping its place in the order.
	set(site, "session=xyz; Path=/")
	if got := header("http://shop.example/"); got != "session=xyz; theme=dark; sub=1" {
		t.Errorf("after a new session: %q", got)
	}
	if v, ok := j.Value(mustURL(t, "http://shop.example/"), "session"); !ok || string(v) != "xyz" {
		t.Errorf("Value(session) = %q, %v", v, ok)
	}
	// Deleted by Max-Age=0 and by an Expires in the past.
	set(site, "theme=; Max-Age=0")
	set(site, "sub=1; Domain=shop.example; Expires=Thu, 01 Jan 2015 00:00:00 GMT")
	if got := header("http://shop.example/"); got != "session=xyz" {
		t.Errorf("after deletions: %q", got)
	}
	// Expiry in time.
	set(site, "short=1; Max-Age=10")
	set(site, "dated=1; Expires="+now.Add(time.Minute).Format(http.TimeFormat))
	if got := header("http://shop.example/"); got != "session=xyz; short=1; dated=1" {
		t.Errorf("before expiry: %q", got)
	}
	now = now.Add(30 * time.Second)
	if got := header("http://shop.example/"); got != "session=xyz; dated=1" {
		t.Errorf("after 30s: %q", got)
	}
	now = now.Add(time.Minute)
	if got := header("http://shop.example/"); got != "session=xyz" {
		t.Errorf("after 90s: %q", got)
	}
}

func TestJarIPHost(t *testing.T) {
	j := &Jar{}
	u := mustURL(t, "http://127.0.0.1:8080/a")
	j.SetCookie(u, []byte("a=1"))
	j.SetCookie(u, []byte("b=2; Domain=0.0.1")) // a suffix of an address is no domain
	j.SetCookie(u, []byte("c=3; Domain=127.0.0.1"))
	if got := string(j.AppendHeader(nil, mustURL(t, "http://127.0.0.1:9/"))); got != "a=1; c=3" {
		t.Errorf("Cookie for the address = %q", got)
	}
}

func TestJarBounded(t *testing.T) {
	j := &Jar{}
	u := mustURL(t, "http://h/")
	for i := range MaxCookies + 50 {
		j.SetCookie(u, []byte("c"+itoa(i)+"=v"))
	}
	if j.Len() != MaxCookies {
		t.Errorf("%d cookies kept, want %d", j.Len(), MaxCookies)
	}
	if _, ok := j.Value(u, "c0"); ok {
		t.Error("the oldest cookie was kept")
	}
	if _, ok := j.Value(u, "c"+itoa(MaxCookies+49)); !ok {
		t.Error("the newest cookie was dropped")
	}
	big := make([]byte, maxCookieBytes+1)
	for i := range big {
		big[i] = 'x'
	}
	j.SetCookie(u, append([]byte("big="), big...))
	if _, ok := j.Value(u, "big"); ok {
		t.Error("a cookie over 4 KB was kept")
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestJarAlloc(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates; make test runs this again without it")
	}
	j := &Jar{}
	u := mustURL(t, "http://shop.example/items/1")
	j.SetCookie(u, []byte("session=abc; Path=/"))
	j.SetCookie(u, []byte("csrf=123; Path=/"))
	buf := make([]byte, 0, 64)
	header := []byte("session=def; Path=/")
	allocs := testing.AllocsPerRun(200, func() {
		j.SetCookie(u, header)
		buf = j.AppendHeader(buf[:0], u)
	})
	if allocs > 0 {
		t.Errorf("setting a known cookie and building the header: %.1f allocations, want 0", allocs)
	}
	if string(buf) != "session=def; csrf=123" {
		t.Errorf("header %q", buf)
	}
}
