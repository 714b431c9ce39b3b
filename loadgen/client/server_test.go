package client

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// testServer is an httptest server on loopback that counts the connections
// it accepts and the requests that reach its handler.
type testServer struct {
	*httptest.Server
	conns atomic.Int64
	reqs  atomic.Int64
	// release unblocks handlers that wait; it is closed before the server,
	// so that Close never waits on a parked handler.
	release chan struct{}
}

func newTestServer(t *testing.T, useTLS bool, h http.HandlerFunc) *testServer {
	t.Helper()
	s := &testServer{release: make(chan struct{})}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.reqs.Add(1)
		h(w, r)
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // expected TLS and hijack noise
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if useTLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(s.release) })
	return s
}

// park blocks a handler until the test ends, the client goes away, or a
// bound passes, so that no test can hang on it.
func (s *testServer) park(r *http.Request) {
	select {
	case <-s.release:
	case <-r.Context().Done():
	case <-time.After(20 * time.Second):
	}
}

// hijack takes the raw connection from a handler, for responses that break
// HTTP on purpose.
func hijack(t *testing.T, w http.ResponseWriter) *net.TCPConn {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return nil
	}
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		t.Errorf("hijacked %T, want *net.TCPConn", conn)
		_ = conn.Close()
		return nil
	}
	return tc
}

// closedAddr returns a loopback URL on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + "/"
}
