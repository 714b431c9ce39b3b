// Package check decides whether a response counts as a success, as a
// locustfile's catch_response block does: by its status, by what its body
// contains or does not, by values at JSON paths, by header values and by
// how long it took. A failed check's error names the check, so failures
// group by what went wrong in the error report.
package check

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/loadgen/loadgen/profiles/response"
)

// Check is every condition one request's response must meet. The zero
// Check accepts any status from 1 to 399, as Locust does. It is read-only
// once built, so every user shares it.
type Check struct {
	// Status lists the statuses that count as success; empty means any
	// status from 1 to 399.
	Status []int
	// BodyContains are texts the body must contain, each of them.
	BodyContains []string
	// BodyNotContains are texts the body must not contain, any of them.
	BodyNotContains []string
	// JSON are values at JSON paths: equal to a value, or present.
	JSON []JSONCheck
	// Headers are header values that must match regular expressions.
	Headers []HeaderCheck
	// MaxTime, when positive, is the longest the request may take,
	// redirects included.
	MaxTime time.Duration
}

// JSONCheck is a condition on the value at a GJSON path of the body.
type JSONCheck struct {
	Path string
	// Want is the value the path must hold; nil means that any value,
	// null included, will do, as long as the path exists.
	Want *Value
}

// Value is a JSON scalar a check compares with: a string, a number, true,
// false or null.
type Value struct {
	Type gjson.Type
	Str  string
	Num  float64
	// Text is the value as written, for messages.
	Text string
}

// String returns the value as JSON would write it.
func (v *Value) String() string { return v.Text }

// StringValue, NumberValue, BoolValue and NullValue make the values a
// JSONCheck compares with.
func StringValue(s string) *Value {
	return &Value{Type: gjson.String, Str: s, Text: strconv.Quote(s)}
}

// NumberValue is a JSON number; text is how it was written.
func NumberValue(f float64, text string) *Value {
	return &Value{Type: gjson.Number, Num: f, Text: text}
}

// BoolValue is true or false.
func BoolValue(b bool) *Value {
	if b {
		return &Value{Type: gjson.True, Text: "true"}
	}
	return &Value{Type: gjson.False, Text: "false"}
}

// NullValue is null.
func NullValue() *Value { return &Value{Type: gjson.Null, Text: "null"} }

// HeaderCheck says that a header must be present with a value that the
// regular expression matches (anywhere in it, unless anchored).
type HeaderCheck struct {
	Name    string
	Pattern *regexp.Regexp
}

// StatusError is a response whose status the check does not accept. Its
// text is the status alone ("HTTP 503 Service Unavailable"), so failures
// group by status in the error report.
type StatusError struct {
	Code int
}

// Error reads like "HTTP 503 Service Unavailable".
func (e *StatusError) Error() string {
	if t := http.StatusText(e.Code); t != "" {
		return fmt.Sprintf("HTTP %d %s", e.Code, t)
	}
	return fmt.Sprintf("HTTP %d", e.Code)
}

// Error is a failed check other than the status. Check names it as a
// profile writes it (body_contains, json, header, max_time) and Detail says
// what was found; both are kept short and free of per-request values where
// they can be, so that one kind of failure is one row of the error report.
type Error struct {
	Check  string
	Detail string
}

func (e *Error) Error() string { return "check " + e.Check + ": " + e.Detail }

// maxShown bounds a response value quoted in a message.
const maxShown = 40

// StatusOK reports whether status is one the check accepts.
func (c *Check) StatusOK(status int) bool {
	if len(c.Status) == 0 {
		return status > 0 && status < 400
	}
	for _, s := range c.Status {
		if s == status {
			return true
		}
	}
	return false
}

