// loadgen web UI: polls the JSON API and swaps the page's tables and
// charts. Text from the run goes in through textContent only; the charts
// are SVG drawn by loadgen itself.
"use strict";

const $ = (id) => document.getElementById(id);
const LIVE = new Set(["spawning", "running", "waiting", "stopping"]);
let stats = null;
let sort = { key: null, desc: false };
let tab = "stats";
let logSeq = 0;
let formFilled = false;

// api calls the JSON API; errors come back as {error}, shown to the user.
async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(data.error || resp.status + " " + resp.statusText);
  return data;
}

function message(text, isError) {
  const m = $("message");
  m.textContent = text;
  m.className = isError ? "error" : "info";
  m.hidden = !text;
}

async function control(method, path, body) {
  try {
    const r = await api(method, path, body);
    message(r.message || "", false);
    await refresh();
    return true;
  } catch (e) {
    message(e.message, true);
    return false;
  }
}

// ms formats milliseconds as the console does: decimals where they matter.
function ms(v) {
  if (v === 0) return "0";
  if (v < 0.1) return v.toFixed(3);
  if (v < 1) return v.toFixed(2);
  if (v < 10) return v.toFixed(1);
  return Math.round(v).toString();
}
const fixed = (d) => (v) => v.toFixed(d);
const pct = (v) => (v * 100).toFixed(1) + " %";
const int = (v) => String(v);

function td(text, cls) {
  const c = document.createElement("td");
  c.textContent = text;
  if (cls) c.className = cls;
  return c;
}

function fillRows(tbody, rows, emptyText, cols) {
  const out = rows.map((r) => {
    const tr = document.createElement("tr");
    for (const c of r) tr.appendChild(c);
    return tr;
  });
  if (out.length === 0) {
    const tr = document.createElement("tr");
    const c = td(emptyText, "empty");
    c.colSpan = cols;
    tr.appendChild(c);
    out.push(tr);
  }
  tbody.replaceChildren(...out);
}

const STAT_COLUMNS = [
  ["method", String, ""], ["name", String, "name"],
  ["num_requests", int, "num"], ["num_failures", int, "num"],
  ["median_response_time", ms, "num"], ["response_time_percentile_0.95", ms, "num"],
  ["response_time_percentile_0.99", ms, "num"],
  ["window_response_time_percentile_0.95", ms, "num"], ["window_response_time_percentile_0.99", ms, "num"],
  ["avg_response_time", ms, "num"],
  ["min_response_time", ms, "num"], ["max_response_time", ms, "num"],
  ["avg_content_length", fixed(0), "num"], ["current_rps", fixed(1), "num"],
  ["current_fail_per_sec", fixed(1), "num"],
];

function statCells(e) {
  return STAT_COLUMNS.map(([k, f, cls]) => {
    const c = td(f(e[k]), cls);
    if (k === "num_failures" && e[k] > 0) c.classList.add("failed");
    return c;
  });
}

function renderStats() {
  let rows = stats.stats.slice();
  if (sort.key) {
    rows.sort((a, b) => {
      const x = a[sort.key], y = b[sort.key];
      const c = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
      return sort.desc ? -c : c;
    });
  }
  fillRows($("stats-body"), rows.map(statCells), "No requests yet.", STAT_COLUMNS.length);
  const total = document.createElement("tr");
  total.className = "total";
  for (const c of statCells(stats.total)) total.appendChild(c);
  $("stats-total").replaceChildren(stats.stats.length ? total : "");
  for (const th of document.querySelectorAll("#stats-table th")) {
    th.classList.toggle("asc", th.dataset.key === sort.key && !sort.desc);
    th.classList.toggle("desc", th.dataset.key === sort.key && sort.desc);
  }
  const warnings = stats.warnings || [];
  $("warnings").hidden = warnings.length === 0;
  $("warnings-list").replaceChildren(...warnings.map((w) => {
    const li = document.createElement("li");
    li.textContent = w;
    return li;
  }));
  const pauses = stats.generator_pauses;
  $("pauses").hidden = !pauses;
  $("pauses").textContent = pauses
    ? `Generator pauses: ${pauses.count} of more than 10 ms, the longest ${pauses.max_ms.toFixed(0)} ms, ${pauses.total_ms.toFixed(0)} ms in all; requests in flight then have them in their latencies.`
    : "";
  const ths = stats.thresholds;
  $("thresholds").hidden = ths.length === 0;
  fillRows($("thresholds-body"), ths.map((r) => [
    td(r.pass ? "PASS" : "FAIL", r.pass ? "pass" : "fail"), td(r.threshold), td(r.measured, "num"),
    td(int(r.requests), "num"), td(r.note || ""),
  ]), "", 5);
}

function renderTables() {
  fillRows($("failures-body"), stats.errors.map((e) => [
    td(e.method), td(e.name, "name"), td(e.error, "error"), td(int(e.occurrences), "num"),
    td(new Date(e.last_seen).toLocaleTimeString()),
  ]), "No failures.", 5);
  $("failures-more").textContent = stats.errors_omitted > 0 ?
    "and " + stats.errors_omitted + " more failure groups: download failures.csv for all of them." : "";
  $("failures-count").textContent = stats.errors.length ? "(" + (stats.errors.length + stats.errors_omitted) + ")" : "";
  fillRows($("ratio-body"), stats.ratio.map((r) => [
    td(r.method), td(r.name, "name"), td(int(r.weight), "num"), td(pct(r.weight_share), "num"),
    td(int(r.requests), "num"), td(pct(r.request_share), "num"),
  ]), "No run yet.", 6);
}

