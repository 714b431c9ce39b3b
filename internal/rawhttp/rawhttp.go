// Package rawhttp is a minimal HTTP/1.1 server for tests and benchmarks. It
// answers every request with one canned response and allocates nothing per
// request, so that testing.AllocsPerRun, which counts the whole process,
// sees the client side alone, and benchmarks spend little on the far side.
package rawhttp

import (
	"bufio"
	"net"
	"strconv"
	"testing"
)

// Server is a running raw server.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL   string
	resp  []byte
	hold  HoldFunc
	conns *Conns
}

// Accepted is the number of connections the server has accepted.
func (s *Server) Accepted() int { return s.conns.Accepted() }

// Open is the number of connections open now.
func (s *Server) Open() int { return s.conns.Open() }

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
	s := &Server{hold: hold}
	s.resp = append(s.resp, "HTTP/1.1 "...)
	s.resp = strconv.AppendInt(s.resp, int64(status), 10)
	s.resp = append(s.resp, " X\r\n"...)
	s.resp = append(s.resp, header...)
	s.resp = append(s.resp, "Content-Type: application/json\r\nContent-Length: "...)
	s.resp = strconv.AppendInt(s.resp, int64(len(body)), 10)
	s.resp = append(s.resp, "\r\n\r\n"...)
	s.resp = append(s.resp, body...)
	s.conns = Serve(ln, s.serve)
	s.URL = s.conns.URL()
	return s, nil
}

// serve answers requests on conn until it fails or closes.
func (s *Server) serve(conn net.Conn) {
	br := bufio.NewReaderSize(conn, 8<<10)
	for {
		if _, err := ReadHead(br); err != nil {
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

// Wait blocks until the server is closed.
func (s *Server) Wait() { s.conns.Wait() }

// Close stops the server and closes its connections.
func (s *Server) Close() { s.conns.Close() }
