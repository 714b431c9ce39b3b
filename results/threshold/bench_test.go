package threshold

import (
	"strconv"
	"testing"
	"time"
)

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse(`p95{name="GET /albums", method="GET"} <= 1.5s`); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate measures a check of the kind that runs every second
// with early abort: on the total, and over 20 entries whose histograms
// merge.
func BenchmarkEvaluate(b *testing.B) {
	var run second
	for i := range 20 {
		run = append(run, ramp("GET", "/e"+strconv.Itoa(i), 500, 97*time.Microsecond, 5)...)
	}
	s := record(b, 10*time.Second, run)
	for _, expr := range []string{"p99<250ms", "fail_ratio<0.01", `p99{method="GET"}<250ms`} {
		th := mustParse(b, expr)
		b.Run(expr, func(b *testing.B) {
			for b.Loop() {
				if r := th.Evaluate(s); r.NoData {
					b.Fatal("no data")
				}
			}
		})
	}
}
