"""A client written against Locust's web API and files, as a team's scripts
are, that reports the shape of what it gets: HTTP statuses, JSON keys and
value types, CSV headers and the types a CSV reader infers per column. The
contract test runs it against real Locust and against loadgen and compares
the reports.

    contract.py csv FILE...             describe CSV files
    contract.py web BASE_URL TARGET     drive a web UI through a short run, then
                                        post /swarm with each of the form's fields

Standard library only, so that it runs wherever Python does.
"""
import csv
import io
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def kind(value):
    """The type a reader gets for a CSV value: int() first, then float()."""
    if value == "":
        return "empty"
    if value == "N/A":
        return "N/A"
    try:
        int(value)
        return "int"
    except ValueError:
        pass
    try:
        float(value)
        return "float"
    except ValueError:
        return "str"


def describe_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return {"header": None, "rows": 0}
    header, data = rows[0], rows[1:]
    columns = {}
    for i, name in enumerate(header):
        columns[name] = sorted({kind(r[i]) for r in data if i < len(r)})
    widths = sorted({len(r) for r in data})
    names = sorted({(r[0], r[1]) for r in data if len(r) > 1}) if header[:2] == ["Type", "Name"] else None
    return {"header": header, "rows": len(data), "widths": widths, "columns": columns, "names": names}


ROUNDED_TIMES = {"median_response_time", "ninetieth_response_time", "ninety_ninth_response_time",
                 "current_response_time_percentile_95", "current_response_time_percentile_50"}


def json_shape(value, path="", out=None):
    """Flattens a JSON document to {path: sorted list of value types}."""
    if out is None:
        out = {}
    if isinstance(value, dict):
        out.setdefault(path or ".", set()).add("object")
        for k, v in value.items():
            json_shape(v, path + "." + k, out)
    elif isinstance(value, list):
        out.setdefault(path or ".", set()).add("array")
        for v in value:
            json_shape(v, path + "[]", out)
    else:
        t = {bool: "bool", int: "int", float: "float", str: "str", type(None): "null"}[type(value)]
        if path.rsplit(".", 1)[-1] in ROUNDED_TIMES and (t, value < 100 if t in ("int", "float") else None) in (("int", True), ("float", False)):
            # Locust keeps response times rounded: ints below 100 ms, floats
            # (round(x, -1)) above, so the type follows the value.
            t = "rounded time"
        out.setdefault(path or ".", set()).add(t)
    return out


def unnamed(doc):
    """GET /tasks keys classes and tasks by their names, which are data,
    not keys: each level of names becomes a list under "*"."""
    out = {}
    for kind, classes in doc.items():
        out[kind] = {"*": [dict(c, tasks={"*": list(c["tasks"].values())}) if isinstance(c.get("tasks"), dict) else c
                           for c in classes.values()]}
    return out


def fetch(base, path, data=None):
    req = urllib.request.Request(base + path, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")


def media_type(content_type):
    return content_type.split(";")[0].strip().lower()


def web(base, target):
    report = {}
    shapes = {}

    def record(name, path, data=None, body="json", shape=lambda doc: doc):
        status, ctype, text = fetch(base, path, data)
        entry = report.setdefault(name, {"status": status, "type": media_type(ctype)})
        if status != 200:
            return None
        if body == "json":
            doc = json.loads(text)
            for k, v in json_shape(shape(doc)).items():
                shapes.setdefault(name, {}).setdefault(k, set()).update(v)
            return doc
        if body == "csv":
            entry["csv"] = describe_csv(text)
        elif body == "text":
            entry["text"] = text
        elif body == "html":
            entry["html"] = "<html" in text.lower()
        return text

    # The start form as Locust's page posts it.
    form = urllib.parse.urlencode({"user_count": "4", "spawn_rate": "4", "host": target}).encode()
    started = record("POST /swarm", "/swarm", form)
    report["POST /swarm"]["success"] = bool(started and started.get("success"))
    deadline = time.time() + 30
    while time.time() < deadline:
        status, _, text = fetch(base, "/stats/requests")
        stats = json.loads(text) if status == 200 else None
        if stats and stats.get("state") == "running" and stats["stats"] and stats["stats"][-1]["num_requests"] > 50:
            break
        time.sleep(0.5)
    # A few samples of a run under way (Locust's values before the first
    # request are of other types: integer zeros, null percentiles).
    for _ in range(3):
        time.sleep(1)
        record("GET /stats/requests", "/stats/requests")
    # Locust flushes its history file every 10 s: wait for a flush with
    # requests in it before reading the files.
    deadline = time.time() + 30
    while time.time() < deadline:
        status, _, text = fetch(base, "/stats/requests_full_history/csv")
        rows = list(csv.DictReader(io.StringIO(text))) if status == 200 else []
        if any(r.get("Total Request Count", "0") not in ("", "0") for r in rows):
            break
        time.sleep(0.5)
    tasks = record("GET /tasks", "/tasks", shape=unnamed)
    record("GET /exceptions", "/exceptions")
    record("GET /exceptions/csv", "/exceptions/csv", body="csv")
    record("GET /stats/requests/csv", "/stats/requests/csv", body="csv")
    record("GET /stats/failures/csv", "/stats/failures/csv", body="csv")
    record("GET /stats/requests_full_history/csv", "/stats/requests_full_history/csv", body="csv")
    record("GET /stats/report", "/stats/report", body="html")
    record("GET /stats/reset", "/stats/reset", body="text")
    record("GET /stop", "/stop")
    for name, paths in shapes.items():
        report[name]["json"] = {k: sorted(v) for k, v in sorted(paths.items())}
    report["form fields"] = form_fields(base, target, sorted((tasks or {}).get("per_class", {})))
    return report


def form_fields(base, target, classes):
    """Posts /swarm with each field of Locust's start form, from a stopped
    run (and the edit form's during one), and reports which succeed."""
    minimal = {"user_count": "2", "spawn_rate": "2"}
    variants = {
        "user_count spawn_rate": {},
        "host": {"host": target},
        "empty host": {"host": ""},
        "run_time": {"run_time": "60"},
        "run_time 1m": {"run_time": "1m"},
        "empty run_time": {"run_time": ""},
        "user_classes": {"user_classes": classes},
        "shape_class": {"shape_class": "Default"},
        "bad run_time": {"run_time": "soon"},
    }
    out = {}
    for name, extra in variants.items():
        form = urllib.parse.urlencode(dict(minimal, **extra), doseq=True).encode()
        status, _, text = fetch(base, "/swarm", form)
        out[name] = {"status": status, "success": json.loads(text).get("success") if text.startswith("{") else None}
        if name == "host":
            # The edit form, during the run the start form began.
            edit = urllib.parse.urlencode({"user_count": "3", "spawn_rate": "3"}).encode()
            status, _, text = fetch(base, "/swarm", edit)
            out["edit"] = {"status": status, "success": json.loads(text).get("success")}
        fetch(base, "/stop")
    return out


def main(argv):
    if len(argv) >= 2 and argv[0] == "csv":
        out = {}
        for path in argv[1:]:
            with open(path, newline="") as f:
                out[path] = describe_csv(f.read())
    elif len(argv) == 3 and argv[0] == "web":
        out = web(argv[1].rstrip("/"), argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