// Evaluate returns nil when the response meets every condition, or the
// first failed one: the status first, then the body, JSON paths, headers
// and the time, in the order a reader of the profile would check them.
func (c *Check) Evaluate(v response.View, took time.Duration) error {
	if !c.StatusOK(v.Status()) {
		return &StatusError{Code: v.Status()}
	}
	body := v.Body()
	for _, s := range c.BodyContains {
		if !bytes.Contains(body, unsafe.Slice(unsafe.StringData(s), len(s))) {
			return &Error{Check: "body_contains " + strconv.Quote(s), Detail: "not found"}
		}
	}
	for _, s := range c.BodyNotContains {
		if bytes.Contains(body, unsafe.Slice(unsafe.StringData(s), len(s))) {
			return &Error{Check: "body_not_contains " + strconv.Quote(s), Detail: "found"}
		}
	}
	if len(c.JSON) > 0 {
		js := unsafe.String(unsafe.SliceData(body), len(body))
		for i := range c.JSON {
			if err := c.JSON[i].evaluate(js); err != nil {
				return err
			}
		}
	}
	for i := range c.Headers {
		h := &c.Headers[i]
		val, ok := v.Header(h.Name, 0)
		if !ok {
			return &Error{Check: "header " + h.Name, Detail: "missing"}
		}
		if !h.Pattern.Match(val) {
			return &Error{Check: "header " + h.Name, Detail: fmt.Sprintf("%s does not match %s", shown(string(val)), h.Pattern)}
		}
	}
	if c.MaxTime > 0 && took > c.MaxTime {
		return &Error{Check: "max_time", Detail: "took longer than " + c.MaxTime.String()}
	}
	return nil
}

func (j *JSONCheck) evaluate(js string) error {
	r := gjson.Get(js, j.Path)
	if !r.Exists() {
		return &Error{Check: "json " + j.Path, Detail: "not found"}
	}
	w := j.Want
	if w == nil {
		return nil
	}
	equal := false
	switch w.Type {
	case gjson.String:
		equal = r.Type == gjson.String && r.Str == w.Str
	case gjson.Number:
		equal = r.Type == gjson.Number && r.Num == w.Num
	default:
		equal = r.Type == w.Type
	}
	if equal {
		return nil
	}
	got := r.Raw
	if got == "" {
		got = r.String()
	}
	return &Error{Check: "json " + j.Path, Detail: fmt.Sprintf("got %s, want %s", shortened(got), w.Text)}
}

// shown quotes a response value for a message, cut to maxShown bytes.
func shown(s string) string { return strconv.Quote(cut(s)) }

// shortened cuts a JSON text for a message without quoting it again.
func shortened(s string) string {
	if len(s) > maxShown {
		return cut(s)
	}
	return s
}

func cut(s string) string {
	if len(s) <= maxShown {
		return s
	}
	i := maxShown
	for i > 0 && i < len(s) && s[i]&0xc0 == 0x80 { // do not split a UTF-8 sequence
		i--
	}
	return s[:i] + "..."
}

// Describe lists the check's conditions as a profile writes them, for
// messages and dry runs.
func (c *Check) Describe() string {
	var parts []string
	if len(c.Status) > 0 {
		s := make([]string, len(c.Status))
		for i, st := range c.Status {
			s[i] = strconv.Itoa(st)
		}
		parts = append(parts, "status "+strings.Join(s, "|"))
	}
	for _, s := range c.BodyContains {
		parts = append(parts, "body_contains "+strconv.Quote(s))
	}
	for _, s := range c.BodyNotContains {
		parts = append(parts, "body_not_contains "+strconv.Quote(s))
	}
	for _, j := range c.JSON {
		if j.Want == nil {
			parts = append(parts, "json_exists "+j.Path)
		} else {
			parts = append(parts, "json "+j.Path+" == "+j.Want.Text)
		}
	}
	for _, h := range c.Headers {
		parts = append(parts, "header "+h.Name+" ~ "+h.Pattern.String())
	}
	if c.MaxTime > 0 {
		parts = append(parts, "max_time "+c.MaxTime.String())
	}
	return strings.Join(parts, ", ")
}
