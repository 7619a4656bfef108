#!/usr/bin/env python3
"""Operations: /healthz, /metrics in Prometheus text format, /openapi.json
against the router's own table (both ways: every route documented, every
documented route served, and the parameters each route accepts equal to
the documented ones), and the page's static files with their caching.

No capture is needed: runs made here may end done or failed; the figures
are checked against whatever the store says.

usage: test_ops.py WIREMETER
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402

WORKERS = 3


def test_healthz(d, wiremeter):
    resp = d.get("/healthz")
    hc.expect_status(resp, 200, "GET /healthz")
    check(resp.header("Content-Type") == "application/json", "healthz Content-Type")
    h = resp.json()
    check(h["status"] == "ok" and h["draining"] is False, f"healthz status: {h}")
    store = dict(h["store"])
    free = store.pop("free_bytes")
    check(store == {"ok": True, "schema": 4, "writable": True, "read_only": False,
                    "reason": None, "min_free_bytes": 64 << 20, "unsaved": 0}
          and isinstance(free, int) and free >= 64 << 20, f"healthz store: {h['store']}")
    version = subprocess.run([wiremeter, "--version"], capture_output=True, text=True).stdout
    check(h["version"] and h["version"] in version, f"healthz version {h['version']!r} vs {version!r}")
    permitted, _ = wmtest.capture_permitted(wiremeter)
    check(h["capture"]["permitted"] is permitted and h["capture"]["interface"] == "lo",
          f"healthz capture {h['capture']}, the binary says permitted={permitted}")
    check(h["runs"]["workers"] == WORKERS and h["runs"]["queue_max"] == 64
          and h["runs"]["running"] == 0 and h["runs"]["queued"] == 0, f"healthz runs: {h['runs']}")
    time.sleep(0.05)
    later = d.get("/healthz").json()
    check(0 < h["uptime_s"] < later["uptime_s"], f"uptime does not grow: {h['uptime_s']} {later['uptime_s']}")


def test_healthz_no_capture(wiremeter):
    with hc.Daemon(wiremeter, ["--interface", "wmnosuch0"]) as d:
        h = d.get("/healthz").json()
        check(h["capture"]["permitted"] is False and "wmnosuch0" in (h["capture"]["reason"] or ""),
              f"healthz without capture: {h['capture']}")
        _, samples = hc.parse_metrics(d.get("/metrics").body.decode())
        check(hc.metric(samples, "wiremeter_capture_permitted") == 0, "capture_permitted gauge")
        check("NOT permitted" in d.log(), f"start-up does not say capture is refused:\n{d.log()}")
        hc.finish(d)


def http_count(samples, method, route, code):
    return hc.metric(samples, "wiremeter_http_requests_total", method=method, route=route,
                     code=str(code)) or 0


def test_metrics(d):
    def scrape():
        resp = d.get("/metrics")
        hc.expect_status(resp, 200, "GET /metrics")
        check(resp.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8",
              f"metrics Content-Type {resp.header('Content-Type')!r}")
        return hc.parse_metrics(resp.body.decode())

    _, before = scrape()
    for _ in range(5):
        d.get("/healthz")
    d.get("/runs/424242")
    d.get("/runs?limit=abc")
    runs = [hc.post_run(d, q).json() for q in ("size=13B", "size=2kB", "size=0")]
    types, after = scrape()
    for family, kind in (("wiremeter_runs", "gauge"), ("wiremeter_runs_ended_total", "counter"),
                         ("wiremeter_run_duration_seconds", "histogram"),
                         ("wiremeter_bytes_transferred_total", "counter"),
                         ("wiremeter_http_requests_total", "counter"),
                         ("wiremeter_queue_depth", "gauge"), ("wiremeter_runs_running", "gauge")):
        check(types.get(family) == kind, f"metrics: {family} is {types.get(family)}, expected {kind}")

    def delta(method, route, code):
        return http_count(after, method, route, code) - http_count(before, method, route, code)

    check(delta("GET", "/healthz", 200) == 5, f"healthz counted {delta('GET', '/healthz', 200)} times, not 5")
    check(delta("GET", "/runs/{id}", 404) == 1, "the 404 is not counted once")
    check(delta("GET", "/runs", 400) == 1, "the 400 is not counted once")
    check(delta("POST", "/runs", 201) == 3, "the three POSTs are not counted")
    check(delta("GET", "/metrics", 200) == 1, "the previous scrape is not counted")

    stored = hc.all_runs(d)
    by_status = {s: sum(r["status"] == s for r in stored) for s in ("queued", "running", "done", "failed")}
    for status, n in by_status.items():
        check(hc.metric(after, "wiremeter_runs", status=status) == n,
              f"wiremeter_runs{{status={status}}} is {hc.metric(after, 'wiremeter_runs', status=status)}, "
              f"the store has {n}")
    ended = sum(hc.metric(after, "wiremeter_runs_ended_total", status=s) for s in ("done", "failed"))
    check(ended == len(runs), f"runs ended: {ended}, expected {len(runs)}")
    done_bytes = sum(r["params"]["size"] for r in runs if r["status"] == "done")
    check(hc.metric(after, "wiremeter_bytes_transferred_total") == done_bytes,
          f"bytes transferred {hc.metric(after, 'wiremeter_bytes_transferred_total')}, expected {done_bytes}")
    buckets = sorted(((float(dict(lab)["le"]), v) for (n, lab), v in after.items()
                      if n == "wiremeter_run_duration_seconds_bucket"))
    counts = [v for _, v in buckets]
    check(counts == sorted(counts) and buckets[-1][0] == float("inf"), f"histogram buckets {buckets}")
    check(counts[-1] == hc.metric(after, "wiremeter_run_duration_seconds_count") == len(runs),
          f"histogram count {counts[-1]}")
    check(hc.metric(after, "wiremeter_run_duration_seconds_sum") > 0, "histogram sum is 0")
    check(hc.metric(after, "wiremeter_queue_depth") == 0
          and hc.metric(after, "wiremeter_runs_running") == 0
          and hc.metric(after, "wiremeter_workers") == WORKERS, "pool gauges")


def resolve(doc, node):
    """Follows a local $ref."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        check(ref.startswith("#/"), f"openapi: non-local $ref {ref}")
        target = doc
        for part in ref[2:].split("/"):
            check(part in target, f"openapi: $ref {ref} does not resolve")
            target = target[part]
        node = target
    return node


