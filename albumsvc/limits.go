package albumsvc

import (
	"bytes"
	"encoding/json"
	"net"
	"strconv"
	"sync"
	"unicode/utf8"
)

// limitListener accepts at most n connections at once: at the cap it stops
// accepting, and new connections wait in the kernel's backlog until one
// closes, rather than taking descriptors the process needs.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &serverConn{Conn: c, release: func() { <-l.slots }}, nil
}

// serverConn gives its slot back when closed, and turns the plain-text
// error responses that net/http writes itself, before any handler runs
// (400 for a malformed request, 431 for oversized headers, 501, 505, 417),
// into the JSON every other answer of the service is.
type serverConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *serverConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// CloseWrite lets net/http half-close after an error answer, as it does on
// a bare TCP connection, so the client reads the answer before the reset.
func (c *serverConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *serverConn) Write(b []byte) (int, error) {
	if j, ok := jsonTransportError(b); ok {
		if _, err := c.Conn.Write(j); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

var (
	http11          = []byte("HTTP/1.1 ")
	headerEnd       = []byte("\r\n\r\n")
	jsonContentType = []byte("\r\nContent-Type: application/json")
)

// jsonTransportError rewrites b when it is a whole error response that is
// not JSON: only net/http's own answers are, since every handler here
// answers JSON. They all close the connection, so the new framing is safe.
func jsonTransportError(b []byte) ([]byte, bool) {
	if !bytes.HasPrefix(b, http11) || len(b) < len(http11)+3 {
		return nil, false
	}
	code, err := strconv.Atoi(string(b[len(http11) : len(http11)+3]))
	if err != nil || code < 400 {
		return nil, false
	}
	head, body, found := bytes.Cut(b, headerEnd)
	if !found || bytes.Contains(head, jsonContentType) {
		return nil, false
	}
	status, _, _ := bytes.Cut(head[len(http11):], []byte("\r\n"))
	msg := string(body)
	if msg == "" {
		msg = string(status)
	}
	j, _ := json.Marshal(errorBody{Error: msg})
	j = append(j, '\n')
	out := make([]byte, 0, len(j)+128)
	out = append(out, http11...)
	out = append(out, status...)
	out = append(out, "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "...)
	out = strconv.AppendInt(out, int64(len(j)), 10)
	out = append(out, headerEnd...)
	return append(out, j...), true
}

// maxEcho bounds the part of a client's value that an error message
// quotes back: enough to recognise it, never a megabyte.
const maxEcho = 64

// echo quotes s for an error message, cut to maxEcho bytes with its full
// length said when longer.
func echo(s string) string {
	head, more := cut(s)
	return strconv.Quote(head) + more
}

// clip is echo without the quotes, for values that are words.
func clip(s string) string {
	head, more := cut(s)
	return head + more
}

func cut(s string) (head, more string) {
	if len(s) <= maxEcho {
		return s, ""
	}
	n := maxEcho
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], "... (" + strconv.Itoa(len(s)) + " bytes)"
}
