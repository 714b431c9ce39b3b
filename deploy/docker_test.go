//go:build docker

// The deployment files run for real: these tests need a Docker engine and
// the Compose tool, and run under `make compose-test` (which builds the
// image first and removes whatever a killed test leaves behind), never
// under `make test`.

package deploy_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// composeFile is the file under test; composeTestFile adds what the test
// needs to watch the run from the host (the album service's counter).
const (
	composeFile     = "docker-compose.yml"
	composeTestFile = "testdata/compose-test.yml"
)

// testImage is the image the Compose file runs: built by `make
// compose-test` from the binaries of this tree.
func testImage() string {
	if img := os.Getenv("LOADGEN_TEST_IMAGE"); img != "" {
		return img
	}
	return "loadgen:dev"
}

// composeCommand is `docker compose` when the Docker CLI has the Compose
// plugin, else `docker-compose`; LOADGEN_TEST_COMPOSE overrides both.
func composeCommand(t *testing.T) []string {
	t.Helper()
	if c := os.Getenv("LOADGEN_TEST_COMPOSE"); c != "" {
		return strings.Fields(c)
	}
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	if _, err := exec.LookPath("docker-compose"); err == nil {
		return []string{"docker-compose"}
	}
	t.Fatal("neither `docker compose` nor `docker-compose` is available")
	return nil
}

// run runs a command and returns its standard output; the error carries
// the command and its standard error.
func run(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := run(ctx, os.Environ(), "docker", args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// project is one Compose project made from the deploy files, with the
// variables it is run with.
type project struct {
	t     *testing.T
	cmd   []string
	name  string
	files []string
	vars  map[string]string
}

// newProject names a project after the test and removes everything it
// created when the test ends, whatever the outcome.
func newProject(t *testing.T, vars map[string]string) *project {
	t.Helper()
	prefix := os.Getenv("LOADGEN_TEST_PROJECT")
	if prefix == "" {
		prefix = "loadgentest"
	}
	p := &project{t: t, cmd: composeCommand(t), vars: vars, files: []string{composeFile, composeTestFile},
		name: prefix + "-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))}
	t.Cleanup(func() {
		if t.Failed() {
			if out, err := p.compose(time.Minute, "logs", "--no-color", "--tail=40"); err == nil {
				t.Logf("logs of %s:\n%s", p.name, out)
			}
		}
		if _, err := p.compose(2*time.Minute, "down", "--volumes", "--remove-orphans", "--timeout", "2"); err != nil {
			t.Errorf("removing project %s: %v", p.name, err)
		}
	})
	return p
}

// env is the environment of the Compose tool: this process's, with the
// variables the files read set to the project's values only.
func (p *project) env() []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains([]string{"LOADGEN_TOKEN", "LOADGEN_IMAGE", "WORKERS", "USERS", "SPAWN_RATE", "RUN_TIME", "COMPOSE_PROJECT_NAME", "COMPOSE_FILE"}, name)
	})
	env = append(env, "LOADGEN_IMAGE="+testImage())
	for k, v := range p.vars {
		env = append(env, k+"="+v)
	}
	return env
}

func (p *project) compose(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	full := append(slices.Clone(p.cmd[1:]), "-p", p.name)
	for _, f := range p.files {
		full = append(full, "-f", f)
	}
	return run(ctx, p.env(), p.cmd[0], append(full, args...)...)
}

func (p *project) mustCompose(args ...string) string {
	p.t.Helper()
	out, err := p.compose(3*time.Minute, args...)
	if err != nil {
		p.t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// containers returns the ids of a service's containers, stopped ones too.
func (p *project) containers(service string) []string {
	p.t.Helper()
	return strings.Fields(p.mustCompose("ps", "-a", "-q", service))
}

func (p *project) container(service string) string {
	p.t.Helper()
	ids := p.containers(service)
	if len(ids) != 1 {
		p.t.Fatalf("service %s has %d containers, want 1", service, len(ids))
	}
	return ids[0]
}

// albumRequests reads the album service's own count of the requests it
// received (all methods; its /metrics scrapes are not counted).
func albumRequests(addr string) (int64, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	var total int64
	found := false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !strings.HasPrefix(name, "albumsvc_requests_total{") {
			continue
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("GET /metrics: %q: %w", sc.Text(), err)
		}
		total += n
		found = true
	}
	if !found {
		return 0, errors.New("GET /metrics: no albumsvc_requests_total samples")
	}
	return total, sc.Err()
}

// counter watches the album service through its port on the host.
type counter struct {
	t    *testing.T
	addr string
}

func (p *project) counter() counter {
	p.t.Helper()
	return counter{p.t, p.published("albumsvc", "8080")}
}

// published is the loopback address where the test file publishes a
// service's port.
func (p *project) published(service, port string) string {
	p.t.Helper()
	addr := p.mustCompose("port", service, port)
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		p.t.Fatalf("%s's port %s is published on %q, want a loopback address", service, port, addr)
	}
	return addr
}

