package profiles

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/profiles/response"
)

var profileFields = []string{"name", "host", "users", "spawn_rate", "run_time", "wait", "headers", "stages",
	"classes", "tasks", "on_start", "on_stop", "data", "cookies", "follow_redirects", "thresholds"}

// profile decodes the top-level mapping.
func (d *decoder) profile(root *yaml.Node) *Profile {
	f := d.fields(root, "", slices.Concat(profileFields, settingFields))
	p := &Profile{Source: d.file, Settings: d.settings(f)}

	if e, ok := f["name"]; ok {
		if s, ok := d.str(e, "name"); ok {
			if err := checkName(s); err != nil {
				d.fail(e.val.Line, "name", err)
			}
			p.Name = s
		}
	}
	if p.Name == "" {
		p.Name = defaultName(d.file)
	}
	if e, ok := f["host"]; ok {
		if s, ok := d.str(e, "host"); ok {
			if err := checkHost(s); err != nil {
				d.fail(e.val.Line, "host", err)
			}
			p.Host = s
		}
	}
	if e, ok := f["users"]; ok {
		if v, ok := d.integer(e, "users"); ok {
			if v < 1 {
				d.failf(e.val.Line, "users", "must be >= 1, got %d", v)
			}
			p.Users = v
		}
	}
	if e, ok := f["spawn_rate"]; ok {
		if v, ok := d.number(e, "spawn_rate"); ok {
			if !(v > 0) || v > 1e9 {
				d.failf(e.val.Line, "spawn_rate", "must be a number of users per second above 0, got %s", e.val.Value)
			}
			p.SpawnRate = v
		}
	}
	if e, ok := f["run_time"]; ok {
		if s, ok := d.str(e, "run_time"); ok {
			rt, err := parseRunTime(s)
			if err != nil {
				d.fail(e.val.Line, "run_time", err)
			}
			p.RunTime = rt
		}
	}
	if e, ok := f["wait"]; ok {
		if s, ok := d.str(e, "wait"); ok {
			w, err := parseWaitValue(s)
			if err != nil {
				d.fail(e.val.Line, "wait", err)
			}
			p.Wait = w
		}
	}

	if e, ok := f["headers"]; ok && !isNull(e.val) {
		p.Headers = d.headers(e, "headers")
	}
	if e, ok := f["stages"]; ok && !isNull(e.val) {
		p.Stages = d.stages(e)
	}
	d.journeys(root, f, p)
	if e, ok := f["thresholds"]; ok && !isNull(e.val) {
		p.Thresholds = d.thresholds(e)
	}
	return p
}

func (d *decoder) headers(e entry, path string) []Header {
	n := e.val
	if n.Kind != yaml.MappingNode {
		d.failf(n.Line, path, "must be a mapping of header names to values, got %s", describe(n))
		return nil
	}
	var hs []Header
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || k.Kind != yaml.ScalarNode {
			d.failf(n.Content[i].Line, path, "header names must be plain text, got %s", describe(k))
			continue
		}
		field := path + "." + k.Value
		if !response.IsToken(k.Value) {
			d.failf(k.Line, field, "%q is not a valid header name", k.Value)
			continue
		}
		canon := strings.ToLower(k.Value)
		if line, dup := seen[canon]; dup {
			d.failf(k.Line, field, "duplicate header (first set at line %d)", line)
			continue
		}
		seen[canon] = k.Line
		h := Header{Name: k.Value, Line: k.Line}
		switch {
		case isNull(v):
			h.pos = textPos{line: k.Line}
		case v.Kind != yaml.ScalarNode:
			d.failf(v.Line, field, "must be text, got %s", describe(v))
			continue
		default:
			if strings.ContainsAny(v.Value, "\r\n\x00") {
				d.failf(v.Line, field, "must be a single line (no line breaks or NUL)")
			}
			h.Value, h.pos = v.Value, posOf(v)
		}
		hs = append(hs, h)
	}
	return hs
}

func (d *decoder) expect(e entry, path string) []int {
	n := e.val
	var items []entry
	switch n.Kind {
	case yaml.ScalarNode:
		items = []entry{e}
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			d.failf(n.Line, path, "is empty; list at least one status, or leave expect out to accept any status below 400")
			return nil
		}
		for _, c := range n.Content {
			items = append(items, entry{key: e.key, val: deref(c)})
		}
	default:
		d.failf(n.Line, path, "must be a status code or a list of them, got %s", describe(n))
		return nil
	}
	codes := make([]int, 0, len(items))
	for i, it := range items {
		field := path
		if n.Kind == yaml.SequenceNode {
			field = fmt.Sprintf("%s[%d]", path, i)
		}
		v, ok := d.integer(it, field)
		if !ok {
			continue
		}
		if v < 100 || v > 599 {
			d.failf(lineOf(it), field, "must be an HTTP status from 100 to 599, got %d", v)
			continue
		}
		codes = append(codes, v)
	}
	return codes
}

func (d *decoder) thresholds(e entry) []Threshold {
	n := e.val
	if n.Kind != yaml.SequenceNode {
		d.failf(n.Line, "thresholds", "must be a list of expressions such as p99<250ms, got %s", describe(n))
		return nil
	}
	out := make([]Threshold, 0, len(n.Content))
	for i, c := range n.Content {
		c = deref(c)
		field := fmt.Sprintf("thresholds[%d]", i)
		if c == nil || c.Kind != yaml.ScalarNode || isNull(c) {
			line := 0
			if c != nil {
				line = c.Line
			}
			d.failf(line, field, "must be an expression such as p99<250ms, got %s", describe(c))
			continue
		}
		expr := strings.TrimSpace(c.Value)
		if expr == "" {
			d.failf(c.Line, field, "is empty")
			continue
		}
		out = append(out, Threshold{Expr: expr, Line: c.Line})
	}
	return out
}

// checkName keeps names printable: they end up in console tables and CSV.
func checkName(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("must not be empty")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("must not contain control characters, got %q", s)
		}
	}
	return nil
}

func checkHost(s string) error {
	if err := netaddr.CheckBaseURL(s); err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	return nil
}
