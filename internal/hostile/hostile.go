// Package hostile is an HTTP target that misbehaves on purpose: it declares
// bodies it never sends, sends bodies that never end, headers that never
// end, garbage instead of a status line, or nothing at all. Tests point the
// load generator's clients at it to show what a broken or malicious target
// may cost them: a bounded amount of memory and time, and a failure that
// says what happened.
//
// Every mode answers every request on a connection the same way. The modes
// that write without end stop when the client goes away or the server is
// closed, so no test can leave one running.
package hostile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/rawhttp"
)

// Mode is one way of misbehaving.
type Mode string

// The modes. Each is named for what the response does.
const (
	// HugeLength declares Content-Length 2^63-1 (or Options.DeclaredLength)
	// and then sends body bytes for as long as the client reads.
	HugeLength Mode = "huge-length"
	// HugeChunk sends a chunked body whose first chunk declares
	// 0xfffffffffff bytes (17.6 TB), then sends bytes for as long as the
	// client reads.
	HugeChunk Mode = "huge-chunk"
	// Endless sends a chunked body of well-formed 32 KiB chunks without end.
	Endless Mode = "endless"
	// BigBody sends a well-formed body of Options.BodySize bytes with its
	// Content-Length, as fast as the client reads it.
	BigBody Mode = "big-body"
	// BigHeaders sends a well-formed response whose header block is about
	// Options.HeaderSize bytes, in lines of at most 4 KiB, and a short body.
	BigHeaders Mode = "big-headers"
	// EndlessHeaders sends header lines without end.
	EndlessHeaders Mode = "endless-headers"
	// GarbageStatus sends a status line that is not HTTP, with bytes that
	// are not text, and keeps the connection open.
	GarbageStatus Mode = "garbage-status"
	// Never reads the request and never answers, keeping the connection
	// open.
	Never Mode = "never"
	// SlowBody declares a 100-byte body and sends one byte of it every
	// Options.Interval.
	SlowBody Mode = "slow-body"
)

// Modes lists every mode.
func Modes() []Mode {
	return []Mode{HugeLength, HugeChunk, Endless, BigBody, BigHeaders, EndlessHeaders, GarbageStatus, Never, SlowBody}
}

// ParseMode checks a mode name.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes() {
		if string(m) == s {
			return m, nil
		}
	}
	names := make([]string, 0, len(Modes()))
	for _, m := range Modes() {
		names = append(names, string(m))
	}
	return "", fmt.Errorf("unknown mode %q: want one of %s", s, strings.Join(names, ", "))
}

// Defaults for Options fields left zero.
const (
	DefaultBodySize   = 64 << 20
	DefaultHeaderSize = 60 << 10
	DefaultInterval   = time.Second
	// GarbageStatusLine is what GarbageStatus sends before its headers.
	GarbageStatusLine = "HTTP/1.1 \x00\xff\xfe OK fine\r\n"
)

// Options tune a mode.
type Options struct {
	// DeclaredLength is HugeLength's Content-Length; zero means 2^63-1.
	DeclaredLength int64
	// BodySize is BigBody's body size; zero means DefaultBodySize.
	BodySize int64
	// HeaderSize is BigHeaders' header block size; zero means
	// DefaultHeaderSize.
	HeaderSize int
	// Interval is SlowBody's time between bytes; zero means
	// DefaultInterval.
	Interval time.Duration
}

// Server is a running hostile target.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL   string
	mode  Mode
	opts  Options
	conns *rawhttp.Conns
	// done is closed by Close, for the modes that write without end;
	// it exists before the first connection is served.
	done      chan struct{}
	closeOnce sync.Once
}