func (c counter) read() int64 {
	c.t.Helper()
	n, err := albumRequests(c.addr)
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}

// waitForLoad waits until the count moves past from and returns the time
// it saw that.
func (c counter) waitForLoad(from int64, within time.Duration) time.Time {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if n, err := albumRequests(c.addr); err == nil && n > from {
			return time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("the album service received no request within %v", within)
	return time.Time{}
}

// result is the part of the coordinator's JSON report these tests read
// (results/SCHEMA.md).
type result struct {
	DurationS  float64 `json:"duration_s"`
	Aggregated entry   `json:"aggregated"`
	Entries    []entry `json:"entries"`
	Warnings   []string
	Workers    []workerRow `json:"workers"`
}

type entry struct {
	Method   string `json:"method"`
	Name     string `json:"name"`
	Count    int64  `json:"count"`
	Failures int64  `json:"failures"`
}

type workerRow struct {
	ID       string    `json:"id"`
	State    string    `json:"state"`
	Users    int       `json:"users"`
	Target   int       `json:"target"`
	Requests int64     `json:"requests"`
	Failures int64     `json:"failures"`
	Joined   time.Time `json:"joined"`
}

// waitCoordinator waits for the coordinator container to exit and
// returns its exit code.
func waitCoordinator(t *testing.T, id string, within time.Duration) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	out, err := run(ctx, os.Environ(), "docker", "wait", id)
	if err != nil {
		t.Fatalf("the coordinator did not exit within %v: %v", within, err)
	}
	code, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("docker wait: %q", out)
	}
	return code
}

// readResults copies the coordinator's /results (the results volume) out
// of its container and decodes the JSON report.
func readResults(t *testing.T, coordinator string) (string, result) {
	t.Helper()
	dir := t.TempDir()
	docker(t, "cp", coordinator+":/results/.", dir)
	b, err := os.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil {
		t.Fatalf("the results volume has no run.json: %v", err)
	}
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("run.json: %v", err)
	}
	return dir, r
}

// checkMix checks the entries: GET and POST /albums at 3:1 and no failure.
func checkMix(t *testing.T, r result) {
	t.Helper()
	counts := map[string]int64{}
	var sum int64
	for _, e := range r.Entries {
		counts[e.Method+" "+e.Name] = e.Count
		sum += e.Count
		if e.Failures != 0 {
			t.Errorf("%s %s: %d failures, want none", e.Method, e.Name, e.Failures)
		}
	}
	get, post := counts["GET /albums"], counts["POST /albums"]
	if len(counts) != 2 || get == 0 || post == 0 {
		t.Fatalf("entries %v, want GET /albums and POST /albums", counts)
	}
	if ratio := float64(get) / float64(post); ratio < 2.7 || ratio > 3.3 {
		t.Errorf("GET:POST is %d:%d = %.2f, want 3:1 (2.7 to 3.3)", get, post, ratio)
	}
	if r.Aggregated.Count != sum || r.Aggregated.Failures != 0 {
		t.Errorf("aggregated: %d requests, %d failures; want %d, 0", r.Aggregated.Count, r.Aggregated.Failures, sum)
	}
	// Every request reported by a worker, lost ones included, is in the
	// merged statistics, and nothing else is.
	var byWorker int64
	for _, w := range r.Workers {
		byWorker += w.Requests
	}
	if byWorker != r.Aggregated.Count {
		t.Errorf("the worker table adds up to %d requests, the statistics to %d", byWorker, r.Aggregated.Count)
	}
}

