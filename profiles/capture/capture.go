// Package capture takes values out of responses: a JSON path through the
// body, a header, a cookie, or a regular expression over the body. A
// profile's capture: fields are parsed once with Parse; each user then
// calls Extract on its own responses, which copies the value into a buffer
// the user keeps, so that a capture from a small JSON body costs at most
// a couple of allocations and usually none.
//
// JSON paths are GJSON paths (github.com/tidwall/gjson): "token",
// "user.id", "items.0.id", "items.#.id" (the id of every item),
// "items.#(stock>0)#.id" (of every item in stock). GJSON reads the body in
// place, without decoding it into Go values, which is what keeps a capture
// cheap enough to sit on every request of a load test.
package capture

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/loadgen/loadgen/profiles/response"
)

// Kind is where a capture looks.
type Kind uint8

// The kinds of capture, as written before the colon.
const (
	JSON   Kind = iota + 1 // json:<path>
	Header                 // header:<name>
	Cookie                 // cookie:<name>
	Regex                  // regex:<expression>
)

var kindNames = [...]string{JSON: "json", Header: "header", Cookie: "cookie", Regex: "regex"}

// String is the kind's name as written in a profile.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Pick chooses among several matches: a JSON path over every element of a
// list, a header sent more than once, a regular expression that matches
// more than once.
type Pick uint8

// The picks. First is the zero value and the default.
const (
	First  Pick = iota // the first match, in document order
	Random             // a uniformly random match, from the user's own source
)

// ParsePick reads "first" or "random"; "" is First.
func ParsePick(s string) (Pick, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "first":
		return First, nil
	case "random":
		return Random, nil
	}
	return First, fmt.Errorf("%q is not a pick; want first or random", s)
}

// String is the pick as written in a profile.
func (p Pick) String() string {
	if p == Random {
		return "random"
	}
	return "first"
}

// Expr is one parsed capture expression. It is read-only after Parse, so
// every user shares it.
type Expr struct {
	Kind Kind
	// Arg is what follows the colon: the path, the header or cookie
	// name, or the regular expression.
	Arg string

	re *regexp.Regexp
	// For a JSON path whose first multi-valued component is a plain #,
	// the path before it and after it: Extract walks the list itself
	// rather than have GJSON build a new one.
	each       bool
	eachPrefix string
	eachRest   string
	// multi is true for any JSON path that yields a list of matches.
	multi bool
}

const help = "want json:<path>, header:<name>, cookie:<name> or regex:<expression>"

// Parse reads a capture expression such as "json:items.#.id",
// "header:Location", "cookie:session" or `regex:id="(\d+)"`.
func Parse(s string) (*Expr, error) {
	kind, arg, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("%q has no kind; %s", s, help)
	}
	e := &Expr{Arg: arg}
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "json":
		e.Kind = JSON
		if err := e.parseJSON(); err != nil {
			return nil, err
		}
	case "header":
		e.Kind = Header
		e.Arg = strings.TrimSpace(arg)
		if !response.IsToken(e.Arg) {
			return nil, fmt.Errorf("header %q is not a header name", arg)
		}
	case "cookie":
		e.Kind = Cookie
		e.Arg = strings.TrimSpace(arg)
		if !response.IsToken(e.Arg) {
			return nil, fmt.Errorf("cookie %q is not a cookie name", arg)
		}
	case "regex":
		e.Kind = Regex
		if arg == "" {
			return nil, errors.New("regex is empty")
		}
		re, err := regexp.Compile(arg)
		if err != nil {
			// regexp's own prefix says what the message already does.
			return nil, fmt.Errorf("regex %q: %s", arg, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		if re.NumSubexp() > 1 {
			return nil, fmt.Errorf("regex %q has %d groups; use at most one, around the value to capture (?: groups do not count)", arg, re.NumSubexp())
		}
		e.re = re
	default:
		return nil, fmt.Errorf("unknown kind %q; %s", kind, help)
	}
	return e, nil
}

// String is the expression as a profile writes it.
func (e *Expr) String() string { return e.Kind.String() + ":" + e.Arg }

// Multi reports whether the expression can match more than once, so that
// a pick applies to it.
func (e *Expr) Multi() bool {
	switch e.Kind {
	case JSON:
		return e.multi
	case Header, Regex:
		return true
	}
	return false
}

