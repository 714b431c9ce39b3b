package control

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestListenCheck(t *testing.T) {
	tests := []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:5557", "", true},
		{"127.0.0.2:0", "", true},
		{"[::1]:5557", "", true},
		{"localhost:5557", "", true},
		{"0.0.0.0:5557", "", false},
		{":5557", "", false},
		{"[::]:5557", "", false},
		{"10.1.2.3:5557", "", false},
		{"coordinator.example:5557", "", false},
		{"0.0.0.0:5557", "s3cret", true},
		{"10.1.2.3:5557", "s3cret", true},
	}
	for _, tt := range tests {
		err := ListenCheck(tt.addr, tt.token)
		if (err == nil) != tt.ok {
			t.Errorf("ListenCheck(%q, %q) = %v, want ok=%v", tt.addr, tt.token, err, tt.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrNoToken) {
				t.Errorf("ListenCheck(%q): %v does not wrap ErrNoToken", tt.addr, err)
			}
			// The message must say why, not only that.
			for _, want := range []string{tt.addr, "token", "open relay"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("ListenCheck(%q) = %q, want it to mention %q", tt.addr, err, want)
				}
			}
		}
	}
	if err := ListenCheck("no-port", "x"); err == nil || errors.Is(err, ErrNoToken) {
		t.Errorf("an address without a port: got %v, want a parse error", err)
	}
}

func TestListen(t *testing.T) {
	ln, err := Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if _, err := Listen("0.0.0.0:0", ""); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Listen on every interface without a token: %v", err)
	}
}

func TestNewToken(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if len(a) != 64 || a == b {
		t.Fatalf("tokens %q and %q: want two different 64-digit tokens", a, b)
	}
}

func TestTokenCheck(t *testing.T) {
	check := newTokenCheck("s3cret")
	tests := []struct {
		header string
		ok     bool
	}{
		{"Bearer s3cret", true},
		{"", false},
		{"Bearer ", false},
		{"Bearer s3cre", false},
		{"Bearer s3cret2", false},
		{"bearer s3cret", false},
		{"Basic s3cret", false},
		{"s3cret", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		if got := check.ok(r); got != tt.ok {
			t.Errorf("Authorization %q: ok = %v, want %v", tt.header, got, tt.ok)
		}
	}
	open := newTokenCheck("")
	if !open.ok(httptest.NewRequest(http.MethodGet, "/", nil)) {
		t.Error("without a configured token every request should pass")
	}
}
