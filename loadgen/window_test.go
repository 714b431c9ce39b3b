package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
)

// TestAStallShowsInTheWindowsThatHoldIt runs an open-model test against a
// target that stalls for 3 s in the middle of the run: every request that
// arrives in the stall is held until it ends. With a 2 s window, the
// windowed p99 of each tick must show the stall (2 s or more: the held
// requests wait up to 3 s) while the stall's requests are in the window,
// and stay well below it (under a second: a busy machine delays some
// requests, those of the start above all, by half of one) in the windows
// before the stall and in those that come after its last held response
// has left the window; the cumulative p99 keeps it to the end.
func TestAStallShowsInTheWindowsThatHoldIt(t *testing.T) {
	var mu sync.Mutex
	var stallFrom, stallTo, lastHeld time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		from, to := stallFrom, stallTo
		mu.Unlock()
		if now := time.Now(); !from.IsZero() && !now.Before(from) && now.Before(to) {
			time.Sleep(to.Sub(now))
			// Hundreds of held handlers wake at once; on a busy
			// machine the last answers well after the stall's end.
			w.WriteHeader(http.StatusOK)
			http.NewResponseController(w).Flush()
			mu.Lock()
			lastHeld = time.Now()
			mu.Unlock()
		}
	}))
	defer srv.Close()
	type tick struct {
		at       time.Time
		from     time.Time
		p99, cum time.Duration
	}
	var ticks []tick
	spec := openSpec([]users.Task{getTask(srv.URL)}, schedule.Constant(100))
	spec.RunTime = 12 * time.Second
	hooks := Hooks{
		Window: 2 * time.Second,
		OnTick: func(tk Tick) {
			s := tk.Snapshot
			w := s.Total.Window()
			ticks = append(ticks, tick{at: w.End(), from: w.Start(), p99: w.Percentile(0.99), cum: s.Total.Percentile(0.99)})
			if len(ticks) == 4 {
				// The stall starts shortly after the fourth second.
				mu.Lock()
				stallFrom = time.Now().Add(200 * time.Millisecond)
				stallTo = stallFrom.Add(3 * time.Second)
				mu.Unlock()
			}
		},
	}
	doLocal(t, context.Background(), spec, hooks)
	mu.Lock()
	from, to, last := stallFrom, stallTo, lastHeld
	mu.Unlock()
	t.Logf("the stall's last held response was written %v after its end", last.Sub(to))
	held, cleared := 0, 0
	for _, tk := range ticks {
		// The held requests complete when the stall ends: a window holds
		// them if it spans that moment. The generator takes a while to
		// handle hundreds of responses at once and catch up with its
		// schedule, on a busy machine up to a second after the last.
		holds := !tk.at.Before(to) && tk.from.Before(to.Add(100*time.Millisecond))
		before := tk.at.Before(from)
		after := tk.from.After(last.Add(time.Second))
		if after {
			cleared++
		}
		switch {
		case holds:
			held++
			if tk.p99 < 2*time.Second {
				t.Errorf("window %v..%v holds the stall's end but its p99 is %v", tk.from.Sub(from), tk.at.Sub(from), tk.p99)
			}
		case before || after:
			if tk.p99 >= time.Second {
				t.Errorf("window %v..%v (relative to the stall) does not hold it, yet its p99 is %v", tk.from.Sub(from), tk.at.Sub(from), tk.p99)
			}
		}
	}
	if cleared < 1 {
		t.Errorf("no window came after the stall had left it: ticks %+v, stall %v..%v, last held response %v", ticks, from, to, last)
	}
	if held < 1 {
		t.Errorf("no window held the stall's end: ticks %+v, stall %v..%v", ticks, from, to)
	}
	if last := ticks[len(ticks)-1]; last.cum < time.Second {
		t.Errorf("the cumulative p99 at the end is %v; the stall's 300 of 1200 requests should keep it above a second", last.cum)
	}
}
