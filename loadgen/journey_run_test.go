package loadgen

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/shoptest"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results"
)

// runExample runs a porting-guide example against a fresh shop in this
// process with n users for d, and returns the statistics and what the
// shop saw.
func runExample(t *testing.T, name string, n int, d time.Duration, edit func(*profiles.Profile)) (*results.Snapshot, shoptest.Stats) {
	t.Helper()
	shop := shoptest.New(t)
	p, err := profiles.LoadFile("../profiles/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(p)
	}
	c, err := profiles.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	rows := results.NewRows()
	res, err := Do(context.Background(), &Spec{
		Host:     shop.URL,
		Workload: &Workload{Name: p.Name, Classes: ProfileClasses(c, shop.URL, rows, 0, 1), Rows: rows, NewRand: ProfileRand(1)},
		Users:    n, RunTime: d, StopTimeout: 2 * time.Second, Seed: 1, Stages: p.Stages,
	}, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Snapshot, shop.Stats()
}

func entry(t *testing.T, s *results.Snapshot, method, name string) results.EntryStats {
	t.Helper()
	e, ok := s.Entry(results.EntryKey{Method: method, Name: name})
	if !ok {
		var have []string
		for _, e := range s.Entries {
			have = append(have, e.Method()+" "+e.Name())
		}
		t.Fatalf("no row %s %s; rows: %s", method, name, strings.Join(have, ", "))
	}
	return e
}

func noFailures(t *testing.T, s *results.Snapshot) {
	t.Helper()
	if s.Total.Failures() > 0 {
		t.Errorf("%d failures: %+v", s.Total.Failures(), s.Errors)
	}
	if s.Total.Count() == 0 {
		t.Error("no requests")
	}
}

func TestExampleLogin(t *testing.T) {
	s, shop := runExample(t, "login.yaml", 4, 600*time.Millisecond, nil)
	noFailures(t, s)
	if n := entry(t, s, "POST", "login").Count(); n != 4 {
		t.Errorf("%d logins, want one per user", n)
	}
	for i := 1; i <= 4; i++ {
		a := shop.Accounts[fmt.Sprintf("user%d", i)]
		if a.Logins != 1 || a.Listed == 0 || a.Requests != a.Listed {
			t.Errorf("user%d: %+v: one login, then item lists with its token", i, a)
		}
	}
}

func TestExampleSequence(t *testing.T) {
	s, shop := runExample(t, "sequence.yaml", 3, 700*time.Millisecond, nil)
	noFailures(t, s)
	list, item, review := entry(t, s, "GET", "/items").Count(), entry(t, s, "GET", "/items/{id}").Count(), entry(t, s, "POST", "/items/{id}/reviews").Count()
	if list == 0 || item < list-3 || item > list || review < item-3 || review > item {
		t.Errorf("steps: %d lists, %d items, %d reviews: one row per step, in order", list, item, review)
	}
	for name, a := range shop.Accounts {
		if a.Logins != 1 || a.Fetched == 0 || a.Reviews == 0 {
			t.Errorf("%s: %+v", name, a)
		}
		// Every request of a user after its login came in step order.
		for i, req := range a.Order {
			want := []string{"GET /items", "GET /items/", "POST /items/"}[i%3]
			if !strings.HasPrefix(req, want) {
				t.Errorf("%s: request %d is %s, want %s...", name, i, req, want)
				break
			}
		}
	}
	if shop.Refused > 0 {
		t.Errorf("the shop refused %d requests: %v", shop.Refused, shop.Reasons)
	}
}

func TestExampleData(t *testing.T) {
	s, shop := runExample(t, "data.yaml", 4, 500*time.Millisecond, nil)
	noFailures(t, s)
	for _, name := range []string{"ann", "bob", "cid", "dee"} {
		a := shop.Accounts[name]
		if a.Logins != 1 || a.Requests < 2 || a.Logouts != 1 {
			t.Errorf("%s: %+v: one login from its own row, the cookie on every request, a logout at the end", name, a)
		}
	}
	if n := entry(t, s, "GET", "/account").Count(); n == 0 {
		t.Error("no account requests")
	}
}

// TestExampleDataTooManyUsers: a fifth user finds no free row, and says
// so, rather than share one.
func TestExampleDataTooManyUsers(t *testing.T) {
	s, shop := runExample(t, "data.yaml", 5, 300*time.Millisecond, nil)
	if len(shop.Accounts) != 4 {
		t.Errorf("%d accounts used", len(shop.Accounts))
	}
	if len(s.Exceptions) != 1 || !strings.Contains(s.Exceptions[0].Message, "user 5 of its class needs a row of its own, but the file has 4") {
		t.Errorf("exceptions %+v", s.Exceptions)
	}
}

func TestExampleChecks(t *testing.T) {
	s, _ := runExample(t, "checks.yaml", 2, 300*time.Millisecond, nil)
	good, bad := entry(t, s, "GET", "/search"), entry(t, s, "GET", "/search (empty)")
	if good.Failures() != 0 || bad.Failures() != bad.Count() || bad.Count() == 0 {
		t.Errorf("/search %d of %d failed, the empty search %d of %d", good.Failures(), good.Count(), bad.Failures(), bad.Count())
	}
	if len(s.Errors) != 1 || s.Errors[0].Error != `check body_not_contains "error": found` {
		t.Errorf("errors %+v", s.Errors)
	}
}

func TestExampleClasses(t *testing.T) {
	s, shop := runExample(t, "classes.yaml", 8, 500*time.Millisecond, nil)
	noFailures(t, s)
	if len(shop.Accounts) != 6 || shop.Admin == 0 {
		t.Errorf("%d shoppers logged in and %d admin requests; want 6 shoppers and 2 admins' requests", len(shop.Accounts), shop.Admin)
	}
}

func TestExampleTags(t *testing.T) {
	s, shop := runExample(t, "tags.yaml", 2, 400*time.Millisecond, func(p *profiles.Profile) {
		if _, err := profiles.SelectTags(p, []string{"read"}, []string{"search"}); err != nil {
			t.Fatal(err)
		}
	})
	noFailures(t, s)
	for _, e := range s.Entries {
		if e.Name() != "/items" && e.Name() != "login" {
			t.Errorf("row %s %s ran, but only the read task without search may", e.Method(), e.Name())
		}
	}
	if shop.Searches != 0 {
		t.Errorf("%d searches", shop.Searches)
	}
}

func TestExampleHeaders(t *testing.T) {
	s, shop := runExample(t, "headers.yaml", 2, 200*time.Millisecond, nil)
	noFailures(t, s)
	if shop.Admin == 0 {
		t.Error("no admin request got through")
	}
}

// TestExampleStages: the users follow the stages, and the run lasts as
// long as they do.
func TestExampleStages(t *testing.T) {
	start := time.Now()
	s, _ := runExample(t, "stages.yaml", 0, 0, nil)
	took := time.Since(start)
	noFailures(t, s)
	if took < 5*time.Second || took > 7*time.Second {
		t.Errorf("the run took %v, want the stages' 5s", took)
	}
	peak := 0
	for _, row := range s.History {
		peak = max(peak, row.Users)
	}
	if peak != 8 {
		t.Errorf("peak users %d, want 8", peak)
	}
}
