package client

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// connTracker dials a client's connections and keeps an eye on them, for
// two things the HTTP libraries do not offer: ending every connection at
// once (fasthttp has no context to cancel a request with), and knowing how
// a read on them last failed (a library's own error can hide it: fasthttp
// reports a reset before the first response byte as a close, and net/http
// reports a close mid-headers as a malformed header).
type connTracker struct {
	dialer net.Dialer
	// lastErr is the last read failure on any connection, cleared by
	// each request.
	lastErr atomic.Pointer[readFailure]

	mu    sync.Mutex
	ended bool // refuse new connections until reopen
	conns map[*trackedConn]struct{}
}

type readFailure struct{ err error }

func newConnTracker() *connTracker {
	return &connTracker{
		dialer: net.Dialer{KeepAlive: 30 * time.Second},
		conns:  make(map[*trackedConn]struct{}),
	}
}

// dialContext opens a tracked TCP connection; the library adds TLS on top
// when the URL asks for it.
func (t *connTracker) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := t.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: conn, t: t}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		_ = conn.Close()
		return nil, context.Canceled
	}
	t.conns[tc] = struct{}{}
	return tc, nil
}

// dialTimeout is dialContext in fasthttp's form.
func (t *connTracker) dialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return t.dialContext(ctx, "tcp", addr)
}

// endAll closes every connection and refuses new ones until reopen, so
// that an exchange in flight fails at once.
func (t *connTracker) endAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended = true
	for c := range t.conns {
		c.closed.Store(true)
		_ = c.Conn.Close()
	}
}

// reopen accepts new connections again.
func (t *connTracker) reopen() {
	t.mu.Lock()
	t.ended = false
	t.mu.Unlock()
}

// startRequest forgets read failures of earlier requests.
func (t *connTracker) startRequest() {
	if t.lastErr.Load() != nil {
		t.lastErr.Store(nil)
	}
}

// readErr returns the last read failure since startRequest, or nil.
func (t *connTracker) readErr() error {
	if f := t.lastErr.Load(); f != nil {
		return f.err
	}
	return nil
}

// trackedConn records read failures and leaves the tracker when closed.
type trackedConn struct {
	net.Conn
	t      *connTracker
	closed atomic.Bool // by endAll or Close: not to be used again
	await  awaitState
}

func (c *trackedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil {
		c.t.lastErr.Store(&readFailure{err})
	}
	return n, err
}

func (c *trackedConn) Close() error {
	c.closed.Store(true)
	c.t.mu.Lock()
	delete(c.t.conns, c)
	c.t.mu.Unlock()
	return c.Conn.Close()
}
