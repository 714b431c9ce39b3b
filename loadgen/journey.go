package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unsafe"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/profiles/dataset"
	"github.com/loadgen/loadgen/profiles/response"
	"github.com/loadgen/loadgen/results"
)

// sampleSink is where a journey records its requests: the user (see
// users.User.RecordRow), addressed by row.
type sampleSink interface {
	// RecordRow records one request of row: how long it took, the body
	// bytes, and why it failed (nil for a success).
	RecordRow(row int, took time.Duration, bytes int64, err error)
	// SkipRow records n requests of row that were not sent.
	SkipRow(row, n int)
}

// journeyClass is a compiled user class ready to run against one host:
// its requests' statistics rows and its data rows.
type journeyClass struct {
	tmpl   *profiles.ClassTemplate
	base   string
	rows   map[*profiles.RequestTemplate]int
	dealer *dataset.Dealer // nil without a data file
}

// newJourneyClass resolves the rows of every request of c against host,
// in rows, and deals c's data from table (nil when c has none) as worker
// w of n (0 of 1 in one process).
func newJourneyClass(c *profiles.ClassTemplate, host string, rows *results.Rows, table *dataset.Table, w, n int) *journeyClass {
	jc := &journeyClass{
		tmpl: c,
		base: strings.TrimRight(host, "/"),
		rows: map[*profiles.RequestTemplate]int{},
	}
	basePath := BasePath(host)
	add := func(r *profiles.RequestTemplate) {
		jc.rows[r] = rows.Index(results.EntryKey{Method: r.Method, Name: r.EntryName(basePath)})
	}
	for _, r := range c.OnStart {
		add(r)
	}
	for _, t := range c.Tasks {
		for _, r := range t.Steps {
			add(r)
		}
	}
	for _, r := range c.OnStop {
		add(r)
	}
	if c.Data != nil && table != nil {
		jc.dealer = dataset.NewDealer(table, c.Data.Mode, c.Data.Recycle, w, n)
	}
	return jc
}

// journeyUser is one user of a class: its client, its variables and its
// rendering buffers. It belongs to the user's goroutine.
type journeyUser struct {
	cls     *journeyClass
	c       client.Client
	view    response.View
	rc      profiles.RenderContext
	out     profiles.Rendered
	url     []byte
	headers []client.Header
	req     client.Request
}

// newJourneyUser makes the journey state of a user whose client is c:
// normally a browser, with the class's cookies and redirects, whose last
// response the checks and captures read.
func newJourneyUser(cls *journeyClass, c client.Client, id int, rnd *rand.Rand) *journeyUser {
	u := &journeyUser{cls: cls, c: c}
	if v, ok := c.(response.View); ok {
		u.view = v
	} else {
		u.view = noView{}
	}
	u.rc = profiles.RenderContext{UserID: id, Rand: rnd, Vars: profiles.NewVars(cls.tmpl.Vars)}
	return u
}

// noView is the response of a client that keeps none: checks see only
// the status, which Do returns.
type noView struct{ status int }

func (v noView) Status() int                     { return v.status }
func (noView) Body() []byte                      { return nil }
func (noView) Header(string, int) ([]byte, bool) { return nil, false }
func (noView) Cookie(string) ([]byte, bool)      { return nil, false }

// errCutOff is a request ended by the end of the run: neither a success
// nor a failure of the target, and not recorded.
var errCutOff = errors.New("cut off by the end of the run")

// start takes the per-user data row of the user of rank classRank in its
// class, and runs on_start in order. A request that fails skips the rest
// of on_start, and the user goes on to its tasks, as a Locust user whose
// on_start failed a request does. It fails only when the file has no row
// for the user.
func (u *journeyUser) start(ctx context.Context, classRank int, sink sampleSink) error {
	if d := u.cls.dealer; d != nil && d.Mode() == dataset.PerUser {
		row, err := d.PerUser(classRank)
		if err != nil {
			return err
		}
		u.setData(row)
	}
	u.sequence(ctx, u.cls.tmpl.OnStart, sink)
	return nil
}

