package results

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// recordRandom records n random requests into r and into the reference
// histograms (one per entry), which see every value directly.
func recordRandom(r *Recorder, rng *rand.Rand, n int, ref []*hdrhistogram.Histogram) {
	for range n {
		e := rng.IntN(len(ref))
		us := 1 + rng.Int64N(2_000_000)
		if rng.IntN(20) == 0 {
			r.Failure(e, time.Duration(us)*time.Microsecond, 3, "timeout")
		} else {
			r.Success(e, time.Duration(us)*time.Microsecond, 3)
		}
		_ = ref[e].RecordValue(us)
	}
}

// TestMergeIsExact checks that merging the deltas of many recorders, some
// of them through the JSON wire format, gives exactly what one histogram
// that saw every value gives.
func TestMergeIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ref := []*hdrhistogram.Histogram{NewHistogram(), NewHistogram()}
	merged := NewDelta()
	for w := range 8 {
		r := NewRecorder(testKeys)
		recordRandom(r, rng, 500+w*300, ref)
		d := NewDelta()
		r.Drain(d)
		if w%2 == 1 {
			// Half the deltas travel as JSON, as a worker's would.
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			d = NewDelta()
			if err := json.Unmarshal(b, d); err != nil {
				t.Fatal(err)
			}
		}
		if err := merged.Merge(d); err != nil {
			t.Fatal(err)
		}
	}
	for i, key := range testKeys {
		got := packedOf(&merged.index[key].series.latency)
		if got.TotalCount() != ref[i].TotalCount() {
			t.Fatalf("%v: merged %d values, reference %d", key, got.TotalCount(), ref[i].TotalCount())
		}
		want := NewPackedHistogram()
		want.MergeFrom(ref[i])
		wd, gd := DistributionOf(want), DistributionOf(got)
		for _, q := range []float64{0, 0.1, 0.5, 0.66, 0.9, 0.99, 0.999, 0.9999, 1} {
			if gd.Percentile(q) != wd.Percentile(q) {
				t.Errorf("%v: Percentile(%v) merged %v, reference %v", key, q, gd.Percentile(q), wd.Percentile(q))
			}
		}
		var gotBuckets, wantBuckets [][2]int64
		got.ForEachBucket(func(v, c int64) bool { gotBuckets = append(gotBuckets, [2]int64{v, c}); return true })
		want.ForEachBucket(func(v, c int64) bool { wantBuckets = append(wantBuckets, [2]int64{v, c}); return true })
		if len(gotBuckets) != len(wantBuckets) {
			t.Fatalf("%v: %d buckets, reference %d", key, len(gotBuckets), len(wantBuckets))
		}
		for j := range gotBuckets {
			if gotBuckets[j] != wantBuckets[j] {
				t.Fatalf("%v: bucket %d is %v, reference %v", key, j, gotBuckets[j], wantBuckets[j])
			}
		}
	}
}

func TestDeltaJSONRoundTrip(t *testing.T) {
	r := NewRecorder(testKeys)
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	r.Success(0, 12*time.Millisecond, 512)
	r.SuccessCO(0, 40*time.Millisecond, 512, 10*time.Millisecond)
	r.Observe(1, Observation{Latency: 3 * time.Millisecond, Service: time.Millisecond, Err: "HTTP 500 Internal Server Error", At: t0})
	d := NewDelta()
	r.Drain(d)

	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back Delta
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(b2) {
		t.Errorf("re-encoding differs:\n%s\n%s", b, b2)
	}
	for _, key := range testKeys {
		a, z := d.index[key], back.index[key]
		if z == nil || a.counters != z.counters {
			t.Fatalf("%v: counters %+v after round trip, want %+v", key, z, a.counters)
		}
		if a.series.corrected.total != z.series.corrected.total || a.series.service.total != z.series.service.total || a.series.service.total == 0 && key.Method == "POST" {
			t.Errorf("%v: secondary series lost", key)
		}
	}
	if n := back.index[testKeys[0]].series.corrected.total; n != 4 {
		t.Errorf("corrected series holds %d, want 4 (40, 30, 20 and 10 ms for 40 ms at a 10 ms interval)", n)
	}
	e := back.errors[ErrorKey{"POST", "/albums", "HTTP 500 Internal Server Error"}]
	if e == nil || e.count != 1 || !e.first.Equal(t0) {
		t.Errorf("error group after round trip = %+v", e)
	}
}

