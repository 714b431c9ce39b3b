// Package browser gives a simulated user what a browser, or a Locust
// HttpSession, adds to a plain HTTP client: a cookie jar of its own and
// redirects followed. A Browser wraps the user's client.Client and is one
// itself, so whatever sends requests through a client can send them
// through a browser instead.
//
// A request that is redirected is one request to its caller: the time of
// every hop is in the time the caller measures around Do, the response is
// the last hop's, and the caller names the request, so the statistics row
// is the original request's, as Locust's is.
package browser

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unsafe"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/client/jar"
)

// MaxRedirects is how many redirects a request follows at most, as in
// Locust (requests' default is 30; browsers stop at about 20): a chain
// longer than that is a loop or a bug of the target, and fails.
const MaxRedirects = 10

// Options say what a Browser does. The zero value does neither.
type Options struct {
	// Cookies keeps the cookies responses set and sends them back.
	Cookies bool
	// FollowRedirects follows 301, 302, 303, 307 and 308 responses that
	// have a Location, up to MaxRedirects times.
	FollowRedirects bool
}

// ErrTooManyRedirects fails a request whose redirects go on past
// MaxRedirects.
var ErrTooManyRedirects = fmt.Errorf("stopped after %d redirects", MaxRedirects)

// Browser is one user's client with cookies and redirects. It is not safe
// for concurrent use: a user owns its Browser, as it owns its client.
type Browser struct {
	c    client.Client
	hr   client.HeaderReader
	opts Options
	jar  jar.Jar

	// The request of each hop, and its buffers.
	req     client.Request
	headers []client.Header
	cookie  []byte
	// The URL of each hop after the first, resolved from a Location.
	hopURL string

	last    client.Response
	lastURL string
	lastErr error
}

// New wraps c. When c cannot report response headers (it is no
// client.HeaderReader), cookies and redirects cannot be seen, and New fails if
// opts asks for either.
func New(c client.Client, opts Options) (*Browser, error) {
	b := &Browser{c: c, opts: opts}
	hr, ok := c.(client.HeaderReader)
	if !ok && (opts.Cookies || opts.FollowRedirects) {
		return nil, errors.New("browser: the client does not report response headers, which cookies and redirects need")
	}
	b.hr = hr
	return b, nil
}

// Close closes the client.
func (b *Browser) Close() error { return b.c.Close() }

// Connect opens the wrapped client's connection to url ahead of its first
// request, when the client is a client.Connector, and otherwise does
// nothing: the first request then connects.
func (b *Browser) Connect(ctx context.Context, url string) error {
	if c, ok := b.c.(client.Connector); ok {
		return c.Connect(ctx, url)
	}
	return nil
}

// Do sends req, with the user's cookies, follows its redirects, and
// returns the last response. The request's own Cookie header, if any,
// comes first in the one Cookie header sent. On a redirect, 301, 302 and
// 303 turn any method but HEAD into a GET without a body, as browsers do,
// while 307 and 308 repeat the request as it was; an Authorization header
// is not sent on to another host name (another port of the same host
// keeps it, as in Locust).
func (b *Browser) Do(ctx context.Context, req *client.Request) (client.Response, error) {
	b.last, b.lastURL, b.lastErr = client.Response{}, req.URL, nil
	if !b.opts.Cookies && !b.opts.FollowRedirects {
		resp, err := b.c.Do(ctx, req)
		b.last, b.lastErr = resp, err
		return resp, err
	}
	b.req = *req
	b.req.Header = b.req.Header[:0:0]
	// Set-Cookie and Location are read after each hop.
	b.req.KeepHeaders = true
	rawURL := req.URL
	for hop := 0; ; hop++ {
		b.prepare(req, rawURL, hop > 0)
		resp, err := b.c.Do(ctx, &b.req)
		b.last, b.lastURL, b.lastErr = resp, rawURL, err
		if err != nil {
			b.req.Body = nil
			return resp, err
		}
		u, ok := jar.ParseURL(rawURL)
		if b.opts.Cookies && ok {
			for i := 0; ; i++ {
				v, ok := b.hr.ResponseHeader("Set-Cookie", i)
				if !ok {
					break
				}
				b.jar.SetCookie(u, v)
			}
		}
		if !b.opts.FollowRedirects || !isRedirect(resp.Status) {
			b.req.Body = nil
			return resp, nil
		}
		loc, ok := b.hr.ResponseHeader("Location", 0)
		if !ok || len(loc) == 0 {
			b.req.Body = nil
			return resp, nil // a 3xx without a Location is the answer
		}
		if hop == MaxRedirects {
			b.req.Body = nil
			b.lastErr = ErrTooManyRedirects
			return resp, ErrTooManyRedirects
		}
		next, err := resolve(rawURL, string(loc))
		if err != nil {
			b.req.Body = nil
			b.lastErr = err
			return resp, err
		}
		switch resp.Status {
		case 301, 302, 303:
			if b.req.Method != "HEAD" {
				b.req.Method = "GET"
				b.req.Body, b.req.ContentType = nil, ""
			}
		}
		if sameHost(rawURL, next) {
			req = &client.Request{Header: req.Header}
		} else {
			req = &client.Request{Header: withoutAuthorization(req.Header)}
		}
		b.hopURL, rawURL = next, next
	}
}

