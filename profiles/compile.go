package profiles

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/loadgen/loadgen/profiles/capture"
	"github.com/loadgen/loadgen/profiles/check"
)

// Compiled is a profile with every template parsed and every variable
// resolved, ready for users to render requests from. It is read-only, so
// all users share one.
type Compiled struct {
	Profile *Profile
	// Classes are in profile order, zero-weight classes included, so
	// that index i is Profile.Classes[i].
	Classes []*ClassTemplate
}

// ClassTemplate is one user class ready to run.
type ClassTemplate struct {
	Name   string
	Weight int
	// Wait is the class's own wait, or the profile's.
	Wait            Wait
	Cookies         bool
	FollowRedirects bool
	// Data is the class's data file, with its rows, or nil.
	Data *Data
	// Vars names the class's variables: the data file's columns first, in
	// file order, then the captures in journey order. A user's Vars holds
	// their values at the same indexes.
	Vars []string
	// DataVars[i] is the variable of the data file's column i.
	DataVars []int
	OnStart  []*RequestTemplate
	// Tasks are in profile order, zero-weight tasks included.
	Tasks  []*TaskTemplate
	OnStop []*RequestTemplate
	Line   int
}

// TaskTemplate is one task ready to run: its requests in order.
type TaskTemplate struct {
	Name   string
	Weight int
	Tags   []string
	Steps  []*RequestTemplate
	// Sequence is true when the task was written with steps.
	Sequence bool
	Line     int
}

// RequestTemplate is one request ready to render. Its fields are read-only.
type RequestTemplate struct {
	// Name and Method key the request's statistics entry; see EntryName.
	Name   string
	Method string
	// Named is set when the profile gave the name rather than leaving it
	// to default to the path.
	Named bool
	// Static is true when neither the path, nor a header value, nor the
	// body has a template action; every Render then gives the same request.
	Static bool
	// Line is where the request starts in the profile; Field names it in
	// messages.
	Line  int
	Field string
	// Check decides whether a response is a success.
	Check *check.Check
	// Captures take values out of the response, choosing with Pick.
	Captures []CaptureTemplate
	Pick     capture.Pick
	// KeepBody is true when a capture or a check reads the response body,
	// which the client then keeps (its first part) for them; KeepHeaders
	// when one reads its headers or cookies.
	KeepBody    bool
	KeepHeaders bool

	path    field
	headers []headerField
	body    field
	json    []jsonPart
	hasBody bool
}

// EntryName is the request's statistics name against a target whose base
// URL has the path basePath ("/api" for http://host/api): a name the
// profile gave, as given, or else the path as requested, base path
// included, as Locust names requests by the path it sent.
func (t *RequestTemplate) EntryName(basePath string) string {
	if t.Named {
		return t.Name
	}
	return strings.TrimRight(basePath, "/") + t.Name
}

// CaptureTemplate is a capture into the variable at index Var of the
// class's Vars.
type CaptureTemplate struct {
	Var  int
	Name string
	Expr *capture.Expr
}

type headerField struct {
	name  string
	value field
}

// jsonPart is a piece of a JSON body: literal JSON text, or a string
// template whose output is escaped as a JSON string.
type jsonPart struct {
	text []byte
	str  *field
}

// field is one template: a path, a header value, a body or a string of a
// JSON body. It renders in one of three ways, fastest first: static text,
// a list of segments, or text/template.
type field struct {
	file   string
	name   string // such as tasks[1].body
	pos    textPos
	static bool
	text   []byte    // the whole value, when static
	segs   []segment // the fast path, when not static and the template allows
	tmpl   *template.Template
	// vars are the class's variable names, for text/template's data.
	vars []string
	// usesVars is true when the template reads a variable.
	usesVars bool
}

// scope is what a class's templates may refer to while compiling.
type scope struct {
	class string
	vars  map[string]int
	names []string
	// ready is the set of variables that have a value by the time the
	// request being compiled runs, when that is known for sure (on_start
	// and the steps of a task); nil when any defined variable will do.
	ready map[string]bool
	// later says where a variable not yet ready is captured, for the
	// error.
	later map[string]string
}

