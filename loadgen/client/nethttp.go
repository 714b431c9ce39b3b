package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"time"
)

// netHTTP sends requests through a Transport of its own, so that each user
// holds its own keep-alive connection as in Locust.
type netHTTP struct {
	tr    *http.Transport
	conns *connTracker
	cfg   *config
	ua    []string
	keep  keeper

	// base is the request template; each Do sends a shallow copy carrying
	// the call's context. Its URL is parsed only when the URL string changes.
	base    http.Request
	lastURL string
	auth    []string // Authorization from the URL's user information
	body    bodyReader
	buf     []byte
	// header is the last response's, when its request asked to keep it.
	header http.Header
}

// bodyReader is a reusable request body; the Transport closes bodies it is
// given, which must not stop the next request from reusing this one.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

func newNetHTTP(cfg *config) *netHTTP {
	conns := newConnTracker()
	tr := &http.Transport{
		// Tracked connections tell a close mid-headers from a malformed
		// response, as the fasthttp client does.
		DialContext:         conns.dialContext,
		MaxIdleConns:        1,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     idleTimeout,
		DisableKeepAlives:   cfg.DisableKeepAlives,
		// The same bound as the fasthttp client's: a header block is
		// metadata, and a target that sends megabytes of it is broken.
		MaxResponseHeaderBytes: int64(cfg.MaxHeaderBytes),
		TLSClientConfig:        cfg.tls,
		// Transparent gzip would make Bytes the decoded size, unlike
		// fasthttp's; without it both count what the server sent.
		DisableCompression: true,
		ForceAttemptHTTP2:  false,
	}
	c := &netHTTP{
		tr:    tr,
		conns: conns,
		cfg:   cfg,
		ua:    []string{cfg.UserAgent},
		buf:   make([]byte, readBufSize),
	}
	c.base = http.Request{
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     make(http.Header, 4),
	}
	return c
}

func (c *netHTTP) Do(ctx context.Context, req *Request) (Response, error) {
	c.header = nil
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	if err := c.prepare(req); err != nil {
		return Response{}, err
	}
	c.conns.startRequest()
	if d, ok := deadline(ctx, time.Now(), c.cfg.Timeout); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d)
		defer cancel()
	}
	hr := c.base.WithContext(ctx)
	defer c.body.Reset(nil) // keep no reference to the caller's body
	resp, err := c.tr.RoundTrip(hr)
	if err != nil {
		return Response{}, normalise(ctx, err, c.conns.readErr(), netHTTPKind(err))
	}
	c.keep.reset(req.KeepBody, c.cfg.MaxKeptBody)
	n, err := c.drain(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return Response{}, normalise(ctx, err, c.conns.readErr(), netHTTPKind(err))
	}
	out := Response{Status: resp.StatusCode, Bytes: n}
	c.keep.fill(&out)
	if req.KeepHeaders {
		c.header = resp.Header
	}
	return out, nil
}

// prepare fills the request template from req.
func (c *netHTTP) prepare(req *Request) error {
	r := &c.base
	if req.URL != c.lastURL || r.URL == nil {
		u, err := url.Parse(req.URL)
		if err != nil {
			return fmt.Errorf("request URL %q: %w", req.URL, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("request URL %q: want an absolute http:// or https:// URL", req.URL)
		}
		c.auth = nil
		if a := basicAuth(u.User); a != "" {
			c.auth = []string{a}
		}
		r.URL, c.lastURL = u, req.URL
	}
	r.Method = req.Method
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	r.Host = ""
	r.Close = false
	h := r.Header
	clear(h)
	for _, kv := range req.Header {
		key := textproto.CanonicalMIMEHeaderKey(kv.Key)
		switch key {
		case "Host":
			r.Host = kv.Value
		case "Content-Length":
			// Taken from Body; a second, disagreeing value would be invalid.
		default:
			h[key] = append(h[key], kv.Value)
		}
	}
	if req.ContentType != "" {
		h["Content-Type"] = []string{req.ContentType}
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = c.ua
	}
	if _, ok := h["Authorization"]; !ok && c.auth != nil {
		h["Authorization"] = c.auth
	}
	if len(req.Body) > 0 {
		c.body.Reset(req.Body)
		r.Body, r.ContentLength = &c.body, int64(len(req.Body))
	} else {
		r.Body, r.ContentLength = nil, 0
	}
	return nil
}

// drain reads body to its end, so that the connection goes back to the
// idle pool, and counts its bytes.
func (c *netHTTP) drain(body io.Reader) (int64, error) {
	var n int64
	for {
		m, err := body.Read(c.buf)
		c.keep.write(c.buf[:m])
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func (c *netHTTP) Close() error {
	c.tr.CloseIdleConnections()
	return nil
}

// ResponseHeader implements HeaderReader.
func (c *netHTTP) ResponseHeader(name string, i int) ([]byte, bool) {
	return headerValue(c.header, name, i)
}
