package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/shoptest"
	"github.com/loadgen/loadgen/results/report"
)

// TestExamplesAgainstTheShop runs the porting guide's example profiles
// from the command line, in one process and on two worker processes,
// against a shop that needs what each needs: the target must see what a
// Locust run of the same locustfile would make it see.
func TestExamplesAgainstTheShop(t *testing.T) {
	for _, workers := range []string{"0", "2"} {
		for _, tc := range []struct {
			profile string
			args    []string
			check   func(t *testing.T, rep *report.Report, shop shoptest.Stats)
		}{
			{"login.yaml", []string{"-u", "4", "-r", "0", "-t", "2s"}, func(t *testing.T, rep *report.Report, shop shoptest.Stats) {
				noFailures(t, rep)
				if n := rowCount(rep, "POST", "login"); n != 4 {
					t.Errorf("%d logins, want one per user", n)
				}
				for i := 1; i <= 4; i++ {
					if a := shop.Accounts[userName(i, workers)]; a.Logins != 1 || a.Listed == 0 {
						t.Errorf("%s: %+v", userName(i, workers), a)
					}
				}
			}},
			{"sequence.yaml", []string{"-u", "2", "-r", "0", "-t", "2s"}, func(t *testing.T, rep *report.Report, shop shoptest.Stats) {
				noFailures(t, rep)
				lists, items, reviews := rowCount(rep, "GET", "/items"), rowCount(rep, "GET", "/items/{id}"), rowCount(rep, "POST", "/items/{id}/reviews")
				if lists == 0 || items < lists-2 || reviews < items-2 {
					t.Errorf("%d lists, %d items, %d reviews", lists, items, reviews)
				}
				if shop.Refused != 0 {
					t.Errorf("refused %v", shop.Reasons)
				}
			}},
			{"data.yaml", []string{"-u", "4", "-r", "0", "-t", "2s"}, func(t *testing.T, rep *report.Report, shop shoptest.Stats) {
				noFailures(t, rep)
				for _, name := range []string{"ann", "bob", "cid", "dee"} {
					if a := shop.Accounts[name]; a.Logins != 1 || a.Requests < 2 {
						t.Errorf("%s: %+v: one user per row, each with its own login and its cookie", name, a)
					}
				}
			}},
			{"classes.yaml", []string{"-u", "8", "-r", "0", "-t", "2s"}, func(t *testing.T, rep *report.Report, shop shoptest.Stats) {
				noFailures(t, rep)
				if len(shop.Accounts) != 6 || shop.Admin == 0 {
					t.Errorf("%d shoppers and %d admin requests; want 6 shoppers (3:1 of 8 users) and admins", len(shop.Accounts), shop.Admin)
				}
			}},
			{"tags.yaml", []string{"-u", "2", "-r", "0", "-t", "2s", "--tags", "read", "--exclude-tags", "search"}, func(t *testing.T, rep *report.Report, shop shoptest.Stats) {
				noFailures(t, rep)
				for _, e := range rep.Entries {
					if e.Name != "/items" && e.Name != "login" {
						t.Errorf("row %s %s ran", e.Method, e.Name)
					}
				}
			}},
			{"checks.yaml", []string{"-u", "2", "-r", "0", "-t", "1s"}, func(t *testing.T, rep *report.Report, shop shoptest.Stats) {
				if len(rep.Errors) != 1 || rep.Errors[0].Error != `check body_not_contains "error": found` || rep.Errors[0].Name != "/search (empty)" {
					t.Errorf("errors %+v: the empty search, and only it, fails its check", rep.Errors)
				}
			}},
			{"stages.yaml", nil, func(t *testing.T, rep *report.Report, shop shoptest.Stats) {
				noFailures(t, rep)
				peak := 0
				for _, row := range rep.History {
					peak = max(peak, row.Users)
				}
				if peak != 8 || rep.DurationS < 4.5 || rep.DurationS > 6.5 {
					t.Errorf("peak %d users over %.1fs; want the stages' 8 users and 5s", peak, rep.DurationS)
				}
			}},
			{"headers.yaml", []string{"-u", "2", "-r", "0", "-t", "1s"}, func(t *testing.T, rep *report.Report, shop shoptest.Stats) {
				noFailures(t, rep)
				if shop.Admin == 0 {
					t.Error("no admin request")
				}
			}},
		} {
			t.Run(workers+"/"+tc.profile, func(t *testing.T) {
				shop := shoptest.New(t)
				jsonPath := filepath.Join(t.TempDir(), "r.json")
				args := append([]string{"--profile", filepath.Join("..", "..", "profiles", "examples", tc.profile), "-H", shop.URL,
					"--workers", workers, "--only-summary", "--json", jsonPath, "--seed", "3"}, tc.args...)
				code, out, stderr := runCLI(t, nil, args...)
				if tc.profile == "checks.yaml" && code == 1 {
					code = 0 // failures were the point
				}
				if code != 0 {
					t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
				}
				tc.check(t, readReport(t, jsonPath), shop.Stats())
			})
		}
	}
}