// csvRows reads a CSV file of the results volume into rows keyed by header.
func csvRows(t *testing.T, file string) []map[string]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(file), err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s is empty, want at least its header", filepath.Base(file))
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// checkCSV checks the Locust CSV files against the JSON report. While
// users move between workers the fleet's count may pass the target for a
// moment, so only a run without such moves has exactly 50 at its peak.
func checkCSV(t *testing.T, dir string, r result, exactPeak bool) {
	t.Helper()
	want := map[string]int64{"Aggregated": r.Aggregated.Count}
	for _, e := range r.Entries {
		want[e.Method+" "+e.Name] = e.Count
	}
	got := map[string]int64{}
	for _, row := range csvRows(t, filepath.Join(dir, "run_stats.csv")) {
		n, err := strconv.ParseInt(row["Request Count"], 10, 64)
		if err != nil {
			t.Fatalf("run_stats.csv: Request Count %q", row["Request Count"])
		}
		key := strings.TrimSpace(row["Type"] + " " + row["Name"])
		got[key] = n
		if row["Failure Count"] != "0" {
			t.Errorf("run_stats.csv: %s has Failure Count %s", key, row["Failure Count"])
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("run_stats.csv request counts %v, the JSON's %v", got, want)
	}
	if rows := csvRows(t, filepath.Join(dir, "run_failures.csv")); len(rows) != 0 {
		t.Errorf("run_failures.csv has %d rows, want none", len(rows))
	}
	history := csvRows(t, filepath.Join(dir, "run_stats_history.csv"))
	peak := 0
	for _, row := range history {
		if u, err := strconv.Atoi(row["User Count"]); err == nil && u > peak {
			peak = u
		}
	}
	if len(history) < int(r.DurationS)-2 || peak < 50 || exactPeak && peak != 50 {
		t.Errorf("run_stats_history.csv: %d rows peaking at %d users, want about one a second for %.0f s, peaking at 50", len(history), peak, r.DurationS)
	}
}

func logWorkers(t *testing.T, what string, r result) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d requests, %.1f s\n", what, r.Aggregated.Count, r.DurationS)
	fmt.Fprintf(&b, "  %-24s %-8s %6s %9s\n", "worker", "state", "users", "requests")
	for _, w := range r.Workers {
		fmt.Fprintf(&b, "  %-24s %-8s %6d %9d\n", w.ID, w.State, w.Target, w.Requests)
	}
	t.Log(b.String())
}

