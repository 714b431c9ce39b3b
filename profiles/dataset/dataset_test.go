package dataset

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tb, err := Parse("users.csv", strings.NewReader("\ufeffusername,password\nann,\"p,1\"\nbob,p2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tb.Columns, "|") != "username|password" || len(tb.Rows) != 2 || tb.Rows[0][1] != "p,1" {
		t.Errorf("got %+v", tb)
	}
	if tb.Column("password") != 1 || tb.Column("nope") != -1 {
		t.Error("Column lookup")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "users.csv: the file is empty"},
		{"a,b\n", "users.csv: no rows after the header"},
		{"a,b\n1\n", "users.csv: line 2: a row must have one value per column"},
		{"a,e-mail\n1,2\n", `users.csv:1: column 2: "e-mail" is not a variable name`},
		{"a,1b\n1,2\n", `column 2: "1b" is not a variable name`},
		{"a,a\n1,2\n", `users.csv:1: column 2: "a" repeats column 1`},
		{"a\n\"x\n", "users.csv: line 2"},
	} {
		_, err := Parse("users.csv", strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestSizeCap(t *testing.T) {
	if _, err := parse("big.csv", strings.NewReader("a\n1\n22\n333\n"), 10); err == nil || err.Error() != "big.csv: larger than 10 bytes; split it into smaller files" {
		t.Errorf("a file over the cap: %v", err)
	}
	if _, err := parse("ok.csv", strings.NewReader("a\n1\n22\n333\n"), 11); err != nil {
		t.Errorf("a file at the cap: %v", err)
	}
	if got := size(MaxSize); got != "64 MiB" {
		t.Errorf("the cap reads %q", got)
	}
	path := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(path, []byte("a\n1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tb, err := Load(path); err != nil || tb.Source != path || len(tb.Rows) != 1 {
		t.Errorf("Load: %+v, %v", tb, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func table(n int) *Table {
	tb := &Table{Source: "d.csv", Columns: []string{"v"}}
	for i := range n {
		tb.Rows = append(tb.Rows, []string{string(rune('a' + i))})
	}
	return tb
}

func TestPerUserRows(t *testing.T) {
	d := NewDealer(table(3), PerUser, false, 0, 1)
	for rank := range 3 {
		if r, err := d.PerUser(rank); err != nil || r != rank {
			t.Errorf("rank %d: row %d, %v", rank, r, err)
		}
	}
	_, err := d.PerUser(3)
	var ex *ExhaustedError
	if !errors.As(err, &ex) || !strings.Contains(err.Error(), "data d.csv: user 4 of its class needs a row of its own, but the file has 3") {
		t.Fatalf("fourth user: %v", err)
	}
	r := NewDealer(table(2), PerUser, true, 0, 1)
	var rows []int
	for rank := range 5 {
		row, err := r.PerUser(rank)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	if want := []int{0, 1, 0, 1, 0}; !equal(rows, want) {
		t.Errorf("recycled rows %v, want %v", rows, want)
	}
}

// TestSequentialShares: workers take the rows in turn, so that together
// they go through the file once before any row comes again.
func TestSequentialShares(t *testing.T) {
	tb := table(7)
	seen := map[int]int{}
	for w := range 3 {
		d := NewDealer(tb, Sequential, false, w, 3)
		for range d.count {
			seen[d.Next(nil)]++
		}
	}
	if len(seen) != 7 {
		t.Errorf("rows %v, want each of 7 once", seen)
	}
	for row, n := range seen {
		if n != 1 {
			t.Errorf("row %d dealt %d times", row, n)
		}
	}
	// More workers than rows: a worker past the end goes through them all.
	d := NewDealer(table(2), Sequential, false, 5, 8)
	if a, b, c := d.Next(nil), d.Next(nil), d.Next(nil); a != 0 || b != 1 || c != 0 {
		t.Errorf("a worker past the rows dealt %d %d %d", a, b, c)
	}
}

func TestSequentialAndRandom(t *testing.T) {
	d := NewDealer(table(3), Sequential, false, 0, 1)
	var got []int
	for range 7 {
		got = append(got, d.Next(nil))
	}
	if want := []int{0, 1, 2, 0, 1, 2, 0}; !equal(got, want) {
		t.Errorf("sequential rows %v, want %v", got, want)
	}
	r := NewDealer(table(4), Random, false, 0, 1)
	rnd := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, 4)
	for range 4000 {
		counts[r.Next(rnd)]++
	}
	for i, c := range counts {
		if c < 800 || c > 1200 {
			t.Errorf("random row %d drawn %d times of 4000", i, c)
		}
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestModes(t *testing.T) {
	for _, m := range []Mode{PerUser, Sequential, Random} {
		got, err := ParseMode(strings.ToUpper(m.String()))
		if err != nil || got != m {
			t.Errorf("ParseMode(%s) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseMode("per_user"); err == nil {
		t.Error("ParseMode accepted per_user")
	}
}
