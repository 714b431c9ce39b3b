package albumsvc

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startLimited starts a service with cfg on a free loopback port.
func startLimited(t *testing.T, cfg Config) string {
	t.Helper()
	srv, err := Start(context.Background(), cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv.Addr()
}

// rawExchange sends raw on a new connection and reads one response.
func rawExchange(t *testing.T, addr, raw string) (*http.Response, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to %.40q: %v", raw, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// TestTransportErrorsAreJSON checks the answers net/http gives before any
// handler runs: they are JSON like every other error of the service.
func TestTransportErrorsAreJSON(t *testing.T) {
	addr := startLimited(t, Config{Preload: 1})
	tests := []struct {
		name   string
		raw    string
		status int
		error  string
	}{
		{"headers over 64 KiB", "GET /albums HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 70<<10) + "\r\n\r\n", 431, "Request Header Fields Too Large"},
		{"malformed request line", "GET\r\n\r\n", 400, "Bad Request"},
		{"missing Host", "GET /albums HTTP/1.1\r\n\r\n", 400, "missing required Host header"},
		{"unsupported version", "GET /albums HTTP/4.0\r\nHost: x\r\n\r\n", 505, "HTTP Version Not Supported"},
		{"unsupported transfer encoding", "POST /albums HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "Unsupported transfer encoding"},
		{"unsupported expectation", "GET /albums HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n", 417, "Expectation Failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawExchange(t, addr, tc.raw)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json; body %q", ct, body)
			}
			var eb errorBody
			if err := json.Unmarshal([]byte(body), &eb); err != nil || !strings.Contains(eb.Error, tc.error) {
				t.Errorf("body %q, want JSON with an error containing %q (%v)", body, tc.error, err)
			}
		})
	}
	// The service still answers normally afterwards.
	resp, body := rawExchange(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("healthz: %d %q", resp.StatusCode, body)
	}
}

// TestSlowBodyIsCutOff sends a POST body a byte at a time: the read
// timeout ends the connection, so such clients cannot pile up.
func TestSlowBodyIsCutOff(t *testing.T) {
	addr := startLimited(t, Config{ReadTimeout: 300 * time.Millisecond})
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_, _ = io.WriteString(conn, "POST /albums HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, conn) // returns when the server closes
		done <- err
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("closed after %v, want about the 300ms read timeout", elapsed)
			}
			return
		case <-tick.C:
			if time.Since(start) > 10*time.Second {
				t.Fatal("a body sent a byte per 50ms held the connection for 10s")
			}
			_, _ = io.WriteString(conn, " ")
		}
	}
}

// TestConnectionCap holds MaxConns connections open: the next one waits to
// be accepted until one of them closes.
func TestConnectionCap(t *testing.T) {
	addr := startLimited(t, Config{MaxConns: 2, Preload: 1})
	var held []net.Conn
	for range 2 {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	// Each held connection has been accepted once it has been answered.
	for _, c := range held {
		_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("held connection: %v", err)
		}
	}
	third, err := net.DialTimeout("tcp", addr, 5*time.Second) // the kernel's backlog takes it
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	_, _ = io.WriteString(third, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(third)
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := br.Peek(1); err == nil {
		t.Fatal("a third connection was served while two were held with a cap of 2")
	}
	held[0].Close()
	_ = third.SetReadDeadline(time.Now().Add(5 * time.Second))
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("third connection after one closed: %v", err)
	}
}

// TestCatalogueCap fills the catalogue to MaxAlbums: the next POST gets 507
// and stores nothing.
func TestCatalogueCap(t *testing.T) {
	s := newTestService(t, Config{Preload: 3, MaxAlbums: 4})
	album := `{"title":"a","artist":"b","price":1}`
	if got := serve(t, s.Handler(), "POST", "/albums", jsonCT, album); got.status != 201 {
		t.Fatalf("fourth album: %d %s", got.status, got.body)
	}
	got := serve(t, s.Handler(), "POST", "/albums", jsonCT, album)
	if got.status != 507 || !strings.Contains(got.body, "the catalogue is full: it holds its limit of 4 albums") {
		t.Errorf("fifth album: %d %s, want 507 naming the limit", got.status, got.body)
	}
	if n := s.store.Len(); n != 4 {
		t.Errorf("store holds %d, want 4", n)
	}
}

func TestFieldLimitIsConfigurable(t *testing.T) {
	s := newTestService(t, Config{MaxFieldBytes: 4})
	got := serve(t, s.Handler(), "POST", "/albums", jsonCT, `{"title":"abcde","artist":"b","price":1}`)
	if got.status != 400 || !strings.Contains(got.body, "title is 5 bytes long, more than the 4 allowed") {
		t.Errorf("got %d %s", got.status, got.body)
	}
}
