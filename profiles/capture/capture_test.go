package capture

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/profiles/response"
)

const items = `{"token":"t-1","n":42,"ok":true,"none":null,"esc":"a\"b",
"user":{"id":7,"name":"ann"},
"items":[{"id":11,"stock":0},{"id":12,"stock":3},{"name":"no id"},{"id":13,"stock":5}]}`

func TestExtract(t *testing.T) {
	v := &response.Static{
		Code: 200,
		Data: []byte(items),
		Headers: map[string][]string{
			"Location":   {"/next"},
			"Set-Cookie": {"a=1", "b=2"},
		},
		Cookies: map[string]string{"session": "s3cr3t"},
	}
	for _, tc := range []struct {
		expr string
		pick Pick
		want string
		err  string
	}{
		{expr: "json:token", want: "t-1"},
		{expr: "json:n", want: "42"},
		{expr: "json:ok", want: "true"},
		{expr: "json:esc", want: `a"b`},
		{expr: "json:user", want: `{"id":7,"name":"ann"}`},
		{expr: "json:user.id", want: "7"},
		{expr: "json:items.1.id", want: "12"},
		{expr: "json:items.#", want: "4"},
		{expr: "json:items.#.id", want: "11"},
		{expr: "json:items.#(stock>0)#.id", want: "12"},
		{expr: "json:items.#(stock>0).id", want: "12"},
		{expr: "json:items.#.missing", err: "json path items.#.missing not found"},
		{expr: "json:none", err: "json path none not found"},
		{expr: "json:nope", err: "json path nope not found"},
		{expr: "header:location", want: "/next"},
		{expr: "header:Set-Cookie", want: "a=1"},
		{expr: "header:X-Nope", err: "header X-Nope not found"},
		{expr: "cookie:session", want: "s3cr3t"},
		{expr: "cookie:other", err: "cookie other not found"},
		{expr: `regex:"name":"(\w+)"`, want: "ann"},
		{expr: `regex:t-\d`, want: "t-1"},
		{expr: `regex:"id":(1\d)`, want: "11"},
		{expr: `regex:zzz(\d)`, err: `regex zzz(\d) matched nothing`},
		{expr: `regex:(?:x(\d))|"n"`, want: ""},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.expr, err)
		}
		got, err := e.Extract(v, tc.pick, nil, []byte("old"))
		if tc.err != "" {
			var nf *NotFoundError
			if err == nil || err.Error() != tc.err || !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: error %v, want %q", tc.expr, err, tc.err)
			}
			continue
		}
		if tc.expr == `regex:(?:x(\d))|"n"` {
			// The group never takes part: no usable match.
			if err == nil {
				t.Errorf("%s: got %q, want not found", tc.expr, got)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.expr, got, err, tc.want)
		}
	}
}

// TestPickRandom draws many times and checks that every match, and only
// the matches, come up, each about equally often.
func TestPickRandom(t *testing.T) {
	v := &response.Static{Data: []byte(items), Headers: map[string][]string{"X-A": {"1", "2", "3"}}}
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{"json:items.#.id", []string{"11", "12", "13"}},
		{"json:items.#(stock>0)#.id", []string{"12", "13"}},
		{`regex:"id":(\d+)`, []string{"7", "11", "12", "13"}},
		{"header:X-A", []string{"1", "2", "3"}},
		{"json:user.id", []string{"7"}},
	} {
		e, err := Parse(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		const draws = 3000
		var buf []byte
		for range draws {
			buf, err = e.Extract(v, Random, rnd, buf)
			if err != nil {
				t.Fatalf("%s: %v", tc.expr, err)
			}
			counts[string(buf)]++
		}
		if len(counts) != len(tc.want) {
			t.Errorf("%s: drew %v, want each of %v", tc.expr, counts, tc.want)
			continue
		}
		for _, w := range tc.want {
			share := float64(counts[w]) / draws
			if exp := 1 / float64(len(tc.want)); share < exp*0.8 || share > exp*1.2 {
				t.Errorf("%s: %q drawn %.2f of the time, want about %.2f", tc.expr, w, share, exp)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"token", "has no kind"},
		{"xml:a", `unknown kind "xml"`},
		{"json:", "json path is empty"},
		{"json:a..b", "empty component"},
		{"json:a.", "ends with a separator"},
		{"json:items.#(id==1", "unbalanced brackets"},
		{"json:a)", "unbalanced"},
		{"header:", "not a header name"},
		{"header:a b", "not a header name"},
		{"cookie:a;b", "not a cookie name"},
		{"regex:", "regex is empty"},
		{"regex:(", "missing closing )"},
		{"regex:(a)(b)", "has 2 groups"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
	if _, err := ParsePick("last"); err == nil {
		t.Error("ParsePick accepted last")
	}
}

func TestMulti(t *testing.T) {
	for in, want := range map[string]bool{
		"json:a.b": false, "json:items.#": false, "json:items.#.id": true, "json:#.id": true,
		"json:a.#(x>1)#": true, "json:a.#(x>1)": false, "header:X": true, "cookie:c": false, "regex:a": true,
	} {
		e, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if e.Multi() != want {
			t.Errorf("%s: Multi() = %v, want %v", in, e.Multi(), want)
		}
	}
}

// TestWalkMatchesGJSON checks the element-by-element walk against GJSON's
// own list building, which it replaces to save allocations.
func TestWalkMatchesGJSON(t *testing.T) {
	body := []byte(`[{"a":{"b":1}},{"a":{"b":"x\"y"}},{"a":{}},{"a":{"b":[1,2]}},{"a":{"b":null}}]`)
	v := &response.Static{Data: body}
	walked, _ := Parse("json:#.a.b")
	if !walked.each {
		t.Fatal("#.a.b is not walked")
	}
	general := *walked
	general.each = false
	rnd := rand.New(rand.NewPCG(3, 4))
	seen := map[string]bool{}
	for range 200 {
		a, err1 := walked.Extract(v, Random, rnd, nil)
		if err1 != nil {
			t.Fatal(err1)
		}
		seen[string(a)] = true
	}
	for range 200 {
		b, err2 := general.Extract(v, Random, rnd, nil)
		if err2 != nil {
			t.Fatal(err2)
		}
		if !seen[string(b)] {
			t.Errorf("GJSON's list has %q, which the walk never gave (walk gave %v)", b, seen)
		}
	}
	if len(seen) != 3 {
		t.Errorf("walk gave %v, want 1, x\"y and [1,2]", seen)
	}
}
