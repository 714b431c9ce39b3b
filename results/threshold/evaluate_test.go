package threshold

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
)

type evalCase struct {
	expr     string
	pass     bool
	value    float64
	measured string
}

func checkEval(t *testing.T, s *results.Snapshot, tests []evalCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			th := mustParse(t, tt.expr)
			r := th.Evaluate(s)
			if r.Pass != tt.pass || r.Value != tt.value || r.Measured != tt.measured || r.NoData {
				t.Errorf("Evaluate = pass %v, value %v, measured %q, no data %v; want pass %v, value %v, measured %q",
					r.Pass, r.Value, r.Measured, r.NoData, tt.pass, tt.value, tt.measured)
			}
			if r.Threshold != th || r.Metric != th.Metric() || r.Limit != th.limitFloat() || r.Unit != th.metric.unit() {
				t.Errorf("Evaluate describes another threshold: %+v", r)
			}
		})
	}
}

// TestEvaluateTotal measures the Aggregated total of a run whose numbers
// are known exactly: 100 requests at 20µs, 40µs, … 2ms (values the
// histograms hold exactly), the 3 slowest failed, all in the first of 10
// seconds.
func TestEvaluateTotal(t *testing.T) {
	s := record(t, 10*time.Second, ramp("GET", "/a", 100, 20*time.Microsecond, 3))
	checkEval(t, s, []evalCase{
		// The nearest-rank p99 of 100 values is the 99th.
		{"p99<1980us", false, 1.98, "1.98ms"},
		{"p99<=1980us", true, 1.98, "1.98ms"},
		{"p99<1.981ms", true, 1.98, "1.98ms"},
		{"p99>1980us", false, 1.98, "1.98ms"},
		{"p99>=1.98ms", true, 1.98, "1.98ms"},
		{"p99==1.98ms", true, 1.98, "1.98ms"},
		{"p99!=1.98ms", false, 1.98, "1.98ms"},
		{"p99.5==2ms", true, 2, "2ms"},
		{"p95<1.9ms", false, 1.9, "1.9ms"},
		{"p95<=1900us", true, 1.9, "1.9ms"},
		{"p10==200us", true, 0.2, "200us"},
		{"p100==2ms", true, 2, "2ms"},
		{"median==1ms", true, 1, "1ms"},
		{"med==1ms", true, 1, "1ms"},
		{"p50<1ms", false, 1, "1ms"},
		{"avg==1.01ms", true, 1.01, "1.01ms"},
		{"avg<2", true, 1.01, "1.01ms"}, // a bare number is milliseconds
		{"avg<1", false, 1.01, "1.01ms"},
		{"min==20us", true, 0.02, "20us"},
		{"max==2ms", true, 2, "2ms"},
		{"max<2ms", false, 2, "2ms"},
		{"fail_ratio==0.03", true, 0.03, "0.03 (3 of 100)"},
		{"fail_ratio<0.03", false, 0.03, "0.03 (3 of 100)"},
		{"fail_ratio<=3%", true, 0.03, "3% (3 of 100)"},
		{"fail_ratio<3%", false, 0.03, "3% (3 of 100)"},
		{"fail_ratio<0.01", false, 0.03, "0.03 (3 of 100)"},
		{"failures<3", false, 3, "3"},
		{"failures<=3", true, 3, "3"},
		{"failures==0", false, 3, "3"},
		{"requests==100", true, 100, "100"},
		{"count>=101", false, 100, "100"},
		// 100 requests over 10 s in total, all within the last closed second.
		{"rps==10", true, 10, "10.00/s"},
		{"rps>10", false, 10, "10.00/s"},
		{"current_rps==100", true, 100, "100.00/s"},
		{"current_rps<100", false, 100, "100.00/s"},
	})
}

