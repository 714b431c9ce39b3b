package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/locusttest"
)

// webDescription is contract.py's description of one endpoint's answer.
type webDescription struct {
	Status  int                 `json:"status"`
	Type    string              `json:"type"`
	Success *bool               `json:"success"`
	JSON    map[string][]string `json:"json"`
	CSV     *csvDescription     `json:"csv"`
	Text    *string             `json:"text"`
	HTML    *bool               `json:"html"`
}

// formResult is what one variant of the /swarm form got.
type formResult struct {
	Status  int   `json:"status"`
	Success *bool `json:"success"`
}

// webReport is contract.py web's report: the endpoints, and the form
// fields /swarm accepted.
type webReport struct {
	endpoints map[string]webDescription
	fields    map[string]formResult
}

// TestLocustContractWebAPI runs real Locust's web UI and loadgen --web on
// the same target with the same workload, drives each with contract.py,
// a client written against Locust's web API, and compares what it saw:
// statuses and media types of the 11 endpoints, the keys of every JSON
// answer and the types of their values (loadgen's must be types Locust
// gives there), the CSV downloads as the CSV contract compares the files,
// and which of the start form's fields /swarm accepts.
func TestLocustContractWebAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real Locust's web UI for about 15 s")
	}
	target := contractTarget(t)
	dir := t.TempDir()
	lcAddr, lgAddr := freeAddr(t), freeAddr(t)
	lcHost, lcPort, _ := net.SplitHostPort(lcAddr)
	lgHost, lgPort, _ := net.SplitHostPort(lgAddr)
	lc := locusttest.Locust(t, "-f", filepath.Join("testdata", "locust", "locustfile.py"), "-H", target,
		"--web-host", lcHost, "--web-port", lcPort, "--csv", filepath.Join(dir, "locust"), "--csv-full-history")
	lg, err := testSelf("--web", "--profile", filepath.Join("testdata", "locust", "albums.yaml"), "-H", target,
		"--web-host", lgHost, "--web-port", lgPort, "--csv-full-history")
	if err != nil {
		t.Fatal(err)
	}
	var logs [2]syncBuffer
	for i, cmd := range []*exec.Cmd{lc, lg} {
		cmd.Stdout, cmd.Stderr = &logs[i], &logs[i]
		startUntilCleanup(t, cmd)
	}

	py := locusttest.Python(t)
	var reports [2]webReport
	var errs [2]error
	var wg sync.WaitGroup
	for i, addr := range []string{lcAddr, lgAddr} {
		wg.Go(func() {
			if errs[i] = waitForUI("http://" + addr); errs[i] == nil {
				reports[i], errs[i] = describeWeb(py, "http://"+addr, target)
			}
		})
	}
	wg.Wait()
	for i, name := range []string{"Locust", "loadgen"} {
		if errs[i] != nil {
			t.Fatalf("%s: %v\n%s", name, errs[i], logs[i].String())
		}
	}
	lcr, lgr := reports[0], reports[1]
	checkLocustSawARun(t, lcr, logs[0].String())
	compareWebAPI(t, lgr.endpoints, lcr.endpoints)
	compareFormFields(t, lgr.fields, lcr.fields)
	if t.Failed() {
		t.Logf("loadgen's log:\n%s", logs[1].String())
	}
}

// startUntilCleanup starts cmd and, when the test ends, interrupts it,
// as Ctrl-C would, and kills it if it has not exited 20 s later.
func startUntilCleanup(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
}