def all_refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for v in node.values():
            yield from all_refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_refs(v)


def router_routes(wiremeter):
    proc = subprocess.run([wiremeter, "serve", "--print-routes"], capture_output=True, text=True,
                          timeout=30)
    check(proc.returncode == 0, f"--print-routes: {proc.stderr}")
    routes = set()
    for line in proc.stdout.splitlines():
        method, pattern = line.split()[:2]
        routes.add((method, pattern))
    check(len(routes) >= 10, f"--print-routes printed only {routes}")
    return routes


def allowed_names(d, method, target):
    """The parameter names a route accepts, in its own words: the
    "allowed: ..." list of its answer to an unknown parameter, or none
    when it says it takes none."""
    resp = hc.raw(d, method, target)
    err = hc.expect_error(resp, 400, f"{method} {target}", parameter="wmbogus")
    if err["message"].endswith(" takes no parameters"):
        return set()
    m = re.search(r"allowed: (.*)$", err["message"])
    check(m is not None, f"{method} {target}: no allowed list in {err['message']!r}")
    return set(m.group(1).split(", "))


def documented_params(doc, method, path):
    item = doc["paths"][path]
    params = [resolve(doc, p) for p in item.get("parameters", []) +
              item[method.lower()].get("parameters", [])]
    for p in params:
        check(p["in"] in ("query", "path") and "schema" in p and p.get("description"),
              f"openapi {method} {path}: parameter {p}")
        check((p["in"] == "path") == ("{" + p["name"] + "}" in path),
              f"openapi {method} {path}: {p['name']} is in {p['in']}")
    return {p["name"] for p in params if p["in"] == "query"}


def test_openapi(d, wiremeter):
    resp = d.get("/openapi.json")
    hc.expect_status(resp, 200, "GET /openapi.json")
    check(resp.header("Content-Type") == "application/json", "openapi Content-Type")
    check(resp.body == hc.load(os.path.join(hc.REPO, "docs", "openapi.json")),
          "the served document differs from docs/openapi.json")
    doc = resp.json()
    check(doc["openapi"].startswith("3.1"), f"openapi version {doc['openapi']}")
    check(doc["info"]["version"] == d.get("/healthz").json()["version"], "openapi info.version")
    for ref in all_refs(doc):
        resolve(doc, {"$ref": ref})
    documented = set(hc.openapi_statuses(doc))
    served = router_routes(wiremeter)
    check(served - documented == set(), f"routes not documented: {sorted(served - documented)}")
    check(documented - served == set(), f"documented but not routed: {sorted(documented - served)}")
    for (method, path), codes in hc.openapi_statuses(doc).items():
        op = doc["paths"][path][method.lower()]
        check(op.get("operationId") and op.get("summary"), f"{method} {path}: no operationId/summary")
        check(any(c.startswith("2") for c in codes), f"{method} {path}: no 2xx response")
        for code in codes:
            r = resolve(doc, op["responses"][code])
            check(r.get("description"), f"{method} {path} {code}: no description")
            if code[0] in "45" and path != "/healthz":  # its 503 is the health document
                schema = resolve(doc, r["content"]["application/json"]["schema"])
                check("error" in schema.get("properties", {}),
                      f"{method} {path} {code}: not the error document")
        if method in ("POST", "DELETE"):
            check({"401", "403"} <= codes, f"{method} {path}: 401/403 of the token not documented")
    # Every route refuses a parameter it does not take, GET routes too,
    # and its list of what is allowed is what the document lists for it.
    for method, path in sorted(served):
        target = path.replace("{id}", "1").replace("{path}", "index.html") + "?wmbogus=1"
        accepted = allowed_names(d, method, target)
        docs = documented_params(doc, method, path)
        check(accepted == docs, f"{method} {path}: the daemon accepts {sorted(accepted)}, "
                                f"the document lists {sorted(docs)}")
    # The same list holds for a body's names.
    for body, ctype in (('{"size": "13B", "wmbogus": 1}', "application/json"),
                        ("size=13B&wmbogus=1", "application/x-www-form-urlencoded")):
        err = hc.expect_error(hc.raw(d, "POST", "/runs", body=body, headers={"Content-Type": ctype}),
                              400, f"POST /runs {ctype} body with wmbogus", parameter="wmbogus")
        check(set(re.split(r", ", err["message"].split("allowed: ", 1)[1]))
              == documented_params(doc, "POST", "/runs"), f"body wmbogus: {err['message']!r}")
    err = hc.expect_error(d.get("/runs?limt=5"), 400, "GET /runs?limt=5", parameter="limt")
    check(err["message"] == "unknown parameter 'limt'; allowed: limit, before", f"limt: {err['message']!r}")