// TestEvaluateBoundary is the case that must never be off by one: p99 is
// exactly 250ms.
func TestEvaluateBoundary(t *testing.T) {
	s := record(t, time.Second, join(repeat("GET", "/a", 98, 10*time.Millisecond), repeat("GET", "/a", 2, 250*time.Millisecond)))
	checkEval(t, s, []evalCase{
		{"p99<250ms", false, 250, "250ms"},
		{"p99<=250ms", true, 250, "250ms"},
		{"p99<250", false, 250, "250ms"},
		{"p99<0.25s", false, 250, "250ms"},
		{"p99<250001us", true, 250, "250ms"},
		{"max<250ms", false, 250, "250ms"},
	})
	// fail_ratio at its limit, with a fraction that is not exact in binary.
	s = record(t, time.Second, ramp("GET", "/a", 1000, time.Microsecond, 333))
	checkEval(t, s, []evalCase{
		{"fail_ratio<=33.3%", true, 0.333, "33.3% (333 of 1000)"},
		{"fail_ratio<33.3%", false, 0.333, "33.3% (333 of 1000)"},
		{"fail_ratio<=0.333", true, 0.333, "0.333 (333 of 1000)"},
	})
}

// TestEvaluateSelectors checks which entries each selector covers, and that
// several matched entries are measured as one.
func TestEvaluateSelectors(t *testing.T) {
	post := repeat("POST", "/albums", 5, 1500*time.Microsecond)
	post[3].fail, post[4].fail = true, true
	s := record(t, 10*time.Second, join(
		ramp("GET", "/albums", 10, 100*time.Microsecond, 1), // 100µs … 1ms, 1 failed
		post,
		repeat("GET", "/albums/{id}", 20, 50*time.Microsecond),
		repeat("", "GET /raw", 4, 10*time.Microsecond), // a name with a space and no method
	))
	checkEval(t, s, []evalCase{
		{`requests{name="/albums"}==15`, true, 15, "15"},
		{`requests{name="GET /albums"}==10`, true, 10, "10"},
		{`requests{name="get /albums"}==10`, true, 10, "10"},
		{`requests{name="POST /albums"}==5`, true, 5, "5"},
		{`requests{name="/albums/{id}"}==20`, true, 20, "20"},
		{`requests{name="GET /albums/{id}"}==20`, true, 20, "20"},
		{`requests{method="GET"}==30`, true, 30, "30"},
		{`requests{method="get"}==30`, true, 30, "30"},
		{`requests{name="/albums", method="POST"}==5`, true, 5, "5"},
		{`requests{name="POST /albums", method="post"}==5`, true, 5, "5"},
		{`requests{name="GET /raw"}==4`, true, 4, "4"},
		{`failures{name="/albums"}==3`, true, 3, "3"},
		{`fail_ratio{name="/albums"}==0.2`, true, 0.2, "0.2 (3 of 15)"},
		{`fail_ratio{name="/albums"}<20%`, false, 0.2, "20% (3 of 15)"},
		{`fail_ratio{method="GET"}<0.05`, true, 1.0 / 30, "0.03333 (1 of 30)"},
		{`min{name="/albums"}==100us`, true, 0.1, "100us"},
		{`max{method="GET"}==1ms`, true, 1, "1ms"},
		{`max{name="/albums"}==1.5ms`, true, 1.5, "1.5ms"},
		// (100+200+…+1000 + 5·1500) / 15 µs, to the nanosecond
		{`avg{name="/albums"}<867us`, true, 0.866666, "866.666us"},
		{`avg{name="/albums"}>866.666us`, false, 0.866666, "866.666us"},
		// The 15 values sorted: 100µs … 1ms, then 1.5ms five times;
		// nearest ranks 8, 9 and 14.
		{`p50{name="/albums"}==800us`, true, 0.8, "800us"},
		{`median{name="/albums"}==800us`, true, 0.8, "800us"},
		{`p60{name="/albums"}==900us`, true, 0.9, "900us"},
		{`p90{name="/albums"}==1.5ms`, true, 1.5, "1.5ms"},
		{`p100{name="/albums"}==1.5ms`, true, 1.5, "1.5ms"},
		{`p1{name="/albums"}==100us`, true, 0.1, "100us"},
		{`p50{name="GET /albums"}==500us`, true, 0.5, "500us"},
		// Rates add up.
		{`rps{name="/albums"}==1.5`, true, 1.5, "1.50/s"},
		{`current_rps{method="GET"}==30`, true, 30, "30.00/s"},
	})

	notes := map[string]string{
		`p99{name="/albums"}<1s`:     "2 entries: GET /albums, POST /albums",
		`p99{method="GET"}<1s`:       "2 entries: GET /albums, GET /albums/{id}",
		`p99{name="GET /albums"}<1s`: "1 entry: GET /albums",
		`p99<1s`:                     "",
	}
	for expr, want := range notes {
		if r := mustParse(t, expr).Evaluate(s); r.Note != want {
			t.Errorf("%s: note %q, want %q", expr, r.Note, want)
		}
	}
}

