package control

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// ErrNoToken is returned by ListenCheck for a non-loopback address without
// a token.
var ErrNoToken = errors.New("a control port reachable from other machines needs a token")

// ListenCheck refuses to open a control port that other machines can reach
// without a token. A worker generates whatever load its coordinator asks
// for, so an unauthenticated coordinator port, or anything able to pose as
// one, is an open relay for attacks on third parties. Loopback addresses
// (127.0.0.0/8, ::1, localhost) are fine without a token; every other
// address, including an empty host or a host name, needs one.
func ListenCheck(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if token != "" || isLoopbackHost(host) {
		return nil
	}
	what := "every interface"
	if host != "" && host != "0.0.0.0" && host != "::" {
		what = "a non-loopback address"
	}
	return fmt.Errorf("refusing to listen on %s (%s) without a token: "+
		"a worker generates whatever load its coordinator asks for, so an open control port is an open relay for attacks; "+
		"set a shared token or listen on 127.0.0.1: %w", addr, what, ErrNoToken)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen checks addr with ListenCheck, then listens on it.
func Listen(addr, token string) (net.Listener, error) {
	if err := ListenCheck(addr, token); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("control listener: %w", err)
	}
	return ln, nil
}

// NewToken returns a random 256-bit token in hex, for a coordinator that
// starts its own workers and hands them the token.
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("making a token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// tokenCheck compares bearer tokens in constant time. Both sides are
// hashed first, so that neither the comparison's time nor its early exit
// on a length mismatch tells an attacker anything about the token.
type tokenCheck struct {
	enabled bool
	sum     [sha256.Size]byte
}

func newTokenCheck(token string) tokenCheck {
	if token == "" {
		return tokenCheck{}
	}
	return tokenCheck{enabled: true, sum: sha256.Sum256([]byte(token))}
}

func (t tokenCheck) ok(r *http.Request) bool {
	if !t.enabled {
		return true
	}
	got, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1
}

// setToken adds the bearer token to a request to the coordinator.
func setToken(r *http.Request, token string) {
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
}
