//go:build linux

package netfloor

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Config is a workload of connections that each send one request per
// Period, their first sends spread evenly over the first Period.
type Config struct {
	// Addr is the target, an IPv4 or IPv6 address and port.
	Addr netip.AddrPort
	// Conns is the number of connections, one per simulated user.
	Conns int
	// Period is how often each connection sends its request.
	Period time.Duration
	// Duration is how long requests are sent for.
	Duration time.Duration
	// Request is the whole HTTP/1.1 request each send writes; its
	// response must have a Content-Length.
	Request []byte
}

// Result is what a run did and cost.
type Result struct {
	// Sent and Received count requests written and responses read whole.
	Sent, Received int
	// CPU is the user and system time of the thread that drove every
	// connection, from before the first dial to after the last response.
	CPU time.Duration
}

// PerRequest is CPU divided by the responses received.
func (r Result) PerRequest() time.Duration {
	if r.Received == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Received)
}

// conn is one connection's state.
type conn struct {
	fd   int
	due  time.Duration // next send, since the start
	busy bool          // a request was sent and its response is not whole
	got  []byte        // the response read so far
}

// Run dials cfg.Conns connections, runs the workload for cfg.Duration and
// waits for the last responses. It runs on one locked thread, whose CPU
// time it measures.
func Run(cfg Config) (Result, error) {
	if cfg.Conns <= 0 || cfg.Period <= 0 || cfg.Duration <= 0 || len(cfg.Request) == 0 {
		return Result{}, errors.New("netfloor: Conns, Period, Duration and Request must all be set")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0, err := threadCPU()
	if err != nil {
		return Result{}, err
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return Result{}, fmt.Errorf("netfloor: epoll: %w", err)
	}
	defer unix.Close(ep)
	conns := make([]conn, cfg.Conns)
	defer func() {
		for _, c := range conns {
			if c.fd > 0 {
				_ = unix.Close(c.fd)
			}
		}
	}()
	start := time.Now()
	for i := range conns {
		if conns[i].fd, err = dial(ep, cfg.Addr, i); err != nil {
			return Result{}, err
		}
		conns[i].due = cfg.Period * time.Duration(i) / time.Duration(cfg.Conns)
	}
	res, err := drive(ep, conns, cfg, start)
	cpu1, cerr := threadCPU()
	res.CPU = cpu1 - cpu0
	return res, errors.Join(err, cerr)
}

// dial connects a blocking socket, which is the cheapest way on loopback,
// then makes it non-blocking and adds it to the epoll set as index i.
func dial(ep int, addr netip.AddrPort, i int) (int, error) {
	var sa unix.Sockaddr
	family := unix.AF_INET
	if addr.Addr().Is4() {
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("netfloor: socket %d: %w", i, err)
	}
	if err := unix.Connect(fd, sa); err != nil {
		_ = unix.Close(fd)
		return 0, fmt.Errorf("netfloor: connecting %d to %v: %w", i, addr, err)
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return 0, fmt.Errorf("netfloor: socket %d: %w", i, err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		_ = unix.Close(fd)
		return 0, fmt.Errorf("netfloor: epoll add %d: %w", i, err)
	}
	return fd, nil
}

// drive is the event loop: send what is due, sleep in epoll until the
// next due time or a response, read what came.
func drive(ep int, conns []conn, cfg Config, start time.Time) (Result, error) {
	var res Result
	events := make([]unix.EpollEvent, 256)
	buf := make([]byte, 64<<10)
	for {
		now := time.Since(start)
		sending := now < cfg.Duration
		next := time.Duration(-1)
		for i := range conns {
			c := &conns[i]
			if c.busy {
				continue
			}
			if sending && c.due <= now {
				if _, err := unix.Write(c.fd, cfg.Request); err != nil {
					return res, fmt.Errorf("netfloor: writing on %d: %w", i, err)
				}
				c.busy = true
				c.due += cfg.Period
				res.Sent++
				continue
			}
			if sending && (next < 0 || c.due < next) {
				next = c.due
			}
		}
		if !sending && res.Received == res.Sent {
			return res, nil
		}
		timeout := -1
		if next >= 0 {
			// epoll waits in whole milliseconds, as Go's own poller does.
			timeout = int((next - time.Since(start) + time.Millisecond - 1) / time.Millisecond)
			timeout = max(timeout, 0)
		} else if !sending {
			timeout = 10_000 // the last responses
		}
		n, err := unix.EpollWait(ep, events, timeout)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return res, fmt.Errorf("netfloor: epoll wait: %w", err)
		}
		if n == 0 && !sending && timeout > 0 {
			return res, fmt.Errorf("netfloor: %d responses never came", res.Sent-res.Received)
		}
		for _, ev := range events[:max(n, 0)] {
			done, err := read(&conns[ev.Fd], buf)
			if err != nil {
				return res, fmt.Errorf("netfloor: reading on %d: %w", ev.Fd, err)
			}
			if done {
				res.Received++
			}
		}
	}
}

// read takes what the socket has and reports whether the response is now
// whole, by its headers' end and Content-Length.
func read(c *conn, buf []byte) (bool, error) {
	n, err := unix.Read(c.fd, buf)
	if errors.Is(err, unix.EAGAIN) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if n == 0 {
		return false, errors.New("the target closed the connection")
	}
	c.got = append(c.got, buf[:n]...)
	end := bytes.Index(c.got, []byte("\r\n\r\n"))
	if end < 0 {
		return false, nil
	}
	length, err := contentLength(c.got[:end])
	if err != nil {
		return false, err
	}
	if len(c.got) < end+4+length {
		return false, nil
	}
	c.got = c.got[:0]
	c.busy = false
	return true, nil
}

func contentLength(head []byte) (int, error) {
	for _, line := range bytes.Split(head, []byte("\r\n"))[1:] {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")) {
			n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
			return n, nil
		}
	}
	return 0, errors.New("a response without Content-Length")
}

func threadCPU() (time.Duration, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0, fmt.Errorf("netfloor: thread CPU: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