// TestEvaluateMergedPercentiles compares percentiles over several entries
// with those of one entry that saw all the same requests, on latencies
// coarse enough that the histograms round them.
func TestEvaluateMergedPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var split, whole second
	for i := range 3000 {
		lat := time.Duration(1+rng.ExpFloat64()*40_000) * time.Microsecond
		name := []string{"/a", "/b", "/c"}[i%3]
		split = append(split, sample{method: "GET", name: name, latency: lat})
		whole = append(whole, sample{method: "GET", name: "/all", latency: lat})
	}
	got := record(t, 10*time.Second, split)
	want := record(t, 10*time.Second, whole).Total
	if got.Total.Count() != want.Count() || len(got.Entries) != 3 {
		t.Fatalf("recorded %d requests in %d entries", got.Total.Count(), len(got.Entries))
	}
	for _, m := range []string{"p1", "p10", "p50", "median", "p66", "p90", "p95", "p99", "p99.9", "p99.99", "p100", "min", "max", "avg"} {
		th := mustParse(t, m+`{method="GET"}<1s`)
		r := th.Evaluate(got)
		var w time.Duration
		switch m {
		case "min":
			w = want.Min()
		case "max":
			w = want.Max()
		case "avg":
			w = want.Avg()
		case "median":
			w = want.Median()
		default:
			w = want.Percentile(th.q)
		}
		diff := r.Value - millis(w)
		if m == "avg" && diff < 1e-6 && diff > -1e-6 { // float sums in another order
			continue
		}
		if diff != 0 {
			t.Errorf("%s over 3 entries = %vms, one entry with the same requests says %v", m, r.Value, w)
		}
	}
}

func TestEvaluateNoData(t *testing.T) {
	empty := results.NewAggregator(t0, results.AggregatorOptions{}).Snapshot(t0.Add(time.Second))
	some := record(t, time.Second, repeat("GET", "/a", 5, time.Millisecond))
	tests := []struct {
		expr string
		s    *results.Snapshot
		note string
	}{
		{"p99<1s", empty, "no requests were made"},
		{"failures<10", empty, "no requests were made"},
		{"requests<10", empty, "no requests were made"},
		{"fail_ratio<0.01", empty, "no requests were made"},
		{"rps<10", nil, "no requests were made"},
		{`p99{name="/b"}<1s`, some, `no requests matched {name="/b"}`},
		{`failures{name="/b"}==0`, some, `no requests matched {name="/b"}`},
		{`p99{name="/a", method="POST"}<1s`, some, `no requests matched {name="/a", method="POST"}`},
		{`p99{name="Aggregated"}<1s`, some, `no requests matched {name="Aggregated"}`},
	}
	for _, tt := range tests {
		r := mustParse(t, tt.expr).Evaluate(tt.s)
		if r.Pass || !r.NoData || r.Note != tt.note || r.Measured != "-" || r.Value != 0 || r.Requests != 0 {
			t.Errorf("%s: %+v; want a failure without data, noted %q", tt.expr, r, tt.note)
		}
		if r.Breached() {
			t.Errorf("%s: a result without data is a breach", tt.expr)
		}
	}

	var zero Threshold
	if r := zero.Evaluate(some); r.Pass || r.Breached() || r.Note == "" {
		t.Errorf("a zero Threshold evaluates to %+v", r)
	}
}

// TestEvaluateAbandoned: abandoned counts the run's requests cut off in
// flight at the end, which no entry holds, so that a CI gate can fail a
// run on them.
func TestEvaluateAbandoned(t *testing.T) {
	s := record(t, time.Second, repeat("GET", "/a", 5, time.Millisecond))
	none := *s
	cut := *s
	cut.Abandoned = results.AbandonedStats{Count: 2, Oldest: 1500 * time.Millisecond}
	checkEval(t, &none, []evalCase{{"abandoned==0", true, 0, "0"}})
	checkEval(t, &cut, []evalCase{
		{"abandoned==0", false, 2, "2 (oldest 1.5s)"},
		{"abandoned<=2", true, 2, "2 (oldest 1.5s)"},
	})
	r := mustParse(t, "abandoned==0").Evaluate(&cut)
	if r.Unit != "requests" || r.Requests != 5 {
		t.Errorf("abandoned==0 on 2 abandoned: %+v; want it counted in requests, covering the run's 5", r)
	}
	empty := results.NewAggregator(t0, results.AggregatorOptions{}).Snapshot(t0.Add(time.Second))
	if r := mustParse(t, "abandoned==0").Evaluate(empty); r.Pass || !r.NoData {
		t.Errorf("abandoned==0 on a run that measured nothing: %+v; want a failure without data", r)
	}
}