func TestDeltaUnmarshalRejectsInconsistentInput(t *testing.T) {
	r := NewRecorder(testKeys)
	r.Success(0, 12*time.Millisecond, 10)
	r.Success(0, 14*time.Millisecond, 10)
	d := NewDelta()
	r.Drain(d)
	good, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	hdrText, _ := EncodeHistogram(packedOf(&d.index[testKeys[0]].series.latency))
	other := hdrhistogram.NewPacked(1, 1000, 2)
	_ = other.RecordValue(5)
	otherText, _ := other.Encode()

	entry := func(fields string) string {
		return `{"version":1,"entries":[{"method":"GET","name":"/a",` + fields + `}],"errors":[]}`
	}
	base := `"count":2,"failures":0,"sum_us":26000,"min_us":12000,"max_us":14000,"bytes":20,"clamped":0,"hdr":"` + hdrText + `"`
	tests := []struct {
		name, in, wantErr string
	}{
		{"not json", `{"version":1,`, "unexpected end"},
		{"wrong version", `{"version":2,"entries":[],"errors":[]}`, "version 2"},
		{"negative count", entry(strings.Replace(base, `"count":2`, `"count":-1`, 1)), "negative"},
		{"failures above count", entry(strings.Replace(base, `"failures":0`, `"failures":3`, 1)), "failures 3"},
		{"count disagrees with histogram", entry(strings.Replace(base, `"count":2`, `"count":3`, 1)), "hdr holds 2 values, count is 3"},
		{"min above max", entry(strings.Replace(base, `"min_us":12000`, `"min_us":15000`, 1)), "not an interval"},
		{"negative bytes", entry(strings.Replace(base, `"bytes":20`, `"bytes":-20`, 1)), "bytes"},
		{"bad base64", entry(strings.Replace(base, hdrText, "!!!", 1)), "hdr"},
		{"other geometry", entry(strings.Replace(base, hdrText, string(otherText), 1)), "geometry"},
		{"truncated histogram", entry(strings.Replace(base, hdrText, hdrText[:len(hdrText)/2], 1)), "hdr"},
		{"duplicate entry", `{"version":1,"entries":[{"method":"GET","name":"/a",` + base + `},{"method":"GET","name":"/a",` + base + `}],"errors":[]}`, "twice"},
		{"error without count", `{"version":1,"entries":[],"errors":[{"method":"GET","name":"/a","error":"x","count":0}]}`, "not positive"},
		{"error seen backwards", `{"version":1,"entries":[],"errors":[{"method":"GET","name":"/a","error":"x","count":1,"first_seen":"2024-01-01T00:00:01Z","last_seen":"2024-01-01T00:00:00Z"}]}`, "before"},
		// Forged reports: numbers that cannot have been measured, texts
		// that would break tables, fields this version does not know.
		{"sum far above count times max", entry(strings.Replace(base, `"sum_us":26000`, `"sum_us":1000000000000000000`, 1)), "sum_us 1000000000000000000 is above count 2 times max_us 14000"},
		{"sum below count times min", entry(strings.Replace(base, `"sum_us":26000`, `"sum_us":100`, 1)), "is below count 2 times min_us"},
		{"max beyond the histogram", entry(strings.Replace(base, `"max_us":14000`, `"max_us":86400000000`, 1)), "not the extremes of hdr"},
		{"min below the histogram", entry(strings.Replace(base, `"min_us":12000`, `"min_us":1`, 1)), "not the extremes of hdr"},
		{"unknown field in an entry", entry(base + `,"weight":3`), `unknown field "weight"`},
		{"unknown field at the top", `{"version":1,"entries":[],"errors":[],"extra":1}`, `unknown field "extra"`},
		{"trailing data", `{"version":1,"entries":[],"errors":[]} {}`, "after"},
		{"method with a newline", strings.Replace(entry(base), `"method":"GET"`, `"method":"GET\nX"`, 1), "method"},
		{"long method", strings.Replace(entry(base), `"method":"GET"`, `"method":"`+strings.Repeat("G", 33)+`"`, 1), "over the 32-byte limit"},
		{"name with a newline", strings.Replace(entry(base), `"name":"/a"`, `"name":"/a\r\nb"`, 1), "control characters"},
		{"long name", strings.Replace(entry(base), `"name":"/a"`, `"name":"/`+strings.Repeat("a", 2048)+`"`, 1), "over the 2048-byte limit"},
		{"the total's name", strings.Replace(entry(base), `"method":"GET","name":"/a"`, `"method":"","name":"Aggregated"`, 1), "the total's"},
		{"long error text", `{"version":1,"entries":[],"errors":[{"method":"GET","name":"/a","error":"` + strings.Repeat("x", 1025) + `","count":1}]}`, "over the 1024-byte limit"},
		{"error with a newline in its name", `{"version":1,"entries":[],"errors":[{"method":"GET","name":"/a\nb","error":"x","count":1}]}`, "control characters"},
		{"long node name", `{"version":1,"entries":[],"errors":[],"exceptions":[{"message":"m","traceback":"t","count":1,"nodes":["` + strings.Repeat("n", 129) + `"]}]}`, "node name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Delta
			if err := json.Unmarshal(good, &got); err != nil {
				t.Fatal(err)
			}
			err := json.Unmarshal([]byte(tt.in), &got)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if n, _ := got.Totals(); n != 2 {
				t.Errorf("a rejected decode changed the delta: %d requests, want the 2 decoded before", n)
			}
		})
	}
}

