package control

import (
	"errors"
	"fmt"
	"net"

	"github.com/loadgen/loadgen/internal/netaddr"
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
	if token != "" || netaddr.LoopbackHost(host) {
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
