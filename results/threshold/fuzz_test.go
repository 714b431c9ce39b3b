package threshold

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary text to Parse. It must never panic; a rejected
// expression must give an *Error pointing inside it (or just past its end);
// an accepted one must print, in canonical form, text that parses back to
// the same threshold, and must evaluate without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"p99<250ms", `p95{name="GET /albums"}<100ms`, "fail_ratio<0.01", "rps>500", "avg<50ms",
		"p99.9 <= 1.5s", "med<.5", "fail_ratio<=33.3%", "failures==0", "count!=7", "current_rps>=0.5",
		`max{method="POST", name="/a \"b\""}>2m`, "min>500µs", "p100<1", "p0.001<1us",
		"p99<25Oms", "p(95)<1", "fail_ratio<5", `p95{name='x'}<1`, "{}", "p99{", "p99<250 ms",
	} {
		f.Add(s)
	}
	snap := record(f, 10*time.Second, join(
		ramp("GET", "/albums", 50, 300*time.Microsecond, 2),
		repeat("POST", "/albums", 10, 20*time.Millisecond),
	))
	f.Fuzz(func(t *testing.T, expr string) {
		th, err := Parse(expr)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if pe.Expr != expr || pe.Column < 1 || pe.Column > utf8.RuneCountInString(expr)+1 || pe.Msg == "" {
				t.Fatalf("badly located error %#v", pe)
			}
			return
		}
		if th.Source != expr {
			t.Fatalf("Source = %q, want %q", th.Source, expr)
		}
		canon := th.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, expr, err)
		}
		if !again.Equal(th) {
			t.Fatalf("canonical form %q of %q means something else", canon, expr)
		}
		if again.String() != canon {
			t.Fatalf("canonical form is not stable: %q, then %q", canon, again.String())
		}
		r1, r2 := th.Evaluate(snap), again.Evaluate(snap)
		r2.Threshold = r1.Threshold
		if r1 != r2 {
			t.Fatalf("%q and its canonical form %q evaluate differently: %+v, %+v", expr, canon, r1, r2)
		}
	})
}
