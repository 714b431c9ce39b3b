package users

import (
	"context"
	"net/http"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/profiles/response"
	"github.com/loadgen/loadgen/results"
)

// sink is what a user records into: its recorder.
type sink interface {
	Success(entry int, latency time.Duration, bytes int64)
	Failure(entry int, latency time.Duration, bytes int64, errText string)
	Observe(entry int, o results.Observation)
	Skip(entry, n int)
	Exception(message, traceback string)
}

// pending is the user's last request, held until the next one (or the end
// of the task) so that Fail and Succeed can still change its outcome, as a
// locustfile's catch_response block decides after looking at the
// response.
type pending struct {
	set   bool
	row   int
	took  time.Duration
	bytes int64
	err   error
}

// Request sends req through the user's client (its cookies and redirects
// included) and records it as one request of the row (req.Method, name),
// as Locust's self.client.get(url, name=...) does: its time, its body
// bytes, and its failure, if any: a transport error, or a status of 400 or
// more (a *StatusError). The response's body (when req.KeepBody), headers
// and cookies are the user's Last until the next request, and Fail or
// Succeed may still change the outcome until then.
//
// A task that records requests this way, or with Record, is not itself
// recorded as a request: its requests are. A request cut off by the end
// of the run is not recorded.
func (u *User) Request(ctx context.Context, name string, req *client.Request) (client.Response, error) {
	u.flush()
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	start := time.Now()
	resp, err := u.Client.Do(ctx, req)
	took := time.Since(start)
	if ctx.Err() != nil {
		return resp, err
	}
	if err == nil && resp.Status >= 400 {
		err = &StatusError{Code: resp.Status}
	}
	u.pend = pending{set: true, row: u.row(method, name), took: took, bytes: resp.Bytes, err: err}
	u.recorded++
	return resp, err
}

// Fail marks the user's last request failed, with err as its failure
// text, after looking at its response: Locust's response.failure(). It
// does nothing when the user has made no request in this task.
func (u *User) Fail(err error) {
	if u.pend.set && err != nil {
		u.pend.err = err
	}
}

// Succeed marks the user's last request a success whatever its status:
// Locust's response.success().
func (u *User) Succeed() {
	if u.pend.set {
		u.pend.err = nil
	}
}

// Record records a request the task measured itself, under the row
// (method, name): Locust's events.request.fire, for a protocol other than
// HTTP, or a time that spans several requests.
func (u *User) Record(method, name string, took time.Duration, bytes int64, err error) {
	u.flush()
	u.RecordRow(u.row(method, name), took, bytes, err)
}

// Last is the user's last response, valid until its next request: status,
// body (as far as kept), headers and cookies. Before any request it is
// empty.
func (u *User) Last() response.View {
	if v, ok := u.Client.(response.View); ok {
		return v
	}
	return emptyView{}
}

// RecordRow records a request under the row at index row of the run's
// rows (see Rows); it is Record for callers that resolved the row once.
// Like Request's, the sample is held until the next one, or the end of
// the task, so that Fail and Succeed apply to it.
func (u *User) RecordRow(row int, took time.Duration, bytes int64, err error) {
	u.flush()
	u.pend = pending{set: true, row: row, took: took, bytes: bytes, err: err}
	u.recorded++
}

// SkipRow records n requests of the row at index row that were not sent,
// because an earlier step of their task failed.
func (u *User) SkipRow(row, n int) {
	if u.rec != nil {
		u.rec.Skip(row, n)
	}
}

// Rows are the run's statistics rows, which RecordRow and SkipRow address
// by index; they grow as requests name new ones.
func (u *User) Rows() *results.Rows { return u.rows }

func (u *User) row(method, name string) int {
	if u.rows == nil {
		return 0
	}
	return u.rows.Index(results.EntryKey{Method: method, Name: name})
}

// flush records the pending request, if any.
func (u *User) flush() { u.flushPaced(0) }

// flushPaced records the pending request, also into the coordinated-
// omission corrected series when interval is positive: the runner asks
// for that when the request was its task's only one, as a paced task of
// one request is what the correction models.
func (u *User) flushPaced(interval time.Duration) {
	if !u.pend.set {
		return
	}
	p := u.pend
	u.pend = pending{}
	if u.rec == nil {
		return
	}
	switch {
	case interval > 0:
		o := results.Observation{Latency: p.took, Bytes: p.bytes, ExpectedInterval: interval}
		if p.err != nil {
			o.Err = results.NormalizeError(p.err)
		}
		u.rec.Observe(p.row, o)
	case p.err != nil:
		u.rec.Failure(p.row, p.took, p.bytes, results.NormalizeError(p.err))
	default:
		u.rec.Success(p.row, p.took, p.bytes)
	}
}

// emptyView is the Last of a user whose client keeps no response.
type emptyView struct{}

func (emptyView) Status() int                       { return 0 }
func (emptyView) Body() []byte                      { return nil }
func (emptyView) Header(string, int) ([]byte, bool) { return nil, false }
func (emptyView) Cookie(string) ([]byte, bool)      { return nil, false }
