package control

import (
	"errors"
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
