package profiles

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/profiles/capture"
	"github.com/loadgen/loadgen/profiles/check"
	"github.com/loadgen/loadgen/profiles/dataset"
	"github.com/loadgen/loadgen/profiles/response"
)

var (
	classFields   = []string{"name", "weight", "wait", "headers", "data", "on_start", "tasks", "on_stop", "cookies", "follow_redirects"}
	requestFields = []string{"name", "method", "path", "headers", "body", "json", "capture", "pick", "check", "expect"}
	taskFields    = []string{"name", "weight", "tags", "method", "path", "headers", "body", "json", "capture", "pick", "check", "expect", "steps"}
	checkFields   = []string{"status", "body_contains", "body_not_contains", "json", "json_exists", "header", "max_time"}
	dataFields    = []string{"file", "mode", "recycle"}
	// classOnly are the fields of a class that may stand at the top of a
	// profile written without classes, for its one implicit class.
	classOnly = []string{"on_start", "on_stop", "data", "cookies", "follow_redirects"}
)

// journeys decodes the user classes: the classes list, or the one class
// that a top-level tasks list (with its on_start, on_stop, data, cookies
// and follow_redirects) makes.
func (d *decoder) journeys(root *yaml.Node, f map[string]entry, p *Profile) {
	ce, hasClasses := f["classes"]
	te, hasTasks := f["tasks"]
	switch {
	case hasClasses && hasTasks:
		d.failf(te.key.Line, "tasks", "a profile has either classes or a top-level tasks list, not both; move these tasks into a class")
		return
	case hasClasses:
		for _, k := range classOnly {
			if e, ok := f[k]; ok {
				d.failf(e.key.Line, k, "belongs in a class when the profile has classes")
			}
		}
		p.Classes = d.classes(ce)
	default:
		c := Class{Name: p.Name, Weight: 1, Line: root.Line}
		d.classBody(f, "", &c)
		p.Classes = []Class{c}
	}
}

func (d *decoder) classes(e entry) []Class {
	n := e.val
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.failf(n.Line, "classes", "must be a list of user classes, each with a name and tasks, got %s", describe(n))
		return nil
	}
	if len(n.Content) > MaxClasses {
		d.failf(n.Line, "classes", "has %d classes; at most %d", len(n.Content), MaxClasses)
		return nil
	}
	out := make([]Class, 0, len(n.Content))
	names := map[string]int{}
	positive := false
	for i, item := range n.Content {
		item = deref(item)
		path := fmt.Sprintf("classes[%d]", i)
		if item == nil || item.Kind != yaml.MappingNode {
			d.failf(lineOfNode(item, n), path, "a class must be a mapping with a name and tasks, got %s", describe(item))
			continue
		}
		f := d.fields(item, path, classFields)
		c := Class{Weight: 1, Line: item.Line, Field: path}
		if e, ok := f["name"]; !ok || isNull(e.val) {
			d.failf(item.Line, path+".name", "missing; every class needs a name, such as Shopper")
		} else if s, ok := d.str(e, path+".name"); ok {
			if err := checkName(s); err != nil {
				d.fail(e.val.Line, path+".name", err)
			} else if prev, dup := names[s]; dup {
				d.failf(e.val.Line, path+".name", "duplicate class %q (first at line %d)", s, prev)
			}
			names[s] = e.val.Line
			c.Name = s
		}
		if e, ok := f["weight"]; ok {
			if v, ok := d.integer(e, path+".weight"); ok {
				if v < 0 || v > MaxClassWeight {
					d.failf(e.val.Line, path+".weight", "must be from 0 to %d, got %d", MaxClassWeight, v)
				}
				c.Weight = v
			}
		}
		if e, ok := f["wait"]; ok {
			if s, ok := d.str(e, path+".wait"); ok {
				w, err := parseWaitValue(s)
				if err != nil {
					d.fail(e.val.Line, path+".wait", err)
				}
				c.Wait, c.WaitSet = w, true
			}
		}
		if e, ok := f["headers"]; ok && !isNull(e.val) {
			c.Headers = d.headers(e, path+".headers")
		}
		d.classBody(f, path, &c)
		positive = positive || c.Weight > 0
		out = append(out, c)
	}
	if len(out) == len(n.Content) && !positive {
		d.failf(n.Line, "classes", "every class has weight 0; at least one class must have a positive weight")
	}
	return out
}

