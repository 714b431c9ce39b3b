package client

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/hostile"
)

// hostileChildEnv makes the test binary a child that loads a target with
// clients and exits (see runHostileChild): "kind url users run timeout".
const hostileChildEnv = "LOADGEN_CLIENT_HOSTILE_CHILD"

// runHostileChild sends GETs to a URL from a few users, each with its own
// client, for a while, and prints how many it sent and how many failed.
func runHostileChild(spec string) int {
	f := strings.Fields(spec)
	if len(f) != 5 {
		fmt.Fprintf(os.Stderr, "%s: want 5 fields, got %q\n", hostileChildEnv, spec)
		return 2
	}
	users, err1 := strconv.Atoi(f[2])
	run, err2 := time.ParseDuration(f[3])
	timeout, err3 := time.ParseDuration(f[4])
	if err1 != nil || err2 != nil || err3 != nil {
		fmt.Fprintf(os.Stderr, "%s: bad fields in %q\n", hostileChildEnv, spec)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), run)
	defer cancel()
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	for range users {
		c, err := New(f[0], Options{Timeout: timeout})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		wg.Go(func() {
			defer c.Close()
			req := &Request{URL: f[1]}
			for ctx.Err() == nil {
				if _, err := c.Do(ctx, req); err != nil && ctx.Err() == nil {
					failed.Add(1)
				}
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	fmt.Printf("requests=%d failures=%d peak_rss_kb=%d\n", sent.Load(), failed.Load(), peakRSSKB())
	return 0
}

// peakRSSKB is this process's peak resident set size, in kilobytes, from
// /proc: getrusage's figure would include the parent's, which this process
// shared until it exec'd.
func peakRSSKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

// TestHostileTargetsCostBoundedMemory runs each client against each
// hostile target in a child process for 1.5 s, with 2 users and a 0.5 s
// timeout, and checks the child's peak RSS and wall time: a target that
// declares, streams or sends huge bodies or headers must not make the
// client hold them, nor outlast the timeout.
func TestHostileTargetsCostBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes that load hostile targets for 1.5 s each")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const (
		run     = 1500 * time.Millisecond
		timeout = 500 * time.Millisecond
		// A client costs a few MB; the race detector multiplies that. A
		// client that held what these targets send would pass a GB.
		maxRSS = 200 << 20
	)
	modes := []struct {
		mode hostile.Mode
		opts hostile.Options
	}{
		{mode: hostile.HugeLength},
		{mode: hostile.HugeLength, opts: hostile.Options{DeclaredLength: 1 << 40}},
		{mode: hostile.HugeChunk},
		{mode: hostile.Endless},
		{mode: hostile.BigBody, opts: hostile.Options{BodySize: 256 << 20}},
		{mode: hostile.EndlessHeaders},
		{mode: hostile.BigHeaders},
		{mode: hostile.GarbageStatus},
		{mode: hostile.SlowBody},
		{mode: hostile.Never},
	}
	for _, kind := range Kinds() {
		for _, m := range modes {
			name := fmt.Sprintf("%s/%s", kind, m.mode)
			if m.opts.DeclaredLength != 0 {
				name += fmt.Sprintf("-%d", m.opts.DeclaredLength)
			}
			t.Run(name, func(t *testing.T) {
				h := hostile.New(t, m.mode, m.opts)
				cmd := exec.Command(exe, "-test.run=^$")
				cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s 2 %v %v", hostileChildEnv, kind, h.URL, run, timeout))
				start := time.Now()
				out, err := cmd.CombinedOutput()
				wall := time.Since(start)
				if err != nil {
					t.Fatalf("child failed: %v\n%s", err, firstLines(out, 5))
				}
				var sent, failed, kb int64
				if _, err := fmt.Sscanf(string(out), "requests=%d failures=%d peak_rss_kb=%d", &sent, &failed, &kb); err != nil || kb < 0 {
					t.Fatalf("child said %q: %v", firstLines(out, 5), err)
				}
				rss := kb << 10
				t.Logf("%d requests, %d failed: peak RSS %.1f MB, wall %v (parent at %d kB)", sent, failed, float64(rss)/(1<<20), wall.Round(time.Millisecond), peakRSSKB())
				if rss > maxRSS {
					t.Errorf("peak RSS %d MB, want at most %d MB", rss>>20, maxRSS>>20)
				}
				if limit := run + timeout + 5*time.Second; wall > limit {
					t.Errorf("took %v, want at most %v (run %v, timeout %v)", wall, limit, run, timeout)
				}
			})
		}
	}
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(string(b), "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
