// Package dataset holds the rows of a profile's data file (a CSV file with
// a header row, whose columns become template variables) and hands them to
// users: a row per user for its whole life, or a row per task run in file
// order or at random. In a distributed run, every worker deals from the
// same rows without sharing a per-user row with another (see Dealer).
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

// Dealer hands one process's users their rows. Its methods are safe for
// concurrent use.
//
// A per-user row is chosen by the user's rank in its class over the whole
// run: the k-th user of a class started, wherever it runs, takes row k.
// Users on different workers therefore never hold the same row, with no
// coordination beyond the start order the workers already share, and a
// user started again after a retirement takes the row its place had.
// Sequential rows are shared out in turn: worker w of n goes through rows
// w, w+n, w+2n, ..., so that the workers together go through the file
// once before any row comes again.
type Dealer struct {
	t       *Table
	mode    Mode
	recycle bool
	// The sequential rows of this worker: first, first+stride, ...
	first, stride, count int
	seq                  atomic.Uint64
}

// NewDealer hands out t's rows in mode, for the one process of a run or
// for worker w of n (see Dealer); w and n are 0 and 1 in one process.
// With recycle, per-user rows are handed out again from the first once
// every row is taken, so users share rows rather than fail to start.
func NewDealer(t *Table, mode Mode, recycle bool, w, n int) *Dealer {
	d := &Dealer{t: t, mode: mode, recycle: recycle, first: 0, stride: 1, count: len(t.Rows)}
	if n > 1 && w >= 0 && w < len(t.Rows) {
		d.first, d.stride = w, n
		d.count = (len(t.Rows) - w + n - 1) / n
	}
	return d
}

// Table is the dealer's table.
func (d *Dealer) Table() *Table { return d.t }

// Mode is the dealer's mode.
func (d *Dealer) Mode() Mode { return d.mode }

// ExhaustedError is a per-user row asked for past the end of the file
// when rows may not be shared.
type ExhaustedError struct {
	Source string
	Rows   int
	// Rank is the user's rank in its class, counting from 0: the row it
	// needed.
	Rank int
}

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("data %s: user %d of its class needs a row of its own, but the file has %d (mode per-user gives each user its own row); add rows, run fewer users, or set recycle: true to share them",
		e.Source, e.Rank+1, e.Rows)
}

// PerUser gives the user of the given rank in its class (0 for the
// class's first user started) its row. Without recycle, a rank past the
// last row fails with an *ExhaustedError.
func (d *Dealer) PerUser(rank int) (int, error) {
	n := len(d.t.Rows)
	if rank < n {
		return rank, nil
	}
	if !d.recycle {
		return 0, &ExhaustedError{Source: d.t.Source, Rows: n, Rank: rank}
	}
	return rank % n, nil
}

// Next gives a task run its row: this worker's next in file order
// (Sequential, starting over after its last) or a random one drawn from
// rnd (Random).
func (d *Dealer) Next(rnd *rand.Rand) int {
	if d.mode == Random && rnd != nil {
		return int(rnd.Uint64N(uint64(len(d.t.Rows))))
	}
	k := (d.seq.Add(1) - 1) % uint64(d.count)
	return d.first + int(k)*d.stride
}