// New starts a server in mode on a free loopback port and closes it when
// the test ends.
func New(tb testing.TB, mode Mode, opts Options) *Server {
	tb.Helper()
	s, err := Listen("127.0.0.1:0", mode, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Listen starts a server in mode at addr.
func Listen(addr string, mode Mode, opts Options) (*Server, error) {
	if _, err := ParseMode(string(mode)); err != nil {
		return nil, err
	}
	if opts.DeclaredLength == 0 {
		opts.DeclaredLength = 1<<63 - 1
	}
	if opts.BodySize == 0 {
		opts.BodySize = DefaultBodySize
	}
	if opts.HeaderSize == 0 {
		opts.HeaderSize = DefaultHeaderSize
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{mode: mode, opts: opts, done: make(chan struct{})}
	s.conns = rawhttp.Serve(ln, s.serve)
	s.URL = s.conns.URL()
	return s, nil
}

// Close stops the server and closes its connections.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	s.conns.Close()
}

// Wait blocks until the server is closed.
func (s *Server) Wait() { s.conns.Wait() }

// serve reads requests on conn and answers each in the server's mode.
func (s *Server) serve(conn net.Conn) {
	br := bufio.NewReaderSize(conn, 4<<10)
	bw := bufio.NewWriterSize(conn, 16<<10)
	for {
		head, err := rawhttp.ReadHead(br)
		if err != nil {
			return
		}
		if !s.answer(br, bw, head) {
			return
		}
		if err := bw.Flush(); err != nil {
			return
		}
	}
}

// hold keeps a connection open, without answering, until the client closes
// it or the server closes.
func hold(br *bufio.Reader) {
	_, _ = io.Copy(io.Discard, br)
}

// filler is what bodies are made of.
var filler = bytes.Repeat([]byte("0123456789abcdef"), 2<<10) // 32 KiB

// answer writes one response; false means the connection is done.
func (s *Server) answer(br *bufio.Reader, bw *bufio.Writer, head bool) bool {
	switch s.mode {
	case HugeLength:
		fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", s.opts.DeclaredLength)
		return s.stream(bw, nil)
	case HugeChunk:
		bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffff\r\n")
		return s.stream(bw, nil)
	case Endless:
		bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
		return s.stream(bw, []byte("8000\r\n"))
	case BigBody:
		fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", s.opts.BodySize)
		if head {
			return true
		}
		for left := s.opts.BodySize; left > 0; {
			n := min(left, int64(len(filler)))
			if _, err := bw.Write(filler[:n]); err != nil {
				return false
			}
			left -= n
		}
		return true
	case BigHeaders:
		bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n")
		for i, left := 0, s.opts.HeaderSize; left > 0; i++ {
			n := min(left, 4<<10)
			fmt.Fprintf(bw, "X-Big-%d: %s\r\n", i, filler[:n])
			left -= n
		}
		bw.WriteString("\r\n")
		if !head {
			bw.WriteString("ok")
		}
		return true
	case EndlessHeaders:
		bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
		for i := 0; ; i++ {
			if s.closed() {
				return false
			}
			if _, err := fmt.Fprintf(bw, "X-More-%d: %s\r\n", i, filler[:1000]); err != nil {
				return false
			}
		}
	case GarbageStatus:
		bw.WriteString(GarbageStatusLine + "Content-Length: 0\r\n\r\n")
		if bw.Flush() == nil {
			hold(br)
		}
		return false
	case Never:
		hold(br)
		return false
	case SlowBody:
		bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n")
		for range 100 {
			if bw.Flush() != nil {
				return false
			}
			select {
			case <-s.done:
				return false
			case <-time.After(s.opts.Interval):
			}
			bw.WriteByte('x')
		}
		return true
	}
	return false
}

// stream writes filler until the client goes away or the server closes,
// each piece preceded by prefix and followed by CRLF when prefix is set
// (chunks).
func (s *Server) stream(bw *bufio.Writer, prefix []byte) bool {
	for !s.closed() {
		if prefix != nil {
			bw.Write(prefix)
		}
		if _, err := bw.Write(filler); err != nil {
			return false
		}
		if prefix != nil {
			bw.WriteString("\r\n")
		}
	}
	return false
}

func (s *Server) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}
