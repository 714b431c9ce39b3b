package control

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/control/wire"
)

// TestWorkerStopsWhenCoordinatorDisappears kills the coordinator's server
// mid-run, with the default one-second heartbeat: the worker's users must
// stop sending within 5 s, while the worker keeps trying to register, and
// the worker must give up once it could not register again within its
// connect timeout.
func TestWorkerStopsWhenCoordinatorDisappears(t *testing.T) {
	tg := newTarget(t)
	cfg := fastConfig(t, testSpec(tg.srv.URL))
	cfg.Heartbeat = time.Second
	cfg.MissedHeartbeats = 3
	cfg.Users = 3
	c, srv := startCoordinator(t, cfg)
	// Long enough that the worker is still trying to register when the
	// load must have stopped: stopping has to come from the loss itself.
	w := startWorker(t, srv.URL, WorkerConfig{ID: "orphan", ConnectTimeout: 2500 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := runCoordinator(ctx, c)
	defer func() { cancel(); <-runDone }()
	waitFor(t, 10*time.Second, "requests at the target", func() bool { return tg.requests.Load() > 20 })

	// The coordinator vanishes: held polls are answered, connections cut,
	// and the port closed.
	_ = c.Close()
	srv.CloseClientConnections()
	srv.Close()
	gone := time.Now()

	time.Sleep(time.Until(gone.Add(5 * time.Second)))
	select {
	case <-w.done:
		t.Fatalf("the worker returned (%v) before its connect timeout", w.err)
	default:
	}
	n := tg.requests.Load()
	time.Sleep(300 * time.Millisecond)
	if tg.requests.Load() != n {
		t.Fatal("requests still arrive 5 s after the coordinator vanished")
	}
	if d := time.Unix(0, tg.last.Load()).Sub(gone); d > 5*time.Second {
		t.Errorf("the last request reached the target %v after the coordinator vanished; want under 5 s", d)
	}
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not give up")
	}
	if !errors.Is(w.err, ErrUnreachable) || !strings.Contains(w.err.Error(), "lost the coordinator") {
		t.Errorf("worker returned %v, want ErrUnreachable after losing the coordinator", w.err)
	}
}

// TestWorkerConnectTimeout points a worker at a closed port.
func TestWorkerConnectTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	w, err := NewWorker(WorkerConfig{Coordinator: url, ConnectTimeout: 600 * time.Millisecond, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Run(context.Background())
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Run: %v, want ErrUnreachable", err)
	}
	for _, want := range []string{url, "attempts", "refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestWorkerWrongToken gives up at once: retrying cannot fix a token.
func TestWorkerWrongToken(t *testing.T) {
	cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
	cfg.Token = "right"
	c, srv := startCoordinator(t, cfg)
	w, err := NewWorker(WorkerConfig{Coordinator: srv.URL, Token: "wrong", ConnectTimeout: time.Minute, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "token") {
			t.Errorf("Run: %v, want a token error naming HTTP 401", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a worker with the wrong token kept retrying")
	}
	if len(c.Workers()) != 0 {
		t.Error("a worker with the wrong token was registered")
	}
}

// scriptedCoordinator answers a worker's polls from a list of commands and
// records its heartbeats, to test the worker alone.
type scriptedCoordinator struct {
	mu       sync.Mutex
	commands []wire.Command
	polls    int
	users    []int // users in each heartbeat
}

func (s *scriptedCoordinator) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(wire.PathRegister, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, wire.RegisterResponse{V: 1, ID: "x", HeartbeatMS: 50, ReportMS: 50, MissedHeartbeats: 100})
	})
	mux.HandleFunc(wire.PathHeartbeat, func(w http.ResponseWriter, r *http.Request) {
		var m wire.HeartbeatRequest
		if err := json.NewDecoder(r.Body).Decode(&m); err == nil {
			s.mu.Lock()
			s.users = append(s.users, m.Users)
			s.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc(wire.PathReport, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, wire.ReportResponse{V: 1, Applied: true})
	})
	mux.HandleFunc(wire.PathCommands, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if len(s.commands) == 0 {
			s.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		cmd := s.commands[0]
		s.commands = s.commands[1:]
		s.polls++
		s.mu.Unlock()
		writeJSON(w, 200, cmd)
	})
	return mux
}

func (s *scriptedCoordinator) push(cmds ...wire.Command) {
	s.mu.Lock()
	s.commands = append(s.commands, cmds...)
	s.mu.Unlock()
}

// lastUsers returns the user count of the latest heartbeat, once all
// commands were taken and a few heartbeats have followed.
func (s *scriptedCoordinator) settled() (users int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.commands) > 0 || len(s.users) < 5 {
		return 0, false
	}
	tail := s.users[len(s.users)-5:]
	for _, u := range tail {
		if u != tail[0] {
			return 0, false
		}
	}
	return tail[0], true
}

// TestStaleCommandsIgnored sends a worker a spawn, then an older and a
// repeated sequence number with other targets, then a newer one.
func TestStaleCommandsIgnored(t *testing.T) {
	tg := newTarget(t)
	spec := testSpec(tg.srv.URL)
	sc := &scriptedCoordinator{}
	srv := httptest.NewServer(sc.handler())
	t.Cleanup(srv.Close)
	spawn := func(seq uint64, users int) wire.Command {
		return wire.Command{V: 1, Seq: seq, Kind: wire.CommandSpawn, Run: "r1", Users: users, Spec: &spec}
	}
	sc.push(spawn(5, 3), spawn(3, 0), spawn(5, 1), spawn(4, 7))
	startWorker(t, srv.URL, WorkerConfig{ID: "w"})
	var users int
	waitFor(t, 10*time.Second, "the worker to settle", func() bool {
		var ok bool
		users, ok = sc.settled()
		return ok
	})
	if users != 3 {
		t.Fatalf("worker runs %d users; want 3: commands 3, 5 (again) and 4 came after 5 and must be ignored", users)
	}
	sc.push(spawn(6, 2))
	waitFor(t, 10*time.Second, "the newer command to apply", func() bool {
		u, ok := sc.settled()
		return ok && u == 2
	})
}

// TestWorkerRejoinsNewCoordinator restarts the coordinator on the same
// address: the worker stops its users, registers with the new one and
// runs its run.
func TestWorkerRejoinsNewCoordinator(t *testing.T) {
	tg := newTarget(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	cfg := fastConfig(t, testSpec(tg.srv.URL))
	cfg.Users = 2
	// The first coordinator's run ends with its worker gone: keep its wait
	// for a final report short.
	cfg.FinalWait = 300 * time.Millisecond
	first, err := NewCoordinator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = first.Serve(ln) }()
	w := startWorker(t, "http://"+addr, WorkerConfig{ID: "w", ConnectTimeout: 10 * time.Second})
	ctx1, cancel1 := context.WithCancel(context.Background())
	run1 := runCoordinator(ctx1, first)
	waitFor(t, 10*time.Second, "2 users on the first coordinator", func() bool {
		ws := first.Workers()
		return len(ws) == 1 && ws[0].Users == 2
	})
	// Kill the first coordinator without a goodbye: its run goroutine
	// is left to time out on its own.
	_ = first.Close()
	defer func() { cancel1(); <-run1 }()

	cfg.Users = 3
	second, err := NewCoordinator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ln2 net.Listener
	waitFor(t, 5*time.Second, "the port to be free again", func() bool {
		ln2, err = net.Listen("tcp", addr)
		return err == nil
	})
	go func() { _ = second.Serve(ln2) }()
	t.Cleanup(func() { _ = second.Close() })
	ctx2, cancel2 := context.WithCancel(context.Background())
	run2 := runCoordinator(ctx2, second)
	waitFor(t, 15*time.Second, "3 users on the second coordinator", func() bool {
		ws := second.Workers()
		return len(ws) == 1 && ws[0].Users == 3 && ws[0].Requests > 0
	})
	cancel2()
	out := <-run2
	if out.err != nil {
		t.Fatal(out.err)
	}
	if out.res.Snapshot.Total.Count() == 0 {
		t.Error("the second run recorded nothing")
	}
	select {
	case <-w.done:
		if w.err != nil {
			t.Errorf("worker: %v, want nil after the second coordinator's quit", w.err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the worker did not quit")
	}
}
