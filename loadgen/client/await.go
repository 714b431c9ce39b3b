package client

import "syscall"

// Sending a request and then reading its response the usual way costs a
// read that finds nothing: the response cannot be there yet, so the read
// fails with EAGAIN and only then does the goroutine wait for the poller.
// That read is a third of the system calls of a request on loopback. An
// awaited write instead writes the request from inside the connection's
// raw read, after the runtime has reset its readiness and before it
// waits: the response, which cannot come before the request has gone,
// then wakes the goroutine, and the read that follows finds it.

// Where an awaited write is in its exchange.
const (
	awaitWriting = iota // the first call of the raw read writes the request
	awaitWaiting        // written whole; the next call means readable
)

// awaitState is a connection's awaited write: the bytes still to write and
// the raw read's callback, made once per connection so that a request
// allocates nothing.
type awaitState struct {
	raw     syscall.RawConn // nil until the first awaited write; unset when the connection has none
	none    bool            // the connection has no raw descriptor
	fn      func(fd uintptr) bool
	pending []byte
	step    int
}

// writeAwait writes p whole and returns once the connection is readable,
// has failed or has passed its deadline; the read that follows tells which.
// A write the socket cannot take at once is finished by the connection's
// own Write, which waits for room and reports failures as usual.
func (c *trackedConn) writeAwait(p []byte) (int, error) {
	a := &c.await
	if a.raw == nil && !a.none {
		sc, ok := c.Conn.(syscall.Conn)
		var raw syscall.RawConn
		var err error
		if ok {
			raw, err = sc.SyscallConn()
		}
		if !ok || err != nil {
			a.none = true
		} else {
			a.raw, a.fn = raw, c.awaitCall
		}
	}
	if a.none {
		return c.Conn.Write(p)
	}
	a.pending, a.step = p, awaitWriting
	// An error of the wait (a deadline, a close) is met again by the read.
	_ = a.raw.Read(a.fn)
	rest := a.pending
	a.pending = nil
	if len(rest) == 0 {
		return len(p), nil
	}
	n, err := c.Conn.Write(rest)
	return len(p) - len(rest) + n, err
}

// awaitCall is the raw read's callback: its first call writes, and asks to
// wait when the whole request went; a later call means the wait is over.
func (c *trackedConn) awaitCall(fd uintptr) bool {
	a := &c.await
	if a.step != awaitWriting {
		return true
	}
	for len(a.pending) > 0 {
		n, err := syscall.Write(int(fd), a.pending)
		if n > 0 {
			a.pending = a.pending[n:]
		}
		switch {
		case err == syscall.EINTR:
		case err != nil:
			// Full, or failed: Write finishes or reports it.
			return true
		case n <= 0:
			return true
		}
	}
	a.step = awaitWaiting
	return false
}

// awaitWriter is the writer a request is rendered into: it writes through
// the connection until final is set, and then awaits the response with
// its last bytes.
type awaitWriter struct {
	c     *trackedConn
	final bool
}

func (w *awaitWriter) Write(p []byte) (int, error) {
	if w.final {
		return w.c.writeAwait(p)
	}
	return w.c.Write(p)
}