// TestSeedTopology runs the study's topology: the album service, a
// coordinator and four workers (`up --scale worker=4`), 50 users ramped
// at 10/s, GET:POST 3:1. It reads the results from the volume and checks
// them against the album service's own count.
func TestSeedTopology(t *testing.T) {
	start := time.Now()
	p := newProject(t, map[string]string{"LOADGEN_TOKEN": randomToken(t), "RUN_TIME": "20s"})
	p.mustCompose("up", "-d", "--no-build", "--scale", "worker=4")
	c := p.counter()
	coord := p.container("coordinator")
	if code := waitCoordinator(t, coord, 2*time.Minute); code != 0 {
		t.Fatalf("the coordinator exited %d, want 0", code)
	}
	served := c.read()
	dir, r := readResults(t, coord)
	logWorkers(t, "seed topology", r)

	if len(r.Workers) != 4 {
		t.Fatalf("%d workers in the worker table, want 4", len(r.Workers))
	}
	// Users are split in registration order, the first workers taking
	// the remainder: 50 over 4 is 13, 13, 12, 12.
	slices.SortFunc(r.Workers, func(a, b workerRow) int { return a.Joined.Compare(b.Joined) })
	var split []int
	for _, w := range r.Workers {
		split = append(split, w.Target)
		if w.State != "stopped" || w.Requests == 0 || w.Failures != 0 {
			t.Errorf("worker %s: %s with %d requests and %d failures, want stopped with requests and no failure", w.ID, w.State, w.Requests, w.Failures)
		}
	}
	if !slices.Equal(split, []int{13, 13, 12, 12}) {
		t.Errorf("users per worker in registration order %v, want [13 13 12 12]", split)
	}
	checkMix(t, r)
	checkCSV(t, dir, r, true)
	if len(r.Warnings) != 0 {
		t.Errorf("warnings: %q", r.Warnings)
	}
	// The target saw every request loadgen counted, and at most the
	// requests in flight at the end (cut off, so not counted) besides.
	if d := served - r.Aggregated.Count; d < 0 || d > 50 {
		t.Errorf("the album service received %d requests, loadgen counted %d: want at most 50 (one in flight per user) more", served, r.Aggregated.Count)
	}
	t.Logf("the album service received %d requests; loadgen counted %d. Took %v.", served, r.Aggregated.Count, time.Since(start).Round(time.Second))
}

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestFaults runs the seed's topology and, while it runs, in this order:
// starts a fifth worker container, which must join and get its share;
// kills one of the first four (docker kill), whose users must go to the
// others, the loss recorded and its statistics kept; and cuts the
// coordinator off its network, after which every worker must stop its
// load within 5 s, measured by the album service's own request counter.
// Then it reconnects the coordinator: the workers rejoin and the run ends
// normally, with complete results.
func TestFaults(t *testing.T) {
	start := time.Now()
	// Long enough for every step on a busy machine, where `compose up`
	// alone can take many seconds.
	const runTime = 2 * time.Minute
	p := newProject(t, map[string]string{"LOADGEN_TOKEN": randomToken(t), "RUN_TIME": runTime.String()})
	p.mustCompose("up", "-d", "--no-build", "--scale", "worker=4")
	c := p.counter()
	coord := p.container("coordinator")
	first := p.containers("worker")
	c.waitForLoad(0, time.Minute)
	// The run time counts from the coordinator's start of the run, which
	// the docker commands above may have taken many seconds to see.
	runStart := runStarted(t, coord)
	// Before each step, the run must have long enough left for the step to
	// be seen and the run to end normally after it.
	deadline := func(step string, need time.Duration) {
		t.Helper()
		if left := runTime - time.Since(runStart); left < need {
			t.Fatalf("%s: %v of the run left, want at least %v; the machine is too slow for this timeline", step, left.Round(time.Second), need)
		}
	}
	time.Sleep(7 * time.Second) // the ramp: 50 users at 10/s

	// A late worker joins.
	deadline("late worker", 55*time.Second)
	p.mustCompose("up", "-d", "--no-build", "--no-recreate", "--scale", "worker=5", "worker")
	var late string
	for _, id := range p.containers("worker") {
		if !slices.Contains(first, id) {
			late = id
		}
	}
	if late == "" {
		t.Fatal("scaling to 5 workers started no new container")
	}
	time.Sleep(6 * time.Second)

	// A worker dies.
	deadline("kill", 40*time.Second)
	killed := first[1]
	docker(t, "kill", killed)
	time.Sleep(6 * time.Second) // missing after 3.5 s, then its users move

	// The coordinator is cut off.
	deadline("disconnect", 28*time.Second) // 12 s watched, then the rejoin and some load
	network := coordinatorNetwork(t, coord)
	before := c.read()
	time.Sleep(time.Second)
	if c.read() == before {
		t.Fatal("no load in the second before the disconnect: nothing to stop")
	}
	// The cut takes effect somewhere inside `docker network disconnect`,
	// which can take seconds on a busy machine: the moment is when the
	// coordinator's control port stops answering.
	reach := p.published("coordinator", "5557")
	if !answers(reach) {
		t.Fatal("the coordinator's control port does not answer before the cut")
	}
	began := time.Now()
	cutc := make(chan time.Time, 1)
	go func() { cutc <- lastAnswer(reach, began, 30*time.Second) }()
	docker(t, "network", "disconnect", network, coord)
	took := time.Since(began)
	moved, lastMove := watchStop(t, c, began, 12*time.Second)
	cut := <-cutc
	if cut.IsZero() {
		t.Fatal("the coordinator's control port still answered after the disconnect")
	}
	stopped := lastMove.Sub(cut)
	t.Logf("coordinator cut off %.2f s into `docker network disconnect` (which took %.2f s); the album service's counter last moved %.2f s after the cut (%d requests after it; counter polled every 50 ms, control port every 20 ms), then stayed still for %.1f s",
		cut.Sub(began).Seconds(), took.Seconds(), stopped.Seconds(), moved, time.Since(lastMove).Seconds())
	for _, id := range p.containers("worker") {
		if id != killed {
			t.Logf("worker %s: %s", id[:12], lostAt(t, id, cut))
		}
	}
	if stopped > 5*time.Second {
		t.Errorf("the workers sent load for %.2f s after the coordinator was cut off, want at most 5 s", stopped.Seconds())
	}

	// It comes back: the workers rejoin and the load resumes.
	docker(t, "network", "connect", "--alias", "coordinator", network, coord)
	back := time.Now()
	resumed := c.waitForLoad(c.read(), 30*time.Second)
	t.Logf("coordinator reconnected: load resumed after %.2f s", resumed.Sub(back).Seconds())

	if code := waitCoordinator(t, coord, runTime+time.Minute); code != 0 {
		t.Fatalf("the coordinator exited %d, want 0", code)
	}
	served := c.read()
	dir, r := readResults(t, coord)
	logWorkers(t, "faults", r)

	short := func(id string) string { return id[:12] } // a container's hostname
	var live []int
	sawKilled, sawLate := false, false
	for _, w := range r.Workers {
		switch {
		case strings.HasPrefix(w.ID, short(killed)+"-"):
			sawKilled = true
			if w.State != "missing" || w.Target != 0 || w.Requests == 0 {
				t.Errorf("killed worker %s: %s, %d users, %d requests; want missing, its users handed over, what it reported kept", w.ID, w.State, w.Target, w.Requests)
			}
			if !slices.ContainsFunc(r.Warnings, func(s string) bool {
				return strings.Contains(s, w.ID) && strings.Contains(s, "handed to the other workers")
			}) {
				t.Errorf("no warning records the loss of %s: %q", w.ID, r.Warnings)
			}
		case strings.HasPrefix(w.ID, short(late)+"-"):
			sawLate = true
			if w.Joined.Sub(runStart) < 5*time.Second || w.Requests == 0 {
				t.Errorf("late worker %s joined %v after the load began with %d requests; want it to join the running test and run users", w.ID, w.Joined.Sub(runStart), w.Requests)
			}
			fallthrough
		default:
			live = append(live, w.Target)
			if w.State != "stopped" {
				t.Errorf("worker %s ended %s, want stopped", w.ID, w.State)
			}
		}
	}
	if !sawKilled || !sawLate || len(r.Workers) != 5 {
		t.Fatalf("the worker table has %d workers (killed one found: %v, late one: %v), want the 4 first and the late one", len(r.Workers), sawKilled, sawLate)
	}
	slices.Sort(live)
	if !slices.Equal(live, []int{12, 12, 13, 13}) {
		t.Errorf("users of the 4 live workers at the end %v, want 13, 13, 12, 12", live)
	}
	checkMix(t, r)
	checkCSV(t, dir, r, false)
	if served < r.Aggregated.Count {
		t.Errorf("the album service received %d requests, fewer than the %d loadgen counted", served, r.Aggregated.Count)
	}
	t.Logf("the album service received %d requests; loadgen counted %d (the killed worker's last unreported second and the requests in flight at each stop are the difference). Took %v.", served, r.Aggregated.Count, time.Since(start).Round(time.Second))
}