// prepare fills b.req's URL and headers for a hop to rawURL; the method,
// body, content type and KeepBody are already set.
func (b *Browser) prepare(orig *client.Request, rawURL string, redirected bool) {
	b.req.URL = rawURL
	b.headers = b.headers[:0]
	var own string
	for _, h := range orig.Header {
		if b.opts.Cookies && strings.EqualFold(h.Key, "Cookie") {
			own = h.Value
			continue
		}
		if redirected && (strings.EqualFold(h.Key, "Content-Type") || strings.EqualFold(h.Key, "Content-Length")) && b.req.Body == nil {
			continue // the body they described was dropped
		}
		b.headers = append(b.headers, h)
	}
	if b.opts.Cookies {
		b.cookie = append(b.cookie[:0], own...)
		if u, ok := jar.ParseURL(rawURL); ok {
			n := len(b.cookie)
			if n > 0 {
				b.cookie = append(b.cookie, "; "...)
			}
			if b.cookie = b.jar.AppendHeader(b.cookie, u); len(b.cookie) == n+2 {
				b.cookie = b.cookie[:n] // no cookie of the jar's applies
			}
		}
		if len(b.cookie) > 0 {
			// The client reads the header only during Do, and b.cookie is
			// not touched again until the next hop, so a string over it
			// is safe and saves an allocation per request.
			b.headers = append(b.headers, client.Header{Key: "Cookie", Value: unsafe.String(unsafe.SliceData(b.cookie), len(b.cookie))})
		}
	}
	b.req.Header = b.headers
}

func isRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// resolve makes a Location absolute against the URL it answered.
func resolve(base, loc string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("redirect from %q: %w", base, err)
	}
	l, err := url.Parse(strings.TrimSpace(loc))
	if err != nil {
		return "", fmt.Errorf("redirect to a malformed Location: %w", err)
	}
	u := b.ResolveReference(l)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("redirect to a %s: URL, which is not HTTP", u.Scheme)
	}
	u.Fragment = ""
	return u.String(), nil
}

func sameHost(a, b string) bool {
	ua, oka := jar.ParseURL(a)
	ub, okb := jar.ParseURL(b)
	return oka && okb && strings.EqualFold(ua.Host, ub.Host)
}

func withoutAuthorization(hs []client.Header) []client.Header {
	out := make([]client.Header, 0, len(hs))
	for _, h := range hs {
		if !strings.EqualFold(h.Key, "Authorization") {
			out = append(out, h)
		}
	}
	return out
}

// The last response, as captures and checks read it (see
// profiles/response.View). Every value is valid until the next Do.

// Status is the last response's status, or 0 when the request failed.
func (b *Browser) Status() int { return b.last.Status }

// Body is the kept prefix of the last response's body: requests that set
// KeepBody keep one.
func (b *Browser) Body() []byte { return b.last.Body }

// URL is the URL of the last response: the request's own, or where its
// redirects ended.
func (b *Browser) URL() string { return b.lastURL }

// Header returns the i-th value of the last response's header name.
func (b *Browser) Header(name string, i int) ([]byte, bool) {
	if b.hr == nil || b.lastErr != nil && b.last.Status == 0 {
		return nil, false
	}
	return b.hr.ResponseHeader(name, i)
}

// Cookie returns the value of cookie name as the last response set it, or
// else as the jar holds it for the last response's URL.
func (b *Browser) Cookie(name string) ([]byte, bool) {
	for i := 0; ; i++ {
		v, ok := b.Header("Set-Cookie", i)
		if !ok {
			break
		}
		if n, val := jar.SetCookieName(v); string(n) == name {
			return val, true
		}
	}
	if !b.opts.Cookies {
		return nil, false
	}
	u, ok := jar.ParseURL(b.lastURL)
	if !ok {
		return nil, false
	}
	return b.jar.Value(u, name)
}

// CookieHeader appends the Cookie header a request to rawURL would carry.
func (b *Browser) CookieHeader(dst []byte, rawURL string) []byte {
	u, ok := jar.ParseURL(rawURL)
	if !ok || !b.opts.Cookies {
		return dst
	}
	return b.jar.AppendHeader(dst, u)
}

func jarURL(s string) (jar.URL, bool) { return jar.ParseURL(s) }