// classBody decodes the journey fields a class shares with a profile
// written without classes.
func (d *decoder) classBody(f map[string]entry, path string, c *Class) {
	c.Cookies, c.FollowRedirects = true, true
	if e, ok := f["cookies"]; ok {
		c.Cookies = d.boolean(e, join(path, "cookies"), c.Cookies)
	}
	if e, ok := f["follow_redirects"]; ok {
		c.FollowRedirects = d.boolean(e, join(path, "follow_redirects"), c.FollowRedirects)
	}
	if e, ok := f["data"]; ok && !isNull(e.val) {
		c.Data = d.data(e, join(path, "data"))
	}
	if e, ok := f["on_start"]; ok && !isNull(e.val) {
		c.OnStart = d.requestList(e, join(path, "on_start"))
	}
	if e, ok := f["tasks"]; !ok || isNull(e.val) {
		line := c.Line
		if ok {
			line = e.key.Line
		}
		d.failf(line, join(path, "tasks"), "missing; a profile needs at least one task")
	} else {
		c.Tasks = d.tasks(e, join(path, "tasks"))
	}
	if e, ok := f["on_stop"]; ok && !isNull(e.val) {
		c.OnStop = d.requestList(e, join(path, "on_stop"))
	}
}

func (d *decoder) boolean(e entry, field string, def bool) bool {
	if e.val == nil || e.val.Kind != yaml.ScalarNode || e.val.ShortTag() != "!!bool" {
		d.failf(lineOf(e), field, "must be true or false, got %s", describe(e.val))
		return def
	}
	var b bool
	if err := e.val.Decode(&b); err != nil {
		d.failf(lineOf(e), field, "must be true or false, got %s", describe(e.val))
		return def
	}
	return b
}

