package threshold

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseGood(t *testing.T) {
	tests := []struct {
		expr      string
		canonical string
		metric    string
		name      string
		method    string
	}{
		// The examples the README gives.
		{"p99<250ms", "p99<250ms", "p99", "", ""},
		{`p95{name="GET /albums"}<100ms`, `p95{name="GET /albums"}<100ms`, "p95", "GET /albums", ""},
		{"fail_ratio<0.01", "fail_ratio<0.01", "fail_ratio", "", ""},
		{"rps>500", "rps>500", "rps", "", ""},
		{"avg<50ms", "avg<50ms", "avg", "", ""},
		// Percentiles.
		{"p50<=1s", "p50<=1s", "p50", "", ""},
		{"p99.9<1.5s", "p99.9<1.5s", "p99.9", "", ""},
		{"p99.90<1.5s", "p99.9<1.5s", "p99.9", "", ""},
		{"p100<2s", "p100<2s", "p100", "", ""},
		{"p0.1>1us", "p0.1>1us", "p0.1", "", ""},
		{"p.5>1us", "p0.5>1us", "p0.5", "", ""},
		{"p099<1s", "p99<1s", "p99", "", ""},
		// Other time metrics, and units.
		{"min>=500us", "min>=500us", "min", "", ""},
		{"min>=500µs", "min>=500us", "min", "", ""},
		{"min>=500μs", "min>=500us", "min", "", ""},
		{"max<2m", "max<120s", "max", "", ""},
		{"med<0.25s", "median<250ms", "median", "", ""},
		{"median<1.000s", "median<1s", "median", "", ""},
		{"avg<1500us", "avg<1.5ms", "avg", "", ""},
		{"avg<0.0015ms", "avg<1.5us", "avg", "", ""},
		{"avg<1.000005ms", "avg<1.000005ms", "avg", "", ""},
		{"avg<1.0000005ms", "avg<1.000001ms", "avg", "", ""}, // to the nearest nanosecond
		{"avg<.5s", "avg<500ms", "avg", "", ""},
		{"avg<0", "avg<0ms", "avg", "", ""},
		// A bare number is milliseconds.
		{"p99<250", "p99<250ms", "p99", "", ""},
		{"p99<0.5", "p99<500us", "p99", "", ""},
		// Ratios.
		{"fail_ratio<1%", "fail_ratio<1%", "fail_ratio", "", ""},
		{"fail_ratio<=0.5%", "fail_ratio<=0.5%", "fail_ratio", "", ""},
		{"fail_ratio==0", "fail_ratio==0", "fail_ratio", "", ""},
		{"fail_ratio<=1", "fail_ratio<=1", "fail_ratio", "", ""},
		{"fail_ratio<100%", "fail_ratio<100%", "fail_ratio", "", ""},
		{"fail_ratio<033.30%", "fail_ratio<33.3%", "fail_ratio", "", ""},
		{"fail_ratio<.50%", "fail_ratio<0.5%", "fail_ratio", "", ""},
		{"fail_ratio < 0.010", "fail_ratio<0.01", "fail_ratio", "", ""},
		// Counts and rates.
		{"failures==0", "failures==0", "failures", "", ""},
		{"failures!=3", "failures!=3", "failures", "", ""},
		{"requests>=1000", "requests>=1000", "requests", "", ""},
		{"count>10", "requests>10", "requests", "", ""},
		{"requests>9223372036854775807", "requests>9223372036854775807", "requests", "", ""},
		{"rps>=12.5", "rps>=12.5", "rps", "", ""},
		{"current_rps>0.5", "current_rps>0.5", "current_rps", "", ""},
		{"rps>007", "rps>7", "rps", "", ""},
		// Whitespace around tokens.
		{"  p99 <  250ms  ", "p99<250ms", "p99", "", ""},
		{"\tp95 { name = \"/albums\" , method = \"POST\" } >= 1ms\n", `p95{name="/albums", method="POST"}>=1ms`, "p95", "/albums", "POST"},
		// Selectors.
		{`p95{method="GET"}<100ms`, `p95{method="GET"}<100ms`, "p95", "", "GET"},
		{`p95{method="GET", name="/a"}<100ms`, `p95{name="/a", method="GET"}<100ms`, "p95", "/a", "GET"},
		{`failures{name="/a \"b\"\t{c}"}<1`, `failures{name="/a \"b\"\t{c}"}<1`, "failures", "/a \"b\"\t{c}", ""},
		{`avg{name="/é"}<1s`, `avg{name="/é"}<1s`, "avg", "/é", ""},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			th, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if th.Source != tt.expr {
				t.Errorf("Source = %q, want the expression as written", th.Source)
			}
			if got := th.String(); got != tt.canonical {
				t.Errorf("String() = %q, want %q", got, tt.canonical)
			}
			if got := th.Metric(); got != tt.metric {
				t.Errorf("Metric() = %q, want %q", got, tt.metric)
			}
			if n, m := th.Selector(); n != tt.name || m != tt.method {
				t.Errorf("Selector() = %q, %q, want %q, %q", n, m, tt.name, tt.method)
			}
			again, err := Parse(th.String())
			if err != nil {
				t.Fatalf("canonical form %q does not parse: %v", th.String(), err)
			}
			if !again.Equal(th) {
				t.Errorf("canonical form %q means something else", th.String())
			}
		})
	}
}

