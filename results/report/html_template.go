package report

import "html/template"

// htmlTemplate is the HTML report. It is written as well-formed XML (void
// elements closed, no named entities), so that tests and other tools can
// read it with an XML parser. It holds no script: the report must open
// anywhere, including mail clients that run none.
var htmlTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name="generator" content="loadgen" />
<title>{{.Title}}</title>
<style>` + htmlCSS + `</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
{{- if .HasRun}}
<p class="meta">{{.Start}} to {{.End}} ({{.Duration}})</p>
{{- end}}
<nav><a href="#config">Configuration</a>{{if .Thresholds}} <a href="#thresholds">Thresholds</a>{{end}}{{if .HasRun}} <a href="#stats">Statistics</a> <a href="#percentiles">Percentiles</a> <a href="#charts">Charts</a> <a href="#failures">Failures</a>{{end}}{{if .Workers}} <a href="#workers">Workers</a>{{end}}{{if .Scaling}} <a href="#scaling">Scaling</a>{{end}}</nav>
</header>
<main>
{{- if .Summary}}
<section id="summary">
<dl class="summary">{{range .Summary}}<div><dt>{{.Key}}</dt><dd>{{.Value}}</dd></div>{{end}}</dl>
</section>
{{- end}}
{{- if .Warnings}}
<section id="warnings">
<h2>Warnings</h2>
<ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>
</section>
{{- end}}
<section id="config">
<h2>Configuration</h2>
{{- if .Config}}
<table class="kv">
<tbody>
{{- range .Config}}
<tr><th scope="row">{{.Key}}</th><td>{{.Value}}</td></tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p class="none">No configuration was recorded.</p>
{{- end}}
</section>
{{- if .Thresholds}}
<section id="thresholds">
<h2>Thresholds: {{.ThresholdsPassed}} of {{len .Thresholds}} passed</h2>
<table id="thresholds-table">
<thead><tr><th>Result</th><th>Threshold</th><th class="num">Measured</th><th class="num">Limit</th><th class="num">Requests</th><th>Note</th></tr></thead>
<tbody>
{{- range .Thresholds}}
<tr class="{{if .Pass}}pass{{else}}fail{{end}}"><td class="verdict">{{if .Pass}}PASS{{else}}FAIL{{end}}</td><td><code>{{.Expr}}</code></td><td class="num">{{.Measured}}</td><td class="num">{{.Limit}}</td><td class="num">{{.Requests}}</td><td>{{.Note}}</td></tr>
{{- end}}
</tbody>
</table>
</section>
{{- end}}
{{- if .HasRun}}
<section id="stats">
<h2>Request statistics</h2>
<div class="scroll">
<table id="stats-table">
<thead><tr><th>Type</th><th>Name</th><th class="num"># Requests</th><th class="num"># Fails</th><th class="num">Median (ms)</th><th class="num">95%ile (ms)</th><th class="num">99%ile (ms)</th><th class="num">Average (ms)</th><th class="num">Min (ms)</th><th class="num">Max (ms)</th><th class="num">Average size (bytes)</th><th class="num">RPS</th><th class="num">Failures/s</th></tr></thead>
<tbody>
{{- range .Stats}}
<tr>{{template "statsrow" .}}</tr>
{{- end}}
</tbody>
<tfoot><tr class="total">{{template "statsrow" .Total}}</tr></tfoot>
</table>
</div>
</section>
<section id="percentiles">
<h2>Response time percentiles (ms)</h2>
<div class="scroll">
<table id="percentiles-table">
<thead><tr><th>Type</th><th>Name</th>{{range .PercentileLabels}}<th class="num">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Stats}}
<tr><td>{{.Method}}</td><td class="name">{{.Name}}</td>{{range .Percentiles}}<td class="num">{{.}}</td>{{end}}</tr>
{{- end}}
</tbody>
<tfoot><tr class="total"><td>{{.Total.Method}}</td><td class="name">{{.Total.Name}}</td>{{range .Total.Percentiles}}<td class="num">{{.}}</td>{{end}}</tr></tfoot>
</table>
</div>
</section>
<section id="charts">
<h2>Charts</h2>
{{- range .Charts}}
<figure class="chart" aria-label="{{.Title}}">
{{.SVG}}
</figure>
{{- end}}
</section>
<section id="failures">
<h2>Failures</h2>
{{- if .Failures}}
<table id="failures-table">
<thead><tr><th>Method</th><th>Name</th><th>Error</th><th class="num">Occurrences</th><th>First seen</th><th>Last seen</th></tr></thead>
<tbody>
{{- range .Failures}}
<tr><td>{{.Method}}</td><td class="name">{{.Name}}</td><td class="error">{{.Error}}</td><td class="num">{{.Count}}</td><td>{{.FirstSeen}}</td><td>{{.LastSeen}}</td></tr>
{{- end}}
</tbody>
</table>
{{- if .MoreFailures}}
<p class="more">{{.MoreFailures}}</p>
{{- end}}
{{- else}}
<p class="none">No request failed.</p>
{{- end}}
</section>
{{- end}}
{{- if .Workers}}
<section id="workers">
<h2>Workers</h2>
<table id="workers-table">
<thead><tr><th>Worker</th><th>Host</th><th>State</th><th class="num">Users</th><th class="num"># Requests</th><th class="num"># Fails</th><th class="num">RPS</th><th class="num">CPU</th><th class="num">Memory</th><th>Last heartbeat</th></tr></thead>
<tbody>
{{- range .Workers}}
<tr><td>{{.ID}}</td><td>{{.Host}}</td><td>{{.State}}</td><td class="num">{{.Users}}</td><td class="num">{{.Requests}}</td><td class="num">{{.Failures}}</td><td class="num">{{.RPS}}</td><td class="num">{{.CPU}}</td><td class="num">{{.Memory}}</td><td>{{.LastHeartbeat}}</td></tr>
{{- end}}
</tbody>
</table>
</section>
{{- end}}
{{- if .Scaling}}
<section id="scaling">
<h2>Scaling</h2>
<figure class="chart"><img alt="Throughput against scale" src="{{.Scaling}}" /></figure>
</section>
{{- end}}
</main>
<footer>Generated by loadgen from the statistics as of {{.Generated}}.</footer>
</body>
</html>
{{define "statsrow"}}<td>{{.Method}}</td><td class="name">{{.Name}}</td><td class="num">{{.Count}}</td><td class="num{{if .Failed}} failed{{end}}">{{.Failures}}</td><td class="num">{{.Median}}</td><td class="num">{{.P95}}</td><td class="num">{{.P99}}</td><td class="num">{{.Avg}}</td><td class="num">{{.Min}}</td><td class="num">{{.Max}}</td><td class="num">{{.AvgSize}}</td><td class="num">{{.RPS}}</td><td class="num">{{.FailPerSec}}</td>{{end}}`))

// htmlCSS styles the report. It is inline, and uses only system fonts, so
// that the file needs nothing else.
const htmlCSS = `
:root { color-scheme: light; --fg: #1d2330; --muted: #5b6472; --line: #d9dde4; --head: #f3f5f8; --accent: #0b6bcb; --pass: #1a7f37; --fail: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; color: var(--fg); background: #fff; }
header { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); background: var(--head); }
h1 { margin: 0 0 4px; font-size: 22px; }
h2 { margin: 28px 0 10px; font-size: 17px; }
.meta { margin: 0 0 8px; color: var(--muted); }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; }
main { padding: 0 32px 24px; max-width: 1500px; }
.summary { display: flex; flex-wrap: wrap; gap: 12px; margin: 20px 0 0; }
.summary div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.summary dt { color: var(--muted); font-size: 12px; }
.summary dd { margin: 0; font-size: 18px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: var(--head); font-weight: 600; }
.num { text-align: right; }
td.num { white-space: nowrap; }
.name { overflow-wrap: anywhere; min-width: 10em; }
.error { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-word; }
tfoot tr.total td { font-weight: 600; background: var(--head); }
table.kv { width: auto; min-width: 40%; }
table.kv th { background: var(--head); font-weight: 600; white-space: nowrap; }
td.failed { color: var(--fail); font-weight: 600; }
tr.pass .verdict { color: var(--pass); font-weight: 700; }
tr.fail .verdict { color: var(--fail); font-weight: 700; }
.scroll { overflow-x: auto; }
.chart { margin: 8px 0 18px; }
.chart svg, .chart img { max-width: 100%; height: auto; border: 1px solid var(--line); }
.more, .none { color: var(--muted); }
#warnings li { color: var(--fail); }
footer { padding: 12px 32px 24px; color: var(--muted); font-size: 12px; }
`
