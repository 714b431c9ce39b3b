package profiles

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"text/template"
)

// RenderContext is one user's template state. Each user owns one and passes
// it to every Render, so rendering shares nothing between users: no locks,
// no global counters. It is not safe for concurrent use.
type RenderContext struct {
	// UserID is what {{userID}} prints.
	UserID int
	// Seq counts this user's renders; Render increments it first, so
	// {{seq}} is 1 in the user's first request. Every {{seq}} within one
	// Render prints the same number. It is per user, so {{userID}}-{{seq}}
	// is unique across a run.
	Seq uint64
	// Rand drives randInt, randString and uuid. Sharing it with the rest
	// of the user's choices (task, wait) keeps a whole run reproducible
	// from one seed.
	Rand *rand.Rand
	// Vars holds the user's variables ({{.token}}), by the indexes of its
	// class's ClassTemplate.Vars; nil when the class has none.
	Vars *Vars

	funcs   template.FuncMap
	clones  map[*template.Template]*template.Template
	out     limitWriter
	scratch []byte
	data    map[string]string
}

// NewRenderContext returns the context for user userID of a run seeded with
// seed; see NewRand.
func NewRenderContext(seed uint64, userID int) *RenderContext {
	return &RenderContext{UserID: userID, Rand: NewRand(seed, userID)}
}

// NewRand returns the random generator for user userID of a run seeded with
// seed: PCG seeded from both, so the same seed replays every user's stream
// exactly, while different users draw different streams.
func NewRand(seed uint64, userID int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, mix64(uint64(userID))))
}

// mix64 is SplitMix64's finalizer. It spreads consecutive user ids over the
// whole 64-bit space before they become PCG state.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Limits of the template functions, so one mistyped number cannot make a
// request of gigabytes.
const maxRandString = MaxRenderedSize

var errTooLarge = fmt.Errorf("rendered text is larger than %d bytes", MaxRenderedSize)

// The template functions. The fast path (segment.appendTo) and text/template
// (funcMap) both call these, so a template renders the same bytes and draws
// the same random numbers whichever path runs it.

func (c *RenderContext) randInt(lo, hi int) (int, error) {
	if lo > hi {
		return 0, fmt.Errorf("the minimum %d is greater than the maximum %d", lo, hi)
	}
	n := uint64(hi) - uint64(lo) + 1
	if n == 0 { // the whole int range
		return int(c.Rand.Uint64()), nil
	}
	return lo + int(c.Rand.Uint64N(n)), nil
}

const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func (c *RenderContext) appendRandString(dst []byte, n int) ([]byte, error) {
	if n < 0 || n > maxRandString {
		return dst, fmt.Errorf("the length %d is not from 0 to %d", n, maxRandString)
	}
	for range n {
		dst = append(dst, letters[c.Rand.IntN(len(letters))])
	}
	return dst, nil
}

// appendUUID appends a version 4 UUID drawn from the user's generator, so
// it is reproducible with the seed (and so not suitable as a secret).
func (c *RenderContext) appendUUID(dst []byte) []byte {
	const hex = "0123456789abcdef"
	var b [16]byte
	hi, lo := c.Rand.Uint64(), c.Rand.Uint64()
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hex[x>>4], hex[x&0x0f])
	}
	return dst
}

// funcMap binds the template functions to this context. text/template
// looks functions up by name at execution, so each user executes a clone
// of the shared template with its own map.
func (c *RenderContext) funcMap() template.FuncMap {
	return template.FuncMap{
		"seq":     func() uint64 { return c.Seq },
		"userID":  func() int { return c.UserID },
		"randInt": c.randInt,
		"randString": func(n int) (string, error) {
			b, err := c.appendRandString(c.scratch[:0], n)
			c.scratch = b[:0]
			return string(b), err
		},
		"uuid": func() string {
			b := c.appendUUID(c.scratch[:0])
			c.scratch = b[:0]
			return string(b)
		},
	}
}

// execute runs f's template with this user's functions and variables,
// appending to dst.
func (c *RenderContext) execute(f *field, dst []byte) ([]byte, error) {
	t := f.tmpl
	clone := c.clones[t]
	if clone == nil {
		if c.funcs == nil {
			c.funcs = c.funcMap()
		}
		cl, err := t.Clone()
		if err != nil {
			return dst, err
		}
		clone = cl.Funcs(c.funcs)
		if c.clones == nil {
			c.clones = make(map[*template.Template]*template.Template)
		}
		c.clones[t] = clone
	}
	var data any
	if f.usesVars {
		// text/template reads {{.name}} from a map; only variables that
		// have a value are in it, so that an unset one is an error rather
		// than "<no value>".
		if c.data == nil {
			c.data = make(map[string]string)
		}
		clear(c.data)
		if c.Vars != nil {
			for i, name := range c.Vars.names {
				if c.Vars.set[i] {
					c.data[name] = string(c.Vars.vals[i])
				}
			}
		}
		data = c.data
	}
	c.out.buf = dst
	err := clone.Execute(&c.out, data)
	dst, c.out.buf = c.out.buf, nil
	return dst, err
}

