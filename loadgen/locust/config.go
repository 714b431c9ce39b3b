package locust

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Setting is one "key = value" line of a config file.
type Setting struct {
	// File and Line say where the setting is, for messages; Line counts
	// from 1.
	File string
	Line int
	// Key is the key as written: a long flag name, with or without its
	// leading dashes.
	Key string
	// Value is the value without quotes and comment; a key alone on its
	// line is a switch turned on and reads "true".
	Value string
	// List holds the items of a list value, "[a, b]", which is how a flag
	// that takes several values is set; nil otherwise.
	List []string
}

// Name is the flag the setting sets: its key without leading dashes.
func (s Setting) Name() string { return strings.TrimPrefix(s.Key, "--") }

// IsList reports whether the value was a list, "[a, b]".
func (s Setting) IsList() bool { return s.List != nil }

// Errorf is an error about the setting that names its file and line.
func (s Setting) Errorf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %w", s.File, s.Line, s.Key, fmt.Errorf(format, args...))
}

// configLine is the syntax of a line of Locust's config files (those of
// its argument parser): a key, then optionally a separator ("=", ":" or
// white space), a value that may be quoted, and a comment that starts
// with "#" or ";" after white space. The alternatives are tried in order,
// quoted values first, as Locust's parser tries them.
var configLine = regexp.MustCompile(`^([^:=;#\s]+)\s*(?:([:=\s])\s*(?:"(.+?)?"|'(.+?)?'|(.+?)?))?\s*(?:\s[;#]\s*(.*?)\s*)?$`)

// ParseConfig reads a config file in Locust's format, name being the
// file's name for messages:
//
//	# a comment (so is a line starting with ";", "[" or "---")
//	host = http://127.0.0.1:8080
//	users: 50                 # "=", ":" or a space between key and value
//	--run-time 5m             # a key may keep its dashes
//	headless                  # a switch alone is "true"
//	tags = [smoke, checkout]  # a list
//
// It reads what Locust's parser reads, value for value; a line it cannot
// read is an error naming the file and line. Which keys exist is for the
// caller to decide, as only it knows its flags. A key given twice appears
// twice, and the later line wins when the settings are applied in order.
func ParseConfig(name string, data []byte) ([]Setting, error) {
	var out []Setting
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.ContainsAny(line[:1], "#;[") || strings.HasPrefix(line, "---") {
			continue
		}
		m := configLine.FindStringSubmatchIndex(line)
		if m == nil {
			return nil, fmt.Errorf("%s:%d: cannot read %q: want key = value", name, n, line)
		}
		group := func(i int) (string, bool) {
			if m[2*i] < 0 {
				return "", false
			}
			return line[m[2*i]:m[2*i+1]], true
		}
		s := Setting{File: name, Line: n}
		s.Key, _ = group(1)
		sep, hasSep := group(2)
		value, hasValue := "", false
		for i := 3; i <= 5 && !hasValue; i++ {
			value, hasValue = group(i)
		}
		switch {
		case hasValue:
			s.Value = value
		case hasSep && sep != " ":
			// "key =" sets an empty value; "key" alone turns a switch on.
		default:
			s.Value = "true"
		}
		if strings.HasPrefix(s.Value, "[") && strings.HasSuffix(s.Value, "]") {
			s.List = listItems(s.Value)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// listItems reads "[a, b]": as a JSON array if it is one, else, as
// Locust's parser does, by splitting at commas.
func listItems(v string) []string {
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var items []any
	if err := dec.Decode(&items); err == nil && !dec.More() {
		out := make([]string, 0, len(items))
		for _, it := range items {
			out = append(out, pyStr(it))
		}
		return out
	}
	parts := strings.Split(v[1:len(v)-1], ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// pyStr formats a JSON value as Python's str() formats what json.loads
// returns for it, which is what Locust's parser passes on.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}
