package profiles

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

// Compiled is a profile with every template parsed, ready for users to
// render requests from. It is read-only, so all users share one.
type Compiled struct {
	Profile *Profile
	// Tasks are in profile order, zero-weight tasks included, so that
	// index i is Profile.Tasks[i].
	Tasks []*TaskTemplate
}

// TaskTemplate is one task ready to render. Its fields are read-only.
type TaskTemplate struct {
	// Name and Method key the task's statistics entry; see EntryName.
	Name   string
	Method string
	// Named is set when the profile gave the name rather than leaving it
	// to default to the path.
	Named bool
	// Weight is copied from the profile when it is compiled.
	Weight int
	// Static is true when neither the path, nor a header value, nor the
	// body has a template action; every Render then gives the same request.
	Static bool
	// Line is where the task starts in the profile.
	Line int

	expect  []int
	path    field
	headers []headerField
	body    field
	hasBody bool
}

// EntryName is the task's statistics name against a target whose base
// URL has the path basePath ("/api" for http://host/api): a name the
// profile gave, as given, or else the path as requested, base path
// included, as Locust names requests by the path it sent.
func (t *TaskTemplate) EntryName(basePath string) string {
	if t.Named {
		return t.Name
	}
	return strings.TrimRight(basePath, "/") + t.Name
}

type headerField struct {
	name  string
	value field
}

// field is one template: a path, a header value or a body. It renders in
// one of three ways, fastest first: static text, a list of segments, or
// text/template.
type field struct {
	file   string
	name   string // such as tasks[1].body
	pos    textPos
	static bool
	text   []byte    // the whole value, when static
	segs   []segment // the fast path, when not static and the template allows
	tmpl   *template.Template
}

// Compile parses the templates of every task once, before the run, and
// renders each task once with a throwaway context so that mistakes that
// only show when a template runs (randInt 5 1, a path that renders with a
// space) are reported now, with their line, rather than as failed requests.
//
// Templates are Go text/template with these functions:
//
//	seq            this user's render count: 1, 2, 3, ... (see RenderContext.Seq)
//	userID         the user's number
//	randInt A B    a random integer from A to B inclusive
//	randString N   N random ASCII letters
//	uuid           a random version 4 UUID
//
// plus text/template's built-ins (printf, urlquery, eq, ...) and if/with.
// Templates get no data (.), and range, define, block and template are
// refused: a request template has nothing to loop over or include.
func Compile(p *Profile) (*Compiled, error) {
	c := &Compiled{Profile: p, Tasks: make([]*TaskTemplate, len(p.Tasks))}
	var errs ErrorList
	trial := NewRenderContext(0, 0)
	for i := range p.Tasks {
		t, err := compileTask(p, i)
		if err == nil {
			err = t.check(trial)
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				pe = &Error{File: p.Source, Line: p.Tasks[i].Line, Field: fmt.Sprintf("tasks[%d]", i), Err: err}
			}
			errs = append(errs, pe)
			continue
		}
		c.Tasks[i] = t
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func compileTask(p *Profile, i int) (*TaskTemplate, error) {
	task := &p.Tasks[i]
	prefix := fmt.Sprintf("tasks[%d].", i)
	t := &TaskTemplate{
		Name:    task.Name,
		Named:   task.Named,
		Method:  task.Method,
		Weight:  task.Weight,
		Line:    task.Line,
		expect:  task.Expect,
		hasBody: task.Body != "",
	}
	var err error
	if t.path, err = compileField(p.Source, prefix+"path", task.Path, task.pathPos); err != nil {
		return nil, err
	}
	t.Static = t.path.static
	for _, h := range task.Headers {
		f, err := compileField(p.Source, prefix+"headers."+h.Name, h.Value, h.pos)
		if err != nil {
			return nil, err
		}
		t.headers = append(t.headers, headerField{name: h.Name, value: f})
		t.Static = t.Static && f.static
	}
	if t.hasBody {
		if t.body, err = compileField(p.Source, prefix+"body", task.Body, task.bodyPos); err != nil {
			return nil, err
		}
		t.Static = t.Static && t.body.static
	}
	return t, nil
}

// check renders the task once and checks what only rendering can show.
func (t *TaskTemplate) check(trial *RenderContext) error {
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

func compileField(file, name, text string, pos textPos) (field, error) {
	f := field{file: file, name: name, pos: pos}
	if !strings.Contains(text, "{{") {
		f.static, f.text = true, []byte(text)
		return f, nil
	}
	// The functions bound here only let the parser know their names;
	// each user executes a clone bound to its own RenderContext.
	tmpl, err := template.New(name).Funcs(NewRenderContext(0, 0).funcMap()).Parse(text)
	if err != nil {
		return f, f.templateError(err)
	}
	if err := f.checkTree(tmpl, text); err != nil {
		return f, err
	}
	f.tmpl = tmpl
	if segs, ok := fastPath(tmpl.Tree.Root, text); ok {
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
		out, err := c.execute(f.tmpl, out)
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

var templatePrefix = regexp.MustCompile(`^template: [^\n]*?:(\d+):(?:\d+:)? (?:executing "[^"]*" )?(.*)$`)

// templateError locates a text/template error in the profile file and drops
// the template's own name and line, which mean nothing to a user.
func (f *field) templateError(err error) *Error {
	if errors.Is(err, errTooLarge) {
		return &Error{File: f.file, Line: f.pos.line, Field: f.name, Err: err}
	}
	msg, textLine := err.Error(), 1
	if m := templatePrefix.FindStringSubmatch(msg); m != nil {
		textLine, _ = strconv.Atoi(m[1])
		msg = m[2]
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

// Expect reports whether status counts as a success for this task: one of
// the profile's expect codes, or, without any, a status from 1 to 399.
// Status 0 stands for no response and is never a success.
func (t *TaskTemplate) Expect(status int) bool {
	if len(t.expect) == 0 {
		return status > 0 && status < 400
	}
	for _, s := range t.expect {
		if s == status {
			return true
		}
	}
	return false
}

// ExpectedStatuses returns the statuses Expect accepts, or nil when it
// accepts any status below 400. The slice must not be modified.
func (t *TaskTemplate) ExpectedStatuses() []int { return t.expect }

// Rendered is one request rendered from a TaskTemplate. A user keeps one and
// renders into it for every task run, so that once its buffers have grown,
// rendering allocates nothing.
//
// The slices are read-only: for static parts they are the template's own
// bytes, shared by all users. They stay valid until the next Render into the
// same Rendered.
type Rendered struct {
	Task    *TaskTemplate
	Path    []byte
	Headers []RenderedHeader
	// Body is nil when the task has none.
	Body []byte

	pathBuf    []byte
	bodyBuf    []byte
	headerBufs [][]byte
}

// RenderedHeader is one header of a Rendered request.
type RenderedHeader struct {
	Name  string
	Value []byte
}

// Render fills out with this task's next request for the user that owns
// ctx. It increments ctx.Seq first. Errors name the field and line of the
// template that failed; Compile has already rendered every task once, so
// they are rare.
func (t *TaskTemplate) Render(ctx *RenderContext, out *Rendered) error {
	ctx.Seq++
	if ctx.Rand == nil {
		ctx.Rand = NewRand(0, ctx.UserID)
	}
	out.Task = t
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
	if t.hasBody {
		if out.Body, out.bodyBuf, err = t.body.render(ctx, out.bodyBuf); err != nil {
			return err
		}
	}
	return nil
}
