package threshold

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Threshold is one parsed expression. It is immutable, so one Threshold may
// be evaluated from any number of goroutines.
type Threshold struct {
	// Source is the expression as written, for messages and reports.
	Source string
	spec
}

// spec is everything a threshold means, apart from how it was written. It
// is comparable, so two thresholds mean the same exactly when their specs
// are equal.
type spec struct {
	metric metric
	// pct is a percentile metric's level in percent, as normalized
	// decimal text ("99.9"), and q the same level as a fraction.
	pct string
	q   float64
	sel selector
	op  op
	// The limit, in the field of the metric's kind: dur for times, count
	// for counts, num for rates and ratios (a fraction).
	dur   time.Duration
	count int64
	num   float64
	// percent is set when a ratio limit was written as a percentage: the
	// percentage as normalized decimal text, so that String and the
	// summary show it as written, and num keeps its exact value.
	percent string
}

// Error is a threshold that does not parse, located at the column where
// the problem starts, so that a user can fix a long expression at a glance.
type Error struct {
	// Expr is the expression as written.
	Expr string
	// Column is the 1-based position of the problem, counted in
	// characters, not bytes.
	Column int
	// Msg says what is wrong.
	Msg string
}

// Error reads like `threshold "p99<25Oms": at column 5: bad duration ...`.
func (e *Error) Error() string {
	return "threshold " + strconv.Quote(e.Expr) + ": at column " + strconv.Itoa(e.Column) + ": " + e.Msg
}

// Parse parses one expression, such as p99<250ms or
// p95{name="GET /albums"}<100ms. The error, when there is one, is an *Error.
func Parse(expr string) (*Threshold, error) {
	p := parser{src: expr}
	s, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &Threshold{Source: expr, spec: s}, nil
}

// ParseAll parses a list of expressions, and reports every bad one at once
// (joined with errors.Join) rather than only the first, so that a user fixes
// them in one go.
func ParseAll(exprs []string) ([]*Threshold, error) {
	out := make([]*Threshold, 0, len(exprs))
	var errs []error
	for _, e := range exprs {
		t, err := Parse(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// String returns the expression in canonical form: no spaces, the main
// spelling of each metric, durations in the largest unit that keeps them
// exact. It parses back to a threshold that means the same.
func (t *Threshold) String() string {
	var b strings.Builder
	b.WriteString(t.Metric())
	t.sel.writeTo(&b)
	b.WriteString(t.op.String())
	b.WriteString(t.limitString())
	return b.String()
}

// Metric returns the canonical name of what the threshold measures, such as
// "p99", "avg" or "fail_ratio".
func (t *Threshold) Metric() string { return t.metric.name(t.pct) }

// Selector returns the entry selector's name and method; both are empty
// when the threshold applies to all requests.
func (t *Threshold) Selector() (name, method string) { return t.sel.name, t.sel.method }

// Equal reports whether two thresholds mean the same, however they were
// written: "p99 < 0.25s" equals "p99<250ms".
func (t *Threshold) Equal(o *Threshold) bool { return t.spec == o.spec }

// MarshalText returns Source, so that JSON reports show each threshold as
// its user wrote it.
func (t *Threshold) MarshalText() ([]byte, error) { return []byte(t.Source), nil }

// UnmarshalText parses an expression, so that a threshold read back from a
// JSON report can be evaluated again.
func (t *Threshold) UnmarshalText(text []byte) error {
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*t = *p
	return nil
}

func (t *Threshold) limitString() string {
	switch t.metric.kind() {
	case kindTime:
		return formatDuration(t.dur)
	case kindCount:
		return strconv.FormatInt(t.count, 10)
	}
	if t.percent != "" {
		return t.percent + "%"
	}
	return formatFloat(t.num)
}

// limitFloat returns the limit in the unit of Result.Limit.
func (t *Threshold) limitFloat() float64 {
	switch t.metric.kind() {
	case kindTime:
		return millis(t.dur)
	case kindCount:
		return float64(t.count)
	}
	return t.num
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