// coordinatorNetwork is the one network the coordinator container is on.
func coordinatorNetwork(t *testing.T, id string) string {
	t.Helper()
	var nets map[string]any
	if err := json.Unmarshal([]byte(docker(t, "inspect", "--format", "{{json .NetworkSettings.Networks}}", id)), &nets); err != nil {
		t.Fatal(err)
	}
	if len(nets) != 1 {
		t.Fatalf("the coordinator is on %d networks, want 1", len(nets))
	}
	for name := range nets {
		return name
	}
	return ""
}

// watchStop polls the counter every 50 ms for window from began and
// returns how much it moved and when it last did (the time of the poll
// that saw the move, so an upper bound).
func watchStop(t *testing.T, c counter, began time.Time, window time.Duration) (int64, time.Time) {
	t.Helper()
	first := c.read()
	last, at := first, began
	for time.Since(began) < window {
		time.Sleep(50 * time.Millisecond)
		if n := c.read(); n != last {
			last, at = n, time.Now()
		}
	}
	return last - first, at
}

// answers reports whether an HTTP server answers at addr, whatever the
// status (the control port answers 401 without the token).
func answers(addr string) bool {
	c := http.Client{Timeout: 200 * time.Millisecond}
	resp, err := c.Get("http://" + addr + "/v1/commands")
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return true
}

// lastAnswer probes addr every 20 ms from began until it stops answering
// and returns the time of the last answer, the earliest the cut can have
// happened; zero if it still answers after within.
func lastAnswer(addr string, began time.Time, within time.Duration) time.Time {
	last := began
	for time.Since(began) < within {
		sent := time.Now()
		if !answers(addr) {
			return last
		}
		last = sent
		time.Sleep(20 * time.Millisecond)
	}
	return time.Time{}
}

