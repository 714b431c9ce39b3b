package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/hostile"
)

// bound is how long a failure that should be prompt may take before a test
// calls it hung: far above the timeouts the cases set, so that a slow,
// shared machine never fails a correct client.
const bound = 5 * time.Second

// behaviour is one row of the table that every client kind must pass.
type behaviour struct {
	name string
	opts Options
	tls  bool
	// hostile, when set, serves the case from a hostile target in this
	// mode instead of handler.
	hostile     hostile.Mode
	hostileOpts hostile.Options
	// handler serves the case; nil for cases that need no server.
	handler func(t *testing.T, s *testServer, w http.ResponseWriter, r *http.Request)
	run     func(t *testing.T, c Client, s *testServer)
}

func TestBehaviour(t *testing.T) {
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			for _, bc := range behaviours() {
				t.Run(bc.name, func(t *testing.T) {
					var s *testServer
					if bc.hostile != "" {
						s = &testServer{Server: &httptest.Server{URL: hostile.New(t, bc.hostile, bc.hostileOpts).URL}}
					}
					if bc.handler != nil {
						s = newTestServer(t, bc.tls, func(w http.ResponseWriter, r *http.Request) {
							bc.handler(t, s, w, r)
						})
					}
					opts := bc.opts
					if opts.Timeout == 0 {
						opts.Timeout = 10 * time.Second
					}
					c, err := New(kind, opts)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() {
						if err := c.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					})
					bc.run(t, c, s)
				})
			}
		})
	}
}

