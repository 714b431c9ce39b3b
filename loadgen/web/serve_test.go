package web

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestServeCapsAndTimesOutConnections checks that the UI, which shares its
// process's descriptors with the test it runs, holds at most MaxConns
// connections and closes one that sends nothing.
func TestServeCapsAndTimesOutConnections(t *testing.T) {
	srv, err := New(Config{Start: (&fakeStarter{}).start, MaxConns: 2, IdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	addr := ln.Addr().String()
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	get := "GET /api/info HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"

	// Two silent connections fill the cap; a third waits, unserved.
	idle1, idle2 := dial(), dial()
	third := dial()
	_, _ = io.WriteString(third, get)
	br := bufio.NewReader(third)
	_ = third.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	if _, err := br.Peek(1); err == nil {
		t.Fatal("a third connection was answered while two held a cap of 2")
	}
	// The silent ones are closed after the idle timeout, and the third is
	// answered then.
	for _, c := range []net.Conn{idle1, idle2} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("a silent connection got data, want it closed")
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Error("a silent connection was still open after 5s, want it closed after 300ms")
		}
	}
	_ = third.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("third connection: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("third connection: status %d", resp.StatusCode)
	}
}
