package profiles

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// JSONKind is the type of a JSONValue.
type JSONKind uint8

// The kinds of JSON value.
const (
	JSONNull JSONKind = iota
	JSONBool
	JSONNumber
	JSONString
	JSONArray
	JSONObject
)

// JSONValue is a request body written in the profile as YAML and sent as
// JSON, as Locust's json= argument sends a Python value. Strings are
// template text: {"user": "{{.username}}"} sends the user's name, escaped
// as a JSON string whatever characters it holds.
type JSONValue struct {
	Kind JSONKind
	// Text is a string's template text, or the JSON literal of a number,
	// a boolean or null.
	Text string
	// Keys and Items are an object's keys and values, in order, or an
	// array's items (Keys empty).
	Keys  []string
	Items []*JSONValue
	Line  int

	pos textPos
}

// Bounds on a JSON body, so that YAML aliases cannot multiply one into
// millions of nodes.
const (
	maxJSONNodes = 10_000
	maxJSONDepth = 64
)

// jsonValue converts a YAML node into a JSON value.
func (d *decoder) jsonValue(n *yaml.Node, field string) *JSONValue {
	budget := maxJSONNodes
	v, err := toJSON(n, 0, &budget)
	if err != nil {
		d.fail(err.line, field, err.err)
		return nil
	}
	return v
}

type jsonErr struct {
	line int
	err  error
}

func toJSON(n *yaml.Node, depth int, budget *int) (*JSONValue, *jsonErr) {
	n = deref(n)
	line := 0
	if n != nil {
		line = n.Line
	}
	if *budget--; *budget < 0 {
		return nil, &jsonErr{line, fmt.Errorf("has more than %d values; write a large body as text with body: |", maxJSONNodes)}
	}
	if depth > maxJSONDepth {
		return nil, &jsonErr{line, fmt.Errorf("nests deeper than %d levels", maxJSONDepth)}
	}
	v := &JSONValue{Line: line}
	switch {
	case isNull(n):
		v.Kind, v.Text = JSONNull, "null"
	case n.Kind == yaml.MappingNode:
		v.Kind = JSONObject
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			if k == nil || k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				return nil, &jsonErr{n.Content[i].Line, fmt.Errorf("object keys must be plain text, got %s", describe(k))}
			}
			if strings.Contains(k.Value, "{{") {
				return nil, &jsonErr{k.Line, fmt.Errorf("key %q: keys are not templates; only values are", k.Value)}
			}
			if prev, dup := seen[k.Value]; dup {
				return nil, &jsonErr{k.Line, fmt.Errorf("duplicate key %q (first set at line %d)", k.Value, prev)}
			}
			seen[k.Value] = k.Line
			item, err := toJSON(n.Content[i+1], depth+1, budget)
			if err != nil {
				return nil, err
			}
			v.Keys = append(v.Keys, k.Value)
			v.Items = append(v.Items, item)
		}
	case n.Kind == yaml.SequenceNode:
		v.Kind = JSONArray
		for _, c := range n.Content {
			item, err := toJSON(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			v.Items = append(v.Items, item)
		}
	case n.Kind == yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			v.Kind, v.Text, v.pos = JSONString, n.Value, posOf(n)
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, &jsonErr{line, fmt.Errorf("%s is not a boolean", n.Value)}
			}
			v.Kind, v.Text = JSONBool, strconv.FormatBool(b)
		case "!!int":
			var i int64
			if err := n.Decode(&i); err != nil {
				return nil, &jsonErr{line, fmt.Errorf("the integer %s is out of range; quote it to send a string", n.Value)}
			}
			v.Kind, v.Text = JSONNumber, strconv.FormatInt(i, 10)
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, &jsonErr{line, fmt.Errorf("%s is not a JSON number", n.Value)}
			}
			v.Kind, v.Text = JSONNumber, strconv.FormatFloat(f, 'g', -1, 64)
		default:
			return nil, &jsonErr{line, fmt.Errorf("the value %s (%s) has no JSON form", n.Value, n.ShortTag())}
		}
	default:
		return nil, &jsonErr{line, fmt.Errorf("unexpected %s", describe(n))}
	}
	return v, nil
}

// appendJSONString appends s as a JSON string, quotes included.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20 || c == 0x7f:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