// waitForUI waits until a web UI answers GET /stats/requests.
func waitForUI(base string) error {
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := client.Get(base + "/stats/requests")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer GET /stats/requests within 30 s: %v", base, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// describeWeb runs contract.py web against a UI and decodes its report.
func describeWeb(py, base, target string) (webReport, error) {
	cmd := exec.Command(py, filepath.Join("testdata", "locust", "contract.py"), "web", base, target)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return webReport{}, fmt.Errorf("contract.py web %s: %v\n%s", base, err, stderr.Bytes())
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(out, &raw); err != nil {
		return webReport{}, fmt.Errorf("contract.py web printed %q: %v", out, err)
	}
	r := webReport{endpoints: map[string]webDescription{}}
	for k, v := range raw {
		var err error
		if k == "form fields" {
			err = json.Unmarshal(v, &r.fields)
		} else {
			var d webDescription
			err = json.Unmarshal(v, &d)
			r.endpoints[k] = d
		}
		if err != nil {
			return webReport{}, fmt.Errorf("contract.py web's %s: %v", k, err)
		}
	}
	return r, nil
}

// checkLocustSawARun fails the test when Locust's side of the comparison
// would prove little: no request rows, no failures, no history.
func checkLocustSawARun(t *testing.T, lc webReport, log string) {
	t.Helper()
	stats := lc.endpoints["GET /stats/requests"].JSON
	for _, path := range []string{".stats[].name", ".errors[].error", ".current_response_time_percentile_95"} {
		if len(stats[path]) == 0 {
			t.Fatalf("Locust's /stats/requests never had %s: the comparison would prove little\n%s", path, log)
		}
	}
	for _, ep := range []string{"GET /stats/requests/csv", "GET /stats/failures/csv", "GET /stats/requests_full_history/csv"} {
		if d := lc.endpoints[ep].CSV; d == nil || d.Rows == 0 {
			t.Fatalf("Locust's %s has no rows: the comparison would prove little\n%s", ep, log)
		}
	}
}

// compareWebAPI compares loadgen's answers with Locust's, endpoint by
// endpoint.
func compareWebAPI(t *testing.T, lg, lc map[string]webDescription) {
	t.Helper()
	names := mapKeys(lc)
	if got := mapKeys(lg); !slices.Equal(got, names) {
		t.Errorf("endpoints described: loadgen %q, Locust %q", got, names)
	}
	if len(names) != 11 {
		t.Errorf("%d endpoints described, want Locust's 11: %q", len(names), names)
	}
	for _, name := range names {
		g, c := lg[name], lc[name]
		if g.Status != c.Status || g.Type != c.Type {
			t.Errorf("%s: loadgen %d %s, Locust %d %s", name, g.Status, g.Type, c.Status, c.Type)
			continue
		}
		if c.JSON != nil {
			compareJSONShape(t, name, g.JSON, c.JSON)
		}
		if c.CSV != nil && g.CSV != nil {
			compareCSV(t, name, *g.CSV, *c.CSV)
		} else if c.CSV != nil {
			t.Errorf("%s: no CSV from loadgen", name)
		}
		if c.Text != nil && (g.Text == nil || *g.Text != *c.Text) {
			t.Errorf("%s: loadgen answered %v, Locust %q", name, derefOr(g.Text), *c.Text)
		}
		if c.HTML != nil && (g.HTML == nil || *g.HTML != *c.HTML) {
			t.Errorf("%s: loadgen's answer is HTML: %v, Locust's: %v", name, g.HTML, *c.HTML)
		}
		if c.Success != nil && (g.Success == nil || *g.Success != *c.Success) {
			t.Errorf("%s: success %v, Locust's %v", name, g.Success, *c.Success)
		}
	}
}

// compareJSONShape: the same keys, and at each the types of loadgen's
// values are among those Locust's had (Locust's change with the data: a
// rate is the integer 0 before the first request, a float after).
func compareJSONShape(t *testing.T, name string, lg, lc map[string][]string) {
	t.Helper()
	if g, c := mapKeys(lg), mapKeys(lc); !slices.Equal(g, c) {
		t.Errorf("%s keys:\n loadgen %q\n  Locust %q", name, g, c)
	}
	for path, ctypes := range lc {
		for _, typ := range lg[path] {
			if !slices.Contains(ctypes, typ) {
				t.Errorf("%s %s: loadgen's values are %v, Locust's %v", name, path, lg[path], ctypes)
				break
			}
		}
	}
}

// compareFormFields: /swarm accepts the same fields, and refuses the
// same bad value (Locust with 200 and success false, loadgen with 400).
func compareFormFields(t *testing.T, lg, lc map[string]formResult) {
	t.Helper()
	if len(lc) < 9 {
		t.Fatalf("only %d form variants tried on Locust: %v", len(lc), lc)
	}
	for _, name := range mapKeys(lc) {
		g, c := lg[name], lc[name]
		if c.Success == nil || g.Success == nil || *g.Success != *c.Success {
			t.Errorf("/swarm with %s: loadgen %d success %v, Locust %d success %v", name, g.Status, derefOr(g.Success), c.Status, derefOr(c.Success))
			continue
		}
		if *c.Success && g.Status != c.Status {
			t.Errorf("/swarm with %s: loadgen %d, Locust %d", name, g.Status, c.Status)
		}
	}
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// derefOr shows a pointer's value, or nil.
func derefOr[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
