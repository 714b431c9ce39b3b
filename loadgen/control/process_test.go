package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
)

// The test binary doubles as a worker or coordinator process when
// LGC_ROLE says so, so that faults can be tested with real processes and
// real SIGKILLs before any command-line program wraps the package.
const roleEnv = "LGC_ROLE"

// exitUnreachable is the helper worker's exit code for ErrUnreachable.
const exitUnreachable = 3

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "worker":
		os.Exit(helperWorker())
	case "coordinator":
		os.Exit(helperCoordinator())
	}
	os.Exit(m.Run())
}

func helperLogger(role string) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, nil)).With("process", role, "pid", os.Getpid())
}

func helperWorker() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	timeout, _ := time.ParseDuration(os.Getenv("LGC_CONNECT_TIMEOUT"))
	if d, err := time.ParseDuration(os.Getenv("LGC_CRASH_AFTER")); err == nil {
		// Dies as a crash would end it, without a word to the coordinator.
		time.AfterFunc(d, func() { os.Exit(9) })
	}
	token := os.Getenv("LGC_TOKEN")
	if token == "" {
		token = os.Getenv("LOADGEN_TOKEN") // from a Fleet that started it
	}
	cfg := WorkerConfig{
		Coordinator: os.Getenv("LGC_URL"), Token: token, ID: os.Getenv("LGC_ID"),
		Version: "test", ConnectTimeout: timeout, Logger: helperLogger("worker"),
	}
	if os.Getenv("LGC_REFUSE") != "" {
		cfg.Workload = func(*loadgen.Spec) (*loadgen.Workload, error) {
			return nil, errors.New("profile field unknown to this version")
		}
	}
	w, err := NewWorker(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err = w.Run(ctx)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUnreachable):
		fmt.Fprintln(os.Stderr, err)
		return exitUnreachable
	}
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// helperCoordinator runs a coordinator with the default timing until it
// is killed.
func helperCoordinator() int {
	users, _ := strconv.Atoi(os.Getenv("LGC_USERS"))
	token := os.Getenv("LGC_TOKEN")
	c, err := NewCoordinator(CoordinatorConfig{
		Token: token, Spec: testSpec(os.Getenv("LGC_TARGET")), Users: users,
		Version: "test", Logger: helperLogger("coordinator"),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ln, err := Listen(os.Getenv("LGC_LISTEN"), token)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	go func() { _ = c.Serve(ln) }()
	if _, err := c.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// helperProcess is this test binary started in a role.
func helperProcess(t *testing.T, role string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(append(os.Environ(), roleEnv+"="+role), env...)
	tw := &testWriter{t: t}
	t.Cleanup(tw.close)
	cmd.Stdout, cmd.Stderr = tw, tw
	return cmd
}

// startWorkerProcesses starts n worker processes of coordinatorURL (token
// "tok"), named prefix0, prefix1, ..., and kills what is left of them when
// the test ends.
func startWorkerProcesses(t *testing.T, n int, coordinatorURL, prefix, connectTimeout string) *LocalFleet {
	t.Helper()
	var cmds []*exec.Cmd
	for i := range n {
		cmds = append(cmds, helperProcess(t, "worker", "LGC_URL="+coordinatorURL, "LGC_TOKEN=tok",
			"LGC_ID="+prefix+strconv.Itoa(i), "LGC_CONNECT_TIMEOUT="+connectTimeout))
	}
	fleet, err := StartLocalFleet(cmds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		fleet.Kill()
		_ = fleet.Wait(5 * time.Second)
	})
	return fleet
}

// TestProcessWorkerKilled runs three worker processes and kills one with
// SIGKILL mid-run: the coordinator marks it missing after three missed
// heartbeats, keeps what it reported, hands its users to the other two,
// and ends with a valid result that records the loss.
func TestProcessWorkerKilled(t *testing.T) {
	tg := newTarget(t)
	spec := testSpec(tg.srv.URL)
	spec.StopTimeout = 3 * time.Second
	cfg := fastConfig(t, spec)
	cfg.Users = 6
	cfg.ExpectWorkers = 3
	cfg.Heartbeat = 200 * time.Millisecond
	cfg.MissedHeartbeats = 3
	cfg.Token = "tok"
	c, srv := startCoordinator(t, cfg)
	fleet := startWorkerProcesses(t, 3, srv.URL, "p", "5s")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := runCoordinator(ctx, c)
	waitFor(t, 30*time.Second, "2 users and some requests on each worker process", func() bool {
		ws := c.Workers()
		if len(ws) != 3 {
			return false
		}
		for _, w := range ws {
			if w.Users != 2 || w.Requests == 0 {
				return false
			}
		}
		return true
	})
	victim := fleet.PIDs()[1]
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the killed worker's users to move to the others", func() bool {
		ws := c.Workers()
		return byID(ws, "p1").State == string(wire.StateMissing) && byID(ws, "p0").Users == 3 && byID(ws, "p2").Users == 3
	})
	cancel()
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	if err := fleet.Wait(15 * time.Second); err == nil || !strings.Contains(err.Error(), fmt.Sprint(victim)) {
		t.Errorf("worker exits: %v, want only the killed one (pid %d) to fail", err, victim)
	}
	for i, err := range fleet.errs {
		if i != 1 && err != nil {
			t.Errorf("worker p%d: %v, want a clean exit after quit", i, err)
		}
	}
	lost := byID(out.res.Workers, "p1")
	if lost.State != string(wire.StateMissing) || lost.Requests == 0 {
		t.Errorf("killed worker's row %+v: want missing, with the requests it reported", lost)
	}
	var sum int64
	for _, w := range out.res.Workers {
		sum += w.Requests
	}
	total := out.res.Snapshot.Total.Count()
	if total != sum || total > tg.requests.Load() {
		t.Errorf("total %d, rows %d, target %d: want total = rows <= served", total, sum, tg.requests.Load())
	}
	if len(out.res.Warnings) != 1 || !strings.Contains(out.res.Warnings[0], "p1") || !strings.Contains(out.res.Warnings[0], "missed 3 heartbeats") {
		t.Errorf("warnings %q, want one recording the lost worker", out.res.Warnings)
	}
}