// parseJSON checks what GJSON itself never complains about (it answers a
// malformed path with "not found") and prepares the walk over lists.
func (e *Expr) parseJSON() error {
	p := e.Arg
	if strings.TrimSpace(p) == "" {
		return errors.New("json path is empty; write a GJSON path such as token, user.id or items.#.id")
	}
	comps, err := SplitPath(p)
	if err != nil {
		return fmt.Errorf("json path %q: %w", p, err)
	}
	for i, c := range comps {
		list := c.Text == "#" && i < len(comps)-1
		query := strings.HasPrefix(c.Text, "#(") && strings.HasSuffix(c.Text, ")#")
		if !list && !query {
			continue
		}
		// The first list of a plain path is walked here, element by
		// element; anything fancier (a second list, a query, a pipe, a
		// modifier) is left to GJSON, which builds the list of matches.
		if !e.multi && list && !multiBefore(comps[:i]) && !containsPipe(comps) && !strings.HasPrefix(comps[i+1].Text, "@") {
			e.each = true
			e.eachPrefix = joinPath(comps[:i])
			e.eachRest = joinPath(comps[i+1:])
		} else {
			e.each = false
		}
		e.multi = true
	}
	return nil
}

func multiBefore(comps []PathComponent) bool {
	for _, c := range comps {
		if c.Text == "#" || strings.HasSuffix(c.Text, ")#") || strings.HasPrefix(c.Text, "@") || strings.HasPrefix(c.Text, "!") ||
			strings.HasPrefix(c.Text, "[") || strings.HasPrefix(c.Text, "{") || strings.HasPrefix(c.Text, "..") {
			return true
		}
	}
	return false
}

func containsPipe(comps []PathComponent) bool {
	for _, c := range comps {
		if c.Sep == '|' {
			return true
		}
	}
	return false
}

func joinPath(comps []PathComponent) string {
	var b strings.Builder
	for i, c := range comps {
		if i > 0 {
			b.WriteByte(c.Sep)
		}
		b.WriteString(c.Text)
	}
	return b.String()
}

// PathComponent is one step of a GJSON path and the separator before it
// ('.' or '|'; zero for the first).
type PathComponent struct {
	Text string
	Sep  byte
}

// SplitPath splits a GJSON path into its components, honouring escapes
// (\.), queries (#(...)) and selectors ([...], {...}), and refuses paths
// that GJSON would silently never match: unbalanced brackets, empty
// components and a trailing separator.
func SplitPath(p string) ([]PathComponent, error) {
	var out []PathComponent
	depth := 0
	inStr := false
	start := 0
	var sep byte
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			i++
		case inStr:
			if c == '"' {
				inStr = false
			}
		case c == '"' && depth > 0:
			inStr = true
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced %q at byte %d", c, i+1)
			}
		case (c == '.' || c == '|') && depth == 0:
			if i == 0 && c == '.' && len(p) > 1 && p[1] == '.' {
				i++ // "..": JSON lines
				continue
			}
			if i == start {
				return nil, fmt.Errorf("empty component at byte %d", i+1)
			}
			out = append(out, PathComponent{Text: p[start:i], Sep: sep})
			sep = c
			start = i + 1
		}
	}
	switch {
	case inStr:
		return nil, errors.New("unterminated string in a query")
	case depth != 0:
		return nil, errors.New("unbalanced brackets")
	case start == len(p):
		return nil, errors.New("ends with a separator")
	}
	return append(out, PathComponent{Text: p[start:], Sep: sep}), nil
}

// ErrNotFound is what a capture that found nothing wraps; its text says
// where it looked.
var ErrNotFound = errors.New("not found")

// NotFoundError is a capture that found nothing.
type NotFoundError struct{ Expr *Expr }

func (e *NotFoundError) Error() string {
	switch e.Expr.Kind {
	case JSON:
		return "json path " + e.Expr.Arg + " not found"
	case Header:
		return "header " + e.Expr.Arg + " not found"
	case Cookie:
		return "cookie " + e.Expr.Arg + " not found"
	}
	return "regex " + e.Expr.Arg + " matched nothing"
}

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// Extract finds the expression's value in v and appends it to dst[:0],
// returning the grown buffer. A JSON string gives its text without quotes
// or escapes; any other JSON value its JSON text. A regular expression
// with a group gives the group, without one the whole match. With several
// matches, pick chooses one, drawing from rnd (which may be nil for
// First). When nothing matches, the error is a *NotFoundError and dst is
// returned empty.
func (e *Expr) Extract(v response.View, pick Pick, rnd *rand.Rand, dst []byte) ([]byte, error) {
	dst = dst[:0]
	switch e.Kind {
	case JSON:
		return e.extractJSON(v.Body(), pick, rnd, dst)
	case Header:
		n := 0
		if pick == Random && rnd != nil {
			for {
				if _, ok := v.Header(e.Arg, n); !ok {
					break
				}
				n++
			}
			if n > 0 {
				n = rnd.IntN(n)
			}
		}
		if val, ok := v.Header(e.Arg, n); ok {
			return append(dst, val...), nil
		}
	case Cookie:
		if val, ok := v.Cookie(e.Arg); ok {
			return append(dst, val...), nil
		}
	case Regex:
		return e.extractRegex(v.Body(), pick, rnd, dst)
	}
	return dst, &NotFoundError{Expr: e}
}

