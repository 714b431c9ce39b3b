package loadgen

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
)

// getTask is a task that GETs url and fails on any status but 200.
func getTask(url string) users.Task {
	return users.Task{Method: "GET", Name: "/", Weight: 1, Run: func(ctx context.Context, u *users.User) (int64, error) {
		u.Req.Method = "GET"
		u.Req.URL = url
		resp, err := u.Client.Do(ctx, &u.Req)
		if err != nil {
			return resp.Bytes, err
		}
		if resp.Status != http.StatusOK {
			return resp.Bytes, &users.StatusError{Code: resp.Status}
		}
		return resp.Bytes, nil
	}}
}

// TestRunOpenSendsTheSchedule runs 100 requests per second for a second
// against each client and checks that exactly the scheduled 100 arrived,
// were recorded with a service-time series, and that ticks saw them.
func TestRunOpenSendsTheSchedule(t *testing.T) {
	for _, kind := range client.Kinds() {
		t.Run(kind, func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Write([]byte("ok"))
			}))
			defer srv.Close()
			var ticks, statTicks atomic.Int64
			snap, st, err := RunOpen(context.Background(), OpenOptions{
				Tasks:         []users.Task{getTask(srv.URL)},
				Client:        kind,
				ClientOptions: client.Options{Timeout: 5 * time.Second},
				Rate:          schedule.Constant(100),
				RunTime:       time.Second,
				StopTimeout:   2 * time.Second,
				Interval:      100 * time.Millisecond,
				OnTick:        func(*results.Snapshot) { ticks.Add(1) },
				OnStats:       func(users.OpenStats) { statTicks.Add(1) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if st.Scheduled != 100 || st.Sent != 100 || st.Dropped != 0 || hits.Load() != 100 {
				t.Fatalf("stats %+v, server saw %d; want exactly 100", st, hits.Load())
			}
			if snap.Total.Count() != 100 || snap.Total.Failures() != 0 {
				t.Fatalf("recorded %d (%d failed), want 100", snap.Total.Count(), snap.Total.Failures())
			}
			svc, ok := snap.Total.Service()
			if !ok || svc.Count() != 100 {
				t.Errorf("service series %v with %d values", ok, svc.Count())
			}
			if ticks.Load() < 3 || statTicks.Load() != ticks.Load() {
				t.Errorf("%d ticks and %d stats calls in a second at 100ms", ticks.Load(), statTicks.Load())
			}
			if snap.Users < 1 || snap.Users != st.Slots {
				t.Errorf("final user count %d, slots %d", snap.Users, st.Slots)
			}
		})
	}
}

