package client

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"sync"
	"testing"
)

// rawServer is a minimal HTTP/1.1 server on loopback that answers every
// request with one canned response. It allocates nothing per request, so
// that testing.AllocsPerRun, which counts the whole process, sees the
// client's allocations alone, and benchmarks spend little on the far side.
type rawServer struct {
	URL  string
	ln   net.Listener
	resp []byte

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newRawServer(tb testing.TB, body []byte) *rawServer {
	tb.Helper()
	s, err := listenRaw("127.0.0.1:0", body)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.close)
	return s
}

// listenRaw starts a rawServer at addr.
func listenRaw(addr string, body []byte) (*rawServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &rawServer{
		URL:   "http://" + ln.Addr().String(),
		ln:    ln,
		conns: make(map[net.Conn]struct{}),
	}
	s.resp = append(s.resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "...)
	s.resp = strconv.AppendInt(s.resp, int64(len(body)), 10)
	s.resp = append(s.resp, "\r\n\r\n"...)
	s.resp = append(s.resp, body...)
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *rawServer) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[conn] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(conn)
	}
}

var contentLength = []byte("content-length:")

// serve answers requests on conn until it fails or closes.
func (s *rawServer) serve(conn net.Conn) {
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

func (s *rawServer) close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
