package client

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/hostile"
)

// hostileBehaviours are the behaviour rows for targets that break HTTP on
// purpose: each must cost a bounded time and end in a failure of a known
// kind, or, for a large but valid response, succeed.
func hostileBehaviours() []behaviour {
	const timeout = 300 * time.Millisecond
	return []behaviour{
		{
			name:    "hostile: huge declared length times out",
			opts:    Options{Timeout: timeout},
			hostile: hostile.HugeLength,
			run:     wantTimeoutWithin(timeout),
		},
		{
			name:        "hostile: a 1 TiB declared length times out",
			opts:        Options{Timeout: timeout},
			hostile:     hostile.HugeLength,
			hostileOpts: hostile.Options{DeclaredLength: 1 << 40},
			run:         wantTimeoutWithin(timeout),
		},
		{
			name:    "hostile: huge chunk size times out",
			opts:    Options{Timeout: timeout},
			hostile: hostile.HugeChunk,
			run:     wantTimeoutWithin(timeout),
		},
		{
			name:    "hostile: endless body times out",
			opts:    Options{Timeout: timeout},
			hostile: hostile.Endless,
			run:     wantTimeoutWithin(timeout),
		},
		{
			name:    "hostile: never answers",
			opts:    Options{Timeout: timeout},
			hostile: hostile.Never,
			run:     wantTimeoutWithin(timeout),
		},
		{
			name:        "hostile: slow body is bounded by the timeout",
			opts:        Options{Timeout: timeout},
			hostile:     hostile.SlowBody,
			hostileOpts: hostile.Options{Interval: 50 * time.Millisecond},
			run:         wantTimeoutWithin(timeout),
		},
		{
			name:        "hostile: big body is streamed and counted",
			hostile:     hostile.BigBody,
			hostileOpts: hostile.Options{BodySize: 8 << 20},
			run:         wantOK(http.StatusOK, 8<<20),
		},
		{
			name:        "hostile: 64 KiB of headers",
			hostile:     hostile.BigHeaders,
			hostileOpts: hostile.Options{HeaderSize: 64 << 10},
			run: func(t *testing.T, c Client, s *testServer) {
				for range 2 { // the second on the connection the first grew
					wantOK(http.StatusOK, 2)(t, c, s)
				}
			},
		},
		{
			name:        "hostile: headers above MaxHeaderBytes",
			opts:        Options{MaxHeaderBytes: 32 << 10},
			hostile:     hostile.BigHeaders,
			hostileOpts: hostile.Options{HeaderSize: 60 << 10},
			run:         wantErr(ErrHeaderTooLarge),
		},
		{
			name:    "hostile: endless headers",
			hostile: hostile.EndlessHeaders,
			run:     wantErr(ErrHeaderTooLarge),
		},
		{
			name:    "hostile: garbage status line",
			opts:    Options{Timeout: 2 * time.Second},
			hostile: hostile.GarbageStatus,
			run:     wantErr(ErrMalformed),
		},
		{
			name:    "Content-Length beyond int64 is malformed",
			handler: rawResponse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nabc", false),
			run:     wantErr(ErrMalformed),
		},
		{
			name:    "bad chunk size is malformed",
			handler: rawResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", false),
			run:     wantErr(ErrMalformed),
		},
		{
			name:    "chunk size beyond int64 is malformed",
			handler: rawResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nabc\r\n", false),
			run:     wantErr(ErrMalformed),
		},
		{
			name: "chunk extensions and trailers",
			handler: rawResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"+
				"5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Checksum: 1\r\n\r\n", false),
			run: func(t *testing.T, c Client, s *testServer) {
				for range 2 { // the trailer was consumed: the connection is still in step
					wantOK(http.StatusOK, len("hello, world"))(t, c, s)
				}
			},
		},
		{
			name:    "body delimited by the end of the connection",
			handler: rawResponse("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", true),
			run: func(t *testing.T, c Client, s *testServer) {
				for range 2 {
					wantOK(http.StatusOK, len("until the end"))(t, c, s)
				}
			},
		},
		{
			name: "interim 100 Continue is skipped",
			handler: rawResponse("HTTP/1.1 100 Continue\r\n\r\n"+
				"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false),
			run: wantOK(http.StatusOK, 2),
		},
		{
			name: "user information in the URL is basic authentication",
			handler: func(t *testing.T, _ *testServer, _ http.ResponseWriter, r *http.Request) {
				if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cret" {
					t.Errorf("basic auth %q %q %v, want alice s3cret", u, p, ok)
				}
			},
			run: func(t *testing.T, c Client, s *testServer) {
				url := strings.Replace(s.URL, "://", "://alice:s3cret@", 1) + "/albums"
				if resp, err := c.Do(context.Background(), &Request{URL: url}); err != nil || resp.Status != http.StatusOK {
					t.Fatalf("Do: %+v, %v", resp, err)
				}
			},
		},
		{
			name: "an Authorization header wins over the URL's user information",
			handler: func(t *testing.T, _ *testServer, _ http.ResponseWriter, r *http.Request) {
				if got := r.Header.Values("Authorization"); len(got) != 1 || got[0] != "Bearer t" {
					t.Errorf("Authorization %q, want [Bearer t]", got)
				}
			},
			run: func(t *testing.T, c Client, s *testServer) {
				url := strings.Replace(s.URL, "://", "://alice:s3cret@", 1)
				req := &Request{URL: url, Header: []Header{{"Authorization", "Bearer t"}}}
				if resp, err := c.Do(context.Background(), req); err != nil || resp.Status != http.StatusOK {
					t.Fatalf("Do: %+v, %v", resp, err)
				}
			},
		},
		{
			name:    "KeepBody keeps a bounded prefix",
			opts:    Options{MaxKeptBody: 100},
			handler: serveBody(pattern(1<<20), true),
			run: func(t *testing.T, c Client, s *testServer) {
				resp, err := c.Do(context.Background(), &Request{URL: s.URL, KeepBody: true})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(resp.Body, pattern(100)) || !resp.Truncated || resp.Bytes != 1<<20 {
					t.Errorf("kept %d bytes (truncated %v) of %d, want the first 100 (true) of %d", len(resp.Body), resp.Truncated, resp.Bytes, 1<<20)
				}
				resp, err = c.Do(context.Background(), &Request{URL: s.URL})
				if err != nil || resp.Body != nil || resp.Truncated {
					t.Errorf("without KeepBody: %d bytes kept, truncated %v, err %v; want none", len(resp.Body), resp.Truncated, err)
				}
			},
		},
		{
			name:    "KeepBody keeps a small body whole",
			handler: serveBody([]byte("hello"), false),
			run: func(t *testing.T, c Client, s *testServer) {
				resp, err := c.Do(context.Background(), &Request{URL: s.URL, KeepBody: true})
				if err != nil || string(resp.Body) != "hello" || resp.Truncated {
					t.Errorf("got %q (truncated %v), %v; want hello", resp.Body, resp.Truncated, err)
				}
			},
		},
	}
}