func behaviours() []behaviour {
	small := []byte("hello, world\n")
	big := pattern(1 << 20)
	return append(append(hostileBehaviours(), headerBehaviours()...), []behaviour{
		{
			name:    "GET small content-length",
			handler: serveBody(small, false),
			run:     wantOK(http.StatusOK, len(small)),
		},
		{
			name:    "GET 1MB content-length",
			handler: serveBody(big, false),
			run:     wantOK(http.StatusOK, len(big)),
		},
		{
			name:    "GET small chunked",
			handler: serveBody(small, true),
			run:     wantOK(http.StatusOK, len(small)),
		},
		{
			name:    "GET 1MB chunked",
			handler: serveBody(big, true),
			run:     wantOK(http.StatusOK, len(big)),
		},
		{
			name: "GET empty body",
			handler: func(_ *testing.T, _ *testServer, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			},
			run: wantOK(http.StatusNoContent, 0),
		},
		{
			name: "404 is a response, not an error",
			handler: func(_ *testing.T, _ *testServer, w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "no such album", http.StatusNotFound)
			},
			run: wantOK(http.StatusNotFound, len("no such album\n")),
		},
		{
			name: "500 is a response, not an error",
			handler: func(_ *testing.T, _ *testServer, w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "store down", http.StatusInternalServerError)
			},
			run: wantOK(http.StatusInternalServerError, len("store down\n")),
		},
		{
			name: "redirect is returned, not followed",
			handler: func(_ *testing.T, _ *testServer, w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/" {
					w.WriteHeader(http.StatusTeapot)
					return
				}
				w.Header().Set("Location", "/elsewhere")
				w.WriteHeader(http.StatusFound)
			},
			run: wantOK(http.StatusFound, 0),
		},
		{
			name: "large response header",
			handler: func(_ *testing.T, _ *testServer, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-Large", strings.Repeat("x", 12<<10))
				_, _ = w.Write(small)
			},
			run: wantOK(http.StatusOK, len(small)),
		},
		{
			name:    "POST body, headers and content type arrive intact",
			handler: checkPOST,
			run: func(t *testing.T, c Client, s *testServer) {
				req := postRequest(s.URL)
				resp, err := c.Do(context.Background(), req)
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				if resp.Status != http.StatusCreated {
					t.Errorf("status %d, want %d (the server rejected the request)", resp.Status, http.StatusCreated)
				}
				if resp.Bytes != int64(len(req.Body)) {
					t.Errorf("bytes %d, want the echoed %d", resp.Bytes, len(req.Body))
				}
			},
		},
		{
			name: "empty POST sends Content-Length 0",
			handler: func(t *testing.T, _ *testServer, w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.ContentLength != 0 || r.Header.Get("Content-Length") != "0" {
					t.Errorf("got %s with Content-Length %q, want POST with 0", r.Method, r.Header.Get("Content-Length"))
				}
			},
			run: func(t *testing.T, c Client, s *testServer) {
				resp, err := c.Do(context.Background(), &Request{Method: http.MethodPost, URL: s.URL})
				if err != nil || resp.Status != http.StatusOK {
					t.Fatalf("Do: %+v, %v", resp, err)
				}
			},
		},
		{
			name: "HEAD reads no body",
			handler: func(t *testing.T, _ *testServer, w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodHead {
					t.Errorf("method %s, want HEAD", r.Method)
				}
				w.Header().Set("Content-Length", "1000")
			},
			run: func(t *testing.T, c Client, s *testServer) {
				// Twice: a client that waited for the announced body would
				// hang or fail the second request on the same connection.
				for range 2 {
					resp, err := c.Do(context.Background(), &Request{Method: http.MethodHead, URL: s.URL})
					if err != nil {
						t.Fatalf("Do: %v", err)
					}
					if resp.Status != http.StatusOK || resp.Bytes != 0 {
						t.Errorf("got %+v, want status 200 and 0 bytes", resp)
					}
				}
				if n := s.conns.Load(); n != 1 {
					t.Errorf("%d connections, want 1", n)
				}
			},
		},
		{
			name: "Host header override",
			handler: func(t *testing.T, _ *testServer, _ http.ResponseWriter, r *http.Request) {
				if r.Host != "albums.example:8080" {
					t.Errorf("Host %q, want albums.example:8080", r.Host)
				}
			},
			run: func(t *testing.T, c Client, s *testServer) {
				req := &Request{URL: s.URL + "/albums", Header: []Header{{"host", "albums.example:8080"}}}
				if resp, err := c.Do(context.Background(), req); err != nil || resp.Status != http.StatusOK {
					t.Fatalf("Do: %+v, %v", resp, err)
				}
			},
		},
		{
			name: "User-Agent from options",
			opts: Options{UserAgent: "loadgen/1.2.3"},
			handler: func(t *testing.T, _ *testServer, _ http.ResponseWriter, r *http.Request) {
				if ua := r.Header.Values("User-Agent"); !slices.Equal(ua, []string{"loadgen/1.2.3"}) {
					t.Errorf("User-Agent %q, want [loadgen/1.2.3]", ua)
				}
			},
			run: wantOK(http.StatusOK, 0),
		},
		{
			name: "User-Agent from the request wins",
			handler: func(t *testing.T, _ *testServer, _ http.ResponseWriter, r *http.Request) {
				if ua := r.Header.Values("User-Agent"); !slices.Equal(ua, []string{"probe/2"}) {
					t.Errorf("User-Agent %q, want [probe/2]", ua)
				}
			},
			run: func(t *testing.T, c Client, s *testServer) {
				req := &Request{URL: s.URL, Header: []Header{{"User-Agent", "probe/2"}}}
				if resp, err := c.Do(context.Background(), req); err != nil || resp.Status != http.StatusOK {
					t.Fatalf("Do: %+v, %v", resp, err)
				}
			},
		},
		{
			name:    "keep-alive: 100 sequential requests use 1 connection",
			handler: serveBody(small, false),
			run: func(t *testing.T, c Client, s *testServer) {
				get, post := &Request{URL: s.URL}, &Request{Method: http.MethodPost, URL: s.URL, Body: small}
				for i := range 100 {
					req := get
					if i%4 == 3 {
						req = post
					}
					if resp, err := c.Do(context.Background(), req); err != nil || resp.Status != http.StatusOK {
						t.Fatalf("request %d: %+v, %v", i, resp, err)
					}
				}
				if n, r := s.conns.Load(), s.reqs.Load(); n != 1 || r != 100 {
					t.Errorf("%d connections for %d requests, want 1 for 100", n, r)
				}
			},
		},
		{
			name:    "DisableKeepAlives: a connection per request",
			opts:    Options{DisableKeepAlives: true},
			handler: serveBody(small, false),
			run: func(t *testing.T, c Client, s *testServer) {
				for i := range 3 {
					if resp, err := c.Do(context.Background(), &Request{URL: s.URL}); err != nil || resp.Status != http.StatusOK {
						t.Fatalf("request %d: %+v, %v", i, resp, err)
					}
				}
				if n := s.conns.Load(); n != 3 {
					t.Errorf("%d connections, want 3", n)
				}
			},
		},
		{
			name: "timeout waiting for the response",
			opts: Options{Timeout: 100 * time.Millisecond},
			handler: func(_ *testing.T, s *testServer, _ http.ResponseWriter, r *http.Request) {
				s.park(r)
			},
			run: wantErr(ErrTimeout),
		},
		{
			name: "timeout covers the body read",
			opts: Options{Timeout: 100 * time.Millisecond},
			handler: func(_ *testing.T, s *testServer, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "100")
				_, _ = w.Write([]byte("the first part"))
				_ = http.NewResponseController(w).Flush()
				s.park(r)
			},
			run: wantErr(ErrTimeout),
		},
		{
			name: "ctx deadline caps the timeout",
			opts: Options{Timeout: time.Minute},
			handler: func(_ *testing.T, s *testServer, _ http.ResponseWriter, r *http.Request) {
				s.park(r)
			},
			run: func(t *testing.T, c Client, s *testServer) {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				start := time.Now()
				_, err := c.Do(ctx, &Request{URL: s.URL})
				checkErr(t, err, ErrTimeout, time.Since(start))
			},
		},
		{
			name: "connection refused",
			run: func(t *testing.T, c Client, _ *testServer) {
				start := time.Now()
				_, err := c.Do(context.Background(), &Request{URL: closedAddr(t)})
				checkErr(t, err, ErrConnRefused, time.Since(start))
			},
		},
		{
			name: "server closes before responding",
			handler: func(t *testing.T, _ *testServer, w http.ResponseWriter, _ *http.Request) {
				if conn := hijack(t, w); conn != nil {
					_ = conn.Close()
				}
			},
			run: wantErr(ErrConnClosed),
		},
		{
			name: "server closes mid-body (content-length)",
			handler: func(t *testing.T, _ *testServer, w http.ResponseWriter, _ *http.Request) {
				if conn := hijack(t, w); conn != nil {
					_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part of it")
					_ = conn.Close()
				}
			},
			run: wantErr(ErrConnClosed),
		},
		{
			name: "server closes mid-body (chunked)",
			handler: func(t *testing.T, _ *testServer, w http.ResponseWriter, _ *http.Request) {
				if conn := hijack(t, w); conn != nil {
					_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
					_ = conn.Close()
				}
			},
			run: wantErr(ErrConnClosed),
		},
		{
			name: "server closes mid-headers",
			handler: func(t *testing.T, _ *testServer, w http.ResponseWriter, _ *http.Request) {
				if conn := hijack(t, w); conn != nil {
					_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Le")
					_ = conn.Close()
				}
			},
			run: wantErr(ErrConnClosed),
		},
		{
			name: "malformed response on an open connection",
			handler: func(t *testing.T, s *testServer, w http.ResponseWriter, r *http.Request) {
				if conn := hijack(t, w); conn != nil {
					defer conn.Close()
					_, _ = io.WriteString(conn, "HTTP/1.1 OK fine\r\nContent-Length: 0\r\n\r\n")
					s.park(r) // keep it open: the failure is the response, not a close
				}
			},
			run: func(t *testing.T, c Client, s *testServer) {
				_, err := c.Do(context.Background(), &Request{URL: s.URL})
				if err == nil {
					t.Fatal("no error for a malformed status line")
				}
				for _, kind := range []error{ErrTimeout, ErrConnClosed, ErrConnReset, ErrConnRefused} {
					if errors.Is(err, kind) {
						t.Errorf("err %q classified as %q", err, kind)
					}
				}
			},
		},
		{
			name: "server resets the connection",
			handler: func(t *testing.T, _ *testServer, w http.ResponseWriter, _ *http.Request) {
				if conn := hijack(t, w); conn != nil {
					_ = conn.SetLinger(0) // close with RST
					_ = conn.Close()
				}
			},
			run: wantErr(ErrConnReset),
		},
		{
			name: "client recovers after a failure",
			handler: func(t *testing.T, _ *testServer, w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/broken" {
					if conn := hijack(t, w); conn != nil {
						_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
						_ = conn.Close()
					}
					return
				}
				_, _ = w.Write(small)
			},
			run: func(t *testing.T, c Client, s *testServer) {
				for i := range 3 {
					if _, err := c.Do(context.Background(), &Request{URL: s.URL + "/broken"}); !errors.Is(err, ErrConnClosed) {
						t.Fatalf("broken request %d: err %v, want %v", i, err, ErrConnClosed)
					}
					resp, err := c.Do(context.Background(), &Request{URL: s.URL + "/ok"})
					if err != nil || resp.Status != http.StatusOK || resp.Bytes != int64(len(small)) {
						t.Fatalf("request %d after a failure: %+v, %v", i, resp, err)
					}
				}
			},
		},
		{
			name:    "ctx already cancelled: nothing is sent",
			handler: serveBody(small, false),
			run: func(t *testing.T, c Client, s *testServer) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				resp, err := c.Do(ctx, &Request{URL: s.URL})
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err %v, want context.Canceled", err)
				}
				if !isZero(resp) {
					t.Errorf("response %+v, want none", resp)
				}
				if n := s.reqs.Load(); n != 0 {
					t.Errorf("%d requests reached the server, want 0", n)
				}
			},
		},
		{
			name: "ctx cancelled in flight",
			opts: Options{Timeout: time.Minute},
			handler: func(_ *testing.T, s *testServer, w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/park" {
					s.park(r)
					return
				}
				_, _ = w.Write(small)
			},
			run: func(t *testing.T, c Client, s *testServer) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				// Warm the connection with this ctx, so that cancelling
				// must stop an exchange on a kept-alive connection.
				if resp, err := c.Do(ctx, &Request{URL: s.URL}); err != nil || resp.Status != http.StatusOK {
					t.Fatalf("first request: %+v, %v", resp, err)
				}
				go func() {
					for s.reqs.Load() < 2 {
						time.Sleep(time.Millisecond)
					}
					cancel()
				}()
				start := time.Now()
				_, err := c.Do(ctx, &Request{URL: s.URL + "/park"})
				if elapsed := time.Since(start); elapsed > bound {
					t.Errorf("returned after %v, want promptly after cancel", elapsed)
				}
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err %v, want context.Canceled", err)
				}
				// A new context works on the same client.
				resp, err := c.Do(context.Background(), &Request{URL: s.URL})
				if err != nil || resp.Status != http.StatusOK {
					t.Fatalf("request after cancel: %+v, %v", resp, err)
				}
			},
		},
		{
			name:    "HTTPS with InsecureSkipVerify",
			opts:    Options{InsecureSkipVerify: true},
			tls:     true,
			handler: serveBody(small, false),
			run:     wantOK(http.StatusOK, len(small)),
		},
		{
			name:    "HTTPS rejects an unknown certificate",
			tls:     true,
			handler: serveBody(small, false),
			run: func(t *testing.T, c Client, s *testServer) {
				if _, err := c.Do(context.Background(), &Request{URL: s.URL}); err == nil {
					t.Fatal("no error for a self-signed certificate")
				}
				if n := s.reqs.Load(); n != 0 {
					t.Errorf("%d requests reached the server, want 0", n)
				}
			},
		},
		{
			name: "relative URL is an error",
			run: func(t *testing.T, c Client, _ *testServer) {
				if _, err := c.Do(context.Background(), &Request{URL: "/albums"}); err == nil {
					t.Fatal("no error for a relative URL")
				}
			},
		},
	}...)
}