func TestMergeRejectsOverflowWithoutChanges(t *testing.T) {
	a, b := NewDelta(), NewDelta()
	a.entry(testKeys[0]).counters = counters{count: 1<<63 - 1, minUs: 1, maxUs: 1}
	b.entry(testKeys[0]).counters = counters{count: 1, minUs: 1, maxUs: 1}
	if err := a.Merge(b); err == nil {
		t.Fatal("merge that overflows the count succeeded")
	}
	if a.index[testKeys[0]].counters.count != 1<<63-1 {
		t.Error("failed merge changed the delta")
	}
}

// FuzzDeltaUnmarshal feeds arbitrary bytes to the decoder a coordinator
// runs on worker reports: it must return an error or a delta that encodes
// and decodes again to the same thing, and never panic.
func FuzzDeltaUnmarshal(f *testing.F) {
	r := NewRecorder(testKeys)
	r.Success(0, 12*time.Millisecond, 10)
	r.SuccessCO(1, 80*time.Millisecond, 10, 20*time.Millisecond)
	r.Failure(1, time.Second, 0, "timeout")
	d := NewDelta()
	r.Drain(d)
	good, err := json.Marshal(d)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1,"entries":[],"errors":[]}`))
	f.Add([]byte(`{"version":1,"entries":[{"method":"GET","name":"/a","count":1,"min_us":1,"max_us":1,"hdr":"HISTFAAAABx4nJNpmSzMwMDAxAABzFCaEUoz2X+AMIKZAFpeBHk="}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A codec that decoded another report first must give what a fresh
		// one gives: no state may leak from one report to the next.
		var reused DeltaCodec
		var prev Delta
		if err := reused.Unmarshal(good, &prev); err != nil {
			t.Fatal(err)
		}
		var d Delta
		errFresh := json.Unmarshal(data, &d)
		var r Delta
		errReused := reused.Unmarshal(data, &r)
		if (errFresh == nil) != (errReused == nil) {
			t.Fatalf("fresh codec: %v; reused codec: %v", errFresh, errReused)
		}
		if errFresh != nil {
			return
		}
		bf, _ := json.Marshal(&d)
		br, _ := json.Marshal(&r)
		if string(bf) != string(br) {
			t.Fatalf("reused codec decoded differently:\n%s\n%s", bf, br)
		}
		b, err := json.Marshal(&d)
		if err != nil {
			t.Fatalf("decoded delta does not encode: %v", err)
		}
		var again Delta
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("re-encoded delta does not decode: %v\n%s", err, b)
		}
		n1, f1 := d.Totals()
		n2, f2 := again.Totals()
		if n1 != n2 || f1 != f2 {
			t.Fatalf("totals changed over a round trip: %d/%d then %d/%d", n1, f1, n2, f2)
		}
	})
}
