package dataset

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

func TestPartition(t *testing.T) {
	for _, tc := range []struct {
		n      int
		shares []int
		want   []int
	}{
		{10, []int{1, 1}, []int{5, 5}},
		{10, []int{3, 1}, []int{8, 2}},
		{10, []int{1, 1, 1}, []int{4, 3, 3}},
		{7, []int{0, 0}, []int{4, 3}},
		{5, []int{2, 0, 3}, []int{2, 0, 3}},
		{0, []int{1, 2}, []int{0, 0}},
		{3, []int{5, 5, 5, 5}, []int{1, 1, 1, 0}},
	} {
		got := Partition(tc.n, tc.shares)
		start := 0
		for i, r := range got {
			if r.Start != start || r.Len() != tc.want[i] {
				t.Errorf("Partition(%d, %v) = %v, want sizes %v", tc.n, tc.shares, got, tc.want)
				break
			}
			start = r.End
		}
		if start != max(tc.n, 0) {
			t.Errorf("Partition(%d, %v) covers %d rows", tc.n, tc.shares, start)
		}
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
	d := NewDealer(table(3), PerUser, false)
	var rows []int
	for range 3 {
		r, err := d.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if rows[0] != 0 || rows[1] != 1 || rows[2] != 2 {
		t.Errorf("rows %v, want 0 1 2 in file order", rows)
	}
	_, err := d.Acquire()
	var ex *ExhaustedError
	if !errors.As(err, &ex) || !strings.Contains(err.Error(), "data d.csv: all 3 rows are held by running users") {
		t.Fatalf("fourth user: %v", err)
	}
	d.Release(1)
	if r, err := d.Acquire(); err != nil || r != 1 {
		t.Errorf("after a release: row %d, %v; want the released row 1", r, err)
	}
}

func TestPerUserRecycle(t *testing.T) {
	d := NewDealer(table(2), PerUser, true)
	var rows []int
	for range 5 {
		r, err := d.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if got := rows; got[0] != 0 || got[1] != 1 || got[2] != 0 || got[3] != 1 || got[4] != 0 {
		t.Errorf("recycled rows %v, want 0 1 0 1 0", got)
	}
}

func TestPerUserConcurrent(t *testing.T) {
	d := NewDealer(table(50), PerUser, false)
	var mu sync.Mutex
	held := map[int]bool{}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			r, err := d.Acquire()
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if held[r] {
				t.Errorf("row %d handed out twice", r)
			}
			held[r] = true
		})
	}
	wg.Wait()
	if len(held) != 50 {
		t.Errorf("%d distinct rows, want 50", len(held))
	}
}

func TestSequentialAndRandom(t *testing.T) {
	d := NewDealer(table(3), Sequential, false)
	var got []int
	for range 7 {
		got = append(got, d.Next(nil))
	}
	if want := []int{0, 1, 2, 0, 1, 2, 0}; !equal(got, want) {
		t.Errorf("sequential rows %v, want %v", got, want)
	}
	r := NewDealer(table(4), Random, false)
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