// Compile parses the templates of every request once, before the run,
// resolves the variables they use, and renders each request once with a
// throwaway context so that mistakes that only show when a template runs
// (randInt 5 1, a path that renders with a space) are reported now, with
// their line, rather than as failed requests.
//
// Templates are Go text/template with these functions:
//
//	seq            this user's render count: 1, 2, 3, ... (see RenderContext.Seq)
//	userID         the user's number
//	randInt A B    a random integer from A to B inclusive
//	randString N   N random ASCII letters
//	uuid           a random version 4 UUID
//
// plus text/template's built-ins (printf, urlquery, eq, ...) and if/with,
// and the class's variables as {{.name}}: the columns of its data file and
// the values its requests capture. A variable that neither a data column
// nor a capture of the class defines is an error, as is one used in
// on_start before the on_start request that captures it. range, define,
// block and template are refused: a request template has nothing to loop
// over or include.
//
// A class with a data file needs its rows (Data.Table) before Compile:
// LoadFile reads them, and LoadData reads them for a profile from Parse.
func Compile(p *Profile) (*Compiled, error) {
	c := &Compiled{Profile: p, Classes: make([]*ClassTemplate, len(p.Classes))}
	var errs ErrorList
	for i := range p.Classes {
		ct, err := compileClass(p, &p.Classes[i])
		if err != nil {
			var list ErrorList
			if errors.As(err, &list) {
				errs = append(errs, list...)
			} else {
				errs = append(errs, asError(p, &p.Classes[i], err))
			}
			continue
		}
		c.Classes[i] = ct
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func asError(p *Profile, c *Class, err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return &Error{File: p.Source, Line: c.Line, Field: c.Field, Err: err}
}

func compileClass(p *Profile, c *Class) (*ClassTemplate, error) {
	ct := &ClassTemplate{
		Name: c.Name, Weight: c.Weight, Wait: p.Wait,
		Cookies: c.Cookies, FollowRedirects: c.FollowRedirects, Data: c.Data, Line: c.Line,
	}
	if c.WaitSet {
		ct.Wait = c.Wait
	}
	sc := &scope{class: c.Name, vars: map[string]int{}}
	define := func(name string) int {
		if i, ok := sc.vars[name]; ok {
			return i
		}
		sc.vars[name] = len(sc.names)
		sc.names = append(sc.names, name)
		return sc.vars[name]
	}
	base := map[string]bool{}
	if c.Data != nil {
		if c.Data.Table == nil {
			return nil, &Error{File: p.Source, Line: c.Data.Line, Field: join(c.Field, "data"),
				Err: fmt.Errorf("the rows of %s are not loaded (LoadData reads them)", c.Data.File)}
		}
		for _, col := range c.Data.Table.Columns {
			ct.DataVars = append(ct.DataVars, define(col))
			base[col] = true
		}
	}
	c.AllRequests(func(r *Request) {
		for _, cp := range r.Captures {
			define(cp.Var)
		}
	})
	ct.Vars = sc.names

	var errs ErrorList
	add := func(err error, r *Request) {
		var list ErrorList
		switch {
		case errors.As(err, &list):
			errs = append(errs, list...)
		default:
			var pe *Error
			if !errors.As(err, &pe) {
				pe = &Error{File: p.Source, Line: r.Line, Field: r.Field, Err: err}
			}
			errs = append(errs, pe)
		}
	}
	trial := NewRenderContext(0, 0)
	trial.Vars = NewVars(sc.names)
	for i := range sc.names {
		trial.Vars.Set(i, []byte("1"))
	}
	compile := func(r *Request) *RequestTemplate {
		rt, err := compileRequest(p, c, r, sc)
		if err == nil {
			err = rt.check(trial)
		}
		if err != nil {
			add(err, r)
			return nil
		}
		return rt
	}

	// on_start runs in order before anything else: a variable is ready
	// once an earlier on_start request has captured it.
	ready := maps(base)
	sc.ready, sc.later = ready, laterCaptures(c, sc)
	for i := range c.OnStart {
		r := &c.OnStart[i]
		ct.OnStart = append(ct.OnStart, compile(r))
		for _, cp := range r.Captures {
			ready[cp.Var] = true
		}
	}
	afterStart := maps(ready)
	for i := range c.Tasks {
		t := &c.Tasks[i]
		tt := &TaskTemplate{Name: t.Name, Weight: t.Weight, Tags: t.Tags, Sequence: t.Sequence, Line: t.Line}
		// Within a task, steps run in order; a variable captured only by a
		// later step of the same task, and by no other task, would never
		// be set the first time through.
		ready := maps(afterStart)
		for j := range c.Tasks {
			if j == i {
				continue
			}
			for _, st := range c.Tasks[j].Steps {
				for _, cp := range st.Captures {
					ready[cp.Var] = true
				}
			}
		}
		for _, cp := range c.OnStop {
			for _, x := range cp.Captures {
				ready[x.Var] = true
			}
		}
		sc.ready = ready
		for j := range t.Steps {
			r := &t.Steps[j]
			tt.Steps = append(tt.Steps, compile(r))
			for _, cp := range r.Captures {
				ready[cp.Var] = true
			}
		}
		ct.Tasks = append(ct.Tasks, tt)
	}
	sc.ready = nil
	for i := range c.OnStop {
		ct.OnStop = append(ct.OnStop, compile(&c.OnStop[i]))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return ct, nil
}

func maps(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// laterCaptures says, for each variable, where the journey captures it
// first, for errors about a variable used too early.
func laterCaptures(c *Class, sc *scope) map[string]string {
	out := map[string]string{}
	c.AllRequests(func(r *Request) {
		for _, cp := range r.Captures {
			if _, ok := out[cp.Var]; !ok {
				out[cp.Var] = fmt.Sprintf("%s.capture at line %d", r.Field, cp.Line)
			}
		}
	})
	return out
}

func compileRequest(p *Profile, c *Class, r *Request, sc *scope) (*RequestTemplate, error) {
	t := &RequestTemplate{
		Name: r.Name, Named: r.Named, Method: r.Method, Line: r.Line, Field: r.Field,
		Check: &r.Check, Pick: r.Pick, hasBody: r.Body != "" || r.JSON != nil,
	}
	prefix := r.Field + "."
	var err error
	if t.path, err = compileField(p.Source, prefix+"path", r.Path, r.pathPos, sc); err != nil {
		return nil, err
	}
	t.Static = t.path.static
	// Headers: the profile's, then the class's, then the request's own; a
	// later one replaces an earlier one of the same name.
	type src struct {
		h     Header
		field string
	}
	var all []src
	for _, h := range p.Headers {
		all = append(all, src{h, "headers." + h.Name})
	}
	for _, h := range c.Headers {
		all = append(all, src{h, join(c.Field, "headers."+h.Name)})
	}
	for _, h := range r.Headers {
		all = append(all, src{h, prefix + "headers." + h.Name})
	}
	hasContentType := false
	for i, s := range all {
		replaced := false
		for _, later := range all[i+1:] {
			if strings.EqualFold(later.h.Name, s.h.Name) {
				replaced = true
				break
			}
		}
		if replaced {
			continue
		}
		f, err := compileField(p.Source, s.field, s.h.Value, s.h.pos, sc)
		if err != nil {
			return nil, err
		}
		hasContentType = hasContentType || strings.EqualFold(s.h.Name, "Content-Type")
		t.headers = append(t.headers, headerField{name: s.h.Name, value: f})
		t.Static = t.Static && f.static
	}
	switch {
	case r.JSON != nil:
		if !hasContentType {
			t.headers = append(t.headers, headerField{name: "Content-Type", value: field{static: true, text: []byte("application/json")}})
		}
		if t.json, err = compileJSON(p.Source, prefix+"json", r.JSON, sc); err != nil {
			return nil, err
		}
		for _, part := range t.json {
			t.Static = t.Static && part.str == nil
		}
	case r.Body != "":
		if t.body, err = compileField(p.Source, prefix+"body", r.Body, r.bodyPos, sc); err != nil {
			return nil, err
		}
		t.Static = t.Static && t.body.static
	}
	for _, cp := range r.Captures {
		t.Captures = append(t.Captures, CaptureTemplate{Var: sc.vars[cp.Var], Name: cp.Var, Expr: cp.Expr})
		t.KeepBody = t.KeepBody || cp.Expr.Kind == capture.JSON || cp.Expr.Kind == capture.Regex
		t.KeepHeaders = t.KeepHeaders || cp.Expr.Kind == capture.Header || cp.Expr.Kind == capture.Cookie
	}
	chk := &r.Check
	t.KeepBody = t.KeepBody || len(chk.BodyContains) > 0 || len(chk.BodyNotContains) > 0 || len(chk.JSON) > 0
	t.KeepHeaders = t.KeepHeaders || len(chk.Headers) > 0
	return t, nil
}

// compileJSON flattens a JSON body into literal text and string templates.
func compileJSON(file, name string, v *JSONValue, sc *scope) ([]jsonPart, error) {
	var parts []jsonPart
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			parts = append(parts, jsonPart{text: lit})
			lit = nil
		}
	}
	var walk func(v *JSONValue, path string) error
	walk = func(v *JSONValue, path string) error {
		switch v.Kind {
		case JSONObject:
			lit = append(lit, '{')
			for i, k := range v.Keys {
				if i > 0 {
					lit = append(lit, ',')
				}
				lit = appendJSONString(lit, []byte(k))
				lit = append(lit, ':')
				if err := walk(v.Items[i], path+"."+k); err != nil {
					return err
				}
			}
			lit = append(lit, '}')
		case JSONArray:
			lit = append(lit, '[')
			for i, it := range v.Items {
				if i > 0 {
					lit = append(lit, ',')
				}
				if err := walk(it, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			lit = append(lit, ']')
		case JSONString:
			f, err := compileField(file, path, v.Text, v.pos, sc)
			if err != nil {
				return err
			}
			if f.static {
				lit = appendJSONString(lit, f.text)
				return nil
			}
			flush()
			parts = append(parts, jsonPart{str: &f})
		default:
			lit = append(lit, v.Text...)
		}
		return nil
	}
	if err := walk(v, name); err != nil {
		return nil, err
	}
	flush()
	return parts, nil
}

// check renders the request once and checks what only rendering can show.
func (t *RequestTemplate) check(trial *RenderContext) error {
	var r Rendered
	if err := t.Render(trial, &r); err != nil {
		return err
	}
	for _, b := range r.Path {
		if b <= ' ' || b == 0x7f {
			return t.path.errorf(1, "renders to %q, which has a space or control character; escape it, for example with urlquery", r.Path)
		}
	}
	for i, h := range r.Headers {
		for _, b := range h.Value {
			if b == '\r' || b == '\n' || b == 0 {
				return t.headers[i].value.errorf(1, "renders to %q, which has a line break or NUL", h.Value)
			}
		}
	}
	return nil
}

func compileField(file, name, text string, pos textPos, sc *scope) (field, error) {
	f := field{file: file, name: name, pos: pos}
	if sc != nil {
		f.vars = sc.names
	}
	if !strings.Contains(text, "{{") {
		f.static, f.text = true, []byte(text)
		return f, nil
	}
	// The functions bound here only let the parser know their names;
	// each user executes a clone bound to its own RenderContext.
	tmpl, err := template.New(name).Option("missingkey=error").Funcs(NewRenderContext(0, 0).funcMap()).Parse(text)
	if err != nil {
		return f, f.templateError(err)
	}
	if err := f.checkTree(tmpl, text, sc); err != nil {
		return f, err
	}
	f.tmpl = tmpl
	if segs, ok := fastPath(tmpl.Tree.Root, text, sc); ok {
		if len(segs) == 0 || (len(segs) == 1 && segs[0].kind == segText) {
			// Only comments or trimmed space: nothing varies.
			f.static = true
			if len(segs) == 1 {
				f.text = segs[0].text
			} else {
				f.text = []byte{}
			}
			return f, nil
		}
		f.segs = segs
	}
	return f, nil
}

// render returns the field's bytes for this render: the static text itself
// (no copy, no allocation), or the template's output appended to buf[:0].
// The second result is buf, possibly grown, for the caller to keep.
func (f *field) render(c *RenderContext, buf []byte) ([]byte, []byte, error) {
	if f.static {
		return f.text, buf, nil
	}
	out := buf[:0]
	if f.segs == nil {
		out, err := c.execute(f, out)
		if err != nil {
			return nil, out, f.templateError(err)
		}
		return out, out, nil
	}
	for i := range f.segs {
		s := &f.segs[i]
		var err error
		if out, err = s.appendTo(c, out); err == nil && len(out) > MaxRenderedSize {
			err = errTooLarge
		}
		if err != nil {
			return nil, out, &Error{File: f.file, Line: f.pos.fileLine(s.line), Field: f.name, Err: err}
		}
	}
	return out, out, nil
}

func (f *field) errorf(textLine int, format string, args ...any) *Error {
	return &Error{File: f.file, Line: f.pos.fileLine(textLine), Field: f.name, Err: fmt.Errorf(format, args...)}
}

var (
	templatePrefix = regexp.MustCompile(`^template: [^\n]*?:(\d+):(?:\d+:)? (?:executing "[^"]*" )?(.*)$`)
	missingKey     = regexp.MustCompile(`^at <\.([A-Za-z_][A-Za-z0-9_]*)>: map has no entry for key "[^"]*"$`)
)

// templateError locates a text/template error in the profile file and drops
// the template's own name and line, which mean nothing to a user.
func (f *field) templateError(err error) *Error {
	if errors.Is(err, errTooLarge) {
		return &Error{File: f.file, Line: f.pos.line, Field: f.name, Err: err}
	}
	var unset *UnsetError
	if errors.As(err, &unset) {
		return &Error{File: f.file, Line: f.pos.line, Field: f.name, Err: err}
	}
	msg, textLine := err.Error(), 1
	if m := templatePrefix.FindStringSubmatch(msg); m != nil {
		textLine, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if m := missingKey.FindStringSubmatch(msg); m != nil {
		return &Error{File: f.file, Line: f.pos.fileLine(textLine), Field: f.name, Err: &UnsetError{Var: m[1]}}
	}
	return &Error{File: f.file, Line: f.pos.fileLine(textLine), Field: f.name, Err: &templateErr{msg: msg, err: err}}
}

// templateErr carries a reworded template error without losing its cause.
type templateErr struct {
	msg string
	err error
}

func (e *templateErr) Error() string { return e.msg }
func (e *templateErr) Unwrap() error { return e.err }

// UnsetError is a template that used a variable before anything set it:
// a capture that has not run yet, or that found nothing.
type UnsetError struct{ Var string }

func (e *UnsetError) Error() string {
	return "variable " + e.Var + " has no value yet: the capture that sets it has not run, or found nothing"
}

// Expect reports whether status counts as a success for this request: one
// of the statuses its check lists, or, without any, a status from 1 to
// 399. Status 0 stands for no response and is never a success.
func (t *RequestTemplate) Expect(status int) bool { return t.Check.StatusOK(status) }

// Rendered is one request rendered from a RequestTemplate. A user keeps one
// and renders into it for every request, so that once its buffers have
// grown, rendering allocates nothing.
//
// The slices are read-only: for static parts they are the template's own
// bytes, shared by all users. They stay valid until the next Render into
// the same Rendered.
type Rendered struct {
	Request *RequestTemplate
	Path    []byte
	Headers []RenderedHeader
	// Body is nil when the request has none.
	Body []byte

	pathBuf    []byte
	bodyBuf    []byte
	strBuf     []byte
	headerBufs [][]byte
}

// RenderedHeader is one header of a Rendered request.
type RenderedHeader struct {
	Name  string
	Value []byte
}

// Render fills out with this request for the user that owns ctx. It
// increments ctx.Seq first. Errors name the field and line of the template
// that failed; Compile has already rendered every request once, so they
// are rare, except for an *UnsetError: a variable whose capture has not
// run yet.
func (t *RequestTemplate) Render(ctx *RenderContext, out *Rendered) error {
	ctx.Seq++
	if ctx.Rand == nil {
		ctx.Rand = NewRand(0, ctx.UserID)
	}
	out.Request = t
	var err error
	if out.Path, out.pathBuf, err = t.path.render(ctx, out.pathBuf); err != nil {
		return err
	}
	out.Headers = out.Headers[:0]
	for i := range t.headers {
		h := &t.headers[i]
		if i == len(out.headerBufs) {
			out.headerBufs = append(out.headerBufs, nil)
		}
		var v []byte
		if v, out.headerBufs[i], err = h.value.render(ctx, out.headerBufs[i]); err != nil {
			return err
		}
		out.Headers = append(out.Headers, RenderedHeader{Name: h.name, Value: v})
	}
	out.Body = nil
	switch {
	case t.json != nil:
		body := out.bodyBuf[:0]
		for i := range t.json {
			part := &t.json[i]
			if part.str == nil {
				body = append(body, part.text...)
				continue
			}
			var s []byte
			if s, out.strBuf, err = part.str.render(ctx, out.strBuf); err != nil {
				return err
			}
			body = appendJSONString(body, s)
			if len(body) > MaxRenderedSize {
				return &Error{File: part.str.file, Line: part.str.pos.line, Field: part.str.name, Err: errTooLarge}
			}
		}
		out.Body, out.bodyBuf = body, body
	case t.hasBody:
		if out.Body, out.bodyBuf, err = t.body.render(ctx, out.bodyBuf); err != nil {
			return err
		}
	}
	return nil
}

// Tasks lists the profile's tasks over all classes, in order, for callers
// that show or weigh them without regard to classes.
func (c *Compiled) Tasks() []*TaskTemplate {
	var out []*TaskTemplate
	for _, cl := range c.Classes {
		out = append(out, cl.Tasks...)
	}
	return out
}

// VarIndex is the index of the class's variable called name, or -1.
func (c *ClassTemplate) VarIndex(name string) int {
	return slices.Index(c.Vars, name)
}
