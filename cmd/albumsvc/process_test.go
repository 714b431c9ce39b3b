package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
)

// child is an albumsvc process: the test binary re-executed as main.
type child struct {
	cmd     *exec.Cmd
	addr    string
	mu      sync.Mutex
	log     bytes.Buffer // its stderr
	exited  chan struct{}
	waitErr error // set before exited is closed
}

// startChild starts albumsvc with args (which should listen on port 0) and
// waits until it reports the address it listens on.
func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], args...), exited: make(chan struct{})}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix+"_") { // keep the caller's settings out
			c.cmd.Env = append(c.cmd.Env, kv)
		}
	}
	c.cmd.Env = append(c.cmd.Env, childEnv+"=1")
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			c.log.WriteString(line + "\n")
			c.mu.Unlock()
			if strings.Contains(line, "msg=listening") {
				if _, addr, ok := strings.Cut(line, " addr="); ok {
					addrc <- strings.Fields(addr)[0]
				}
			}
		}
		io.Copy(io.Discard, stderr)
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.exited
	})
	select {
	case c.addr = <-addrc:
		return c
	case <-c.exited:
		t.Fatalf("albumsvc exited before listening: %v\n%s", c.waitErr, c.stderr())
	case <-time.After(60 * time.Second):
		t.Fatalf("albumsvc did not report its address within 60s:\n%s", c.stderr())
	}
	return nil
}

func (c *child) stderr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.String()
}

// wait waits for the child to exit, failing the test after 60 seconds.
func (c *child) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-c.exited:
		return c.waitErr
	case <-time.After(60 * time.Second):
		t.Fatalf("albumsvc still running 60s after being told to stop:\n%s", c.stderr())
		return nil
	}
}

// acked collects the albums the service answered 201 for.
type acked struct {
	mu     sync.Mutex
	albums map[int64]albumsvc.Album
	n      atomic.Int64
	other  []string // answers other than 201
}

// hammer posts albums from several clients until each client's first
// transport error (the server went away) or its request budget is spent.
func hammer(addr string, clients, perClient int, got *acked) *sync.WaitGroup {
	got.albums = make(map[int64]albumsvc.Album)
	var wg sync.WaitGroup
	for g := range clients {
		wg.Go(func() {
			c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer c.CloseIdleConnections()
			for i := range perClient {
				body := fmt.Sprintf(`{"title":"c%d-%d","artist":"artist %d","price":%d.5}`, g, i, g, i)
				resp, err := c.Post("http://"+addr+"/albums", "application/json", strings.NewReader(body))
				if err != nil {
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return
				}
				var a albumsvc.Album
				got.mu.Lock()
				if resp.StatusCode == http.StatusCreated && json.Unmarshal(b, &a) == nil {
					got.albums[a.ID] = a
					got.n.Add(1)
				} else {
					got.other = append(got.other, fmt.Sprintf("%d %s", resp.StatusCode, b))
				}
				got.mu.Unlock()
			}
		})
	}
	return &wg
}

// waitForAcks waits until n albums were acknowledged.
func waitForAcks(t *testing.T, got *acked, n int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for got.n.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d albums acknowledged after 60s, want %d", got.n.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recovered opens the journal the way a restart would and returns its
// albums by id, and what start-up logged.
func recovered(t *testing.T, path string) (map[int64]albumsvc.Album, string) {
	t.Helper()
	var logs bytes.Buffer
	svc, err := albumsvc.New(albumsvc.Config{DataFile: path, Logger: slogText(&logs)})
	if err != nil {
		t.Fatalf("restart on the journal failed: %v", err)
	}
	defer svc.Close()
	rec := httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/albums", nil))
	var list []albumsvc.Album
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	out := make(map[int64]albumsvc.Album, len(list))
	for _, a := range list {
		out[a.ID] = a
	}
	return out, logs.String()
}

func checkAllKept(t *testing.T, got *acked, have map[int64]albumsvc.Album) {
	t.Helper()
	got.mu.Lock()
	defer got.mu.Unlock()
	lost := 0
	for id, a := range got.albums {
		if have[id] != a {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged album %+v lost; journal has %+v", a, have[id])
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged albums lost", lost, len(got.albums))
	}
}

// TestSIGKILLLosesNoAcknowledgedAlbum kills albumsvc with --fsync always
// while clients are posting, then restarts on its journal: every album
// that got a 201 must be there, exactly as acknowledged.
func TestSIGKILLLosesNoAcknowledgedAlbum(t *testing.T) {
	path := filepath.Join(t.TempDir(), "albums.jsonl")
	c := startChild(t, "--addr", "127.0.0.1:0", "--data", path, "--fsync", "always", "--store", "sharded", "--preload", "0")
	var got acked
	clients := hammer(c.addr, 16, 5000, &got)
	waitForAcks(t, &got, 1500)
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := c.wait(t)
	clients.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("albumsvc ended with %v, want killed by SIGKILL", err)
	}

	have, logs := recovered(t, path)
	checkAllKept(t, &got, have)
	if len(got.other) > 0 {
		t.Errorf("answers other than 201 before the kill: %q", got.other[:min(5, len(got.other))])
	}
	t.Logf("%d albums acknowledged, %d recovered (the rest were in flight); start-up log:\n%s", len(got.albums), len(have), logs)
}

// TestSIGTERMDrainsAndExits0 stops albumsvc with SIGTERM while clients are
// posting: it must exit 0, answer every request it accepted, and leave a
// journal holding every acknowledged album.
func TestSIGTERMDrainsAndExits0(t *testing.T) {
	path := filepath.Join(t.TempDir(), "albums.jsonl")
	c := startChild(t, "--addr", "127.0.0.1:0", "--data", path, "--fsync", "interval", "--preload", "3")
	var got acked
	clients := hammer(c.addr, 8, 5000, &got)
	waitForAcks(t, &got, 500)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.wait(t); err != nil {
		t.Fatalf("albumsvc exited with %v after SIGTERM, want exit 0:\n%s", err, c.stderr())
	}
	clients.Wait()
	if !strings.Contains(c.stderr(), "stopped cleanly") {
		t.Errorf("stderr does not report a clean stop:\n%s", c.stderr())
	}
	if len(got.other) > 0 {
		t.Errorf("requests answered with something other than 201 during shutdown: %q", got.other[:min(5, len(got.other))])
	}

	have, logs := recovered(t, path)
	checkAllKept(t, &got, have)
	if strings.Contains(logs, "WARN") {
		t.Errorf("a cleanly stopped journal needed repair:\n%s", logs)
	}
	if len(have) != len(got.albums)+3 {
		t.Errorf("journal holds %d albums, want the 3 preloaded plus %d acknowledged", len(have), len(got.albums))
	}
}
