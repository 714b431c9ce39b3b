// Package client sends the load generator's HTTP requests.
//
// A Client belongs to one simulated user and keeps that user's keep-alive
// connection, the way each Locust user has its own session. Two
// implementations sit behind the same interface: "fasthttp", which renders
// requests and parses response headers with fasthttp on a connection of
// its own and allocates nothing per request, and "nethttp", the standard
// library's transport. Both read the whole response body before Do
// returns, so a caller timing Do measures the full exchange, and both
// report failures with the same normalised error text (see Error), so
// statistics group them alike whichever client produced them.
//
// A response costs a client bounded memory and time, whatever the target
// sends: bodies are streamed and counted, never held (only a prefix of at
// most Options.MaxKeptBody bytes is kept, and only when a request asks);
// declared lengths are not trusted; Options.Timeout bounds the whole
// exchange, body included; a header block is read up to
// Options.MaxHeaderBytes.
//
// Neither client keeps cookies or follows redirects: a 3xx response is
// returned as is. Package browser adds both above either client, as
// simulated users need them; both clients keep a response's headers for
// it when asked (see HeaderReader).
package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
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

// Limits used where Options leaves them zero.
const (
	// DefaultMaxHeaderBytes bounds a response's status line and headers.
	DefaultMaxHeaderBytes = 1 << 20
	// DefaultMaxKeptBody bounds the body prefix kept for a request that
	// sets KeepBody.
	DefaultMaxKeptBody = 1 << 20
)

// Header is one request header. A slice of them keeps order and allows a key
// to repeat, and costs no map per request.
type Header struct{ Key, Value string }

// Request describes one HTTP request. Its owner may reuse it between calls:
// a Client reads it only during Do and keeps no reference to it (or to Body)
// afterwards.
type Request struct {
	// Method defaults to GET when empty.
	Method string
	// URL is absolute: http:// or https://. User information in it
	// (http://user:pass@host/) is sent as basic authentication unless
	// Header has an Authorization entry.
	URL string
	// Header is sent in order. A "Host" entry overrides the Host header
	// while the connection still goes to the URL's host.
	Header []Header
	// Body is sent with an exact Content-Length.
	Body []byte
	// ContentType, when set, is sent as the Content-Type header.
	ContentType string
	// KeepHeaders asks the client to keep the response's headers until
	// its next Do, for HeaderReader.ResponseHeader.
	KeepHeaders bool
	// KeepBody asks for the first Options.MaxKeptBody bytes of the
	// response body in Response.Body. The rest is still read and counted.
	KeepBody bool
}

// Response is what statistics, and tasks that look at a response, need.
type Response struct {
	// Status is the HTTP status code; 4xx and 5xx are responses, not errors.
	Status int
	// Bytes counts the body bytes read (after removing chunked framing, but
	// not decompressed): Locust's "content size".
	Bytes int64
	// Body is the kept prefix of the body when the request set KeepBody,
	// else nil. It belongs to the Client and is valid until its next Do.
	Body []byte
	// Truncated says that the body was longer than the prefix kept.
	Truncated bool
}

// Client sends requests for one simulated user, one at a time. It is not
// safe for concurrent use: a user owns its Client.
type Client interface {
	// Do sends req and reads the whole response body before returning.
	// On failure the Response is zero.
	// Transport failures (refused, reset, closed, timeout, a malformed or
	// oversized response) come back as errors, normalised as described on
	// Error. If ctx is already done, Do sends nothing and returns
	// ctx.Err(); if ctx ends during the exchange, Do stops it and returns
	// context.Canceled, or a timeout Error when ctx's deadline passed.
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
	// CACertFile, when set, names a PEM file whose certificates are the
	// roots trusted for HTTPS targets, instead of the system's: for
	// targets with a private or self-signed certificate.
	CACertFile string
	// CACertPEM, when set, is what CACertFile would hold, given as is:
	// a worker gets it from its coordinator, whose machine had the file.
	// It wins over CACertFile.
	CACertPEM []byte
	// UserAgent is sent unless a request sets its own; DefaultUserAgent
	// when empty.
	UserAgent string
	// DisableKeepAlives opens a new connection for every request.
	DisableKeepAlives bool
	// MaxHeaderBytes bounds a response's status line and header block; a
	// larger one fails the request with ErrHeaderTooLarge. Zero means
	// DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxKeptBody bounds Response.Body for requests that set KeepBody.
	// Zero means DefaultMaxKeptBody.
	MaxKeptBody int
}

