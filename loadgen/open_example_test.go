package loadgen_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
)

// An open-model run sends requests at a set rate however the target fares,
// and counts from each request's intended send time. Its counts say
// whether the generator kept to the schedule.
func ExampleDo_openModel() {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	defer target.Close()

	get := func(ctx context.Context, u *users.User) (int64, error) {
		u.Req.Method, u.Req.URL = "GET", target.URL+"/health"
		resp, err := u.Client.Do(ctx, &u.Req)
		if err == nil && resp.Status != http.StatusOK {
			err = &users.StatusError{Code: resp.Status}
		}
		return resp.Bytes, err
	}

	res, err := loadgen.Do(context.Background(), &loadgen.Spec{
		Workload: &loadgen.Workload{Tasks: []users.Task{{Method: "GET", Name: "/health", Weight: 1, Run: get}}},
		Open:     &loadgen.OpenModel{Rate: schedule.Constant(100)}, // requests per second
		RunTime:  500 * time.Millisecond,
	}, loadgen.Hooks{})
	if err != nil {
		fmt.Println(err)
		return
	}
	stats := res.Open
	fmt.Println("scheduled", stats.Scheduled, "sent", stats.Sent, "dropped", stats.Dropped)
	fmt.Println("recorded", res.Snapshot.Total.Count(), "failed", res.Snapshot.Total.Failures())
	// Output:
	// scheduled 50 sent 50 dropped 0
	// recorded 50 failed 0
}
