package threshold

import (
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/results"
)

// selector restricts a threshold to some entries. The zero selector means
// all requests: the snapshot's Aggregated total.
type selector struct {
	name, method string
}

func (s selector) empty() bool { return s == selector{} }

// matches reports whether an entry is selected. A name matches the entry's
// name, or its method and name joined by a space ("GET /albums", as Locust
// labels entries), so either way of naming an entry works. Methods compare
// without regard to case, as people write get and GET alike.
func (s selector) matches(e results.EntryStats) bool {
	if s.method != "" && !strings.EqualFold(s.method, e.Method()) {
		return false
	}
	if s.name == "" || s.name == e.Name() {
		return true
	}
	m := e.Method()
	n := s.name
	return m != "" && len(n) == len(m)+1+len(e.Name()) &&
		strings.EqualFold(n[:len(m)], m) && n[len(m)] == ' ' && n[len(m)+1:] == e.Name()
}

// writeTo writes the selector in canonical form, name first.
func (s selector) writeTo(b *strings.Builder) {
	if s.empty() {
		return
	}
	b.WriteByte('{')
	if s.name != "" {
		b.WriteString(`name=`)
		b.WriteString(strconv.Quote(s.name))
	}
	if s.method != "" {
		if s.name != "" {
			b.WriteString(", ")
		}
		b.WriteString(`method=`)
		b.WriteString(strconv.Quote(s.method))
	}
	b.WriteByte('}')
}

// describe names the selector in messages.
func (s selector) describe() string {
	var b strings.Builder
	s.writeTo(&b)
	return b.String()
}