// Kinds lists the client kinds New accepts, the default first.
func Kinds() []string { return []string{KindFastHTTP, KindNetHTTP} }

// New returns a Client of the given kind. It reads Options.CACertFile each
// time; NewFactory reads it once for any number of clients.
func New(kind string, opts Options) (Client, error) {
	f, err := NewFactory(kind, opts)
	if err != nil {
		return nil, err
	}
	return f(), nil
}

// NewFactory checks kind and opts once, reads Options.CACertFile, and
// returns a function that makes Clients of that kind, one per user.
func NewFactory(kind string, opts Options) (func() Client, error) {
	cfg, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	switch kind {
	case KindFastHTTP:
		return func() Client { return newFastHTTP(cfg) }, nil
	case KindNetHTTP:
		return func() Client { return newNetHTTP(cfg) }, nil
	}
	return nil, fmt.Errorf("unknown client %q: valid clients are %s", kind, strings.Join(Kinds(), ", "))
}

// config is Options checked, with defaults and the TLS configuration
// they describe; the clients of one factory share it.
type config struct {
	Options
	tls *tls.Config // nil: the system's roots and full verification
}

func resolve(opts Options) (*config, error) {
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("client timeout %v is negative", opts.Timeout)
	}
	if opts.MaxHeaderBytes < 0 || opts.MaxKeptBody < 0 {
		return nil, fmt.Errorf("client limits must not be negative (MaxHeaderBytes %d, MaxKeptBody %d)", opts.MaxHeaderBytes, opts.MaxKeptBody)
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.MaxHeaderBytes == 0 {
		opts.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if opts.MaxKeptBody == 0 {
		opts.MaxKeptBody = DefaultMaxKeptBody
	}
	cfg := &config{Options: opts}
	if opts.InsecureSkipVerify || opts.CACertFile != "" || len(opts.CACertPEM) > 0 {
		cfg.tls = &tls.Config{InsecureSkipVerify: opts.InsecureSkipVerify} //nolint:gosec // asked for by the user, for test servers.
	}
	pem, name := opts.CACertPEM, "given"
	if len(pem) == 0 && opts.CACertFile != "" {
		var err error
		if pem, err = os.ReadFile(opts.CACertFile); err != nil {
			return nil, fmt.Errorf("CA certificate file: %w", err)
		}
		name = opts.CACertFile
	}
	if len(pem) > 0 {
		pool, err := CertPool(pem)
		if err != nil {
			return nil, fmt.Errorf("CA certificate file %s: %w", name, err)
		}
		cfg.tls.RootCAs = pool
	}
	return cfg, nil
}

// CertPool is the pool of the PEM certificates in pem, for
// Options.CACertPEM; it fails when pem holds none.
func CertPool(pem []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in it")
	}
	return pool, nil
}

// basicAuth is the Authorization value for the user information in u, or
// "" when it has none.
func basicAuth(u *url.Userinfo) string {
	if u == nil {
		return ""
	}
	pass, _ := u.Password()
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pass))
}

// deadline is the earlier of now+timeout (when timeout is set) and ctx's
// deadline; ok is false when neither bounds the request.
func deadline(ctx context.Context, now time.Time, timeout time.Duration) (d time.Time, ok bool) {
	if timeout > 0 {
		d, ok = now.Add(timeout), true
	}
	if cd, has := ctx.Deadline(); has && (!ok || cd.Before(d)) {
		d, ok = cd, true
	}
	return d, ok
}
