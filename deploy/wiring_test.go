package deploy_test

import (
	"net"
	"net/url"
	"strings"
	"testing"
)

// flagValue returns the value of --name in args (--name=v or --name v).
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// listenAddr returns the port of a listen address, which must not be
// loopback (out of the other containers' reach).
func listenAddr(t *testing.T, what string, args []string, flag string) string {
	t.Helper()
	v, _ := flagValue(args, flag)
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		t.Fatalf("%s %q: %v", what, v, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		t.Errorf("%s %q is loopback, out of the other containers' reach", what, v)
	}
	return port
}

// checkURL checks that --flag is an http URL of host:port.
func checkURL(t *testing.T, what string, args []string, flag, host, port string) {
	t.Helper()
	v, _ := flagValue(args, flag)
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "http" || u.Hostname() != host || u.Port() != port {
		t.Errorf("%s %q: want http://%s:%s", what, v, host, port)
	}
}