// task runs one task: its steps in order, each its own row; a step that
// fails skips the rest, which are counted as skipped.
func (u *journeyUser) task(ctx context.Context, t *profiles.TaskTemplate, sink sampleSink) {
	if d := u.cls.dealer; d != nil && d.Mode() != dataset.PerUser {
		u.setData(d.Next(u.rc.Rand))
	}
	u.sequence(ctx, t.Steps, sink)
}

// stop runs on_stop.
func (u *journeyUser) stop(ctx context.Context, sink sampleSink) {
	u.sequence(ctx, u.cls.tmpl.OnStop, sink)
}

func (u *journeyUser) setData(row int) {
	values := u.cls.dealer.Table().Rows[row]
	for col, v := range u.cls.tmpl.DataVars {
		u.rc.Vars.SetString(v, values[col])
	}
}

// sequence makes the requests in order until one fails.
func (u *journeyUser) sequence(ctx context.Context, reqs []*profiles.RequestTemplate, sink sampleSink) {
	for i, r := range reqs {
		err := u.request(ctx, r, sink)
		if errors.Is(err, errCutOff) {
			return
		}
		if err != nil {
			for _, rest := range reqs[i+1:] {
				sink.SkipRow(u.cls.rows[rest], 1)
			}
			return
		}
	}
}

// request renders, sends, checks and records one request, and takes its
// captures. The time recorded is the exchange's, redirects included.
func (u *journeyUser) request(ctx context.Context, r *profiles.RequestTemplate, sink sampleSink) error {
	row := u.cls.rows[r]
	if err := r.Render(&u.rc, &u.out); err != nil {
		sink.RecordRow(row, 0, 0, err)
		return err
	}
	req := &u.req
	req.Method = r.Method
	u.url = append(append(u.url[:0], u.cls.base...), u.out.Path...)
	// The client reads the URL and headers only during Do, and these
	// buffers are not touched again until the next request, so strings
	// over them are safe and save allocations per request.
	req.URL = unsafe.String(unsafe.SliceData(u.url), len(u.url))
	u.headers = u.headers[:0]
	for _, h := range u.out.Headers {
		u.headers = append(u.headers, client.Header{Key: h.Name, Value: unsafe.String(unsafe.SliceData(h.Value), len(h.Value))})
	}
	req.Header = u.headers
	req.Body = u.out.Body
	req.KeepBody, req.KeepHeaders = r.KeepBody, r.KeepHeaders
	start := time.Now()
	resp, err := u.c.Do(ctx, req)
	took := time.Since(start)
	if ctx.Err() != nil {
		return errCutOff
	}
	if err == nil {
		view := u.view
		if nv, ok := view.(noView); ok {
			nv.status = resp.Status
			view = nv
		}
		err = r.Check.Evaluate(view, took)
	}
	if err == nil {
		err = u.capture(r)
	}
	sink.RecordRow(row, took, resp.Bytes, err)
	return err
}

// capture stores the request's captures in the user's variables; the
// first that finds nothing fails the request.
func (u *journeyUser) capture(r *profiles.RequestTemplate) error {
	for _, c := range r.Captures {
		v, err := c.Expr.Extract(u.view, r.Pick, u.rc.Rand, u.rc.Vars.Buffer(c.Var))
		if err != nil {
			return &CaptureError{Var: c.Name, Err: err}
		}
		u.rc.Vars.Store(c.Var, v)
	}
	return nil
}

// CaptureError is a request whose capture found nothing: "capture token:
// json path token not found".
type CaptureError struct {
	Var string
	Err error
}

func (e *CaptureError) Error() string { return fmt.Sprintf("capture %s: %v", e.Var, e.Err) }

// Unwrap returns what the capture found wrong.
func (e *CaptureError) Unwrap() error { return e.Err }