func (d *decoder) tasks(e entry, path string) []Task {
	n := e.val
	if n.Kind != yaml.SequenceNode {
		d.failf(n.Line, path, "must be a list of tasks, got %s", describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		d.failf(n.Line, path, "is empty; a profile needs at least one task")
		return nil
	}
	tasks := make([]Task, 0, len(n.Content))
	type seen struct{ index, line int }
	first := make(map[string]seen) // "METHOD name" -> the one-request task that has it
	allZero := true
	for i, item := range n.Content {
		tpath := fmt.Sprintf("%s[%d]", path, i)
		t, ok := d.task(deref(item), tpath)
		if !ok {
			continue
		}
		if !t.Sequence {
			// Two one-request tasks on one row would make their weights
			// meaningless in the statistics.
			r := &t.Steps[0]
			key := r.Method + " " + r.Name
			if prev, dup := first[key]; dup {
				field := tpath + ".name"
				if r.Name == r.Path {
					field = tpath + ".path"
				}
				d.failf(t.Line, field, "duplicate task %s %s (%s[%d] at line %d has the same method and name); give one a distinct name",
					r.Method, r.Name, path, prev.index, prev.line)
			} else {
				first[key] = seen{i, t.Line}
			}
		}
		allZero = allZero && t.Weight == 0
		tasks = append(tasks, t)
	}
	if len(tasks) == len(n.Content) && allZero {
		d.failf(n.Line, path, "every task has weight 0; at least one task must have a positive weight")
	}
	return tasks
}

// task decodes one task; ok is false when it is too broken to check further.
func (d *decoder) task(n *yaml.Node, path string) (Task, bool) {
	if n == nil || n.Kind != yaml.MappingNode {
		d.failf(lineOfNode(n, nil), path, "a task must be a mapping with at least a path, got %s", describe(n))
		return Task{}, false
	}
	f := d.fields(n, path, taskFields)
	t := Task{Line: n.Line, Weight: 1, Field: path}
	ok := true
	if e, has := f["weight"]; has {
		if v, good := d.integer(e, path+".weight"); good {
			switch {
			case v < 0:
				d.failf(e.val.Line, path+".weight", "must be >= 0, got %d", v)
			case v > MaxWeight:
				d.failf(e.val.Line, path+".weight", "must be <= %d, got %d", MaxWeight, v)
			}
			t.Weight = v
		} else {
			ok = false
		}
	}
	if e, has := f["tags"]; has && !isNull(e.val) {
		t.Tags = d.tags(e, path+".tags")
	}
	if e, has := f["steps"]; has {
		t.Sequence = true
		for _, k := range requestFields {
			if k == "name" {
				continue
			}
			if o, set := f[k]; set {
				d.failf(o.key.Line, path+"."+k, "a task with steps makes its requests in its steps; move %s into a step", k)
			}
		}
		if e, has := f["name"]; has {
			if s, good := d.str(e, path+".name"); good {
				if err := checkName(s); err != nil {
					d.fail(e.val.Line, path+".name", err)
				}
				t.Name = s
			}
		}
		if isNull(e.val) || e.val.Kind != yaml.SequenceNode || len(e.val.Content) == 0 {
			d.failf(lineOf(e), path+".steps", "must be a list of one or more requests, got %s", describe(e.val))
			return t, false
		}
		t.Steps = d.requestList(e, path+".steps")
		if t.Name == "" && len(t.Steps) > 0 {
			t.Name = t.Steps[0].Name
		}
		return t, ok && len(t.Steps) == len(e.val.Content)
	}
	r, good := d.request(n, f, path)
	t.Steps = []Request{r}
	t.Name = r.Name
	return t, ok && good
}

// requestList decodes a list of requests: steps, on_start or on_stop.
func (d *decoder) requestList(e entry, path string) []Request {
	n := e.val
	if n.Kind != yaml.SequenceNode {
		d.failf(n.Line, path, "must be a list of requests, got %s", describe(n))
		return nil
	}
	out := make([]Request, 0, len(n.Content))
	for i, item := range n.Content {
		item = deref(item)
		rpath := fmt.Sprintf("%s[%d]", path, i)
		if item == nil || item.Kind != yaml.MappingNode {
			d.failf(lineOfNode(item, n), rpath, "a request must be a mapping with at least a path, got %s", describe(item))
			continue
		}
		f := d.fields(item, rpath, requestFields)
		if r, ok := d.request(item, f, rpath); ok {
			out = append(out, r)
		}
	}
	return out
}

// request decodes the request fields of n, whose fields f are already
// checked against the known names.
func (d *decoder) request(n *yaml.Node, f map[string]entry, path string) (Request, bool) {
	r := Request{Line: n.Line, Method: "GET", Field: path}
	ok := true
	if e, has := f["path"]; !has || isNull(e.val) {
		d.failf(n.Line, path+".path", "missing; every request needs a path such as /albums")
		ok = false
	} else if s, good := d.str(e, path+".path"); !good {
		ok = false
	} else {
		if !strings.HasPrefix(s, "/") {
			d.failf(e.val.Line, path+".path", "must start with /, got %q", s)
		}
		r.Path, r.pathPos = s, posOf(e.val)
	}
	r.Name = r.Path
	if e, has := f["name"]; has {
		if s, good := d.str(e, path+".name"); good {
			if err := checkName(s); err != nil {
				d.fail(e.val.Line, path+".name", err)
			}
			r.Name, r.Named = s, true
		}
	}
	if e, has := f["method"]; has {
		if s, good := d.str(e, path+".method"); good {
			m := strings.ToUpper(s)
			if !response.IsToken(m) {
				d.failf(e.val.Line, path+".method", "%q is not an HTTP method (one word of letters such as GET or POST)", s)
			}
			r.Method = m
		}
	}
	if e, has := f["headers"]; has && !isNull(e.val) {
		r.Headers = d.headers(e, path+".headers")
	}
	be, hasBody := f["body"]
	je, hasJSON := f["json"]
	switch {
	case hasBody && hasJSON:
		d.failf(je.key.Line, path+".json", "a request has a body or a json body, not both")
	case hasBody && !isNull(be.val):
		if be.val.Kind != yaml.ScalarNode {
			d.failf(be.val.Line, path+".body", "must be a string, got %s; write a JSON body as text after body: |, or as YAML after json:", describe(be.val))
		} else {
			r.Body, r.bodyPos = be.val.Value, posOf(be.val)
		}
	case hasJSON:
		r.JSON = d.jsonValue(je.val, path+".json")
	}
	if e, has := f["capture"]; has && !isNull(e.val) {
		r.Captures = d.captures(e, path+".capture")
	}
	if e, has := f["pick"]; has {
		if s, good := d.str(e, path+".pick"); good {
			pk, err := capture.ParsePick(s)
			if err != nil {
				d.fail(e.val.Line, path+".pick", err)
			}
			r.Pick = pk
			if pk == capture.Random && !anyMulti(r.Captures) && len(r.Captures) > 0 {
				d.failf(e.val.Line, path+".pick", "random picks among several matches, but no capture of this request can match more than once (use a path with #, a header or a regex)")
			}
		}
	}
	if e, has := f["check"]; has && !isNull(e.val) {
		d.check(e, path+".check", &r.Check)
	}
	if e, has := f["expect"]; has && !isNull(e.val) {
		if len(r.Check.Status) > 0 {
			d.failf(e.key.Line, path+".expect", "the statuses are already set by check.status; keep one of them")
		} else {
			r.Check.Status = d.expect(e, path+".expect")
		}
	}
	return r, ok
}

func anyMulti(cs []Capture) bool {
	for _, c := range cs {
		if c.Expr != nil && c.Expr.Multi() {
			return true
		}
	}
	return false
}

func (d *decoder) captures(e entry, path string) []Capture {
	n := e.val
	if n.Kind != yaml.MappingNode {
		d.failf(n.Line, path, "must be a mapping of variable names to what to capture, such as {token: \"json:token\"}, got %s", describe(n))
		return nil
	}
	var out []Capture
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || k.Kind != yaml.ScalarNode {
			d.failf(n.Content[i].Line, path, "variable names must be plain text, got %s", describe(k))
			continue
		}
		field := path + "." + k.Value
		if !dataset.IsVariableName(k.Value) {
			d.failf(k.Line, field, "%q is not a variable name (letters, digits and _, not starting with a digit)", k.Value)
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.failf(k.Line, field, "duplicate variable (first set at line %d)", prev)
			continue
		}
		seen[k.Value] = k.Line
		if v == nil || v.Kind != yaml.ScalarNode || isNull(v) {
			d.failf(lineOfNode(v, k), field, "must be json:<path>, header:<name>, cookie:<name> or regex:<expression>, got %s", describe(v))
			continue
		}
		x, err := capture.Parse(v.Value)
		if err != nil {
			d.fail(v.Line, field, err)
			continue
		}
		out = append(out, Capture{Var: k.Value, Expr: x, Line: v.Line})
	}
	return out
}

