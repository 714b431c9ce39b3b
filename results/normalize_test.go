package results

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
)

func TestNormalizeError(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 54321}, Err: errors.New("connect: connection refused")}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"dial refused", errors.New("dial tcp 127.0.0.1:54321: connect: connection refused"), "dial tcp: connect: connection refused"},
		{"dial refused other port", errors.New("dial tcp 127.0.0.1:40000: connect: connection refused"), "dial tcp: connect: connection refused"},
		{"structured dial error", refused, "dial tcp: connect: connection refused"},
		{"ipv6 dial", errors.New("dial tcp [::1]:8080: connect: connection refused"), "dial tcp: connect: connection refused"},
		{"reset with address pair", errors.New("read tcp 127.0.0.1:54321->127.0.0.1:8080: read: connection reset by peer"), "read tcp: read: connection reset by peer"},
		{"broken pipe", errors.New("write tcp [::1]:1234->[::1]:8080: write: broken pipe"), "write tcp: write: broken pipe"},
		{"i/o timeout", errors.New("dial tcp 10.1.2.3:80: i/o timeout"), "dial tcp: i/o timeout"},
		{"dns", errors.New("dial tcp: lookup nosuch.invalid on 127.0.0.53:53: no such host"), "dial tcp: lookup nosuch.invalid: no such host"},
		{"url error unwrapped", &url.Error{Op: "Get", URL: "http://127.0.0.1:8080/albums/123456", Err: errors.New("EOF")}, "EOF"},
		{"url error text", errors.New(`Get "http://127.0.0.1:8080/albums/7": EOF`), "EOF"},
		{"url error around dial", &url.Error{Op: "Post", URL: "http://127.0.0.1:1/albums", Err: refused}, "dial tcp: connect: connection refused"},
		{"fasthttp dial", errors.New("error when dialing 127.0.0.1:8080: dial tcp4 127.0.0.1:8080: connect: connection refused"), "error when dialing: dial tcp4: connect: connection refused"},
		{"host:port", errors.New("dial tcp localhost:39001: connect: connection refused"), "dial tcp: connect: connection refused"},
		{"http status kept", errors.New("HTTP 503 Service Unavailable"), "HTTP 503 Service Unavailable"},
		{"context", context.DeadlineExceeded, "context deadline exceeded"},
		{"wrapped", fmt.Errorf("request: %w", errors.New("dial tcp 127.0.0.1:1: connect: connection refused")), "request: dial tcp: connect: connection refused"},
		{"long ids masked", errors.New("album 1234567 not found"), "album N not found"},
		{"short numbers kept", errors.New("HTTP 404 after 3 tries"), "HTTP 404 after 3 tries"},
		{"pointers masked", errors.New("object at 0xc000123456 closed"), "object at 0x... closed"},
		{"clock time kept", errors.New("retry at 10:30"), "retry at 10:30"},
		{"whitespace collapsed", errors.New("  unexpected \n EOF "), "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeError(tt.err); got != tt.want {
				t.Errorf("NormalizeError(%q) = %q, want %q", errText(tt.err), got, tt.want)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestNormalizeErrorTruncatesLongTexts(t *testing.T) {
	got := NormalizeErrorText(strings.Repeat("é", 1000))
	if len(got) > maxErrorText || !strings.HasSuffix(got, "...") {
		t.Fatalf("len %d, suffix %q; want at most %d bytes ending in ...", len(got), got[len(got)-5:], maxErrorText)
	}
	if !strings.HasPrefix(got, "éé") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("truncation split a rune: %q", got[len(got)-10:])
	}
}

func TestStatusFailure(t *testing.T) {
	tests := map[int]string{
		503: "HTTP 503 Service Unavailable",
		404: "HTTP 404 Not Found",
		599: "HTTP 599",
	}
	for code, want := range tests {
		if got := StatusFailure(code); got != want {
			t.Errorf("StatusFailure(%d) = %q, want %q", code, got, want)
		}
	}
}
