package client

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestConnectOpensTheConnectionTheFirstRequestUses checks, for every kind
// of client that is a Connector, that Connect opens one connection before
// any request, that the requests after it use that connection, and that a
// second Connect keeps it. The net/http client is no Connector: it opens
// connections only for requests.
func TestConnectOpensTheConnectionTheFirstRequestUses(t *testing.T) {
	var conns, reqs atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		reqs.Add(1)
		_, _ = w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	for _, kind := range Kinds() {
		conns.Store(0)
		reqs.Store(0)
		c, err := New(kind, Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		cn, ok := c.(Connector)
		if kind == KindNetHTTP {
			if ok {
				t.Errorf("%s: a Connector, but net/http cannot connect ahead of a request", kind)
			}
			_ = c.Close()
			continue
		}
		if !ok {
			t.Fatalf("%s: not a Connector", kind)
		}
		for range 2 {
			if err := cn.Connect(context.Background(), srv.URL+"/albums/1"); err != nil {
				t.Fatalf("%s: Connect: %v", kind, err)
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		for conns.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n, r := conns.Load(), reqs.Load(); n != 1 || r != 0 {
			t.Fatalf("%s: after Connect the server saw %d connections and %d requests, want 1 and 0", kind, n, r)
		}
		for range 3 {
			req := Request{Method: "GET", URL: srv.URL + "/albums/1"}
			if resp, err := c.Do(context.Background(), &req); err != nil || resp.Status != 200 {
				t.Fatalf("%s: Do after Connect: %v, %d", kind, err, resp.Status)
			}
		}
		if n, r := conns.Load(), reqs.Load(); n != 1 || r != 3 {
			t.Errorf("%s: the server saw %d connections and %d requests, want the 3 requests on the one connection", kind, n, r)
		}
		_ = c.Close()
	}
}

// TestConnectFailsAsARequestWould: a refused connection is the same
// failure a request would report, and a URL that is no absolute http(s)
// URL is refused before any dial.
func TestConnectFailsAsARequestWould(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c, err := New(KindFastHTTP, Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cn := c.(Connector)
	if err := cn.Connect(context.Background(), "http://"+addr+"/"); err == nil || !strings.Contains(err.Error(), ErrConnRefused.Error()) {
		t.Errorf("Connect to a closed port: %v, want %v", err, ErrConnRefused)
	}
	for _, bad := range []string{"/albums", "ftp://" + addr + "/", "http:///x"} {
		if err := cn.Connect(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "absolute http") {
			t.Errorf("Connect(%q) = %v, want the URL refused", bad, err)
		}
	}
}