// limitWriter appends to a byte slice and refuses to grow past
// MaxRenderedSize, which also stops a runaway template.
type limitWriter struct{ buf []byte }

func (w *limitWriter) Write(p []byte) (int, error) {
	if len(w.buf)+len(p) > MaxRenderedSize {
		return 0, errTooLarge
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// segKind is one step of a fast-path template.
type segKind uint8

const (
	segText segKind = iota
	segSeq
	segUserID
	segUUID
	segRandInt
	segRandString
	segVar
)

// segment is a piece of a template that the fast path renders without
// text/template: literal text or one call of a template function with
// constant arguments.
type segment struct {
	kind segKind
	text []byte
	a, b int
	// call is the action as written and line its line in the template
	// text, for errors.
	call string
	line int
}

// appendTo appends the segment's output. Errors read like text/template's,
// so a template reports the same whichever path renders it.
func (s *segment) appendTo(c *RenderContext, dst []byte) ([]byte, error) {
	var err error
	switch s.kind {
	case segText:
		return append(dst, s.text...), nil
	case segSeq:
		return strconv.AppendUint(dst, c.Seq, 10), nil
	case segUserID:
		return strconv.AppendInt(dst, int64(c.UserID), 10), nil
	case segUUID:
		return c.appendUUID(dst), nil
	case segRandInt:
		var v int
		if v, err = c.randInt(s.a, s.b); err == nil {
			return strconv.AppendInt(dst, int64(v), 10), nil
		}
	case segRandString:
		if dst, err = c.appendRandString(dst, s.a); err == nil {
			return dst, nil
		}
	case segVar:
		if c.Vars != nil && s.a < len(c.Vars.vals) && c.Vars.set[s.a] {
			return append(dst, c.Vars.vals[s.a]...), nil
		}
		name := strings.TrimPrefix(s.call, ".")
		return dst, &UnsetError{Var: name}
	default:
		return dst, errors.New("unknown template segment")
	}
	name, _, _ := strings.Cut(s.call, " ")
	return dst, fmt.Errorf("at <%s>: error calling %s: %w", s.call, name, err)
}

// Vars is one user's variables: the values its captures took and the
// columns of its data row. Each user owns one; it is not safe for
// concurrent use. Values are copied in, so they stay valid however the
// response they came from is reused.
type Vars struct {
	names []string
	vals  [][]byte
	set   []bool
}

// NewVars makes empty variables with the given names, normally a class's
// ClassTemplate.Vars.
func NewVars(names []string) *Vars {
	return &Vars{names: names, vals: make([][]byte, len(names)), set: make([]bool, len(names))}
}

// Len is the number of variables.
func (v *Vars) Len() int { return len(v.names) }

// Name is the name of variable i.
func (v *Vars) Name(i int) string { return v.names[i] }

// Set copies val into variable i, reusing its buffer.
func (v *Vars) Set(i int, val []byte) {
	v.vals[i] = append(v.vals[i][:0], val...)
	v.set[i] = true
}

// SetString copies s into variable i.
func (v *Vars) SetString(i int, s string) {
	v.vals[i] = append(v.vals[i][:0], s...)
	v.set[i] = true
}

// Buffer returns variable i's buffer, emptied, for a capture to fill and
// hand back to Store: that way a capture allocates nothing once the
// buffer has grown.
func (v *Vars) Buffer(i int) []byte { return v.vals[i][:0] }

// Store keeps b, normally the buffer Buffer returned, as variable i's
// value.
func (v *Vars) Store(i int, b []byte) {
	v.vals[i] = b
	v.set[i] = true
}

// Get returns variable i's value, valid until it is set again; ok is
// false when nothing has set it.
func (v *Vars) Get(i int) (val []byte, ok bool) { return v.vals[i], v.set[i] }

// Lookup returns the value of the variable called name.
func (v *Vars) Lookup(name string) (val []byte, ok bool) {
	for i, n := range v.names {
		if n == name {
			return v.Get(i)
		}
	}
	return nil, false
}
