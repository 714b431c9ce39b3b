// Package netlimit caps the connections a server holds at once.
package netlimit

import (
	"net"
	"sync"
)

// Listen returns ln accepting at most n connections at once. At the cap it
// stops accepting, and further connections wait in the kernel's backlog,
// where they cost this process no descriptor, until one of its connections
// closes: a flood of idle connections to one server of a process cannot
// take the descriptors its other work needs.
func Listen(ln net.Listener, n int) net.Listener {
	return &listener{Listener: ln, slots: make(chan struct{}, n)}
}

type listener struct {
	net.Listener
	slots chan struct{}
}

func (l *listener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &conn{Conn: c, release: func() { <-l.slots }}, nil
}

// conn gives its slot back once, when first closed.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// CloseWrite keeps the half-close net/http uses after an error answer.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