// str views b as a string without copying. GJSON only reads its input,
// and every value taken out of it is copied into dst before Extract
// returns, so nothing outlives b.
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func (e *Expr) extractJSON(body []byte, pick Pick, rnd *rand.Rand, dst []byte) ([]byte, error) {
	js := str(body)
	if !e.multi {
		if r := gjson.Get(js, e.Arg); usable(r) {
			return appendValue(dst, r), nil
		}
		return dst, &NotFoundError{Expr: e}
	}
	var list gjson.Result
	if e.each {
		if e.eachPrefix == "" {
			list = gjson.Parse(js)
		} else {
			list = gjson.Get(js, e.eachPrefix)
		}
		if !list.IsArray() {
			return dst, &NotFoundError{Expr: e}
		}
	} else {
		list = gjson.Get(js, e.Arg)
		if !list.IsArray() {
			if usable(list) {
				return appendValue(dst, list), nil
			}
			return dst, &NotFoundError{Expr: e}
		}
	}
	w := walker{rest: e.eachRest, each: e.each, rnd: rnd}
	if pick == Random && rnd != nil {
		list.ForEach(w.sample)
	} else {
		list.ForEach(w.first)
	}
	if !w.found {
		return dst, &NotFoundError{Expr: e}
	}
	return appendValue(dst, w.hit), nil
}

// walker goes over the elements of a list, stopping at the first usable
// match, or drawing one at random in the same single pass. Its methods
// are the iterators, so that no closure is made per call.
type walker struct {
	rest  string
	each  bool
	rnd   *rand.Rand
	n     int
	found bool
	hit   gjson.Result
}

func (w *walker) match(v gjson.Result) gjson.Result {
	if w.each && w.rest != "" {
		return v.Get(w.rest)
	}
	return v
}

func (w *walker) first(_, v gjson.Result) bool {
	m := w.match(v)
	if !usable(m) {
		return true
	}
	w.hit, w.found = m, true
	return false
}

// sample keeps each usable match with probability 1/n, n being its
// number: reservoir sampling, which leaves every match equally likely
// after one pass, without counting them first.
func (w *walker) sample(_, v gjson.Result) bool {
	m := w.match(v)
	if !usable(m) {
		return true
	}
	w.n++
	if w.rnd.IntN(w.n) == 0 {
		w.hit, w.found = m, true
	}
	return true
}

// usable is a value a capture can take: present and not null.
func usable(r gjson.Result) bool { return r.Exists() && r.Type != gjson.Null }

func appendValue(dst []byte, r gjson.Result) []byte {
	if r.Type == gjson.String {
		return append(dst, r.Str...)
	}
	return append(dst, r.Raw...)
}

func (e *Expr) extractRegex(body []byte, pick Pick, rnd *rand.Rand, dst []byte) ([]byte, error) {
	group := 0
	if e.re.NumSubexp() == 1 {
		group = 1
	}
	var loc []int
	if pick == Random && rnd != nil {
		all := e.re.FindAllSubmatchIndex(body, -1)
		all = usableMatches(all, group)
		if len(all) > 0 {
			loc = all[rnd.IntN(len(all))]
		}
	} else {
		for off := 0; off <= len(body); {
			m := e.re.FindSubmatchIndex(body[off:])
			if m == nil {
				break
			}
			if m[2*group] >= 0 {
				for i := range m {
					if m[i] >= 0 {
						m[i] += off
					}
				}
				loc = m
				break
			}
			// The group did not take part in this match; look further.
			off += max(m[1], 1)
		}
	}
	if loc == nil {
		return dst, &NotFoundError{Expr: e}
	}
	return append(dst, body[loc[2*group]:loc[2*group+1]]...), nil
}

func usableMatches(all [][]int, group int) [][]int {
	out := all[:0]
	for _, m := range all {
		if m[2*group] >= 0 {
			out = append(out, m)
		}
	}
	return out
}
