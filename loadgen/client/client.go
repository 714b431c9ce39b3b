// Package client sends the load generator's HTTP requests.
//
// A Client belongs to one simulated user and keeps that user's keep-alive
// connection, the way each Locust user has its own session. Two
// implementations sit behind the same interface: "fasthttp", which reuses
// its request and response objects and allocates nothing per request, and
// "nethttp", the standard library's transport. Both read the whole response
// body before Do returns, so a caller timing Do measures the full exchange,
// and both report failures with the same normalised error text (see Error),
// so statistics group them alike whichever client produced them.
//
// Neither client follows redirects: a 3xx response is returned as is,
// because a load test should measure the request it was asked to send.
package client

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Client kinds accepted by New.
const (
	KindFastHTTP = "fasthttp"
	KindNetHTTP  = "nethttp"
)

// DefaultUserAgent is sent when Options.UserAgent is empty and the request
// sets no User-Agent header. Callers that know their version append it
// ("loadgen/1.2.3") through Options.UserAgent.
const DefaultUserAgent = "loadgen"

// Header is one request header. A slice of them keeps order and allows a key
// to repeat, and costs no map per request.
type Header struct{ Key, Value string }

// Request describes one HTTP request. Its owner may reuse it between calls:
// a Client reads it only during Do and keeps no reference to it (or to Body)
// afterwards.
type Request struct {
	// Method defaults to GET when empty.
	Method string
	// URL is absolute: http:// or https://.
	URL string
	// Header is sent in order. A "Host" entry overrides the Host header
	// while the connection still goes to the URL's host.
	Header []Header
	// Body is sent with an exact Content-Length.
	Body []byte
	// ContentType, when set, is sent as the Content-Type header.
	ContentType string
}

// Response is what statistics need from a response.
type Response struct {
	// Status is the HTTP status code; 4xx and 5xx are responses, not errors.
	Status int
	// Bytes counts the body bytes read (after removing chunked framing, but
	// not decompressed): Locust's "content size".
	Bytes int64
}

// Client sends requests for one simulated user, one at a time. It is not
// safe for concurrent use: a user owns its Client.
type Client interface {
	// Do sends req and reads the whole response body before returning.
	// On failure the Response is zero.
	// Transport failures (refused, reset, closed, timeout) come back as
	// errors, normalised as described on Error. If ctx is already done, Do
	// sends nothing and returns ctx.Err(); if ctx ends during the exchange,
	// Do stops it and returns context.Canceled, or a timeout Error when
	// ctx's deadline passed.
	Do(ctx context.Context, req *Request) (Response, error)
	// Close closes idle connections. The Client must not be used after.
	Close() error
}

// Options configure a Client.
type Options struct {
	// Timeout bounds each Do call as a whole: connecting, writing, waiting
	// and reading the body. Zero means no limit other than ctx's deadline.
	Timeout time.Duration
	// InsecureSkipVerify accepts any TLS certificate (test servers).
	InsecureSkipVerify bool
	// UserAgent is sent unless a request sets its own; DefaultUserAgent
	// when empty.
	UserAgent string
	// DisableKeepAlives opens a new connection for every request.
	DisableKeepAlives bool
}

// Kinds lists the client kinds New accepts, the default first.
func Kinds() []string { return []string{KindFastHTTP, KindNetHTTP} }

// New returns a Client of the given kind.
func New(kind string, opts Options) (Client, error) {
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("client timeout %v is negative", opts.Timeout)
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	switch kind {
	case KindFastHTTP:
		return newFastHTTP(opts), nil
	case KindNetHTTP:
		return newNetHTTP(opts), nil
	}
	return nil, fmt.Errorf("unknown client %q: valid clients are %s", kind, strings.Join(Kinds(), ", "))
}

// deadline is the earlier of now+timeout (when timeout is set) and ctx's
// deadline; ok is false when neither bounds the request.
func deadline(ctx context.Context, timeout time.Duration) (d time.Time, ok bool) {
	if timeout > 0 {
		d, ok = time.Now().Add(timeout), true
	}
	if cd, has := ctx.Deadline(); has && (!ok || cd.Before(d)) {
		d, ok = cd, true
	}
	return d, ok
}