// isZero reports whether resp is the zero Response a failure returns.
func isZero(resp Response) bool {
	return resp.Status == 0 && resp.Bytes == 0 && resp.Body == nil && !resp.Truncated
}

// pattern returns n bytes that are not all alike, so that a short or
// shifted read could not pass for a whole one.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

// serveBody answers with body, with a Content-Length or chunked.
func serveBody(body []byte, chunked bool) func(*testing.T, *testServer, http.ResponseWriter, *http.Request) {
	return func(t *testing.T, _ *testServer, w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Errorf("reading request body: %v", err)
		}
		if !chunked {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
			return
		}
		rc := http.NewResponseController(w)
		for rest := body; len(rest) > 0; {
			n := min(len(rest), 7919) // a prime, so chunks never line up with buffers
			_, _ = w.Write(rest[:n])
			_ = rc.Flush() // before the end, so the server must chunk
			rest = rest[n:]
		}
	}
}

func postRequest(base string) *Request {
	return &Request{
		Method: http.MethodPost,
		URL:    base + "/albums?x=1",
		Header: []Header{
			{"X-Trace", "a"},
			{"x-trace", "b"},
			{"Accept", "application/json"},
			{"Content-Length", "3"}, // wrong, and ignored for len(Body)
		},
		Body:        []byte(`{"title":"Blue Train","artist":"John Coltrane","price":56.99}`),
		ContentType: "application/json",
	}
}

