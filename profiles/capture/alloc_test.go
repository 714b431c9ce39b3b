package capture

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/internal/race"
	"github.com/loadgen/loadgen/profiles/response"
)

// body1K is a JSON body of about 1 KB: a token, a user and a list of
// items, the shape a login or a listing returns.
func body1K() []byte {
	var b strings.Builder
	b.WriteString(`{"token":"eyJhbGciOiJIUzI1NiJ9.c2Vzc2lvbg.abc","user":{"id":42,"name":"Ann Example"},"items":[`)
	for i := range 18 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"title":"Album number %d","price":%d.99}`, 100+i, i, 10+i)
	}
	b.WriteString(`],"next":"/items?page=2"}`)
	return []byte(b.String())
}

// TestCaptureAlloc pins the cost of captures on the hot path: at most 2
// allocations for a capture from a 1 KB JSON body, whatever the path.
func TestCaptureAlloc(t *testing.T) {
	if race.Enabled {
		t.Skip("the race detector allocates; make test runs this again without it")
	}
	body := body1K()
	if len(body) < 900 || len(body) > 1200 {
		t.Fatalf("body is %d bytes, want about 1 KB", len(body))
	}
	v := &response.Static{Data: body}
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		expr string
		pick Pick
		max  float64
	}{
		{"json:token", First, 2},
		{"json:user.id", First, 2},
		{"json:items.5.id", First, 2},
		{"json:items.#.id", First, 2},
		{"json:items.#.id", Random, 2},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 0, 64)
		allocs := testing.AllocsPerRun(200, func() {
			var err error
			if buf, err = e.Extract(v, tc.pick, rnd, buf); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > tc.max {
			t.Errorf("%s (%s): %.1f allocations per capture, want at most %.0f", tc.expr, tc.pick, allocs, tc.max)
		}
	}
}

func BenchmarkCaptureJSON(b *testing.B) {
	body := body1K()
	v := &response.Static{Data: body}
	rnd := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name, expr string
		pick       Pick
	}{
		{"token", "json:token", First},
		{"items.#.id/random", "json:items.#.id", Random},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			var buf []byte
			for b.Loop() {
				buf, _ = e.Extract(v, tc.pick, rnd, buf)
			}
		})
	}
}
