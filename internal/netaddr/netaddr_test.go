package netaddr

import (
	"strings"
	"testing"
)

func TestLoopbackHost(t *testing.T) {
	for _, tt := range []struct {
		host string
		want bool
	}{
		{"localhost", true}, {"LOCALHOST", true}, {"LocalHost", true},
		{"127.0.0.1", true}, {"127.1.2.3", true}, {"::1", true}, {"[::1]", true},
		{"", false}, {"0.0.0.0", false}, {"::", false}, {"10.0.0.1", false},
		{"example.com", false}, {"localhost.example.com", false}, {"[::1", false},
	} {
		if got := LoopbackHost(tt.host); got != tt.want {
			t.Errorf("LoopbackHost(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestLoopbackAddr(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:5557", true}, {"Localhost:0", true}, {"[::1]:80", true},
		{":5557", false}, {"0.0.0.0:5557", false}, {"10.1.1.1:1", false}, {"127.0.0.1", false},
	} {
		if got := LoopbackAddr(tt.addr); got != tt.want {
			t.Errorf("LoopbackAddr(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "https://example.com/api", "http://h/", "HTTP://h"} {
		if err := CheckBaseURL(ok); err != nil {
			t.Errorf("CheckBaseURL(%q): %v", ok, err)
		}
	}
	for _, tt := range []struct{ url, want string }{
		{"127.0.0.1:8080", "must start with http://"},
		{"ftp://example", `got scheme "ftp"`},
		{"http://", "no host name"},
		{"http://h/?x=1", "query or fragment"},
		{"http://h/?", "query or fragment"},
		{"http://h/#top", "query or fragment"},
		{"http://h:port/", "not a URL"},
	} {
		err := CheckBaseURL(tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckBaseURL(%q) = %v, want an error with %q", tt.url, err, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://alice:secret@host:8080/api", "http://alice:xxxxx@host:8080/api"},
		{"https://alice:s3cr%40t@host", "https://alice:xxxxx@host"},
		{"https://TOKEN@host/x?y=1", "https://xxxxx@host/x?y=1"},
		{"http://alice:p@ss@host", "http://alice:xxxxx@host"},
		{"http://alice:@host", "http://alice:xxxxx@host"},
		{"http://host/path@x", "http://host/path@x"},
		{"http://host?q=a@b", "http://host?q=a@b"},
		{"ftp://u:pw@host:bad port", "ftp://u:xxxxx@host:bad port"},
		{"not a url u:pw@host", "not a url u:pw@host"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(RedactURL(tt.in), "secret") {
			t.Errorf("RedactURL(%q) keeps the secret", tt.in)
		}
	}
}
