// Package netaddr holds the address checks every listener and every
// target URL of loadgen goes through, so that they agree: which hosts are
// this machine only, and what a base URL may look like.
package netaddr

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// LoopbackHost reports whether host, without a port and with or without
// IPv6 brackets, names this machine only: "localhost" in any case, or an
// address in 127.0.0.0/8 or ::1. Any other name, the empty host and the
// unspecified addresses (0.0.0.0, ::) are reachable from elsewhere, or may
// be.
func LoopbackHost(host string) bool {
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoopbackHostHeader reports whether an HTTP request's Host header, with
// or without a port, names this machine only. A server that takes
// requests without credentials checks it, so that a web page elsewhere
// cannot reach it through DNS rebinding: its name would not be one of
// these.
func LoopbackHostHeader(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return LoopbackHost(host)
}

// LoopbackAddr reports whether a host:port listen address is on
// loopback only; an address that does not split is not.
func LoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && LoopbackHost(host)
}

// CheckBaseURL accepts an absolute http:// or https:// URL with a host and
// neither query nor fragment: a base that paths are appended to, such as a
// load test's target or a coordinator's address. Its errors do not repeat
// the URL; callers name the setting and the value.
func CheckBaseURL(s string) error {
	if !strings.Contains(s, "://") {
		return errors.New("must start with http:// or https://")
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("not a URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("want an http:// or https:// URL, got scheme %q", u.Scheme)
	case u.Host == "":
		return errors.New("no host name in the URL")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return errors.New("a base URL may not have a query or fragment; put those in task paths")
	}
	return nil
}

// Redacted is the mark that stands for a secret in a redacted URL.
const Redacted = "xxxxx"

// RedactURL hides the credentials in a URL's user information so that it
// can be printed, logged or saved: http://alice:secret@host becomes
// http://alice:xxxxx@host, and a lone user part, often a token
// (https://TOKEN@host), becomes xxxxx. Anything without user
// information is returned as it is. It does not need a valid URL: a
// mistyped one quoted in an error message is redacted the same way.
func RedactURL(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	start := i + len("://")
	end := len(s)
	if j := strings.IndexAny(s[start:], "/?#"); j >= 0 {
		end = start + j
	}
	at := strings.LastIndex(s[start:end], "@")
	if at < 0 {
		return s
	}
	user, _, hasPassword := strings.Cut(s[start:start+at], ":")
	info := Redacted
	if hasPassword {
		info = user + ":" + Redacted
	}
	return s[:start] + info + s[start+at:]
}