// imageFile is one entry of an image's layers.
type imageFile struct {
	Mode     string // "d" for a directory, "x" for an executable, "f" for another file
	UID, GID int
}

// imageLayout lists what an image holds, from its layers as `docker save`
// writes them, and its run configuration.
func imageLayout(t *testing.T, image string) (map[string]imageFile, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "save", image)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	saved, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker save %s: %v: %s", image, err, stderr.String())
	}
	blobs := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(saved))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if blobs[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	var manifest []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(blobs["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("docker save %s: manifest.json: %v", image, err)
	}
	var config struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(blobs[manifest[0].Config], &config); err != nil {
		t.Fatalf("docker save %s: the image configuration: %v", image, err)
	}
	files := map[string]imageFile{}
	for _, layer := range manifest[0].Layers {
		lr := tar.NewReader(bytes.NewReader(blobs[layer]))
		for {
			h, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", layer, err)
			}
			f := imageFile{Mode: "f", UID: h.Uid, GID: h.Gid}
			switch {
			case h.Typeflag == tar.TypeDir:
				f.Mode = "d"
			case h.FileInfo().Mode()&0o111 != 0:
				f.Mode = "x"
			}
			files[strings.TrimSuffix(h.Name, "/")] = f
		}
	}
	return files, config.Config
}

// TestImage checks the image's layout, which deploy/Dockerfile and
// deploy/Dockerfile.prebuilt must both give: the two static binaries and
// the CA bundle on an empty base, /results owned by the numeric non-root
// user, entrypoint /loadgen; and that both binaries run in it with a
// read-only root filesystem.
func TestImage(t *testing.T) {
	files, config := imageLayout(t, testImage())
	want := map[string]imageFile{
		"loadgen":                           {"x", 0, 0},
		"albumsvc":                          {"x", 0, 0},
		"etc":                               {"d", 0, 0},
		"etc/ssl":                           {"d", 0, 0},
		"etc/ssl/certs":                     {"d", 0, 0},
		"etc/ssl/certs/ca-certificates.crt": {"f", 0, 0},
		"results":                           {"d", 65532, 65532},
	}
	if fmt.Sprint(files) != fmt.Sprint(want) {
		t.Errorf("the image holds\n%v\nwant\n%v", files, want)
	}
	for key, want := range map[string]string{
		"User":         "65532:65532",
		"Entrypoint":   "[/loadgen]",
		"WorkingDir":   "/results",
		"ExposedPorts": "<nil>",
		"Volumes":      "<nil>",
	} {
		if got := fmt.Sprint(config[key]); got != want {
			t.Errorf("image configuration %s: %s, want %s", key, got, want)
		}
	}
	for program, args := range map[string][]string{
		"loadgen":  {testImage(), "--version"},
		"albumsvc": {"--entrypoint", "/albumsvc", testImage(), "--version"},
	} {
		out := docker(t, append([]string{"run", "--rm", "--read-only", "--cap-drop", "ALL", "--network", "none"}, args...)...)
		if !strings.HasPrefix(out, program+" ") {
			t.Errorf("docker run %v: %q, want %s's version", args, out, program)
		}
	}
}

// lostAt says when a worker's log says it lost its coordinator and
// stopped its users, relative to the cut.
// runStarted is when the coordinator logged the start of its run, by the
// clock that its run time counts on.
func runStarted(t *testing.T, coordinator string) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "logs", coordinator).CombinedOutput() // the log is on stderr
	if err != nil {
		t.Fatalf("docker logs %s: %v", coordinator, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.Contains(line, `msg="run started"`) {
			continue
		}
		ts, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Fatalf("the coordinator's start line %q: %v", line, err)
		}
		return at
	}
	t.Fatal("load arrived, but the coordinator's log has no \"run started\" line")
	return time.Time{}
}

func lostAt(t *testing.T, container string, cut time.Time) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "logs", container)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Sprintf("docker logs: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.Contains(line, "coordinator lost") {
			continue
		}
		ts, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return line
		}
		return fmt.Sprintf("lost the coordinator and stopped its users %.2f s after the cut", at.Sub(cut).Seconds())
	}
	return "its log has no line about losing the coordinator"
}
