// Package dataset holds the rows of a profile's data file (a CSV file with
// a header row, whose columns become template variables) and hands them to
// users: a row per user for its whole life, or a row per task run in file
// order or at random. It also splits a file's rows over the workers of a
// distributed run, so that no two users anywhere hold the same per-user
// row.
package dataset

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// MaxSize is the largest data file Load reads. Every worker of a
// distributed run holds its share of the rows in memory, and the
// coordinator sends them over its control connection.
const MaxSize = 64 << 20

// Mode says how users get rows.
type Mode uint8

// The modes, as a profile writes them.
const (
	// PerUser gives each user its own row for its whole life.
	PerUser Mode = iota
	// Sequential gives each task run the next row, in file order,
	// starting over after the last.
	Sequential
	// Random gives each task run a row drawn at random.
	Random
)

var modeNames = [...]string{PerUser: "per-user", Sequential: "sequential", Random: "random"}

// String is the mode as a profile writes it.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode reads per-user, sequential or random.
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return Mode(m), nil
		}
	}
	return 0, fmt.Errorf("%q is not a mode; want per-user, sequential or random", s)
}

// Table is a data file: its column names and its rows, each with one value
// per column. It is read-only once made, so every user shares it.
type Table struct {
	// Source names the file in messages.
	Source  string
	Columns []string
	Rows    [][]string
}

// Load reads the CSV file at path; see Parse.
func Load(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data file: %w", err)
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse reads a CSV file with a header row. Column names must be distinct
// template variable names (letters, digits and _, not starting with a
// digit), every row must have a value for every column, and there must be
// at least one row. A file over MaxSize is refused. Errors name the source
// and the line.
func Parse(source string, r io.Reader) (*Table, error) { return parse(source, r, MaxSize) }

func parse(source string, r io.Reader, limit int64) (*Table, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %s; split it into smaller files", source, size(limit))
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a spreadsheet's byte order mark
	cr := csv.NewReader(bytes.NewReader(data))
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: the file is empty; want a header row naming the columns, then rows", source)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, csvError(err))
	}
	t := &Table{Source: source, Columns: header}
	seen := make(map[string]int, len(header))
	for i, name := range header {
		if !IsVariableName(name) {
			return nil, fmt.Errorf("%s:1: column %d: %q is not a variable name (letters, digits and _, not starting with a digit)", source, i+1, name)
		}
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("%s:1: column %d: %q repeats column %d", source, i+1, name, prev)
		}
		seen[name] = i + 1
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, csvError(err))
		}
		t.Rows = append(t.Rows, rec)
	}
	if len(t.Rows) == 0 {
		return nil, fmt.Errorf("%s: no rows after the header", source)
	}
	return t, nil
}

func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// csvError rewords encoding/csv's "record on line N: wrong number of
// fields" so that it says what to fix.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("line %d: a row must have one value per column of the header", pe.Line)
		}
		return fmt.Errorf("line %d: %w", pe.Line, pe.Err)
	}
	return err
}

// IsVariableName reports whether s can name a template variable: what
// {{.name}} accepts.
func IsVariableName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// Column returns the index of the named column, or -1.
func (t *Table) Column(name string) int {
	for i, c := range t.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// Range is the rows from Start up to, not including, End.
type Range struct{ Start, End int }

// Len is the number of rows in the range.
func (r Range) Len() int { return r.End - r.Start }

// Partition splits n rows into one contiguous range per share, sized in
// proportion to the shares (largest remainders take the rows left over,
// earlier shares first on ties), so that workers running different
// numbers of users hold rows in the same proportion. Shares that are all
// zero split the rows evenly. No row is in two ranges, and every row is in
// one.
func Partition(n int, shares []int) []Range {
	out := make([]Range, len(shares))
	if len(shares) == 0 || n <= 0 {
		return out
	}
	total := 0
	for _, s := range shares {
		total += max(s, 0)
	}
	weights := make([]int, len(shares))
	for i, s := range shares {
		weights[i] = max(s, 0)
		if total == 0 {
			weights[i] = 1
		}
	}
	if total == 0 {
		total = len(shares)
	}
	sizes := make([]int, len(shares))
	given := 0
	rems := make([]int64, len(shares))
	for i, w := range weights {
		q := int64(n) * int64(w)
		sizes[i] = int(q / int64(total))
		rems[i] = q % int64(total)
		given += sizes[i]
	}
	for ; given < n; given++ {
		best := 0
		for i := range rems {
			if rems[i] > rems[best] {
				best = i
			}
		}
		sizes[best]++
		rems[best] = -1
	}
	start := 0
	for i, s := range sizes {
		out[i] = Range{Start: start, End: start + s}
		start += s
	}
	return out
}

// Slice returns the table cut to the rows of r, sharing its memory.
func (t *Table) Slice(r Range) *Table {
	return &Table{Source: t.Source, Columns: t.Columns, Rows: t.Rows[r.Start:r.End:r.End]}
}

// Dealer hands one process's users their rows. Its methods are safe for
// concurrent use.
type Dealer struct {
	t       *Table
	mode    Mode
	recycle bool

	mu   sync.Mutex
	next int   // per-user: the first row never handed out
	free []int // per-user: rows given back by retired users
	seq  atomic.Uint64
}

// NewDealer hands out t's rows in mode. With recycle, per-user rows are
// handed out again from the first once every row is taken, so users share
// rows rather than fail to start.
func NewDealer(t *Table, mode Mode, recycle bool) *Dealer {
	return &Dealer{t: t, mode: mode, recycle: recycle}
}

// Table is the dealer's table.
func (d *Dealer) Table() *Table { return d.t }

// Mode is the dealer's mode.
func (d *Dealer) Mode() Mode { return d.mode }

// ExhaustedError is a per-user row asked for when every row is held by a
// running user and rows may not be shared.
type ExhaustedError struct {
	Source string
	Rows   int
}

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("data %s: all %d rows are held by running users (mode per-user gives each user its own row); add rows, run fewer users, or set recycle: true to share them",
		e.Source, e.Rows)
}

// Acquire gives a new user its per-user row: rows given back by retired
// users first, then rows never handed out, in file order. Without
// recycle, it fails with an *ExhaustedError when every row is held.
func (d *Dealer) Acquire() (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := len(d.free); n > 0 {
		row := d.free[n-1]
		d.free = d.free[:n-1]
		return row, nil
	}
	if d.next < len(d.t.Rows) {
		d.next++
		return d.next - 1, nil
	}
	if !d.recycle {
		return 0, &ExhaustedError{Source: d.t.Source, Rows: len(d.t.Rows)}
	}
	d.next++
	return (d.next - 1) % len(d.t.Rows), nil
}

// Release gives back the row of a user that has stopped, so that the next
// user to start can have it. Rows shared under recycle are not tracked.
func (d *Dealer) Release(row int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.next > len(d.t.Rows) {
		return // recycling: rows are shared, none is free
	}
	d.free = append(d.free, row)
}

// Next gives a task run its row: the next in file order (Sequential,
// starting over after the last) or a random one drawn from rnd (Random).
func (d *Dealer) Next(rnd *rand.Rand) int {
	n := uint64(len(d.t.Rows))
	if d.mode == Random && rnd != nil {
		return int(rnd.Uint64N(n))
	}
	return int((d.seq.Add(1) - 1) % n)
}
