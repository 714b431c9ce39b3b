package profiles

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/internal/suggest"
)

// maxErrors bounds how many problems one Parse reports; past that, more
// lines of errors hide the first, which is usually the cause.
const maxErrors = 20

// Parse decodes and validates a profile. source names the data in error
// messages (normally its file path). On failure the error is an ErrorList
// that holds every problem found, each with its line and field.
//
// Decoding is strict: a key the format does not define is an error, as are
// duplicate keys, values of the wrong type and more than one YAML document.
func Parse(source string, data []byte) (*Profile, error) {
	if source == "" {
		source = "profile"
	}
	d := &decoder{file: source}
	root := d.document(data)
	if root == nil {
		return nil, d.errs
	}
	p := d.profile(root)
	if len(d.errs) > 0 {
		// Fields are checked in a fixed order; report in file order.
		slices.SortStableFunc(d.errs, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
		return nil, d.errs
	}
	return p, nil
}

// decoder walks the YAML node tree itself rather than unmarshalling into
// structs: that is what lets every error carry the field path and line, and
// it makes unknown keys errors (the same strictness as yaml's KnownFields)
// with a message that names the key and suggests the closest known one.
type decoder struct {
	file string
	errs ErrorList
}

func (d *decoder) fail(line int, field string, err error) {
	if len(d.errs) < maxErrors {
		d.errs = append(d.errs, &Error{File: d.file, Line: line, Field: field, Err: err})
	}
}

func (d *decoder) failf(line int, field, format string, args ...any) {
	d.fail(line, field, fmt.Errorf(format, args...))
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns the YAML library's "yaml: line N: msg" into a located
// Error. The library omits the line for some errors on the first line.
func (d *decoder) syntaxError(err error) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	d.fail(line, "", fmt.Errorf("invalid YAML: %s", msg))
}

// document parses data as exactly one YAML document and returns its root
// node, or nil after recording why not.
func (d *decoder) document(data []byte) (root *yaml.Node) {
	defer func() {
		// The YAML library turns its own failures into errors but re-raises
		// anything else; a malformed file must never crash the caller.
		if r := recover(); r != nil {
			d.failf(0, "", "invalid YAML: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.failf(0, "", "the file is empty; a profile needs at least a tasks list")
		} else {
			d.syntaxError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.failf(extra.Line, "", "more than one YAML document; a profile file holds exactly one")
		return nil
	case !errors.Is(err, io.EOF):
		d.syntaxError(err)
		return nil
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			d.failf(doc.Line, "", "the file is empty; a profile needs at least a tasks list")
			return nil
		}
		root = deref(doc.Content[0])
	} else {
		root = deref(&doc)
	}
	if isNull(root) {
		d.failf(root.Line, "", "the document is empty; a profile needs at least a tasks list")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		d.failf(root.Line, "", "a profile must be a mapping of keys such as name and tasks, got %s", describe(root))
		return nil
	}
	return root
}

// deref follows aliases (*anchor) to the node they name. YAML aliases cannot
// point at other aliases, but the bound keeps a hand-built tree from looping.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names a node's type for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch {
	case isNull(n):
		return "nothing (null)"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return strconv.Quote(n.Value)
	}
	return "an unexpected YAML node"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// entry is one key of a mapping with its value, aliases resolved.
type entry struct {
	key, val *yaml.Node
}

// fields checks that n is a mapping whose keys are all in known and each
// appears once, and returns its entries by key. Problems are recorded;
// the valid entries are still returned so that validation can go on.
func (d *decoder) fields(n *yaml.Node, path string, known []string) map[string]entry {
	out := make(map[string]entry, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || k.Kind != yaml.ScalarNode {
			d.failf(n.Content[i].Line, path, "keys must be plain names, got %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			d.failf(k.Line, join(path, k.Value), "merge keys (<<) are not supported; repeat the fields or use an alias for a whole value")
			continue
		}
		name := k.Value
		if prev, dup := out[name]; dup {
			d.failf(k.Line, join(path, name), "duplicate key (first set at line %d)", prev.key.Line)
			continue
		}
		if !contains(known, name) {
			msg := fmt.Sprintf("unknown field %q", name)
			if s := suggest.Closest(name, known); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += fmt.Sprintf("; known fields are %s", strings.Join(known, ", "))
			}
			d.fail(k.Line, join(path, name), errors.New(msg))
			continue
		}
		out[name] = entry{key: k, val: v}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str returns a scalar's text. ok is false when the value is null (treated
// as absent) or not a scalar (recorded as an error).
func (d *decoder) str(e entry, field string) (s string, ok bool) {
	if isNull(e.val) {
		return "", false
	}
	if e.val.Kind != yaml.ScalarNode {
		d.failf(e.val.Line, field, "must be a string, got %s", describe(e.val))
		return "", false
	}
	return e.val.Value, true
}

// integer returns a YAML integer. Floats are refused rather than truncated.
func (d *decoder) integer(e entry, field string) (int, bool) {
	n := e.val
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.failf(lineOf(e), field, "must be an integer, got %s", describe(n))
		return 0, false
	}
	var v int
	if err := n.Decode(&v); err != nil {
		d.failf(n.Line, field, "must be an integer, got %s (out of range)", describe(n))
		return 0, false
	}
	return v, true
}

// number returns a YAML integer or float.
func (d *decoder) number(e entry, field string) (float64, bool) {
	n := e.val
	if n == nil || n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		d.failf(lineOf(e), field, "must be a number, got %s", describe(n))
		return 0, false
	}
	var v float64
	if err := n.Decode(&v); err != nil {
		d.failf(n.Line, field, "must be a number, got %s", describe(n))
		return 0, false
	}
	return v, true
}

func lineOf(e entry) int {
	if e.val != nil && e.val.Line > 0 {
		return e.val.Line
	}
	return e.key.Line
}

// posOf records where template text starts. In a literal block scalar
// (body: |) the text begins on the line after the indicator and keeps its
// line breaks, so its lines map one to one onto the file.
func posOf(n *yaml.Node) textPos {
	if n.Style&yaml.LiteralStyle != 0 {
		return textPos{line: n.Line + 1, lineExact: true}
	}
	return textPos{line: n.Line}
}

// defaultName derives a profile name from its file name.
func defaultName(source string) string {
	base := filepath.Base(source)
	return strings.TrimSuffix(base, filepath.Ext(base))
}
