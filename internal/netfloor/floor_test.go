//go:build linux

package netfloor

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func request(host string) []byte {
	return []byte("GET /albums/1 HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: netfloor\r\n\r\n")
}

func addrOf(t testing.TB, hostport string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// TestRunSendsEachConnectionsRequestsOnTime runs 20 connections sending
// every 20 ms for 200 ms: each sends 10 requests, all answered, and the
// server sees as many requests, on as many connections.
func TestRunSendsEachConnectionsRequestsOnTime(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		_, _ = w.Write([]byte(`{"id":1,"title":"Blue Train"}`))
	}))
	var conns atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	res, err := Run(Config{Addr: addrOf(t, host), Conns: 20, Period: 20 * time.Millisecond, Duration: 200 * time.Millisecond, Request: request(host)})
	if err != nil {
		t.Fatal(err)
	}
	// A loaded machine may send a connection's last request after the
	// end, or not at all; never more than 10 each.
	if res.Sent < 150 || res.Sent > 200 || res.Received != res.Sent {
		t.Errorf("sent %d, received %d; want 150 to 200, all received", res.Sent, res.Received)
	}
	if got := served.Load(); got != int64(res.Received) {
		t.Errorf("the server answered %d requests, Run counted %d", got, res.Received)
	}
	if got := conns.Load(); got != 20 {
		t.Errorf("the server saw %d connections, want 20", got)
	}
	if res.CPU <= 0 || res.PerRequest() <= 0 {
		t.Errorf("CPU %v, %v per request: want both above zero", res.CPU, res.PerRequest())
	}
}

// TestRunReadsResponsesInPieces answers with a body that comes in two
// writes, 30 ms apart: the response counts only once whole.
func TestRunReadsResponsesInPieces(t *testing.T) {
	body := strings.Repeat("x", 100_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write([]byte(body[:10]))
		w.(http.Flusher).Flush()
		time.Sleep(30 * time.Millisecond)
		_, _ = w.Write([]byte(body[10:]))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	res, err := Run(Config{Addr: addrOf(t, host), Conns: 2, Period: 50 * time.Millisecond, Duration: 100 * time.Millisecond, Request: request(host)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent < 2 || res.Received != res.Sent {
		t.Errorf("sent %d, received %d: want every response read whole", res.Sent, res.Received)
	}
}

// TestRunFailsOnAClosedConnection ends when the target closes a
// connection instead of answering, and says so.
func TestRunFailsOnAClosedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 512)
				_, _ = c.Read(buf)
				_ = c.Close()
			}()
		}
	}()
	_, err = Run(Config{Addr: addrOf(t, ln.Addr().String()), Conns: 1, Period: 10 * time.Millisecond, Duration: 50 * time.Millisecond, Request: request("x")})
	if err == nil || !strings.Contains(err.Error(), "closed the connection") {
		t.Fatalf("err = %v, want the closed connection named", err)
	}
}

func TestRunRejectsAnEmptyConfig(t *testing.T) {
	if _, err := Run(Config{}); err == nil {
		t.Fatal("an empty Config ran")
	}
}

// BenchmarkThinkingUsers runs b.N requests from LOADGEN_FLOOR_CONNS
// connections (1,000 by default) that each send one every 2 s, against
// LOADGEN_FLOOR_ADDR (make bench points it at albumsvc on the other core;
// without it the benchmark is skipped), and reports the driving thread's
// CPU per request: the machine's floor for that workload.
func BenchmarkThinkingUsers(b *testing.B) {
	addr := os.Getenv("LOADGEN_FLOOR_ADDR")
	if addr == "" {
		b.Skip("LOADGEN_FLOOR_ADDR is not set: the floor is measured against albumsvc by make bench")
	}
	conns := 1000
	if s := os.Getenv("LOADGEN_FLOOR_CONNS"); s != "" {
		if _, err := fmt.Sscan(s, &conns); err != nil || conns <= 0 {
			b.Fatalf("LOADGEN_FLOOR_CONNS=%q: want a positive number", s)
		}
	}
	const period = 2 * time.Second
	d := period * time.Duration(b.N) / time.Duration(conns)
	res, err := Run(Config{Addr: addrOf(b, addr), Conns: conns, Period: period, Duration: d, Request: request(addr)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(res.PerRequest().Nanoseconds())/1000, "cpu-us/req")
	b.ReportMetric(float64(res.Received), "requests")
	b.ReportMetric(0, "ns/op") // the period sets the time per request
}