// checkPOST verifies everything postRequest sends, and echoes the body.
func checkPOST(t *testing.T, _ *testServer, w http.ResponseWriter, r *http.Request) {
	want := postRequest("")
	body, err := io.ReadAll(r.Body)
	var problems []string
	if err != nil {
		problems = append(problems, fmt.Sprintf("reading body: %v", err))
	}
	if r.Method != http.MethodPost {
		problems = append(problems, "method "+r.Method)
	}
	if r.URL.RequestURI() != want.URL {
		problems = append(problems, "URI "+r.URL.RequestURI())
	}
	if !bytes.Equal(body, want.Body) {
		problems = append(problems, fmt.Sprintf("body %q", body))
	}
	if r.ContentLength != int64(len(want.Body)) {
		problems = append(problems, fmt.Sprintf("Content-Length %d", r.ContentLength))
	}
	if got := r.Header.Values("Content-Type"); !slices.Equal(got, []string{want.ContentType}) {
		problems = append(problems, fmt.Sprintf("Content-Type %q", got))
	}
	if got := r.Header.Values("X-Trace"); !slices.Equal(got, []string{"a", "b"}) {
		problems = append(problems, fmt.Sprintf("X-Trace %q", got))
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		problems = append(problems, fmt.Sprintf("Accept %q", got))
	}
	if got := r.Header.Values("User-Agent"); !slices.Equal(got, []string{DefaultUserAgent}) {
		problems = append(problems, fmt.Sprintf("User-Agent %q", got))
	}
	if got := r.Header.Get("Accept-Encoding"); got != "" {
		problems = append(problems, fmt.Sprintf("Accept-Encoding %q added", got))
	}
	if len(problems) > 0 {
		t.Errorf("POST arrived wrong: %s", strings.Join(problems, "; "))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(body)
}

// wantOK runs a GET and expects a response of status and size.
func wantOK(status, size int) func(*testing.T, Client, *testServer) {
	return func(t *testing.T, c Client, s *testServer) {
		resp, err := c.Do(context.Background(), &Request{URL: s.URL})
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		if resp.Status != status || resp.Bytes != int64(size) {
			t.Errorf("got status %d with %d bytes, want %d with %d", resp.Status, resp.Bytes, status, size)
		}
	}
}

// wantErr runs a GET and expects a failure of kind.
func wantErr(kind error) func(*testing.T, Client, *testServer) {
	return func(t *testing.T, c Client, s *testServer) {
		start := time.Now()
		resp, err := c.Do(context.Background(), &Request{URL: s.URL})
		checkErr(t, err, kind, time.Since(start))
		if !isZero(resp) {
			t.Errorf("response %+v with a failed exchange, want none", resp)
		}
	}
}

// checkErr expects a failure of kind, promptly, with the kind's text alone
// so that both clients group it under one key.
func checkErr(t *testing.T, err, kind error, elapsed time.Duration) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("err %q (%#v), want kind %q", err, err, kind)
	}
	if err.Error() != kind.Error() {
		t.Errorf("text %q, want %q", err, kind)
	}
	if kind == ErrTimeout && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout %q does not match context.DeadlineExceeded", err)
	}
	if elapsed > bound {
		t.Errorf("failed after %v, want promptly", elapsed)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		kind    string
		opts    Options
		wantErr string
	}{
		{kind: KindFastHTTP},
		{kind: KindNetHTTP},
		{kind: "curl", wantErr: `unknown client "curl": valid clients are fasthttp, nethttp`},
		{kind: "", wantErr: `unknown client "": valid clients are fasthttp, nethttp`},
		{kind: KindNetHTTP, opts: Options{Timeout: -time.Second}, wantErr: "client timeout -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			c, err := New(tt.kind, tt.opts)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("New(%q): %v, %v", tt.kind, c, err)
				}
				if err := c.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("New(%q) err %v, want %q", tt.kind, err, tt.wantErr)
			}
		})
	}
}
