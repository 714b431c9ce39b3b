package rawhttp

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"sync"
	"sync/atomic"
)

// Conns accepts connections and serves each on a goroutine of its own,
// keeping them so that Close ends them all: the part of a test server that
// is the same whatever it answers, and however it misbehaves.
type Conns struct {
	ln       net.Listener
	serve    func(net.Conn)
	accepted atomic.Int64
	done     chan struct{}

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// Serve accepts connections on ln until Close, and hands each to serve on
// a goroutine of its own; the connection is closed when serve returns.
func Serve(ln net.Listener, serve func(net.Conn)) *Conns {
	c := &Conns{ln: ln, serve: serve, done: make(chan struct{}), conns: make(map[net.Conn]struct{})}
	c.wg.Add(1)
	go c.accept()
	return c
}

// URL is the listener's base URL, http://ADDR.
func (c *Conns) URL() string { return "http://" + c.ln.Addr().String() }

// Accepted is the number of connections accepted so far.
func (c *Conns) Accepted() int { return int(c.accepted.Load()) }

// Open is the number of connections open now.
func (c *Conns) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.conns)
}

// closed reports whether Close was called.
func (c *Conns) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Close stops accepting, closes every connection and waits for their
// goroutines.
func (c *Conns) Close() {
	c.mu.Lock()
	if !c.closed() {
		close(c.done)
	}
	_ = c.ln.Close()
	for conn := range c.conns {
		_ = conn.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// Wait blocks until the server is closed.
func (c *Conns) Wait() { c.wg.Wait() }

func (c *Conns) accept() {
	defer c.wg.Done()
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.accepted.Add(1)
		c.mu.Lock()
		if c.closed() {
			c.mu.Unlock()
			_ = conn.Close()
			return
		}
		c.conns[conn] = struct{}{}
		c.wg.Add(1)
		c.mu.Unlock()
		go c.run(conn)
	}
}

func (c *Conns) run(conn net.Conn) {
	defer c.wg.Done()
	defer func() {
		c.mu.Lock()
		delete(c.conns, conn)
		c.mu.Unlock()
		_ = conn.Close()
	}()
	c.serve(conn)
}

var contentLength = []byte("content-length:")

// errBadRequest is any request ReadHead cannot read.
var errBadRequest = errors.New("rawhttp: malformed request")

// ReadHead reads a request's line and headers and discards its body,
// allocating nothing; head reports a HEAD request. Only the body's
// length matters to the servers here.
func ReadHead(br *bufio.Reader) (head bool, err error) {
	length, lines := 0, 0
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		lines++
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if lines == 1 {
				return false, errBadRequest // no request line
			}
			break
		}
		if lines == 1 {
			head = bytes.HasPrefix(line, []byte("HEAD "))
			continue
		}
		if len(line) > len(contentLength) && bytes.EqualFold(line[:len(contentLength)], contentLength) {
			n, ok := parseUint(bytes.TrimSpace(line[len(contentLength):]))
			if !ok {
				return false, errBadRequest
			}
			length = n
		}
	}
	_, err = br.Discard(length)
	return head, err
}

// parseUint parses a decimal length without allocating.
func parseUint(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 12 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