function renderHeader() {
  const st = stats.state;
  const live = LIVE.has(st);
  $("st-state").textContent = st;
  $("st-state").title = stats.outcome ? "outcome: " + stats.outcome : "";
  $("st-state").className = "state " + st;
  $("st-users").textContent = stats.user_count;
  $("st-rps").textContent = stats.total_rps.toFixed(1);
  $("st-fail").textContent = pct(stats.fail_ratio);
  $("st-host").textContent = stats.run ? (stats.run.host || "embedded album service") : "-";
  if (live) $("start-panel").hidden = true;
  else $("edit-panel").hidden = true;
  if (st === "ready" && formFilled && $("start-panel").hidden && !$("start-panel").dataset.closed) {
    $("start-panel").hidden = false;
  }
  $("btn-new").hidden = live || !$("start-panel").hidden;
  $("btn-edit").hidden = $("btn-stop").hidden = $("btn-reset").hidden = !live || st === "stopping";
  if (stats.error) message("The run failed: " + stats.error, true);
}

async function refreshCharts() {
  for (const name of ["rps", "latency", "latency-cumulative", "users", "latency-entries"]) {
    const resp = await fetch("api/charts/" + name + ".svg");
    if (resp.ok) $("chart-" + name).innerHTML = await resp.text();
  }
}

async function refreshWorkers() {
  const data = await api("GET", "api/workers");
  fillRows($("workers-body"), data.workers.map((w) => [
    td(w.id), td(w.host || ""), td(w.state + (w.error ? " (" + w.error + ")" : "")),
    td(w.users + " of " + w.target, "num"), td(int(w.requests), "num"), td(int(w.failures), "num"),
    td(w.rps.toFixed(1), "num"), td(w.cpu_percent.toFixed(0), "num"), td((w.rss_bytes / 1048576).toFixed(1), "num"),
    td(w.last_heartbeat ? ((Date.now() - Date.parse(w.last_heartbeat)) / 1000).toFixed(1) + " s ago" : "-"),
  ]), "This run has no workers: it runs in this process.", 10);
}

async function refreshLogs() {
  const data = await api("GET", "api/logs?after=" + logSeq);
  const pre = $("logs");
  const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  for (const l of data.lines) {
    pre.appendChild(document.createTextNode(l.text + "\n"));
    logSeq = l.seq;
  }
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

// refresh polls the API; a refresh asked for while one runs follows it,
// so that slow answers never pile up.
let busy = false;
let again = false;
async function refresh() {
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  try {
    do {
      again = false;
      await refreshOnce();
    } while (again);
  } finally {
    busy = false;
  }
}

async function refreshOnce() {
  try {
    stats = await api("GET", "api/stats");
    renderHeader();
    renderStats();
    renderTables();
    if (tab === "charts") await refreshCharts();
    if (tab === "workers") await refreshWorkers();
    if (tab === "logs") await refreshLogs();
  } catch (e) {
    message("Lost the loadgen server: " + e.message, true);
  }
}

function showTab(name) {
  tab = name;
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll(".tab")) s.classList.toggle("active", s.id === "tab-" + name);
  refresh();
}

async function init() {
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  for (const th of document.querySelectorAll("#stats-table th")) {
    th.addEventListener("click", () => {
      sort = { key: th.dataset.key, desc: sort.key === th.dataset.key ? !sort.desc : th.classList.contains("num") };
      if (stats) renderStats();
    });
  }
  $("btn-new").addEventListener("click", () => {
    $("start-panel").hidden = false;
    $("btn-new").hidden = true;
  });
  $("start-cancel").addEventListener("click", () => {
    $("start-panel").hidden = true;
    $("start-panel").dataset.closed = "1";
    $("btn-new").hidden = LIVE.has(stats ? stats.state : "ready");
  });
  $("btn-edit").addEventListener("click", () => {
    $("edit-users").value = stats.run ? stats.run.users : stats.user_count;
    $("edit-rate").value = stats.run ? stats.run.spawn_rate : 1;
    $("edit-panel").hidden = false;
  });
  $("edit-cancel").addEventListener("click", () => { $("edit-panel").hidden = true; });
  $("btn-stop").addEventListener("click", () => control("POST", "api/stop"));
  $("btn-reset").addEventListener("click", () => control("POST", "api/reset"));
  $("start-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {
      users: Number($("start-users").value), spawn_rate: Number($("start-rate").value),
      host: $("start-host").value.trim(), run_time: $("start-runtime").value.trim(),
      profile: $("start-profile").value,
    };
    const yaml = $("start-yaml").value;
    if (yaml.trim()) body.profile_yaml = yaml;
    if (await control("POST", "api/start", body)) $("start-panel").hidden = true;
  });
  $("edit-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { users: Number($("edit-users").value), spawn_rate: Number($("edit-rate").value) };
    if (await control("POST", "api/edit", body)) $("edit-panel").hidden = true;
  });
  try {
    const info = await api("GET", "api/info");
    $("version").textContent = info.version || "";
    const d = info.defaults;
    $("start-users").value = d.users;
    $("start-rate").value = d.spawn_rate;
    $("start-host").value = d.host;
    $("start-runtime").value = d.run_time;
    const sel = $("start-profile");
    for (const p of info.profiles) sel.appendChild(new Option(p, p, false, p === d.profile));
    formFilled = true;
  } catch (e) {
    message("Could not reach the loadgen server: " + e.message, true);
  }
  await refresh();
  setInterval(refresh, 1500);
}

init();