def test_static(d):
    index = hc.load(os.path.join(hc.REPO, "web", "index.html"))
    resp = d.get("/")
    hc.expect_status(resp, 200, "GET /")
    check(resp.header("Content-Type") == "text/html; charset=utf-8" and resp.body == index,
          "GET / is not web/index.html")
    for name in ("X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy",
                 "Referrer-Policy"):
        check(resp.header(name), f"GET /: no {name} header")
    check(d.get("/index.html").body == index, "GET /index.html")
    etag = resp.header("ETag")
    check(etag and resp.header("Last-Modified"), "no ETag or Last-Modified")
    again = d.get("/", headers={"If-None-Match": etag})
    check(again.status == 304 and again.body == b"", f"If-None-Match: {again.status}")
    again = d.get("/", headers={"If-Modified-Since": resp.header("Last-Modified")})
    check(again.status == 304, f"If-Modified-Since: {again.status}")
    check(d.get("/", headers={"If-None-Match": '"other"'}).status == 200, "a stale ETag got 304")
    head = hc.raw(d, "HEAD", "/")
    check(head.status == 200 and head.body == b"" and head.header("Content-Length") == str(len(index)),
          "HEAD /")
    for name in os.listdir(os.path.join(hc.REPO, "web", "js")):
        if name.endswith(".js"):
            js = d.get(f"/js/{name}")
            check(js.status == 200 and js.header("Content-Type") == "text/javascript; charset=utf-8"
                  and js.body == hc.load(os.path.join(hc.REPO, "web", "js", name)), f"GET /js/{name}")
    check(d.get("/js").status == 404, "a directory without index.html is not a 404")
    chart = "/usr/share/javascript/chart.js/chart.min.js"
    resp = d.get("/vendor/chart.js")
    if os.path.exists(chart):
        check(resp.status == 200 and resp.body == hc.load(chart)
              and resp.header("Content-Type") == "text/javascript; charset=utf-8", "GET /vendor/chart.js")
    else:
        hc.expect_error(resp, 404, "GET /vendor/chart.js without libjs-chart.js")


def test_missing_chartjs(wiremeter):
    with hc.Daemon(wiremeter, ["--chartjs", "/nonexistent/chart.js"]) as d:
        err = hc.expect_error(d.get("/vendor/chart.js"), 404, "missing Chart.js")
        check("libjs-chart.js" in err["message"], f"the 404 does not say what to install: {err}")
        hc.finish(d)


def test_settings_documented(wiremeter):
    """The README's table of settings names every flag and variable that
    `wiremeter serve --help` lists, in its order, and no other."""
    proc = subprocess.run([wiremeter, "serve", "--help"], capture_output=True, text=True,
                          timeout=30)
    check(proc.returncode == 0, f"serve --help: {proc.stderr}")
    served = re.findall(r"^  (--[a-z-]+) +(WIREMETER_[A-Z_]+)", proc.stdout, re.M)
    readme = hc.load(os.path.join(hc.REPO, "README.md")).decode()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(--[a-z-]+)` \| `(WIREMETER_[A-Z_]+)` \|", section, re.M)
    check(len(served) >= 16 and documented == served,
          f"README's settings {documented}, serve --help's {served}")


def test():
    wiremeter = wmtest.binary()
    test_settings_documented(wiremeter)
    with hc.Daemon(wiremeter, ["--workers", str(WORKERS)]) as d:
        log = d.log()
        check(f"127.0.0.1:{d.port}" in log and d.data_dir in log and "capture:" in log,
              f"start-up does not say where it listens, where data lives and about capture:\n{log}")
        test_healthz(d, wiremeter)
        test_metrics(d)
        test_openapi(d, wiremeter)
        test_static(d)
        hc.finish(d)
    test_healthz_no_capture(wiremeter)
    test_missing_chartjs(wiremeter)


if __name__ == "__main__":
    wmtest.main(test)