func (d *decoder) check(e entry, path string, c *check.Check) {
	n := e.val
	if n.Kind != yaml.MappingNode {
		d.failf(n.Line, path, "must be a mapping of checks such as {status: 200, body_contains: ok}, got %s", describe(n))
		return
	}
	f := d.fields(n, path, checkFields)
	if e, ok := f["status"]; ok && !isNull(e.val) {
		c.Status = d.expect(e, path+".status")
	}
	if e, ok := f["body_contains"]; ok && !isNull(e.val) {
		c.BodyContains = d.texts(e, path+".body_contains")
	}
	if e, ok := f["body_not_contains"]; ok && !isNull(e.val) {
		c.BodyNotContains = d.texts(e, path+".body_not_contains")
	}
	if e, ok := f["json"]; ok && !isNull(e.val) {
		c.JSON = append(c.JSON, d.jsonChecks(e, path+".json")...)
	}
	if e, ok := f["json_exists"]; ok && !isNull(e.val) {
		for i, p := range d.texts(e, path+".json_exists") {
			if _, err := capture.SplitPath(p); err != nil {
				d.failf(lineOf(e), fmt.Sprintf("%s.json_exists[%d]", path, i), "json path %q: %v", p, err)
				continue
			}
			c.JSON = append(c.JSON, check.JSONCheck{Path: p})
		}
	}
	if e, ok := f["header"]; ok && !isNull(e.val) {
		c.Headers = d.headerChecks(e, path+".header")
	}
	if e, ok := f["max_time"]; ok && !isNull(e.val) {
		if e.val.Kind != yaml.ScalarNode {
			d.failf(e.val.Line, path+".max_time", "must be a duration such as 500ms, got %s", describe(e.val))
		} else if t, err := parseDuration(strings.TrimSpace(e.val.Value)); err != nil {
			d.failf(e.val.Line, path+".max_time", "%q: %v", e.val.Value, err)
		} else if t <= 0 {
			d.failf(e.val.Line, path+".max_time", "must be greater than zero, got %s", e.val.Value)
		} else {
			c.MaxTime = t
		}
	}
}

