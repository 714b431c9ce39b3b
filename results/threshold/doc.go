// Package threshold turns pass/fail conditions on a run's statistics, such
// as p99<250ms or fail_ratio<0.01, into checks against a results.Snapshot,
// so that a CI run fails on numbers rather than on someone reading a table.
//
// An expression is parsed once, before any load is sent, so a mistyped
// threshold stops the run at once instead of after it (Parse, ParseAll).
// Evaluation only reads a snapshot, so it can run every second while the
// run goes on (Threshold.Evaluate, EvaluateAll, Result.Breached), and
// WriteSummary prints the outcome.
//
// # Grammar
//
//	threshold  = metric [ selector ] comparison value
//	metric     = "p" number | "avg" | "min" | "max" | "med" | "median"
//	           | "fail_ratio" | "failures" | "requests" | "count"
//	           | "rps" | "current_rps"
//	selector   = "{" label "=" string { "," label "=" string } "}"
//	label      = "name" | "method"
//	string     = a double-quoted Go string literal, such as "GET /albums"
//	comparison = "<" | "<=" | ">" | ">=" | "==" | "!="
//	value      = number [ unit ]
//	number     = digits [ "." digits ] | "." digits
//	unit       = "us" | "µs" | "ms" | "s" | "m" | "%"
//
// Spaces may appear between the parts, never inside one: "p99 < 250ms" is
// fine, "250 ms" is not. Names are lower case.
//
// # Metrics
//
//	pNN          the NNth percentile of response times, 0 < NN <= 100
//	             (p50, p95, p99.9; p100 is the maximum)
//	avg          mean response time
//	min, max     fastest and slowest response time
//	median, med  p50
//	fail_ratio   failed requests / requests, from 0 to 1
//	failures     number of failed requests
//	requests     number of requests, failed ones included (also: count)
//	rps          requests per second over the whole run
//	current_rps  requests per second over the last seconds (up to 10)
//
// Response times compare against durations: 250ms, 1.5s, 500us, 2m. A
// bare number is milliseconds, as in Locust and k6, so p99<250 means
// p99<250ms. fail_ratio takes a fraction (0.01) or a percentage (1%);
// counts take whole numbers; rates take numbers. A limit of the wrong kind,
// such as fail_ratio<10ms, is an error, and so is a fraction above 1
// (fail_ratio<5 is more likely a percentage missing its sign).
//
// Response times are compared exactly, to the microsecond the histograms
// resolve: p99<250ms fails when p99 is exactly 250ms, p99<=250ms passes.
//
// # Selectors
//
// Without a selector a threshold measures all requests (the Aggregated
// total). {name="..."} selects the entries with that name, or whose method
// and name, joined by one space, equal it: both {name="/albums"} and
// {name="GET /albums"} work. {method="GET"} selects by method, ignoring
// case. Labels combine: {name="/albums", method="POST"}. When several
// entries match, they are measured as one: their counts add up and their
// latency histograms merge, so p95{method="GET"} is the p95 of all GET
// requests, not a per-entry maximum.
//
// # Thresholds without data
//
// A threshold that covers no request fails, with Result.NoData set and a
// note: a selector that matches nothing (most often a misspelt name) or a
// run that sent nothing has shown nothing to be good. Result.Breached
// ignores such failures, so an early check in a run does not stop it.
//
// # Errors
//
// Parse errors are *Error values naming the expression and the column:
//
//	threshold "p99<25Oms": at column 5: bad duration "25Oms"; write a number and a unit (us, ms, s or m), such as 250ms; a bare number is milliseconds
package threshold
