package loadgen

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/loadgen/loadgen/internal/race"
	"github.com/loadgen/loadgen/internal/rawhttp"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results"
)

func startAlbums(t *testing.T) string {
	t.Helper()
	srv, err := albumsvc.Start(context.Background(), albumsvc.Config{Preload: 3}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	return "http://" + srv.Addr()
}

func compiled(t *testing.T, name, ratio string) *profiles.Compiled {
	t.Helper()
	p, err := profiles.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	if ratio != "" {
		if err := profiles.ApplyRatio(p, ratio); err != nil {
			t.Fatal(err)
		}
	}
	c, err := profiles.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRatioHoldsAgainstAlbumService runs the 3:1 mix against the real album
// service with each client and checks the mix that arrived.
func TestRatioHoldsAgainstAlbumService(t *testing.T) {
	for _, kind := range client.Kinds() {
		t.Run(kind, func(t *testing.T) {
			base := startAlbums(t)
			// The albums profile's GET /albums grows with every POST, so
			// the run is kept short.
			spec := profileSpec("albums", "3:1", base)
			spec.Seed, spec.Client, spec.Timeout = 7, kind, 10*time.Second
			// Run until 4000 requests were made, within a bound: the
			// growing GET makes the race detector slow, and a busy
			// machine more so (some 40 requests a second have been seen).
			spec.Users, spec.RunTime, spec.StopTimeout = 10, 3*time.Minute, 5*time.Second
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			snap := doLocal(t, ctx, spec, Hooks{
				Interval: 100 * time.Millisecond,
				OnTick: func(tk Tick) {
					if tk.Snapshot.Total.Count() >= 4000 {
						cancel()
					}
				},
			}).Snapshot
			get, _ := snap.Entry(results.EntryKey{Method: "GET", Name: "/albums"})
			post, _ := snap.Entry(results.EntryKey{Method: "POST", Name: "/albums"})
			if snap.Total.Failures() != 0 {
				t.Fatalf("%d failures: %+v", snap.Total.Failures(), snap.Errors)
			}
			if n := get.Count() + post.Count(); n < 4000 {
				t.Fatalf("only %d requests in %v", n, spec.RunTime)
			}
			ratio := float64(get.Count()) / float64(post.Count())
			if ratio < 2.7 || ratio > 3.3 {
				t.Errorf("GET:POST = %d:%d = %.3f, want 3 within 10%%", get.Count(), post.Count(), ratio)
			}
		})
	}
}

// TestPercentilesOfKnownDistribution checks that every 100th request taking
// 100 ms and the rest 10 ms shows as p50 near 10 ms and p99.5 near 100 ms.
// A busy machine stretches those sleeps, by hundreds of milliseconds at
// times, so the percentiles are held to those of the times the task
// itself measured around each request, which the run must reproduce to
// within the histogram's precision, and to the distribution's floors.
func TestPercentilesOfKnownDistribution(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%100 == 0 {
			time.Sleep(100 * time.Millisecond)
		} else {
			time.Sleep(10 * time.Millisecond)
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	var mu sync.Mutex
	var took []time.Duration
	get := getTask(srv.URL)
	timed := users.Task{Method: get.Method, Name: get.Name, Weight: 1, Run: func(ctx context.Context, u *users.User) (int64, error) {
		start := time.Now()
		n, err := get.Run(ctx, u)
		d := time.Since(start)
		mu.Lock()
		took = append(took, d)
		mu.Unlock()
		return n, err
	}}
	spec := goSpec([]users.Task{timed})
	// A stop timeout long enough for every request in flight to finish
	// and be recorded, so that the task saw what the run recorded.
	spec.Timeout, spec.Users, spec.RunTime, spec.StopTimeout = 5*time.Second, 10, 2*time.Second, 30*time.Second
	snap := doLocal(t, context.Background(), spec, Hooks{}).Snapshot
	tot := snap.Total
	mu.Lock()
	defer mu.Unlock()
	if tot.Count() < 500 || tot.Count() != int64(len(took)) || tot.Failures() != 0 {
		t.Fatalf("%d requests recorded (%d failed), %d seen by the task; want the same 500 or more", tot.Count(), tot.Failures(), len(took))
	}
	slices.Sort(took)
	ms := time.Millisecond
	for _, c := range []struct {
		q     float64
		floor time.Duration
	}{{0.5, 10 * ms}, {0.995, 100 * ms}} {
		// The task's time is inside the run's, and the histogram keeps
		// two significant digits and a half.
		rank := int(math.Ceil(c.q*float64(len(took)))) - 1
		lo, hi := took[max(rank-1, 0)], took[min(rank+1, len(took)-1)]
		lo, hi = time.Duration(float64(lo)*0.99), time.Duration(float64(hi)*1.01)+2*ms
		if p := tot.Percentile(c.q); p < c.floor || p < lo || p > hi {
			t.Errorf("p%g = %v, want at least %v and between %v and %v, where the requests' own times put it", c.q*100, p, c.floor, lo, hi)
		}
	}
	t.Logf("p50 %v and p99.5 %v of the times the task measured", took[len(took)/2], took[int(math.Ceil(0.995*float64(len(took))))-1])
	if tot.Percentile(1) != tot.Max() || tot.Percentile(0.5) != tot.Median() {
		t.Errorf("p100 %v vs max %v, p50 %v vs median %v", tot.Percentile(1), tot.Max(), tot.Percentile(0.5), tot.Median())
	}
}

// TestProfileTaskAllocatesNothing pins the whole per-request path of a
// fasthttp user, rendering through recording, at zero allocations.
func TestProfileTaskAllocatesNothing(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are meaningless under the race detector; make test runs this without -race")
	}
	srv := rawhttp.NewStatus(t, http.StatusCreated, []byte(`{"id":1}`))
	for _, name := range []string{"albums-by-id", "albums"} {
		c := compiled(t, name, "")
		tasks := ProfileTasks(c, srv.URL)
		cl, err := client.New(client.KindFastHTTP, client.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		u := &users.User{ID: 1, Client: cl, Rand: profiles.NewRand(1, 1)}
		InitProfileUser(u)
		keys := make([]results.EntryKey, len(tasks))
		for i, tk := range tasks {
			keys[i] = results.EntryKey{Method: tk.Method, Name: tk.Name}
		}
		rec := results.NewRecorder(keys)
		ctx := context.Background()
		step := func() {
			for i := range tasks {
				start := time.Now()
				n, err := tasks[i].Run(ctx, u)
				if err != nil {
					t.Fatal(err)
				}
				rec.Success(i, time.Since(start), n)
			}
		}
		for range 50 {
			step()
		}
		if a := testing.AllocsPerRun(200, step); a != 0 {
			t.Errorf("%s: %.1f allocations per task round, want 0", name, a)
		}
		cl.Close()
	}
}

// TestWarmupIsExcluded checks that the statistics restart when the warm-up
// ends, and that what it excluded plus what was kept is every request the
// target answered.
func TestWarmupIsExcluded(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		time.Sleep(2 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	var excluded *results.Snapshot
	start := time.Now()
	spec := profileSpec("albums-by-id", "", srv.URL)
	spec.Users, spec.RunTime, spec.StopTimeout, spec.Warmup = 4, 1500*time.Millisecond, 2*time.Second, 600*time.Millisecond
	res := doLocal(t, context.Background(), spec, Hooks{OnWarmupEnd: func(s *results.Snapshot) { excluded = s }})
	snap := res.Snapshot
	if excluded == nil || excluded.Total.Count() == 0 {
		t.Fatal("the warm-up excluded nothing")
	}
	if got := snap.Start.Sub(start); got < 600*time.Millisecond || got > 900*time.Millisecond {
		t.Errorf("statistics restart %v after the start, want the 600ms warm-up", got)
	}
	if snap.Total.Count() == 0 {
		t.Fatal("nothing counted after the warm-up")
	}
	if sum := excluded.Total.Count() + snap.Total.Count(); sum != served.Load() {
		t.Errorf("excluded %d + counted %d = %d, target served %d", excluded.Total.Count(), snap.Total.Count(), sum, served.Load())
	}
	if rps, want := snap.Total.TotalRPS(), float64(snap.Total.Count())/snap.Elapsed().Seconds(); rps != want {
		t.Errorf("RPS %v is not over the counted window (%v)", rps, want)
	}
}