// texts reads one string or a list of strings, none of them empty.
func (d *decoder) texts(e entry, path string) []string {
	n := e.val
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		d.failf(n.Line, path, "must be text or a list of texts, got %s", describe(n))
		return nil
	}
	var out []string
	for i, it := range items {
		it = deref(it)
		field := path
		if n.Kind == yaml.SequenceNode {
			field = fmt.Sprintf("%s[%d]", path, i)
		}
		if it == nil || it.Kind != yaml.ScalarNode || isNull(it) || it.Value == "" {
			d.failf(lineOfNode(it, n), field, "must be non-empty text, got %s", describe(it))
			continue
		}
		out = append(out, it.Value)
	}
	return out
}

func (d *decoder) jsonChecks(e entry, path string) []check.JSONCheck {
	n := e.val
	if n.Kind != yaml.MappingNode {
		d.failf(n.Line, path, "must be a mapping of JSON paths to the values they must hold, got %s", describe(n))
		return nil
	}
	var out []check.JSONCheck
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || k.Kind != yaml.ScalarNode {
			d.failf(n.Content[i].Line, path, "JSON paths must be plain text, got %s", describe(k))
			continue
		}
		field := path + "." + k.Value
		if _, err := capture.SplitPath(k.Value); err != nil {
			d.failf(k.Line, field, "json path %q: %v", k.Value, err)
			continue
		}
		want, err := checkValue(v)
		if err != nil {
			d.fail(lineOfNode(v, k), field, err)
			continue
		}
		out = append(out, check.JSONCheck{Path: k.Value, Want: want})
	}
	return out
}

// checkValue turns a YAML scalar into the JSON value a check compares with.
func checkValue(v *yaml.Node) (*check.Value, error) {
	if isNull(v) {
		return check.NullValue(), nil
	}
	if v.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("must be a string, a number, true, false or null, got %s; check a value deeper in the document with a longer path", describe(v))
	}
	switch v.ShortTag() {
	case "!!str":
		return check.StringValue(v.Value), nil
	case "!!bool":
		var b bool
		if err := v.Decode(&b); err != nil {
			return nil, fmt.Errorf("%s is not a boolean", v.Value)
		}
		return check.BoolValue(b), nil
	case "!!int", "!!float":
		var f float64
		if err := v.Decode(&f); err != nil {
			return nil, fmt.Errorf("%s is not a number", v.Value)
		}
		return check.NumberValue(f, v.Value), nil
	}
	return nil, fmt.Errorf("the value %s (%s) has no JSON form", v.Value, v.ShortTag())
}

func (d *decoder) headerChecks(e entry, path string) []check.HeaderCheck {
	n := e.val
	if n.Kind != yaml.MappingNode {
		d.failf(n.Line, path, "must be a mapping of header names to regular expressions, got %s", describe(n))
		return nil
	}
	var out []check.HeaderCheck
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || k.Kind != yaml.ScalarNode || !response.IsToken(k.Value) {
			d.failf(n.Content[i].Line, path, "%s is not a header name", describe(k))
			continue
		}
		field := path + "." + k.Value
		if v == nil || v.Kind != yaml.ScalarNode || isNull(v) {
			d.failf(lineOfNode(v, k), field, "must be a regular expression, got %s", describe(v))
			continue
		}
		re, err := regexp.Compile(v.Value)
		if err != nil {
			d.failf(v.Line, field, "regular expression %q: %s", v.Value, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			continue
		}
		out = append(out, check.HeaderCheck{Name: k.Value, Pattern: re})
	}
	return out
}