// userName is the shop user of the example profiles' user i: user IDs
// are numbered per worker, from a block of a million per worker.
func userName(i int, workers string) string {
	if workers == "0" {
		return fmt.Sprintf("user%d", i)
	}
	// Two workers split 4 users 2 and 2: worker 0 numbers from 1, worker
	// 1 from 1000001.
	if i <= 2 {
		return fmt.Sprintf("user%d", i)
	}
	return fmt.Sprintf("user%d", 1_000_000+i-2)
}

func rowCount(rep *report.Report, method, name string) int64 {
	for _, e := range rep.Entries {
		if e.Method == method && e.Name == name {
			return e.Count
		}
	}
	return 0
}

func noFailures(t *testing.T, rep *report.Report) {
	t.Helper()
	if rep.Aggregated.Failures > 0 || rep.Aggregated.Count == 0 {
		var errs []string
		for _, e := range rep.Errors {
			errs = append(errs, fmt.Sprintf("%s %s: %s (%d)", e.Method, e.Name, e.Error, e.Occurrences))
		}
		t.Errorf("%d requests, %d failures: %s", rep.Aggregated.Count, rep.Aggregated.Failures, strings.Join(errs, "; "))
	}
}

// TestInsecure: a self-signed target fails every request until the
// profile's tls_verify: false, or --insecure, accepts its certificate, as
// Locust's verify=False does.
func TestInsecure(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	strict := write("strict.yaml", "tasks: [{path: /}]\n")
	lax := write("lax.yaml", "tls_verify: false\ntasks: [{path: /}]\n")
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--profile", strict}, 1},
		{[]string{"--profile", lax}, 0},
		{[]string{"--profile", strict, "--insecure"}, 0},
	} {
		code, out, stderr := runCLI(t, nil, append(tc.args, "-H", srv.URL, "-u", "1", "-t", "1500ms", "--only-summary")...)
		if code != tc.want {
			t.Errorf("%v: exit %d, want %d\n%s\n%s", tc.args, code, tc.want, out, stderr)
		}
	}
}

// TestJourneyFromTheWebForm: the web UI's start form takes a journey
// profile's YAML, and the run, in this process or on two workers, makes
// the shop see what the command line's does: one login per user, then
// item lists with the token.
func TestJourneyFromTheWebForm(t *testing.T) {
	profile, err := os.ReadFile(filepath.Join("..", "..", "profiles", "examples", "login.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []string{"0", "2"} {
		t.Run(workers, func(t *testing.T) {
			shop := shoptest.New(t)
			url, stop := startWeb(t, "--workers", workers)
			req, _ := json.Marshal(map[string]any{"users": 4, "spawn_rate": 100, "host": shop.URL, "run_time": "2s", "profile_yaml": string(profile)})
			if code := postJSON(t, url+"/api/start", string(req)); code != http.StatusOK {
				t.Fatalf("start: %d", code)
			}
			waitStopped(t, url, 40*time.Second)
			stop()
			st := shop.Stats()
			if len(st.Accounts) != 4 || st.Refused != 0 {
				t.Fatalf("accounts %d, refused %v", len(st.Accounts), st.Reasons)
			}
			for name, a := range st.Accounts {
				if a.Logins != 1 || a.Listed == 0 {
					t.Errorf("%s: %+v", name, a)
				}
			}
		})
	}
}
