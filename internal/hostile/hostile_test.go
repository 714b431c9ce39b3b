package hostile

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// exchange sends a GET and returns what arrives within wait, at most limit
// bytes.
func exchange(t *testing.T, url string, wait time.Duration, limit int) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	b, _ := io.ReadAll(io.LimitReader(conn, int64(limit)))
	return string(b)
}

func TestModesMisbehaveAsDocumented(t *testing.T) {
	tests := []struct {
		mode   Mode
		opts   Options
		limit  int
		prefix string // what the answer starts with
		min    int    // bytes at least
		max    int    // bytes at most
	}{
		{HugeLength, Options{}, 1 << 20, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9223372036854775807\r\n\r\n", 1 << 20, 1 << 20},
		{HugeLength, Options{DeclaredLength: 1 << 40}, 100, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1099511627776\r\n", 100, 100},
		{HugeChunk, Options{}, 1 << 20, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffff\r\n", 1 << 20, 1 << 20},
		{Endless, Options{}, 1 << 20, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n8000\r\n", 1 << 20, 1 << 20},
		{BigHeaders, Options{HeaderSize: 20 << 10}, 1 << 20, "HTTP/1.1 200 OK\r\n", 20 << 10, 22 << 10},
		{EndlessHeaders, Options{}, 1 << 20, "HTTP/1.1 200 OK\r\n", 1 << 20, 1 << 20},
		{GarbageStatus, Options{}, 1 << 10, GarbageStatusLine, len(GarbageStatusLine), 100},
		{Never, Options{}, 1 << 10, "", 0, 0},
		{SlowBody, Options{Interval: 100 * time.Millisecond}, 1 << 10, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n", 66, 69},
	}
	for _, tc := range tests {
		t.Run(string(tc.mode), func(t *testing.T) {
			s := New(t, tc.mode, tc.opts)
			// A mode that must fill the limit ends the read when it does,
			// however slowly a busy machine sends a megabyte; the others
			// are judged by what a quarter of a second brings.
			wait := 250 * time.Millisecond
			if tc.min == tc.limit {
				wait = 30 * time.Second
			}
			got := exchange(t, s.URL, wait, tc.limit)
			if !strings.HasPrefix(got, tc.prefix) || len(got) < tc.min || len(got) > tc.max {
				t.Errorf("got %d bytes starting %.120q, want %d to %d starting %q", len(got), got, tc.min, tc.max, tc.prefix)
			}
		})
	}
}

func TestBigBodyIsWellFormedAndKeptAlive(t *testing.T) {
	s := New(t, BigBody, Options{BodySize: 3<<20 + 7})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for range 2 {
		_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || n != 3<<20+7 || resp.ContentLength != n {
			t.Fatalf("body %d bytes (declared %d), %v; want %d", n, resp.ContentLength, err, 3<<20+7)
		}
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range Modes() {
		if got, err := ParseMode(string(m)); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %q, %v", m, got, err)
		}
	}
	if _, err := ParseMode("polite"); err == nil || !strings.Contains(err.Error(), "huge-length") {
		t.Errorf("ParseMode(polite): %v, want an error listing the modes", err)
	}
}