// TestParseLimits pins the parsed limits, which String alone could hide.
func TestParseLimits(t *testing.T) {
	tests := []struct {
		expr  string
		limit float64 // in Result.Limit's unit
		unit  string
	}{
		{"p99<250ms", 250, "ms"},
		{"p99<250", 250, "ms"},
		{"p99<1.5s", 1500, "ms"},
		{"p99<500us", 0.5, "ms"},
		{"p99<2m", 120000, "ms"},
		{"p99<0.0000001ms", 0, "ms"}, // 0.1 ns rounds to 0
		{"p99<0.0000006ms", 0.000001, "ms"},
		{"fail_ratio<0.01", 0.01, "ratio"},
		{"fail_ratio<1%", 0.01, "ratio"},
		{"fail_ratio<33.3%", 0.333, "ratio"},
		{"failures<10", 10, "requests"},
		{"rps>512.25", 512.25, "req/s"},
	}
	for _, tt := range tests {
		th := mustParse(t, tt.expr)
		if got := th.limitFloat(); got != tt.limit {
			t.Errorf("%s: limit = %v, want %v", tt.expr, got, tt.limit)
		}
		if got := th.metric.kind().unit(); got != tt.unit {
			t.Errorf("%s: unit = %q, want %q", tt.expr, got, tt.unit)
		}
	}
	if d := mustParse(t, "p99<1.000005ms").dur; d != 1000005*time.Nanosecond {
		t.Errorf("1.000005ms parsed as %d ns", d)
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct {
		expr   string
		column int
		msg    string
	}{
		{"", 1, "empty expression; write one such as p99<250ms"},
		{"   ", 4, "empty expression; write one such as p99<250ms"},
		{"p99<25Oms", 5, `bad duration "25Oms"; write a number and a unit (us, ms, s or m), such as 250ms; a bare number is milliseconds`},
		{"p99<250 ms", 9, `unexpected "ms" after the value; write the unit right after the number, such as 250ms or 1%`},
		{"fail_ratio<1 %", 14, `unexpected "%" after the value; write the unit right after the number, such as 250ms or 1%`},
		{"p99<250ms and more", 11, `unexpected "and more" after the value`},
		{"p99<250 µs", 9, `unexpected "µs" after the value; write the unit right after the number, such as 250ms or 1%`},
		{"p99<250 ms ", 9, `unexpected "ms" after the value; write the unit right after the number, such as 250ms or 1%`},
		{"p99<250 mss", 9, `unexpected "mss" after the value`},
		{"<250ms", 1, `expected a metric such as p99, avg or fail_ratio, found "<250ms"`},
		{"p(95)<200", 1, "write percentiles as pNN, such as p95, not p(95)"},
		{`abandoned{name="/a"}==0`, 10, "abandoned counts the requests of the whole run cut off in flight, which no entry holds; leave the selector out"},
		{`pauses{name="/a"}==0`, 7, "pauses counts the generator's pauses, which no entry holds; leave the selector out"},
		{"p99.<1s", 1, `bad percentile "p99."; write p and a number, such as p99 or p99.9`},
		{"p9.9.9<1s", 1, `bad percentile "p9.9.9"; write p and a number, such as p99 or p99.9`},
		{"p0<1s", 1, `percentile "p0" is out of range; it must be above 0 and at most 100`},
		{"p100.5<1s", 1, `percentile "p100.5" is out of range; it must be above 0 and at most 100`},
		{"P99<1s", 1, `unknown metric "P99"; the metrics are ` + metricNames()},
		{"p<1s", 1, `unknown metric "p"; the metrics are ` + metricNames()},
		{"fail_rate<0.01", 1, `unknown metric "fail_rate"; the metrics are ` + metricNames()},
		{"  latency < 1s", 3, `unknown metric "latency"; the metrics are ` + metricNames()},
		{"p99", 4, "missing comparison after p99; write one of <, <=, >, >=, ==, !="},
		{"p99 250ms", 5, `expected a comparison (<, <=, >, >=, ==, !=) after p99, found "250ms"`},
		{"p99=250ms", 4, "= is not a comparison; write ==, <= or >="},
		{"p99=>250ms", 4, "= is not a comparison; write ==, <= or >="},
		{"p99<", 5, "missing value after p99<; write one such as 250ms, 1.5s or 500us"},
		{"failures< ", 11, "missing value after failures<; write one such as 100"},
		{"p99<-1ms", 5, `bad duration "-1ms"; write a number and a unit (us, ms, s or m), such as 250ms; a bare number is milliseconds`},
		{"p99<1e3", 5, `bad duration "1e3"; write a number and a unit (us, ms, s or m), such as 250ms; a bare number is milliseconds`},
		{"p99<1ns", 5, `bad duration "1ns"; write a number and a unit (us, ms, s or m), such as 250ms; a bare number is milliseconds`},
		{"p99<1h", 5, `bad duration "1h"; write a number and a unit (us, ms, s or m), such as 250ms; a bare number is milliseconds`},
		{"p99<.ms", 5, `bad duration ".ms"; write a number and a unit (us, ms, s or m), such as 250ms; a bare number is milliseconds`},
		{"p99<5%", 5, "p99 is a response time, not a percentage; write a value such as 250ms, 1.5s or 500us"},
		{"p99<99999999999999s", 5, `duration "99999999999999s" is too large`},
		// Type mismatches.
		{"fail_ratio<10ms", 12, "fail_ratio is a fraction of requests, not a duration; write a value such as 0.01 or 1%"},
		{"fail_ratio<5", 12, `fail_ratio "5" is out of range; it is a fraction between 0 and 1 (write 5% for a percentage)`},
		{"fail_ratio<101%", 12, `fail_ratio "101%" is out of range; it is at most 100%`},
		{"fail_ratio<abc", 12, `bad number "abc"; write a fraction between 0 and 1 or a percentage, such as 0.01 or 1%`},
		{"fail_ratio<1x", 12, `bad number "1x"; write a fraction between 0 and 1 or a percentage, such as 0.01 or 1%`},
		{"failures<1%", 10, "failures is a number of requests, not a percentage; use fail_ratio for a share of requests"},
		{"requests>5%", 10, "requests is a number of requests, not a percentage; write a value such as 100"},
		{"requests>1s", 10, "requests is a number of requests, not a duration; write a value such as 100"},
		{"requests>1.5", 10, `requests is a whole number of requests, not "1.5"`},
		{"requests>9223372036854775808", 10, `requests "9223372036854775808" is too large`},
		{"requests>10k", 10, `bad number "10k"; write a value such as 100`},
		{"rps>500ms", 5, "rps is a rate in requests per second, not a duration; write a value such as 500 or 12.5"},
		{"rps>50%", 5, "rps is a rate in requests per second, not a percentage; write a value such as 500 or 12.5"},
		{"rps>fast", 5, `bad number "fast"; write a value such as 500 or 12.5`},
		{"rps>" + strings.Repeat("9", 400), 5, `rps "` + strings.Repeat("9", 400) + `" is too large`},
		// Selectors.
		{"p95{}<1s", 4, `empty selector; write {name="..."} or {method="..."}, or leave the braces out`},
		{`p95{name="/a"<1s`, 14, `expected , or } after the name, found "<1s"`},
		{`p95{name="/a",}<1s`, 15, `expected a label (name or method), found "}<1s"`},
		{`p95{name="/a"`, 4, "selector is not closed with }"},
		{`p95{name="/a",`, 4, "selector is not closed with }"},
		{`p95{path="/a"}<1s`, 5, `unknown label "path"; the labels are name and method`},
		{`p95{name="/a", name="/b"}<1s`, 16, "label name is given twice"},
		{`p95{name:"/a"}<1s`, 9, `expected = after name, found ":\"/a\"}<1s"`},
		{`p95{name='/a'}<1s`, 10, `name values take double quotes, as in name="..."`},
		{`p95{name=/a}<1s`, 10, `expected a double-quoted value after name=, found "/a}<1s"`},
		{`p95{name="/a}<1s`, 10, `name value is not closed with "`},
		{`p95{name="/a\q"}<1s`, 10, `bad name value "/a\q"; it is a Go string literal, where \ and " are escaped with \`},
		{`p95{name=""}<1s`, 10, "empty name"},
		{`p95{method=""}<1s`, 12, `bad method ""; a method is a word such as GET or POST`},
		{`p95{method="GET /a"}<1s`, 12, `bad method "GET /a"; a method is a word such as GET or POST`},
		{`p95{"/a"}<1s`, 5, `expected a label (name or method), found "\"/a\"}<1s"`},
		// Columns count characters, not bytes.
		{`p95{name="/é"}<1x`, 16, `bad duration "1x"; write a number and a unit (us, ms, s or m), such as 250ms; a bare number is milliseconds`},
		{"p99 < 250ms ñññññññññññññññññññññññ", 13, `unexpected "ññññññññññññññññññññ..." after the value`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			th, err := Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse accepted it as %q", th)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if pe.Expr != tt.expr || pe.Column != tt.column || pe.Msg != tt.msg {
				t.Errorf("got  column %d: %s\nwant column %d: %s", pe.Column, pe.Msg, tt.column, tt.msg)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse("p99<25Oms")
	want := `threshold "p99<25Oms": at column 5: bad duration "25Oms"; write a number and a unit (us, ms, s or m), such as 250ms; a bare number is milliseconds`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

func TestParseAll(t *testing.T) {
	ts, err := ParseAll([]string{"p99<250ms", "fail_ratio<1%"})
	if err != nil {
		t.Fatalf("ParseAll: %v", err)
	}
	if len(ts) != 2 || ts[0].String() != "p99<250ms" || ts[1].String() != "fail_ratio<1%" {
		t.Errorf("ParseAll = %v", ts)
	}

	ts, err = ParseAll([]string{"p99<1x", "avg<1s", "nope<1"})
	if err == nil || ts != nil {
		t.Fatalf("ParseAll = %v, %v; want an error and no thresholds", ts, err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `threshold "p99<1x": at column 5: `) ||
		!strings.HasPrefix(lines[1], `threshold "nope<1": at column 1: unknown metric`) {
		t.Errorf("ParseAll error does not name both bad expressions:\n%v", err)
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.Expr != "p99<1x" {
		t.Errorf("errors.As finds %+v, want the first bad expression", pe)
	}

	if ts, err := ParseAll(nil); err != nil || len(ts) != 0 {
		t.Errorf("ParseAll(nil) = %v, %v", ts, err)
	}
}

func TestEqual(t *testing.T) {
	same := [][2]string{
		{"p99<250ms", " p99 < 0.25s "},
		{"p99<250ms", "p99<250"},
		{"p99<250ms", "p99<250000us"},
		{"med<1s", "median<1000ms"},
		{"count>5", "requests>5"},
		{`p95{method="GET", name="/a"}<1s`, `p95{name="/a",method="GET"}<1s`},
	}
	for _, p := range same {
		if !mustParse(t, p[0]).Equal(mustParse(t, p[1])) {
			t.Errorf("%q and %q differ", p[0], p[1])
		}
	}
	different := [][2]string{
		{"p99<250ms", "p99<=250ms"},
		{"p99<250ms", "p99.9<250ms"},
		{"p99<250ms", "p99<251ms"},
		{"p50<1s", "median<1s"}, // the same number, but named differently in reports
		{"fail_ratio<0.01", "fail_ratio<1%"},
		{`p99{name="/a"}<1s`, `p99{name="/b"}<1s`},
		{`p99{method="GET"}<1s`, `p99{method="get"}<1s`},
		{"rps>5", "current_rps>5"},
	}
	for _, p := range different {
		if mustParse(t, p[0]).Equal(mustParse(t, p[1])) {
			t.Errorf("%q and %q are equal", p[0], p[1])
		}
	}
}