// TestRunOpenEndsWithItsStages runs a staged rate with no run time: the
// run ends when the stages do, after exactly their requests.
func TestRunOpenEndsWithItsStages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	stages, err := schedule.ParseStages("0s:100,200ms:100,200ms:0")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	snap, st, err := RunOpen(context.Background(), OpenOptions{
		Tasks:       []users.Task{getTask(srv.URL)},
		Rate:        schedule.Rate{Stages: stages},
		StopTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	// 20 in the steady 200 ms, 10 in the ramp down.
	if st.Sent != 30 || snap.Total.Count() != 30 {
		t.Errorf("sent %d, recorded %d; want 30", st.Sent, snap.Total.Count())
	}
	if took := time.Since(t0); took > 10*time.Second {
		t.Errorf("the run took %v after 400ms of stages", took)
	}
}

// TestRunOpenStopsWithItsContext ends an unending Poisson rate by
// cancelling, which is a normal stop.
func TestRunOpenStopsWithItsContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	snap, st, err := RunOpen(ctx, OpenOptions{
		Tasks:   []users.Task{getTask(srv.URL)},
		Rate:    schedule.Constant(200),
		Arrival: schedule.ArrivalPoisson,
		Seed:    3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent < 10 || uint64(snap.Total.Count()) != st.Sent || st.Scheduled != st.Sent+st.Dropped {
		t.Errorf("stats %+v, recorded %d", st, snap.Total.Count())
	}
}

func TestRunOpenRejects(t *testing.T) {
	task := getTask("http://127.0.0.1:1/")
	tests := []struct {
		name string
		opts OpenOptions
		want string
	}{
		{"negative rate", OpenOptions{Tasks: []users.Task{task}, Rate: schedule.Constant(-5)}, "negative"},
		{"bad phase", OpenOptions{Tasks: []users.Task{task}, Rate: schedule.Constant(5), Phase: 1.5}, "phase"},
		{"bad client", OpenOptions{Tasks: []users.Task{task}, Rate: schedule.Constant(5), Client: "curl"}, "curl"},
		{"no tasks", OpenOptions{Rate: schedule.Constant(5)}, "weight"},
	}
	for _, tt := range tests {
		_, _, err := RunOpen(context.Background(), tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
	if _, _, err := RunOpen(context.Background(), OpenOptions{Rate: schedule.Constant(5)}); !errors.Is(err, users.ErrNoTasks) {
		t.Errorf("no tasks: %v, want ErrNoTasks", err)
	}
}

// TestRunOpenProfileAgainstAlbumService drives the album service with the
// 3:1 albums profile at 200 requests per second: profile tasks run in
// open-model slots as they run in users, and the mix is exact.
func TestRunOpenProfileAgainstAlbumService(t *testing.T) {
	base := startAlbums(t)
	c := compiled(t, "albums", "3:1")
	snap, st, err := RunOpen(context.Background(), OpenOptions{
		Tasks:         ProfileTasks(c, base),
		InitUser:      InitProfileUser,
		NewRand:       ProfileRand(7),
		ClientOptions: client.Options{Timeout: 5 * time.Second},
		Rate:          schedule.Constant(200),
		RunTime:       time.Second,
		Seed:          7,
	})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Total.Failures() != 0 {
		t.Fatalf("%d failures: %+v", snap.Total.Failures(), snap.Errors)
	}
	get, _ := snap.Entry(results.EntryKey{Method: "GET", Name: "/albums"})
	post, _ := snap.Entry(results.EntryKey{Method: "POST", Name: "/albums"})
	if st.Sent != 200 || get.Count() != 150 || post.Count() != 50 {
		t.Errorf("sent %d: GET %d, POST %d; want 150 and 50", st.Sent, get.Count(), post.Count())
	}
}

// TestRunOpenExcludesItsWarmup runs 100 requests per second for a second,
// the first 400 ms of it warm-up: the statistics and the dispatcher's
// counts cover the rest, and the warm-up's own statistics are handed over.
func TestRunOpenExcludesItsWarmup(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var excluded *results.Snapshot
	snap, st, err := RunOpen(context.Background(), OpenOptions{
		Tasks:       []users.Task{getTask(srv.URL)},
		Rate:        schedule.Constant(100),
		RunTime:     time.Second,
		Warmup:      400 * time.Millisecond,
		OnWarmupEnd: func(s *results.Snapshot) { excluded = s },
	})
	if err != nil {
		t.Fatal(err)
	}
	if excluded == nil {
		t.Fatal("no warm-up statistics")
	}
	// About 40 requests fall in the warm-up and 60 after it; the boundary
	// moves with the timer that ends the warm-up.
	if n := excluded.Total.Count(); n < 30 || n > 50 {
		t.Errorf("warm-up recorded %d requests, want about 40", n)
	}
	if n := snap.Total.Count() + excluded.Total.Count(); n != 100 {
		t.Errorf("warm-up and run recorded %d requests together, want 100", n)
	}
	if st.Scheduled+uint64(excluded.Total.Count()) < 95 || st.Scheduled > 70 {
		t.Errorf("counts after the warm-up %+v, with %d in the warm-up", st, excluded.Total.Count())
	}
}
