package deploy_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/promtest"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/metrics"
)

type dashboard struct {
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Title      string `json:"title"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// TestGrafanaDashboardQueriesWork loads the dashboard, and has a real
// Prometheus server, scraping a collector over a run with failures,
// workers and open-model counts, evaluate every panel's query (with the
// dashboard's variables at "all"): each must parse and return data, so no
// panel names a metric or label the endpoint does not have.
func TestGrafanaDashboardQueriesWork(t *testing.T) {
	b, err := os.ReadFile("grafana/loadgen.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana/loadgen.json: %v", err)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	for _, want := range []string{"datasource", "job", "entry"} {
		if !vars[want] {
			t.Errorf("the dashboard has no $%s variable", want)
		}
	}
	if len(d.Panels) < 10 {
		t.Fatalf("%d panels", len(d.Panels))
	}

	var snap atomic.Pointer[results.Snapshot]
	var sent atomic.Uint64
	c := metrics.NewCollector(metrics.Source{
		Snapshot: snap.Load,
		Workers: func() []results.WorkerStatus {
			return []results.WorkerStatus{{ID: "w1", State: "running", Users: 3, Requests: 10, RPS: 5, CPUPercent: 20}}
		},
		Open: func() *results.OpenStats {
			n := sent.Add(50)
			return &results.OpenStats{Scheduled: n, Sent: n, Late: n / 10, Dropped: n / 50}
		},
	}, metrics.Options{})
	srv := httptest.NewServer(metrics.Handler(c))
	defer srv.Close()
	prom := promtest.Start(t, promtest.Target{URL: srv.URL + "/metrics"})

	keys := []results.EntryKey{{Method: "GET", Name: "/albums"}, {Method: "POST", Name: "/albums"}}
	agg := results.NewAggregator(time.Now(), results.AggregatorOptions{})
	rec := results.NewRecorder(keys)
	delta := results.NewDelta()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			for j := range 200 {
				if j%20 == 0 {
					rec.Failure(j%2, 3*time.Millisecond, 0, "HTTP 503 Service Unavailable")
				} else {
					rec.Success(j%2, time.Duration(500+j*10)*time.Microsecond, 10)
				}
			}
			delta.Reset()
			rec.Drain(delta)
			if err := agg.Add(delta); err != nil {
				t.Error(err)
				return
			}
			now := time.Now()
			agg.Tick(now, 3)
			snap.Store(agg.Snapshot(now))
			select {
			case <-stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stop); <-done }()

	expand := strings.NewReplacer("$__rate_interval", "1m", "$job", ".*", "$entry", ".*")
	deadline := time.Now().Add(30 * time.Second)
	for _, p := range d.Panels {
		if p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q does not use the $datasource variable", p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			expr := expand.Replace(tg.Expr)
			for {
				if len(prom.Query(t, expr)) > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("panel %q: %s returns nothing", p.Title, expr)
					break
				}
				time.Sleep(500 * time.Millisecond)
			}
		}
	}
}
