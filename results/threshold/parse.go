package threshold

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parser reads one expression left to right. It keeps byte offsets and
// turns them into character columns only for errors.
type parser struct {
	src string
	pos int
}

func (p *parser) errAt(pos int, format string, args ...any) error {
	return &Error{
		Expr:   p.src,
		Column: utf8.RuneCountInString(p.src[:pos]) + 1,
		Msg:    fmt.Sprintf(format, args...),
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

// found quotes what follows the current position, for "found ..." parts of
// messages, cut short so a message stays one readable line.
func (p *parser) found() string {
	rest := strings.TrimRight(p.src[p.pos:], " \t\r\n")
	if utf8.RuneCountInString(rest) > 20 {
		n := 0
		for i := range rest {
			if n == 20 {
				rest = rest[:i] + "..."
				break
			}
			n++
		}
	}
	return strconv.Quote(rest)
}

// word reads a run of letters, digits, '_' and, when dots is set, '.'.
func (p *parser) word(dots bool) string {
	start := p.pos
	for p.pos < len(p.src) && (isWordByte(p.src[p.pos]) || dots && p.src[p.pos] == '.') {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *parser) parse() (spec, error) {
	var s spec
	p.skipSpace()
	if p.pos == len(p.src) {
		return s, p.errAt(p.pos, "empty expression; write one such as p99<250ms")
	}
	if err := p.metric(&s); err != nil {
		return s, err
	}
	p.skipSpace()
	if p.peek() == '{' {
		open := p.pos
		if err := p.selector(&s.sel); err != nil {
			return s, err
		}
		if s.metric == metricAbandoned {
			return s, p.errAt(open, "abandoned counts the requests of the whole run cut off in flight, which no entry holds; leave the selector out")
		}
		if s.metric == metricPauses {
			return s, p.errAt(open, "pauses counts the generator's pauses, which no entry holds; leave the selector out")
		}
		p.skipSpace()
	}
	if err := p.op(&s); err != nil {
		return s, err
	}
	p.skipSpace()
	if err := p.value(&s); err != nil {
		return s, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		msg := "unexpected " + p.found() + " after the value"
		next, _, _ := strings.Cut(strings.TrimRight(p.src[p.pos:], " \t\r\n"), " ")
		if _, ok := durationUnit(next); ok || next == "%" {
			msg += "; write the unit right after the number, such as 250ms or 1%"
		}
		return s, p.errAt(p.pos, "%s", msg)
	}
	return s, nil
}

func (p *parser) metric(s *spec) error {
	start := p.pos
	name := p.word(true)
	switch {
	case name == "":
		return p.errAt(start, "expected a metric such as p99, avg or fail_ratio, found %s", p.found())
	case name == "p" && p.peek() == '(':
		return p.errAt(start, "write percentiles as pNN, such as p95, not p(95)")
	case len(name) > 1 && name[0] == 'p' && (name[1] >= '0' && name[1] <= '9' || name[1] == '.'):
		r, ok := parseDecimal(name[1:])
		if !ok {
			return p.errAt(start, "bad percentile %q; write p and a number, such as p99 or p99.9", name)
		}
		if r.Sign() <= 0 || r.Cmp(big.NewRat(100, 1)) > 0 {
			return p.errAt(start, "percentile %q is out of range; it must be above 0 and at most 100", name)
		}
		q := hundredth(r)
		if q <= 0 {
			return p.errAt(start, "percentile %q is too small", name)
		}
		s.metric, s.pct, s.q = metricPercentile, normalizeDecimal(name[1:]), q
		return nil
	}
	m, ok := lookupMetric(name)
	if !ok {
		return p.errAt(start, "unknown metric %q; the metrics are %s", name, metricNames())
	}
	s.metric = m
	return nil
}

func (p *parser) selector(sel *selector) error {
	open := p.pos
	p.pos++ // '{'
	var seenName, seenMethod bool
	for {
		p.skipSpace()
		at := p.pos
		label := p.word(false)
		switch {
		case label == "" && p.peek() == '}' && !seenName && !seenMethod:
			return p.errAt(open, `empty selector; write {name="..."} or {method="..."}, or leave the braces out`)
		case label == "" && p.pos == len(p.src):
			return p.errAt(open, "selector is not closed with }")
		case label == "":
			return p.errAt(at, "expected a label (name or method), found %s", p.found())
		case label != "name" && label != "method":
			return p.errAt(at, "unknown label %q; the labels are name and method", label)
		case label == "name" && seenName, label == "method" && seenMethod:
			return p.errAt(at, "label %s is given twice", label)
		}
		p.skipSpace()
		if p.peek() != '=' {
			return p.errAt(p.pos, "expected = after %s, found %s", label, p.found())
		}
		p.pos++
		p.skipSpace()
		valueAt := p.pos
		v, err := p.quoted(label)
		if err != nil {
			return err
		}
		if label == "name" {
			if v == "" {
				return p.errAt(valueAt, "empty name")
			}
			sel.name, seenName = v, true
		} else {
			if v == "" || !isMethod(v) {
				return p.errAt(valueAt, "bad method %q; a method is a word such as GET or POST", v)
			}
			sel.method, seenMethod = v, true
		}
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
			continue
		case '}':
			p.pos++
			return nil
		}
		if p.pos == len(p.src) {
			return p.errAt(open, "selector is not closed with }")
		}
		return p.errAt(p.pos, "expected , or } after the %s, found %s", label, p.found())
	}
}

// isMethod accepts HTTP token characters, which rules out spaces and
// quotes that can only be mistakes.
func isMethod(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isWordByte(c) && c != '-' && c != '.' && c != '!' && c != '#' && c != '$' && c != '%' &&
			c != '&' && c != '\'' && c != '*' && c != '+' && c != '^' && c != '`' && c != '|' && c != '~' {
			return false
		}
	}
	return true
}

// quoted reads a double-quoted Go string literal.
func (p *parser) quoted(label string) (string, error) {
	start := p.pos
	switch p.peek() {
	case '"':
	case '\'':
		return "", p.errAt(start, "%s values take double quotes, as in %s=\"...\"", label, label)
	default:
		return "", p.errAt(start, "expected a double-quoted value after %s=, found %s", label, p.found())
	}
	i := start + 1
	for ; i < len(p.src) && p.src[i] != '"'; i++ {
		if p.src[i] == '\\' {
			i++
		}
	}
	if i >= len(p.src) {
		return "", p.errAt(start, "%s value is not closed with \"", label)
	}
	lit := p.src[start : i+1]
	v, err := strconv.Unquote(lit)
	if err != nil {
		return "", p.errAt(start, "bad %s value %s; it is a Go string literal, where \\ and \" are escaped with \\", label, lit)
	}
	p.pos = i + 1
	return v, nil
}

func (p *parser) op(s *spec) error {
	at := p.pos
	metric := s.metric.name(s.pct)
	next := func() byte {
		if p.pos+1 < len(p.src) {
			return p.src[p.pos+1]
		}
		return 0
	}
	switch c, n := p.peek(), next(); {
	case c == '<' && n == '=':
		s.op = opLessEqual
	case c == '<':
		s.op = opLess
	case c == '>' && n == '=':
		s.op = opGreaterEqual
	case c == '>':
		s.op = opGreater
	case c == '=' && n == '=':
		s.op = opEqual
	case c == '!' && n == '=':
		s.op = opNotEqual
	case c == '=':
		return p.errAt(at, "= is not a comparison; write ==, <= or >=")
	case c == 0:
		return p.errAt(at, "missing comparison after %s; write one of <, <=, >, >=, ==, !=", metric)
	default:
		return p.errAt(at, "expected a comparison (<, <=, >, >=, ==, !=) after %s, found %s", metric, p.found())
	}
	p.pos += len(s.op.String())
	return nil
}

func (p *parser) value(s *spec) error {
	start := p.pos
	for p.pos < len(p.src) && !isSpace(p.src[p.pos]) {
		p.pos++
	}
	tok := p.src[start:p.pos]
	k := s.metric.kind()
	metric := s.metric.name(s.pct)
	if tok == "" {
		return p.errAt(start, "missing value after %s%s; write one such as %s", metric, s.op, k.example())
	}
	num, unit := splitNumber(tok)
	r, numOK := parseDecimal(num)
	_, isDuration := durationUnit(unit)
	mismatch := func(what string) error {
		return p.errAt(start, "%s is %s, not %s; write a value such as %s", metric, k.what(), what, k.example())
	}
	switch k {
	case kindTime:
		if numOK && unit == "%" {
			return mismatch("a percentage")
		}
		u, ok := durationUnit(unit)
		if !numOK || !ok {
			return p.errAt(start, "bad duration %q; write a number and a unit (us, ms, s or m), such as 250ms; a bare number is milliseconds", tok)
		}
		d, ok := ratDuration(r, u)
		if !ok {
			return p.errAt(start, "duration %q is too large", tok)
		}
		s.dur = d
	case kindRatio:
		switch {
		case !numOK:
			return p.errAt(start, "bad number %q; write a fraction between 0 and 1 or a percentage, such as 0.01 or 1%%", tok)
		case unit == "%":
			if r.Cmp(big.NewRat(100, 1)) > 0 {
				return p.errAt(start, "%s %q is out of range; it is at most 100%%", metric, tok)
			}
			s.num, s.percent = hundredth(r), normalizeDecimal(num)
		case unit == "":
			if r.Cmp(big.NewRat(1, 1)) > 0 {
				return p.errAt(start, "%s %q is out of range; it is a fraction between 0 and 1 (write %s%% for a percentage)", metric, tok, num)
			}
			s.num, _ = r.Float64()
		case isDuration:
			return mismatch("a duration")
		default:
			return p.errAt(start, "bad number %q; write a fraction between 0 and 1 or a percentage, such as 0.01 or 1%%", tok)
		}
	case kindCount, kindRate:
		switch {
		case !numOK:
			return p.errAt(start, "bad number %q; write a value such as %s", tok, k.example())
		case unit == "%" && s.metric == metricFailures:
			return p.errAt(start, "failures is a number of requests, not a percentage; use fail_ratio for a share of requests")
		case unit == "%":
			return mismatch("a percentage")
		case isDuration && unit != "":
			return mismatch("a duration")
		case unit != "":
			return p.errAt(start, "bad number %q; write a value such as %s", tok, k.example())
		}
		if k == kindRate {
			f, ok := ratFloat(r)
			if !ok {
				return p.errAt(start, "%s %q is too large", metric, tok)
			}
			s.num = f
			return nil
		}
		if !r.IsInt() {
			return p.errAt(start, "%s is a whole number of requests, not %q", metric, tok)
		}
		if !r.Num().IsInt64() {
			return p.errAt(start, "%s %q is too large", metric, tok)
		}
		s.count = r.Num().Int64()
	}
	return nil
}
