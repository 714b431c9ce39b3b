package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/loadgen/loadgen/results"
)

// browserPath finds Chromium. The end-to-end test is part of CI, which
// installs it (Debian's chromium package): there, a missing browser is a
// failure; elsewhere the test is skipped with the reason.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found on PATH: CI must install it (apt-get install chromium) for the web UI's end-to-end test")
	}
	t.Skip("no Chromium found on PATH (install Debian's chromium package to run the web UI's end-to-end test)")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := browserPath(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Start the browser now, without a deadline, which would end it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// screenshot saves the page where LOADGEN_E2E_SCREENSHOTS names a
// directory, for people to look at; otherwise into the test's directory.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("LOADGEN_E2E_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// TestBrowserEndToEnd drives the UI in a real browser as a user would:
// fill in the start form against the album service, watch the statistics
// fill and the charts draw, sort, edit the users, stop, and download the
// CSV the page links to.
func TestBrowserEndToEnd(t *testing.T) {
	browser := newBrowser(t)
	albums := startAlbums(t)
	ring := NewLogRing(0, slog.LevelInfo)
	srv, err := New(Config{
		Start:    localStarter("http://127.0.0.1:1"), // the form must give the host
		Defaults: StartRequest{Users: 1, SpawnRate: 1, Profile: "smoke", RunTime: "10m"},
		Logs:     ring,
		Logger:   slog.New(ring.Handler()),
		Version:  "e2e",
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Close(ctx)
	}()

	var mu sync.Mutex
	var exceptions []string
	if err := chromedp.Listen(browser, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			exceptions = append(exceptions, fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber+1))
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			screenshot(t, browser, "failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			screenshot(t, browser, "failed")
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("evaluating %s: %v", js, err)
		}
		return v
	}

	step("open the page and see the start form",
		chromedp.Navigate(ts.URL),
		chromedp.WaitVisible(chromedp.CSS("#start-form")),
	)
	poll("the form's defaults", `document.querySelector('#start-profile').options.length > 0 && document.querySelector('#start-users').value === '1'`)
	screenshot(t, browser, "start")
	step("fill in and submit the start form",
		chromedp.SetValue(chromedp.CSS("#start-users"), "3"),
		chromedp.SetValue(chromedp.CSS("#start-rate"), "30"),
		chromedp.SetValue(chromedp.CSS("#start-host"), albums),
		chromedp.SetValue(chromedp.CSS("#start-runtime"), "5m"),
		chromedp.SetValue(chromedp.CSS("#start-profile"), "albums"),
		chromedp.Click(chromedp.CSS("#start-submit")),
	)
	poll("the statistics table to fill",
		`document.querySelectorAll('#stats-body td.name').length >= 2 && Number(document.querySelector('#stats-total td:nth-child(3)').textContent) > 50`)
	poll("3 users running", `document.querySelector('#st-state').textContent === 'running' && document.querySelector('#st-users').textContent === '3'`)
	if got := eval(`document.querySelector('#st-host').textContent`); got != albums {
		t.Errorf("header shows host %q, want %q", got, albums)
	}
	names := eval(`[...document.querySelectorAll('#stats-body td.name')].map(td => td.textContent).join('|')`)
	if !strings.Contains(names, "/albums") {
		t.Errorf("statistics rows %q lack the albums profile's tasks", names)
	}

	// Sorting: "# Requests" sorts descending first, then ascending.
	step("sort by requests", chromedp.Click(chromedp.CSS(`#stats-table th[data-key="num_requests"]`)))
	checkSorted(t, eval(`[...document.querySelectorAll('#stats-body tr')].map(tr => tr.children[2].textContent).join(',')`), true)
	step("sort by requests again", chromedp.Click(chromedp.CSS(`#stats-table th[data-key="num_requests"]`)))
	checkSorted(t, eval(`[...document.querySelectorAll('#stats-body tr')].map(tr => tr.children[2].textContent).join(',')`), false)
	screenshot(t, browser, "statistics")

	step("open the charts tab", chromedp.Click(chromedp.CSS(`.tabs button[data-tab="charts"]`)))
	poll("five charts", `document.querySelectorAll('#charts svg').length === 5`)
	poll("charts with data", `!document.querySelector('#chart-rps').textContent.includes('no data yet')`)
	screenshot(t, browser, "charts")

	step("edit the running test",
		chromedp.Click(chromedp.CSS("#btn-edit")),
		chromedp.WaitVisible(chromedp.CSS("#edit-form")),
		chromedp.SetValue(chromedp.CSS("#edit-users"), "1"),
		chromedp.Click(chromedp.CSS("#edit-submit")),
	)
	poll("1 user after the edit", `document.querySelector('#st-users').textContent === '1'`)

	step("look at the ratio and logs tabs", chromedp.Click(chromedp.CSS(`.tabs button[data-tab="ratio"]`)))
	poll("the ratio table", `document.querySelectorAll('#ratio-body td.name').length >= 2`)
	screenshot(t, browser, "ratio")
	step("open the logs", chromedp.Click(chromedp.CSS(`.tabs button[data-tab="logs"]`)))
	poll("the log lines", `document.querySelector('#logs').textContent.includes('run edited')`)
	screenshot(t, browser, "logs")

	step("stop the run", chromedp.Click(chromedp.CSS("#btn-stop")))
	poll("the stopped state", `document.querySelector('#st-state').textContent === 'stopped' && !document.querySelector('#btn-new').hidden`)
	// The page shows the stopped run's warnings (such as the requests the
	// stop abandoned) and its outcome, as the API gives them.
	n := eval(`fetch('api/stats').then(r => r.json()).then(s => String(s.warnings.length))`)
	poll("the run's "+n+" warnings", `document.querySelectorAll('#warnings li').length === `+n+` && document.querySelector('#warnings').hidden === (`+n+` === 0)`)
	poll("the run's outcome", `document.querySelector('#st-state').title.startsWith('outcome: ')`)

	step("open the download tab", chromedp.Click(chromedp.CSS(`.tabs button[data-tab="download"]`)))
	href := eval(`document.querySelector('#dl-stats-csv').href`)
	if href != ts.URL+"/download/stats.csv" {
		t.Errorf("stats CSV link %q", href)
	}
	// The page fetches its own link, as a click would download it.
	inPage := eval(`fetch(document.querySelector('#dl-stats-csv').href).then(r => r.ok ? r.text() : 'HTTP ' + r.status)`)
	rows := parseStatsCSV(t, inPage)
	resp, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("GET %s: %s, Content-Disposition %q", href, resp.Status, resp.Header.Get("Content-Disposition"))
	}
	if !bytes.Equal(body, []byte(inPage)) {
		t.Error("the CSV the page fetched differs from a direct download of a stopped run")
	}
	total := rows[len(rows)-1]
	if total[1] != results.AggregatedName {
		t.Fatalf("last CSV row %q, want Aggregated", total)
	}
	if n, err := strconv.Atoi(total[2]); err != nil || n <= 50 {
		t.Errorf("Aggregated request count %q, want over 50", total[2])
	}
	screenshot(t, browser, "stopped")

	if msg := eval(`document.querySelector('#message').className === 'error' ? document.querySelector('#message').textContent : ''`); msg != "" {
		t.Errorf("the page shows an error: %s", msg)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(exceptions) > 0 {
		t.Errorf("the page threw: %v", exceptions)
	}
}

func checkSorted(t *testing.T, joined string, desc bool) {
	t.Helper()
	var prev int
	for i, f := range strings.Split(joined, ",") {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("request counts %q: %v", joined, err)
		}
		if i > 0 && ((desc && n > prev) || (!desc && n < prev)) {
			t.Errorf("request counts %s not sorted (descending %v)", joined, desc)
			return
		}
		prev = n
	}
}

func parseStatsCSV(t *testing.T, text string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("the stats CSV does not parse: %v\n%s", err, text)
	}
	if len(rows) < 3 || rows[0][0] != "Type" || rows[0][2] != "Request Count" {
		t.Fatalf("stats CSV %q", rows)
	}
	return rows
}
