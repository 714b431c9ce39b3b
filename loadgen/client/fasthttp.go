package client

import (
	"context"
	"crypto/tls"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// fastHTTP owns one fasthttp request and response, reused for every call,
// so that a request costs no allocation once their buffers have grown.
type fastHTTP struct {
	hc        fasthttp.Client
	req       fasthttp.Request
	resp      fasthttp.Response
	timeout   time.Duration
	keepAlive bool
	conns     *connTracker
	watch     cancelWatch
}

func newFastHTTP(opts Options) *fastHTTP {
	conns := newConnTracker()
	c := &fastHTTP{timeout: opts.Timeout, keepAlive: !opts.DisableKeepAlives, conns: conns}
	c.watch.conns = conns
	c.hc = fasthttp.Client{
		Name: opts.UserAgent,
		// One request at a time per user, so one connection per host.
		MaxConnsPerHost: 1,
		// fasthttp would otherwise resend a failed idempotent request,
		// and the failure would never reach the statistics.
		MaxIdemponentCallAttempts: 1,
		// fasthttp's reader must hold a whole response header; the
		// default 4 KB fails on headers that net/http reads fine.
		ReadBufferSize: 16 << 10,
		// Send the path as written, as net/http does.
		DisablePathNormalizing: true,
		// Tracked connections let a cancelled ctx end a request in
		// flight, which fasthttp has no other way to do, and tell a reset
		// from a close.
		DialTimeout: conns.dialTimeout,
	}
	if opts.InsecureSkipVerify {
		c.hc.TLSConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the user, for test servers.
	}
	return c
}

func (c *fastHTTP) Do(ctx context.Context, req *Request) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	c.watch.follow(ctx)
	c.conns.startRequest()
	r := &c.req
	r.Reset()
	r.SetRequestURI(req.URL)
	if req.Method != "" {
		r.Header.SetMethod(req.Method)
	}
	for _, kv := range req.Header {
		switch {
		case strings.EqualFold(kv.Key, "Host"):
			// Connect to the URL's host, but announce this one.
			r.UseHostHeader = true
		case strings.EqualFold(kv.Key, "Content-Length"):
			continue // taken from Body, as net/http does
		}
		r.Header.Add(kv.Key, kv.Value)
	}
	if req.ContentType != "" {
		r.Header.SetContentType(req.ContentType)
	}
	if len(req.Body) > 0 {
		r.SetBody(req.Body) // copied into r's own buffer
	}
	if !c.keepAlive {
		r.SetConnectionClose()
	}
	var err error
	switch d, ok := ctx.Deadline(); {
	case ok && (c.timeout <= 0 || time.Until(d) < c.timeout):
		err = c.hc.DoDeadline(r, &c.resp, d)
	case c.timeout > 0:
		err = c.hc.DoTimeout(r, &c.resp, c.timeout)
	default:
		err = c.hc.Do(r, &c.resp)
	}
	if err != nil {
		return Response{}, normalise(ctx, err, c.conns.readErr())
	}
	return Response{Status: c.resp.StatusCode(), Bytes: int64(len(c.resp.Body()))}, nil
}

func (c *fastHTTP) Close() error {
	c.watch.close()
	c.hc.CloseIdleConnections()
	return nil
}