// TestProcessCoordinatorKilled runs the coordinator and two workers as
// processes and kills the coordinator with SIGKILL: the load must stop
// within 5 s, and each worker must exit with its "unreachable" status once
// its connect timeout has passed without a coordinator.
func TestProcessCoordinatorKilled(t *testing.T) {
	tg := newTarget(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	coord, err := StartLocalFleet([]*exec.Cmd{helperProcess(t, "coordinator",
		"LGC_LISTEN="+addr, "LGC_TARGET="+tg.srv.URL, "LGC_USERS=4", "LGC_TOKEN=tok")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		coord.Kill()
		_ = coord.Wait(5 * time.Second)
	})
	waitFor(t, 30*time.Second, "the coordinator process to listen", func() bool {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
	workers := startWorkerProcesses(t, 2, "http://"+addr, "w", "2s")
	waitFor(t, 30*time.Second, "load from the workers", func() bool { return tg.requests.Load() > 100 })

	if err := syscall.Kill(coord.PIDs()[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	time.Sleep(time.Until(killed.Add(5 * time.Second)))
	n := tg.requests.Load()
	time.Sleep(300 * time.Millisecond)
	if tg.requests.Load() != n {
		t.Fatal("requests still arrive 5 s after the coordinator was killed")
	}
	if d := time.Unix(0, tg.last.Load()).Sub(killed); d > 5*time.Second {
		t.Errorf("the last request arrived %v after the coordinator was killed; want under 5 s", d)
	}
	_ = workers.Wait(15 * time.Second)
	for i, err := range workers.errs {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitUnreachable {
			t.Errorf("worker w%d ended with %v, want exit status %d (coordinator unreachable)", i, err, exitUnreachable)
		}
	}
}
