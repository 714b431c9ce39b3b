// Package users runs simulated users: it starts and retires them on a ramp,
// lets each pick weighted tasks, waits between them, and records every task
// run into the user's own recorder, so that recording never becomes a lock
// that all users contend for.
package users

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/results"
)

// Task is one weighted action of a user. Each run of a task is timed from
// just before Run is called until it returns, and is recorded as one request
// in the statistics row (Method, Name).
type Task struct {
	// Method is the statistics row's Type, normally the HTTP method.
	Method string
	// Name is the statistics row's Name.
	Name string
	// Weight is the task's share of the user's choices; zero never runs it.
	Weight int
	// Run performs the task once. It returns the number of response body
	// bytes and, when the task failed, an error whose text names the failure.
	// It must not keep u's buffers beyond the call.
	Run func(ctx context.Context, u *User) (bytes int64, err error)
}

// User is the state one simulated user carries from task to task. Tasks get
// it to reach the user's own connection, random source and scratch request.
type User struct {
	// ID numbers the user from 1 within its runner.
	ID int
	// Client holds the user's own keep-alive connection.
	Client client.Client
	// Rand is the user's random source, seeded from the run's seed and ID.
	Rand *rand.Rand
	// Req is a scratch request that tasks may reuse between calls, so that
	// building a request allocates nothing.
	Req client.Request
	// Seq counts the task runs of this user.
	Seq uint64
	// Data is state that the task set keeps per user, made by
	// Config.InitUser (rendering buffers, a login token, ...).
	Data any
	// Class is the name of the user's class, and ClassRank the user's
	// place among the users of its class in the start order of the whole
	// run, from 0: on every worker of a distributed run, the k-th user of
	// a class started has rank k, so a per-user resource (a row of a data
	// file) chosen by rank is never held by two users at once.
	Class     string
	ClassRank int

	// What the user records into, set by the runner; see user.go.
	rec      sink
	rows     *results.Rows
	pend     pending
	recorded int
}

// StatusError is the failure of a response whose status was not expected.
type StatusError struct {
	Code int
}

// Error reads like "HTTP 503 Service Unavailable", so that failures group by
// status in the error report.
func (e *StatusError) Error() string {
	if t := http.StatusText(e.Code); t != "" {
		return fmt.Sprintf("HTTP %d %s", e.Code, t)
	}
	return fmt.Sprintf("HTTP %d", e.Code)
}

// Waiter decides how long a user waits after a task, as Locust's wait_time
// does. took is how long the task ran, which pacing waits subtract.
type Waiter interface {
	Next(r *rand.Rand, took time.Duration) time.Duration
}

// NoWait is a Waiter that never waits.
type NoWait struct{}

// Next returns zero.
func (NoWait) Next(*rand.Rand, time.Duration) time.Duration { return 0 }
