// Package web is loadgen's web UI: a page that starts, watches, edits and
// stops a load test, as Locust's does, and the JSON API it drives, which
// scripts can drive too (see README.md in this directory).
//
// The page is embedded in the binary (HTML, a small script, a stylesheet;
// no third-party code), and its charts are SVG drawn on the server by
// results/chart, the same charts as the HTML report's.
//
// The server knows nothing of how a run is executed: it is given a Starter
// that builds one from a start request (a Session in this process, or a
// distributed run) and steers it through the Run interface.
//
// It binds to loopback unless credentials protect it (CheckListen), and it
// refuses state-changing requests that are not POSTs or that come from
// another origin, so that no other web page can start a load test through
// its user's browser.
package web