func (d *decoder) data(e entry, path string) *Data {
	n := e.val
	var f map[string]entry
	switch n.Kind {
	case yaml.ScalarNode:
		f = map[string]entry{"file": e}
	case yaml.MappingNode:
		f = d.fields(n, path, dataFields)
	default:
		d.failf(n.Line, path, "must be a file name or {file: users.csv, mode: per-user}, got %s", describe(n))
		return nil
	}
	dt := &Data{Line: n.Line}
	if fe, ok := f["file"]; !ok || isNull(fe.val) {
		d.failf(n.Line, path+".file", "missing; name the CSV file, such as users.csv")
		return nil
	} else if s, ok := d.str(fe, path+".file"); ok {
		if strings.TrimSpace(s) == "" {
			d.failf(fe.val.Line, path+".file", "is empty")
			return nil
		}
		dt.File, dt.Path = s, s
		if !filepath.IsAbs(s) {
			dt.Path = filepath.Join(filepath.Dir(d.file), s)
		}
	}
	if me, ok := f["mode"]; ok {
		if s, ok := d.str(me, path+".mode"); ok {
			m, err := dataset.ParseMode(s)
			if err != nil {
				d.fail(me.val.Line, path+".mode", err)
			}
			dt.Mode = m
		}
	}
	if re, ok := f["recycle"]; ok {
		dt.Recycle = d.boolean(re, path+".recycle", false)
		if dt.Mode != dataset.PerUser && dt.Recycle {
			d.failf(re.val.Line, path+".recycle", "applies to per-user rows; %s rows start over after the last anyway", dt.Mode)
		}
	}
	return dt
}

func (d *decoder) tags(e entry, path string) []string {
	n := e.val
	if n.Kind != yaml.SequenceNode {
		d.failf(n.Line, path, "must be a list of tags such as [read, search], got %s", describe(n))
		return nil
	}
	var out []string
	for i, it := range n.Content {
		it = deref(it)
		field := fmt.Sprintf("%s[%d]", path, i)
		if it == nil || it.Kind != yaml.ScalarNode || isNull(it) {
			d.failf(lineOfNode(it, n), field, "must be a tag name, got %s", describe(it))
			continue
		}
		if err := checkTag(it.Value); err != nil {
			d.fail(it.Line, field, err)
			continue
		}
		out = append(out, it.Value)
	}
	return out
}

// checkTag keeps tags writable on the command line, where --tags takes
// them separated by commas or spaces.
func checkTag(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if strings.ContainsAny(s, ", \t\r\n") {
		return fmt.Errorf("%q has a comma or a space; --tags could not name it", s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%q has a control character", s)
		}
	}
	return nil
}

func (d *decoder) stages(e entry) []Stage {
	n := e.val
	var text string
	switch n.Kind {
	case yaml.ScalarNode:
		text = n.Value
	case yaml.SequenceNode:
		parts := make([]string, 0, len(n.Content))
		for i, it := range n.Content {
			it = deref(it)
			if it == nil || it.Kind != yaml.ScalarNode || isNull(it) {
				d.failf(lineOfNode(it, n), fmt.Sprintf("stages[%d]", i), "must be a stage such as 30s:10, got %s", describe(it))
				return nil
			}
			parts = append(parts, it.Value)
		}
		text = strings.Join(parts, ",")
	default:
		d.failf(n.Line, "stages", "must be stages such as 30s:10,1m:100,30s:0, or a list of them, got %s", describe(n))
		return nil
	}
	st, err := ParseStages(text)
	if err != nil {
		d.fail(n.Line, "stages", err)
		return nil
	}
	return st
}

// lineOfNode is n's line, or else parent's.
func lineOfNode(n, parent *yaml.Node) int {
	if n != nil && n.Line > 0 {
		return n.Line
	}
	if parent != nil {
		return parent.Line
	}
	return 0
}
