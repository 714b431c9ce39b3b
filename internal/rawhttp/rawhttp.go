// Package rawhttp is a minimal HTTP/1.1 server for tests and benchmarks. It
// answers every request with one canned response and allocates nothing per
// request, so that testing.AllocsPerRun, which counts the whole process,
// sees the client side alone, and benchmarks spend little on the far side.
package rawhttp

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// Server is a running raw server.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL  string
	ln   net.Listener
	resp []byte
	hold HoldFunc

	accepted atomic.Int64

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// Accepted is the number of connections the server has accepted.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }

// Open is the number of connections open now.
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// New starts a server on a free loopback port that answers 200 with body,
// and closes it when the test ends.
func New(tb testing.TB, body []byte) *Server {
	return NewStatus(tb, 200, body)
}

// NewStatus is New with another status code.
func NewStatus(tb testing.TB, status int, body []byte) *Server {
	tb.Helper()
	s, err := Listen("127.0.0.1:0", status, body)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// HoldFunc decides, for each request read on conn, whether to answer it
// later: when it returns true the server writes nothing, and the caller
// writes resp, the canned response, to conn when it chooses (a target that
// stalls). resp must not be modified.
type HoldFunc func(conn net.Conn, resp []byte) bool

// NewHolding is NewStatus with a HoldFunc, called for every request.
func NewHolding(tb testing.TB, status int, body []byte, hold HoldFunc) *Server {
	tb.Helper()
	s, err := listen("127.0.0.1:0", status, body, hold, "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// NewWithHeader is NewStatus with more header lines in every response,
// such as "Set-Cookie: sid=1; Path=/", each ended by CRLF.
func NewWithHeader(tb testing.TB, status int, body []byte, header string) *Server {
	tb.Helper()
	s, err := listen("127.0.0.1:0", status, body, nil, header)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Listen starts a server at addr that answers status with body.
func Listen(addr string, status int, body []byte) (*Server, error) {
	return listen(addr, status, body, nil, "")
}

func listen(addr string, status int, body []byte, hold HoldFunc, header string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL:   "http://" + ln.Addr().String(),
		ln:    ln,
		conns: make(map[net.Conn]struct{}),
		hold:  hold,
	}
	s.resp = append(s.resp, "HTTP/1.1 "...)
	s.resp = strconv.AppendInt(s.resp, int64(status), 10)
	s.resp = append(s.resp, " X\r\n"...)
	s.resp = append(s.resp, header...)
	s.resp = append(s.resp, "Content-Type: application/json\r\nContent-Length: "...)
	s.resp = strconv.AppendInt(s.resp, int64(len(body)), 10)
	s.resp = append(s.resp, "\r\n\r\n"...)
	s.resp = append(s.resp, body...)
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		s.mu.Lock()
		s.conns[conn] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(conn)
	}
}

var contentLength = []byte("content-length:")

// serve answers requests on conn until it fails or closes.
func (s *Server) serve(conn net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		_ = conn.Close()
	}()
	br := bufio.NewReaderSize(conn, 8<<10)
	for {
		// Request line and headers; only the body length matters.
		length, lines := 0, 0
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			lines++
			line = bytes.TrimRight(line, "\r\n")
			if len(line) == 0 {
				if lines == 1 {
					return // no request line
				}
				break
			}
			if len(line) > len(contentLength) && bytes.EqualFold(line[:len(contentLength)], contentLength) {
				n, ok := parseUint(bytes.TrimSpace(line[len(contentLength):]))
				if !ok {
					return
				}
				length = n
			}
		}
		if _, err := br.Discard(length); err != nil {
			return
		}
		if s.hold != nil && s.hold(conn, s.resp) {
			continue // the client sends nothing more until it is answered
		}
		if _, err := conn.Write(s.resp); err != nil {
			return
		}
	}
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

// Wait blocks until the server is closed.
func (s *Server) Wait() { s.wg.Wait() }

// Close stops the server and closes its connections.
func (s *Server) Close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
