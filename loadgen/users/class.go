package users

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/client/browser"
	"github.com/loadgen/loadgen/results"
)

// Class is a kind of user, as a Locust User class is: its share of the
// users, its tasks, its wait, and what each of its users does once when it
// starts and when it stops.
type Class struct {
	// Name names the class in messages.
	Name string
	// Weight is the class's share of the users; see Config.Classes.
	Weight int
	// Tasks are the class's weighted actions.
	Tasks []Task
	// Wait is the pause after each task; nil means none.
	Wait Waiter
	// ExpectedInterval, when positive, is the time between the starts of
	// a user's tasks that Wait aims for; see Config.ExpectedInterval.
	ExpectedInterval time.Duration
	// InitUser, when set, prepares each new user before OnStart, typically
	// by setting User.Data. A panic in it is counted against the user's
	// first task, and the user goes on.
	InitUser func(u *User)
	// OnStart, when set, runs once for each user before its first task,
	// on the user's own goroutine and outside every lock of the runner,
	// so that a slow one (a login) holds up that user alone. Requests it
	// makes through the user are recorded like any. An error, or a
	// panic, ends the user: it runs no task (a per-user data row it could
	// not get, say); the error is counted among the exceptions.
	OnStart func(ctx context.Context, u *User) error
	// OnStop, when set, runs once when the user stops: retired by a ramp
	// down, or at the end of the run within its stop timeout.
	OnStop func(ctx context.Context, u *User)
	// NoCookies and NoRedirects turn off the cookie jar and the following
	// of redirects that each user's client otherwise has, as a Locust
	// HttpSession has them.
	NoCookies, NoRedirects bool
}

// session wraps a user's client in a browser with the class's cookies and
// redirects. A client that cannot report headers (a test's stand-in) is
// used as it is.
func (c *Class) session(cl client.Client) client.Client {
	if _, ok := cl.(client.HeaderReader); !ok {
		return cl
	}
	b, err := browser.New(cl, browser.Options{Cookies: !c.NoCookies, FollowRedirects: !c.NoRedirects})
	if err != nil {
		return cl
	}
	return b
}

// classState is a Class as a runner runs it: the statistics row of each
// task and the task weights.
type classState struct {
	*Class
	// rows[i] is task i's row, or -1 for a task without a Name, whose
	// runs record their own requests.
	rows    []int
	weights []int
	total   int
}

func newClassState(c *Class, rows *results.Rows) (*classState, error) {
	cs := &classState{Class: c}
	for i, t := range c.Tasks {
		if t.Run == nil {
			return nil, fmt.Errorf("users: class %s: task %d (%s %s) has no Run function", c.Name, i, t.Method, t.Name)
		}
		if t.Weight < 0 {
			return nil, fmt.Errorf("users: class %s: task %d (%s %s) has negative weight %d", c.Name, i, t.Method, t.Name, t.Weight)
		}
		row := -1
		if t.Name != "" {
			row = rows.Index(results.EntryKey{Method: t.Method, Name: t.Name})
		}
		cs.rows = append(cs.rows, row)
		cs.weights = append(cs.weights, t.Weight)
		cs.total += t.Weight
	}
	if cs.total == 0 {
		return nil, ErrNoTasks
	}
	if cs.Wait == nil {
		cs.Wait = NoWait{}
	}
	return cs, nil
}

// recovered turns a panic of user code into a PanicError, and records it,
// with its stack, among the exceptions, as Locust records an exception
// its user code raised. The user goes on.
func recovered(u *User, v any) error {
	pe := &PanicError{Value: v}
	if u.rec != nil {
		u.rec.Exception(panicMessage(v), traceback())
	}
	return pe
}

func panicMessage(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	return fmt.Sprint(v)
}

// traceback is the stack of a panicking user function, called from the
// deferred recover: function names and source lines from the panic up to
// the runner, without goroutine numbers, arguments or addresses, so that
// panics of one place group together.
func traceback() string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	inPanic := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic" || strings.HasPrefix(f.Function, "runtime.panic"):
			inPanic = true
		case !inPanic || strings.HasPrefix(f.Function, "runtime."):
			// the recovering frames, or the runtime's own
		case strings.HasPrefix(f.Function, "github.com/loadgen/loadgen/loadgen/users.call"):
			more = false // the runner's frames begin
		default:
			fmt.Fprintf(&b, "%s\n\t%s:%d\n", f.Function, f.File, f.Line)
		}
		if !more {
			break
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// callTask runs a task once, turning a panic into an error.
func callTask(ctx context.Context, t *Task, u *User) (n int64, err error) {
	defer func() {
		if v := recover(); v != nil {
			n, err = 0, recovered(u, v)
		}
	}()
	return t.Run(ctx, u)
}

// callStart runs a class's OnStart, turning a panic into an error; an
// error other than a panic is counted among the exceptions too.
func callStart(ctx context.Context, c *Class, u *User) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = recovered(u, v)
		}
		u.flush()
	}()
	if c.OnStart == nil {
		return nil
	}
	if err := c.OnStart(ctx, u); err != nil {
		var pe *PanicError
		if !errors.As(err, &pe) && u.rec != nil {
			u.rec.Exception(fmt.Sprintf("user %d of class %s could not start: %v", u.ID, c.Name, err), "on_start of class "+c.Name)
		}
		return err
	}
	return nil
}

// callStop runs a class's OnStop, turning a panic into an exception.
func callStop(ctx context.Context, c *Class, u *User) {
	defer func() {
		if v := recover(); v != nil {
			_ = recovered(u, v)
		}
		u.flush()
	}()
	if c.OnStop != nil {
		c.OnStop(ctx, u)
	}
}

// waitAfter asks w for the wait after a task run; a Waiter that panics
// waits not at all, and its panic is kept among the exceptions and
// returned to be counted.
func waitAfter(w Waiter, u *User, took time.Duration) (d time.Duration, err error) {
	defer func() {
		if v := recover(); v != nil {
			d, err = 0, recovered(u, v)
		}
	}()
	return w.Next(u.Rand, took), nil
}

// callInit runs a class's InitUser, turning a panic into an error that
// the runner counts against the user's first task; the user goes on.
func callInit(c *Class, u *User) (err error) {
	if c.InitUser == nil {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("preparing the user: %w", recovered(u, v))
		}
	}()
	c.InitUser(u)
	return nil
}