// TestEvaluatePauses: pauses counts the generator's pauses, so that a CI
// gate can refuse a run whose latencies a paused generator inflated.
func TestEvaluatePauses(t *testing.T) {
	s := record(t, time.Second, repeat("GET", "/a", 5, time.Millisecond))
	none := *s
	paused := *s
	paused.Pauses = results.PauseStats{Count: 2, Total: 130 * time.Millisecond, Max: 101 * time.Millisecond}
	checkEval(t, &none, []evalCase{{"pauses==0", true, 0, "0"}})
	checkEval(t, &paused, []evalCase{
		{"pauses==0", false, 2, "2 (longest 101ms)"},
		{"pauses<3", true, 2, "2 (longest 101ms)"},
	})
	if r := mustParse(t, "pauses==0").Evaluate(&paused); r.Unit != "pauses" {
		t.Errorf("pauses==0: unit %q, want pauses", r.Unit)
	}
}

func TestEvaluateAll(t *testing.T) {
	s := record(t, time.Second, ramp("GET", "/a", 100, 20*time.Microsecond, 3))
	ts, err := ParseAll([]string{"p99<1s", "failures<10", "requests>=100"})
	if err != nil {
		t.Fatal(err)
	}
	rs, ok := EvaluateAll(ts, s)
	if !ok || len(rs) != 3 {
		t.Fatalf("EvaluateAll = %d results, all pass %v; want 3, true", len(rs), ok)
	}
	for i, r := range rs {
		if r.Threshold != ts[i] || !r.Pass {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	ts = append(ts, mustParse(t, "failures==0"))
	rs, ok = EvaluateAll(ts, s)
	if ok || len(rs) != 4 || rs[3].Pass || !rs[0].Pass {
		t.Errorf("with failures==0 failing: all pass %v, results %+v", ok, rs)
	}
	if rs, ok := EvaluateAll(nil, s); !ok || len(rs) != 0 {
		t.Errorf("no thresholds: %v, %v; want none and a pass", rs, ok)
	}
}

func TestBreached(t *testing.T) {
	s := record(t, 10*time.Second, ramp("GET", "/a", 100, 20*time.Microsecond, 3))
	tests := []struct {
		expr     string
		breached bool
	}{
		{"p99<1ms", true},
		{"p99<1s", false}, // passes
		{"avg>1s", true},
		{"fail_ratio<0.01", true},
		{"failures<3", true},     // failures only grow
		{"requests<50", true},    // and so do requests
		{"requests>1000", false}, // more running raises them
		{"requests==1000", false},
		{"failures>=10", false},
		{"rps>500", false},
		{"rps<5", true},
		{"current_rps>=500", false},
		{"current_rps<=5", true},
	}
	for _, tt := range tests {
		r := mustParse(t, tt.expr).Evaluate(s)
		if r.NoData {
			t.Fatalf("%s: no data", tt.expr)
		}
		if got := r.Breached(); got != tt.breached {
			t.Errorf("%s (pass %v): Breached() = %v, want %v", tt.expr, r.Pass, got, tt.breached)
		}
	}
}

// TestEvaluateConcurrent evaluates one threshold from many goroutines, as
// a run that checks thresholds every second while rendering may do; the
// race detector checks that evaluation only reads.
func TestEvaluateConcurrent(t *testing.T) {
	s := record(t, time.Second, join(ramp("GET", "/a", 50, 20*time.Microsecond, 0), ramp("GET", "/b", 50, 20*time.Microsecond, 0)))
	th := mustParse(t, `p99{method="GET"}<=1ms`)
	want := th.Evaluate(s)
	done := make(chan Result)
	for range 8 {
		go func() { done <- th.Evaluate(s) }()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Errorf("concurrent Evaluate = %+v, want %+v", got, want)
		}
	}
}
