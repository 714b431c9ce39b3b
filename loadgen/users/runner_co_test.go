package users

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// pace is Locust's constant_pacing: each run and its wait take d.
type pace time.Duration

func (p pace) Next(_ *rand.Rand, took time.Duration) time.Duration {
	return max(time.Duration(p)-took, 0)
}

// TestRunnerCorrectsForCoordinatedOmission runs one user paced at 10 ms
// for about 20 runs, whose first task stalls for 60 ms. With the expected interval set, the
// corrected series adds the runs the stall kept the user from starting
// (about 50, 40, 30, 20 and 10 ms late) while the raw series keeps one value
// per run; without it, there is no corrected series at all.
func TestRunnerCorrectsForCoordinatedOmission(t *testing.T) {
	const interval = 10 * time.Millisecond
	for _, tt := range []struct {
		name     string
		interval time.Duration
		fail     bool
	}{
		{"success", interval, false},
		{"failure", interval, true},
		{"off", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var runs atomic.Int64
			task := Task{Method: "GET", Name: "x", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
				n := runs.Add(1)
				if n == 1 {
					time.Sleep(60 * time.Millisecond)
					if tt.fail {
						return 0, &StatusError{Code: 500}
					}
				}
				return 0, nil
			}}
			r, err := New(Config{Tasks: []Task{task}, NewClient: newNop, Wait: pace(interval), ExpectedInterval: tt.interval})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.SetUsers(1); err != nil {
				t.Fatal(err)
			}
			for runs.Load() < 20 {
				time.Sleep(time.Millisecond)
			}
			r.Stop(time.Second)
			s := drainAll(t, r)
			raw := s.Total.Latency()
			cor, ok := s.Total.Corrected()
			if tt.interval == 0 {
				if ok {
					t.Errorf("a corrected series with %d values and no expected interval", cor.Count())
				}
				return
			}
			if !ok {
				t.Fatal("no corrected series")
			}
			// The stalled run took L ≥ 60 ms, which adds L-10, L-20, ...
			// down to 10 ms: at least five values. Other runs take well
			// under 20 ms and add none, unless the machine stalls them too.
			extra := cor.Count() - raw.Count()
			if extra < 5 {
				t.Errorf("corrected series has %d values for %d runs: %d added, want at least 5", cor.Count(), raw.Count(), extra)
			}
			// The raw maximum is exact; the corrected one is read from the
			// histogram, within its 0.1 %.
			if d := cor.Max() - raw.Max(); d < -raw.Max()/500 || d > raw.Max()/500 {
				t.Errorf("corrected max %v, raw max %v: correction must add only shorter values", cor.Max(), raw.Max())
			}
			if cor.Percentile(0.9) <= raw.Percentile(0.9) {
				t.Errorf("corrected p90 %v not above raw p90 %v", cor.Percentile(0.9), raw.Percentile(0.9))
			}
			if tt.fail && s.Total.Failures() != 1 {
				t.Errorf("%d failures, want 1", s.Total.Failures())
			}
		})
	}
}
