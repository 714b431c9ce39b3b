package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/locusttest"
	"github.com/loadgen/loadgen/loadgen/locust"
)

// The contract tests run real Locust (Debian's python3-locust) and loadgen
// on the same target with the same workload (testdata/locust/locustfile.py
// and albums.yaml), and compare what a team's scripts see of each: one
// Python script, testdata/locust/contract.py, written against Locust,
// describes both.

// contractTarget is the service both tools test, under a base path so that
// request names show it: GET /api/albums and POST /api/albums answer after
// 0 to 8 ms (so that medians are whole milliseconds in Locust too, see
// below), GET /api/missing is a 404, a failure in both tools.
func contractTarget(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Locust reports a median below the fastest response time as that
		// time, a float; spread-out times keep its median an integer.
		time.Sleep(time.Duration(rand.IntN(8000)) * time.Microsecond)
		switch {
		case r.URL.Path == "/api/albums" && r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`[{"id":1,"title":"Blue Train","artist":"John Coltrane","price":56.99}]`))
		case r.URL.Path == "/api/albums" && r.Method == http.MethodPost:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"id":2,"title":"t","artist":"a","price":1.5}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api"
}

// contractDescribe runs contract.py with args and decodes its report.
func contractDescribe(t *testing.T, v any, args ...string) {
	t.Helper()
	py := locusttest.Python(t)
	cmd := exec.Command(py, append([]string{filepath.Join("testdata", "locust", "contract.py")}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("contract.py %v: %v\n%s", args, err, stderr.Bytes())
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("contract.py %v printed %q: %v", args, out, err)
	}
}

// csvDescription is contract.py's description of a CSV file.
type csvDescription struct {
	Header  []string            `json:"header"`
	Rows    int                 `json:"rows"`
	Widths  []int               `json:"widths"`
	Columns map[string][]string `json:"columns"`
	Names   [][2]string         `json:"names"`
}

// compareCSV reports how loadgen's description of a file differs from
// Locust's: the header, the width of every row, the types a reader infers
// for each column, and which (Type, Name) rows exist.
func compareCSV(t *testing.T, file string, lg, lc csvDescription) {
	t.Helper()
	if !reflect.DeepEqual(lg.Header, lc.Header) {
		t.Errorf("%s header:\n loadgen %q\n  Locust %q", file, lg.Header, lc.Header)
		return
	}
	if lc.Rows > 0 && !reflect.DeepEqual(lg.Widths, lc.Widths) {
		t.Errorf("%s row widths: loadgen %v, Locust %v", file, lg.Widths, lc.Widths)
	}
	for _, col := range lc.Header {
		if lc.Rows > 0 && !reflect.DeepEqual(lg.Columns[col], lc.Columns[col]) {
			t.Errorf("%s column %q holds %v in loadgen's file, %v in Locust's", file, col, lg.Columns[col], lc.Columns[col])
		}
	}
	if !reflect.DeepEqual(lg.Names, lc.Names) {
		t.Errorf("%s rows:\n loadgen %q\n  Locust %q", file, lg.Names, lc.Names)
	}
}

// TestLocustContractCSVFiles runs both tools headless with --csv and
// --csv-full-history, side by side, and compares their four files as
// contract.py reads them. It also holds loadgen's wording of Locust's log
// lines to what Locust logged in the same run.
func TestLocustContractCSVFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real Locust for 13 s")
	}
	target := contractTarget(t)
	dir := t.TempDir()
	const users, runTime = 4, 13 * time.Second
	common := []string{"-u", fmt.Sprint(users), "-r", fmt.Sprint(users), "-t", fmt.Sprintf("%ds", int(runTime.Seconds())),
		"-H", target, "--csv-full-history", "--only-summary"}

	lc := locusttest.Locust(t, append([]string{"--headless", "-f", filepath.Join("testdata", "locust", "locustfile.py"),
		"--csv", filepath.Join(dir, "locust")}, common...)...)
	var lcLog bytes.Buffer
	lc.Stdout, lc.Stderr = &lcLog, &lcLog

	// The same flags, but for the workload, a profile rather than Python.
	lg, err := testSelf(append([]string{"--profile", filepath.Join("testdata", "locust", "albums.yaml"),
		"--csv", filepath.Join(dir, "loadgen")}, common...)...)
	if err != nil {
		t.Fatal(err)
	}
	var lgLog bytes.Buffer
	lg.Stdout, lg.Stderr = &lgLog, &lgLog

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, cmd := range []*exec.Cmd{lc, lg} {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case errs[i] = <-done:
			case <-time.After(runTime + 60*time.Second):
				cmd.Process.Kill()
				errs[i] = <-done
			}
		}()
	}
	wg.Wait()
	// Both exit 1: requests to /api/missing failed.
	for i, name := range []string{"Locust", "loadgen"} {
		if code := exitCode(errs[i]); code != 1 {
			t.Fatalf("%s exited with %v, want 1 (failed requests):\n%s", name, errs[i], []*bytes.Buffer{&lcLog, &lgLog}[i])
		}
	}

	files := []string{"_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv"}
	var paths []string
	for _, tool := range []string{"locust", "loadgen"} {
		for _, f := range files {
			paths = append(paths, filepath.Join(dir, tool+f))
		}
	}
	var desc map[string]csvDescription
	contractDescribe(t, &desc, append([]string{"csv"}, paths...)...)
	for _, f := range files {
		lcd, lgd := desc[filepath.Join(dir, "locust"+f)], desc[filepath.Join(dir, "loadgen"+f)]
		if f != "_exceptions.csv" && lcd.Rows == 0 {
			t.Fatalf("Locust's %s has no rows: the comparison would prove nothing\n%s", f, lcLog.String())
		}
		compareCSV(t, f, lgd, lcd)
	}

	// The log lines scripts wait for, worded as Locust words them, in
	// both logs: Locust's class is AlbumsUser, loadgen's the profile.
	lines := func(class string) []string {
		return []string{
			locust.RunTimeSet(runTime),
			locust.Ramping(users, users),
			locust.AllSpawned(map[string]int{class: users}),
			locust.RunTimeReached,
			locust.ShuttingDown(1),
		}
	}
	for _, line := range lines("AlbumsUser") {
		if !strings.Contains(lcLog.String(), ": "+line+"\n") {
			t.Errorf("Locust did not log %q:\n%s", line, lcLog.String())
		}
	}
	wantLogLines(t, lgLog.String(), lines("albums-contract")...)
}

// exitCode is a finished command's exit code, or -1 if it did not exit.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
