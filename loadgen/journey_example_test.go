package loadgen_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tidwall/gjson"

	"github.com/loadgen/loadgen/internal/shoptest"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
)

// run runs one class of users against host for d, and returns the
// statistics.
func run(host string, class users.Class, n int, d time.Duration) *results.Snapshot {
	res, err := loadgen.Do(context.Background(), &loadgen.Spec{
		Host: host, Workload: &loadgen.Workload{Name: class.Name, Classes: []users.Class{class}},
		Users: n, RunTime: d, StopTimeout: time.Second,
	}, loadgen.Hooks{})
	if err != nil {
		fmt.Println(err)
		return &results.Snapshot{}
	}
	return res.Snapshot
}

// Example_onStartLogin logs each user in once, in OnStart, and sends its
// token with every task's request, as a locustfile's on_start does.
func Example_onStartLogin() {
	shop := shoptest.Start()
	defer shop.Close()
	host := shop.URL

	type shopper struct{ token string }

	login := func(ctx context.Context, u *users.User) error {
		body := fmt.Sprintf(`{"username":"user%d","password":"pw-user%d"}`, u.ID, u.ID)
		if _, err := u.Request(ctx, "login", &client.Request{Method: "POST", URL: host + "/login",
			Body: []byte(body), ContentType: "application/json", KeepBody: true}); err != nil {
			return err
		}
		tok := gjson.GetBytes(u.Last().Body(), "token")
		if !tok.Exists() {
			err := errors.New("no token in the login response")
			u.Fail(err)
			return err
		}
		u.Data = &shopper{token: tok.String()}
		return nil
	}
	items := func(ctx context.Context, u *users.User) error {
		s := u.Data.(*shopper)
		_, err := u.Request(ctx, "/items", &client.Request{URL: host + "/items",
			Header: []client.Header{{Key: "Authorization", Value: "Bearer " + s.token}}})
		return err
	}

	run(host, users.Class{Name: "Shopper", Weight: 1, OnStart: login, Tasks: []users.Task{{Weight: 1, Run: asTask(items)}}}, 2, 300*time.Millisecond)
	st := shop.Stats()
	fmt.Println("logins:", st.Accounts["user1"].Logins, st.Accounts["user2"].Logins, "- refused:", st.Refused)
	// Output: logins: 1 1 - refused: 0
}

// asTask adapts a function that records its own requests to a Task's Run.
func asTask(f func(context.Context, *users.User) error) func(context.Context, *users.User) (int64, error) {
	return func(ctx context.Context, u *users.User) (int64, error) { return 0, f(ctx, u) }
}

// Example_sequence lists the items, fetches one of them by the id taken
// from the list, and reviews it: a SequentialTaskSet as one task function.
func Example_sequence() {
	shop := shoptest.Start()
	defer shop.Close()
	host := shop.URL

	type shopper struct{ token string }
	login := func(ctx context.Context, u *users.User) error {
		body := fmt.Sprintf(`{"username":"user%d","password":"pw-user%d"}`, u.ID, u.ID)
		_, err := u.Request(ctx, "login", &client.Request{Method: "POST", URL: host + "/login",
			Body: []byte(body), ContentType: "application/json", KeepBody: true})
		u.Data = &shopper{token: gjson.GetBytes(u.Last().Body(), "token").String()}
		return err
	}

	review := func(ctx context.Context, u *users.User) error {
		s := u.Data.(*shopper)
		auth := []client.Header{{Key: "Authorization", Value: "Bearer " + s.token}}
		if _, err := u.Request(ctx, "/items", &client.Request{URL: host + "/items", Header: auth, KeepBody: true}); err != nil {
			return err
		}
		ids := gjson.GetBytes(u.Last().Body(), "items.#.id").Array()
		if len(ids) == 0 {
			err := errors.New("no items")
			u.Fail(err)
			return err
		}
		id := ids[u.Rand.IntN(len(ids))].String()
		if _, err := u.Request(ctx, "/items/{id}", &client.Request{URL: host + "/items/" + id}); err != nil {
			return err
		}
		_, err := u.Request(ctx, "/items/{id}/reviews", &client.Request{Method: "POST", URL: host + "/items/" + id + "/reviews",
			Header: auth, Body: []byte(`{"stars":5}`), ContentType: "application/json"})
		return err
	}

	run(host, users.Class{Name: "Reviewer", Weight: 1, OnStart: login, Tasks: []users.Task{{Weight: 1, Run: asTask(review)}}}, 1, 300*time.Millisecond)
	a := shop.Stats().Accounts["user1"]
	fmt.Println("every listed item fetched and reviewed:", a.Listed > 0 && a.Fetched >= a.Listed-1 && a.Reviews >= a.Fetched-1, "- refused:", shop.Stats().Refused)
	// Output: every listed item fetched and reviewed: true - refused: 0
}

// Example_catchResponse fails a request whose body says "error", although
// its status is 200, as catch_response with response.failure() does.
func Example_catchResponse() {
	shop := shoptest.Start()
	defer shop.Close()
	host := shop.URL

	search := func(ctx context.Context, u *users.User) error {
		if _, err := u.Request(ctx, "/search", &client.Request{URL: host + "/search?q=", KeepBody: true}); err != nil {
			return err
		}
		if bytes.Contains(u.Last().Body(), []byte("error")) {
			u.Fail(errors.New("error in body"))
		}
		return nil
	}

	snap := run(host, users.Class{Name: "Searcher", Weight: 1, Tasks: []users.Task{{Weight: 1, Run: asTask(search)}}}, 1, 100*time.Millisecond)
	fmt.Println(snap.Errors[0].Method, snap.Errors[0].Name, snap.Errors[0].Error, snap.Total.Failures() == snap.Total.Count())
	// Output: GET /search error in body true
}

// doSomethingThatIsNotHTTP stands for a call of another protocol.
func doSomethingThatIsNotHTTP(ctx context.Context) error {
	time.Sleep(time.Millisecond)
	return nil
}

// Example_record records a sample the task measured itself, as
// events.request.fire does: a row of its own in every table.
func Example_record() {
	checkout := func(ctx context.Context, u *users.User) error {
		start := time.Now()
		err := doSomethingThatIsNotHTTP(ctx)
		u.Record("grpc", "Checkout", time.Since(start), 0, err)
		return nil
	}

	snap := run("http://127.0.0.1:1", users.Class{Name: "Buyer", Weight: 1, Tasks: []users.Task{{Weight: 1, Run: asTask(checkout)}}}, 1, 100*time.Millisecond)
	e := snap.Entries[0]
	fmt.Println(e.Method(), e.Name(), e.Count() > 10, e.Min() >= time.Millisecond)
	// Output: grpc Checkout true true
}
