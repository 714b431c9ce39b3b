package profiles

import (
	"strconv"
	"strings"
)

// Error is one problem in a profile, located so that a user can go straight
// to it: the file, the 1-based line (0 when unknown) and the field path, such
// as "tasks[1].weight".
type Error struct {
	File  string
	Line  int
	Field string
	Err   error
}

// Error formats the problem as "file:line: field: message", leaving out the
// parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Field != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Field)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause, so errors.Is and errors.As can see
// through the location.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every problem found in one profile. Reporting them all at
// once saves a user an edit-run cycle per mistake.
type ErrorList []*Error

// Error puts one problem on each line.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap exposes the individual problems to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}
