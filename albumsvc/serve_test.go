package albumsvc

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartServesOnLoopbackAndStops(t *testing.T) {
	ctx := context.Background()
	srv, err := Start(ctx, Config{Store: StoreRWMutex, Preload: 3}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.Addr(), "127.0.0.1:") || strings.HasSuffix(srv.Addr(), ":0") {
		t.Fatalf("Addr() = %q, want the real loopback port", srv.Addr())
	}
	c := keepAliveClient(2)
	status, a, err := postAlbum(c, "http://"+srv.Addr(), Album{Title: "t", Artist: "a", Price: 2})
	if err != nil || status != http.StatusCreated || a.ID != 4 {
		t.Fatalf("POST = %d %+v %v, want 201 with id 4", status, a, err)
	}
	resp, err := c.Get("http://" + srv.Addr() + "/albums?offset=3")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `[{"id":4,"title":"t","artist":"a","price":2}]`; strings.TrimSpace(string(body)) != want {
		t.Errorf("GET /albums?offset=3 = %s, want %s", body, want)
	}
	c.CloseIdleConnections()

	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-srv.Done():
	default:
		t.Error("Done not closed after Stop")
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
		t.Error("still accepting connections after Stop")
	}
}

func TestStartStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, Config{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("still serving 10s after the context ended")
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Start(context.Background(), Config{Store: "nope"}, "127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "config Store") {
		t.Errorf("Start with a bad store: err = %v, want a config Store error", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Start(context.Background(), Config{}, ln.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "listening on "+ln.Addr().String()) {
		t.Errorf("Start on a busy port: err = %v, want a listening error naming the address", err)
	}
}

// TestShutdownFinishesInFlightRequests holds a POST inside its fsync,
// begins shutdown, and checks that the listener closes at once while the
// held request still completes with 201 and its album reaches the journal.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	path := filepath.Join(t.TempDir(), "albums.jsonl")
	var ff *faultyFile
	cfg := Config{DataFile: path, wrapJournal: func(f journalFile) journalFile {
		ff = newFaultyFile(f)
		return ff
	}}
	srv, err := Start(context.Background(), cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ff.set(func(f *faultyFile) { f.hold = true })

	type result struct {
		status int
		err    error
	}
	posted := make(chan result, 1)
	go func() {
		status, _, err := postAlbum(keepAliveClient(1), "http://"+srv.Addr(), Album{Title: "in flight", Artist: "a", Price: 1})
		posted <- result{status, err}
	}()
	<-ff.entered

	stopped := make(chan error, 1)
	go func() { stopped <- srv.Stop() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", srv.Addr(), time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections 10s after shutdown began")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a request was in flight", err)
	default:
	}

	ff.set(func(f *faultyFile) { f.hold = false })
	ff.release <- struct{}{}
	if r := <-posted; r.err != nil || r.status != http.StatusCreated {
		t.Fatalf("in-flight POST = %d, %v; want 201", r.status, r.err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), `"title":"in flight"`) {
		t.Errorf("journal lacks the in-flight album: %q", b)
	}
}
