package loadgen_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/users"
)

// A Go program can run a load test with its own user code: each task is a
// function that makes whatever requests it likes through the user's client
// and says whether it failed.
func ExampleDo() {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" && r.Method == http.MethodPost {
			w.Write([]byte(`{"token":"t"}`))
			return
		}
		w.Write([]byte(`[]`))
	}))
	defer target.Close()

	login := func(ctx context.Context, u *users.User) (int64, error) {
		u.Req = client.Request{Method: "POST", URL: target.URL + "/login", Body: []byte(`{"user":"demo"}`), ContentType: "application/json"}
		resp, err := u.Client.Do(ctx, &u.Req)
		if err != nil {
			return 0, err
		}
		if resp.Status != http.StatusOK {
			return resp.Bytes, &users.StatusError{Code: resp.Status}
		}
		return resp.Bytes, nil
	}
	browse := func(ctx context.Context, u *users.User) (int64, error) {
		u.Req = client.Request{Method: "GET", URL: target.URL + "/albums"}
		resp, err := u.Client.Do(ctx, &u.Req)
		if err == nil && resp.Status >= 400 {
			err = errors.New("browse failed")
		}
		return resp.Bytes, err
	}

	res, err := loadgen.Do(context.Background(), &loadgen.Spec{
		Workload: &loadgen.Workload{Tasks: []users.Task{
			{Method: "POST", Name: "/login", Weight: 1, Run: login},
			{Method: "GET", Name: "/albums", Weight: 4, Run: browse},
		}},
		Users:   4,
		RunTime: 500 * time.Millisecond,
	}, loadgen.Hooks{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range res.Snapshot.Entries {
		fmt.Println(e.Method(), e.Name(), e.Count() > 0, e.Failures())
	}
	// Output:
	// GET /albums true 0
	// POST /login true 0
}