// wantTimeoutWithin runs a GET and expects a timeout no later than a
// generous margin after timeout: the timeout bounds the whole exchange.
func wantTimeoutWithin(timeout time.Duration) func(*testing.T, Client, *testServer) {
	return func(t *testing.T, c Client, s *testServer) {
		start := time.Now()
		_, err := c.Do(context.Background(), &Request{URL: s.URL})
		elapsed := time.Since(start)
		checkErr(t, err, ErrTimeout, elapsed)
		if limit := timeout + 2*time.Second; elapsed > limit {
			t.Errorf("timed out after %v, want within %v of the %v timeout", elapsed, limit-timeout, timeout)
		}
	}
}

// rawResponse answers with raw bytes on the hijacked connection, and then
// closes it or keeps it for the next request.
func rawResponse(raw string, closeAfter bool) func(*testing.T, *testServer, http.ResponseWriter, *http.Request) {
	return func(t *testing.T, s *testServer, w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, raw); err != nil || closeAfter {
			return
		}
		// Serve the connection's next request the same way.
		for {
			req, err := http.ReadRequest(brw.Reader)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			if _, err := io.WriteString(conn, raw); err != nil {
				return
			}
		}
	}
}

func TestCACertFile(t *testing.T) {
	s := newTestServer(t, true, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			c, err := New(kind, Options{CACertFile: caFile, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			resp, err := c.Do(context.Background(), &Request{URL: s.URL})
			if err != nil || resp.Status != http.StatusOK {
				t.Fatalf("with the server's certificate as CA: %+v, %v", resp, err)
			}
			if _, err := New(kind, Options{CACertFile: filepath.Join(dir, "missing.pem")}); err == nil || !strings.Contains(err.Error(), "missing.pem") {
				t.Errorf("missing CA file: err %v, want one naming the file", err)
			}
			if _, err := New(kind, Options{CACertFile: notPEM}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
				t.Errorf("CA file without a certificate: err %v", err)
			}
		})
	}
}

// TestFailureTextsAgree checks that both clients name each broken response
// alike, and never with the bytes the target sent. Only the target that
// never answers fails by the timeout; the others have a timeout far beyond
// what reading a megabyte of endless headers takes under the race detector
// on a busy machine, so that it is their own failure that is named.
func TestFailureTextsAgree(t *testing.T) {
	for _, tc := range []struct {
		mode    hostile.Mode
		timeout time.Duration
	}{
		{hostile.GarbageStatus, 30 * time.Second},
		{hostile.EndlessHeaders, 30 * time.Second},
		{hostile.Never, 500 * time.Millisecond},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			h := hostile.New(t, tc.mode, hostile.Options{})
			texts := map[string]string{}
			for _, kind := range Kinds() {
				c, err := New(kind, Options{Timeout: tc.timeout})
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Do(context.Background(), &Request{URL: h.URL})
				c.Close()
				if err == nil {
					t.Fatalf("%s: no error", kind)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Errorf("%s: %q is not a normalised *Error", kind, err)
				}
				texts[kind] = err.Error()
			}
			if texts[KindFastHTTP] != texts[KindNetHTTP] {
				t.Errorf("fasthttp says %q, nethttp %q", texts[KindFastHTTP], texts[KindNetHTTP])
			}
		})
	}
}
