package users

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/race"
	"github.com/loadgen/loadgen/internal/rawhttp"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/results"
)

// connServeEnv makes the test binary a rawhttp server that reports its
// connection counts on stdout: the far side of
// TestManyUsersKeepOneConnectionEach, in a process of its own so that
// each side has the whole file-descriptor limit.
const connServeEnv = "LOADGEN_USERS_CONN_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(connServeEnv) != "" {
		os.Exit(serveConns())
	}
	os.Exit(m.Run())
}

// serveConns prints the server's URL, then "accepted=N open=M" whenever
// the counts change, until its standard input closes.
func serveConns() int {
	s, err := rawhttp.Listen("127.0.0.1:0", 200, []byte(`{"id":1}`))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(s.URL)
	gone := make(chan struct{})
	go func() {
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		close(gone)
	}()
	last := ""
	for {
		select {
		case <-gone:
			s.Close()
			return 0
		case <-time.After(20 * time.Millisecond):
		}
		if line := fmt.Sprintf("accepted=%d open=%d", s.Accepted(), s.Open()); line != last {
			fmt.Println(line)
			last = line
		}
	}
}

// connCounts follows a serveConns process.
type connCounts struct {
	accepted, open atomic.Int64
}

func startConnServer(t *testing.T) (string, *connCounts) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), connServeEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		t.Fatal("the connection-counting server did not start")
	}
	url := sc.Text()
	c := &connCounts{}
	go func() {
		for sc.Scan() {
			var a, o int64
			if _, err := fmt.Sscanf(sc.Text(), "accepted=%d open=%d", &a, &o); err == nil {
				c.accepted.Store(a)
				c.open.Store(o)
			}
		}
	}()
	return url, c
}

// waitUntil polls cond every 10 ms for up to d.
func waitUntil(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestManyUsersKeepOneConnectionEach ramps 10,000 users (fewer if the
// file-descriptor limit is lower) that think 2 s between requests, against
// a server in another process: the ramp reaches its target on time, each
// user sends several requests, and the server sees exactly one connection
// per user, all still open, none made twice.
//
// Under the race detector, which slows every user several times over,
// 10,000 users on a busy machine fall so far behind their think time that
// the client's idle timeout closes connections between requests; there
// the test runs 2,000 users, and make test runs it again at full size
// without the race detector.
func TestManyUsersKeepOneConnectionEach(t *testing.T) {
	n := 10000
	if race.Enabled {
		n = 2000
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(n)+1000 {
		n = int(lim.Cur) - 1000
		t.Logf("the file-descriptor limit is %d: %d users", lim.Cur, n)
	}
	if n < 1000 {
		t.Fatalf("a file-descriptor limit of %d leaves too few users", lim.Cur)
	}
	url, counts := startConnServer(t)
	sent := make([]atomic.Int32, n+1)
	get := Task{Method: "GET", Name: "x", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		u.Req.URL = url
		resp, err := u.Client.Do(ctx, &u.Req)
		if err == nil && resp.Status != 200 {
			err = &StatusError{Code: resp.Status}
		}
		if err == nil {
			sent[u.ID].Add(1)
		}
		return resp.Bytes, err
	}}
	r, err := New(Config{
		Tasks: []Task{get},
		Wait:  constantWait(2 * time.Second),
		NewClient: func() (client.Client, error) {
			return client.New(client.KindFastHTTP, client.Options{Timeout: 30 * time.Second})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop(0)

	const rate = 5000.0
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t0 := time.Now()
	if err := r.Ramp(ctx, n, rate); err != nil {
		t.Fatal(err)
	}
	took, want := time.Since(t0), time.Duration(float64(n-1)/rate*float64(time.Second))
	if r.Users() != n {
		t.Fatalf("%d users after the ramp, want %d", r.Users(), n)
	}
	// Never early; late only by scheduling noise on a busy machine.
	if took < want || took > want+2*time.Second {
		t.Errorf("the ramp to %d users at %g/s took %v, want %v", n, rate, took, want)
	}
	if !waitUntil(time.Minute, func() bool {
		for id := 1; id <= n; id++ {
			if sent[id].Load() < 2 {
				return false
			}
		}
		return true
	}) {
		missing := 0
		for id := 1; id <= n; id++ {
			if sent[id].Load() < 2 {
				missing++
			}
		}
		t.Fatalf("%d of %d users did not send two requests within a minute", missing, n)
	}
	// The counts reach the server's report within its 20 ms period.
	waitUntil(time.Second, func() bool { return counts.accepted.Load() >= int64(n) && counts.open.Load() >= int64(n) })
	if a, o := counts.accepted.Load(), counts.open.Load(); a != int64(n) || o != int64(n) {
		t.Errorf("the server accepted %d connections and has %d open, want %d of each: one per user", a, o, n)
	}
	r.Stop(10 * time.Second)
	d := results.NewDelta()
	r.Drain(d)
	reqs, fails := d.Totals()
	var total int64
	for id := 1; id <= n; id++ {
		total += int64(sent[id].Load())
	}
	if fails != 0 || reqs != total {
		t.Errorf("recorded %d requests and %d failures, want the %d sent and none", reqs, fails, total)
	}
}
