#!/usr/bin/env python3
"""/sweeps: POST with sizes and repeat answers the lab's tables — per size
the packets, start, end and total time and average packet size, with the
median, min and max over the repeats, the handout's figures, and the run
ids — which must agree with the runs themselves, run one after another
(each under /runs, tied by sweep_id); GET /sweeps/{id} gives the same
document, and its report as CSV (?format=csv or Accept: text/csv), SVG
(Figure 1: one point per size of that sweep) and printable HTML, each
agreeing with the JSON; GET /sweeps lists sweeps newest first along a
cursor, like GET /runs; wait=0 answers 202 at once; the JSON body form
works; a sweep the queue cannot take now is 429 with Retry-After and
leaves nothing stored.

usage: test_sweeps.py WIREMETER
"""
import csv
import io
import os
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402

SIZES = [("13B", 13), ("2kB", 2000), ("439kB", 439000)]
REPEAT = 3
# The lab handout's figures (its packets, total seconds, one average).
HANDOUT = {13: (24, 0.082), 2000: (24, 0.082), 439000: (73, 0.094), 1000000: (125, 0.111)}
CSV_COLUMNS = ("size,size_text,runs,failed,packets_median,packets_min,packets_max,"
               "start_median,start_min,start_max,end_median,end_min,end_max,"
               "total_s_median,total_s_min,total_s_max,average_packet_size_median,"
               "average_packet_size_min,average_packet_size_max,handout_packets,"
               "handout_total_s,handout_average_packet_size").split(",")


def check_row(d, row, size_text, size, sweep_id):
    label = f"sweep row {size_text}"
    check(row["size"] == size and row["size_text"] == size_text, f"{label}: {row['size']}")
    check(row["runs"] == REPEAT and row["failed"] == 0 and row["pending"] == 0
          and len(row["run_ids"]) == REPEAT, f"{label}: runs {row['runs']} ids {row['run_ids']}")
    results = []
    for run_id in row["run_ids"]:
        run = d.get(f"/runs/{run_id}").json()
        check(run["status"] == "done" and run["sweep_id"] == sweep_id
              and run["params"]["size"] == size and run["params"]["size_text"] == size_text,
              f"{label}: run {run_id}: {run['status']} sweep {run['sweep_id']} {run['params']}")
        hc.check_payload(run, size, "download", f"{label}: run {run_id}")
        results.append(run["result"])
    packets = [r["totals"]["packets"] for r in results]
    totals = [r["timing"]["total_ns"] for r in results]
    averages = [r["average_packet_size"]["all"] for r in results]
    for key, values in (("packets", packets), ("total_ns", totals), ("average_packet_size", averages)):
        got = row[key]
        check(got["min"] == min(values) and got["max"] == max(values) and got["median"] in values
              and sorted(values)[REPEAT // 2] == got["median"],
              f"{label}: {key} {got}, the runs say {values}")
    firsts = [r["timing"]["first_packet_ns"] for r in results]
    lasts = [r["timing"]["last_packet_ns"] for r in results]
    for key, values in (("start", firsts), ("end", lasts)):
        got, text = row[f"{key}_ns"], row[f"{key}_time"]
        check(got == {"median": sorted(values)[REPEAT // 2], "min": min(values), "max": max(values)},
              f"{label}: {key}_ns {got}, the runs' first/last packets {values}")
        check(text == {k: hc.rfc3339(v) for k, v in got.items()}, f"{label}: {key}_time {text}")
    want = HANDOUT.get(size)
    check(row["handout"] == (None if want is None else
                             {"packets": want[0], "total_s": want[1], "average_packet_size": 10000.0}),
          f"{label}: handout {row['handout']}")
    samples = row["samples"]
    check(len(samples) == REPEAT, f"{label}: {len(samples)} samples")
    for s, r in zip(samples, results):
        check(s["first_packet_ns"] == r["timing"]["first_packet_ns"]
              and s["last_packet_ns"] == r["timing"]["last_packet_ns"]
              and s["total_ns"] == r["timing"]["total_ns"] == s["last_packet_ns"] - s["first_packet_ns"]
              and s["packets"] == r["totals"]["packets"],
              f"{label}: sample {s} is not its run's start, end and total time")


def test_sweep(d):
    sizes = ",".join(t for t, _ in SIZES)
    resp = d.post(f"/sweeps?sizes={sizes}&repeat={REPEAT}&label=lab")
    hc.expect_status(resp, 201, "POST /sweeps")
    doc = resp.json()
    check(resp.header("Location") == f"/sweeps/{doc['id']}", f"sweep Location {resp.header('Location')}")
    check(doc["status"] == "done" and doc["finished_ns"] and doc["params"]["sizes"] == [t for t, _ in SIZES]
          and doc["params"]["repeat"] == REPEAT and doc["params"]["label"] == "lab", f"sweep: {doc}")
    # The one sweep order of the engine (wm_sweep_size_index), which
    # `wiremeter sweep` follows too: round by round, each size once a round.
    check([r["size_text"] for r in doc["runs"]] == [t for _ in range(REPEAT) for t, _ in SIZES],
          f"sweep runs not round by round: {doc['runs']}")
    check(len(doc["table"]) == len(SIZES), f"{len(doc['table'])} rows")
    for row, (text, size) in zip(doc["table"], SIZES):
        check_row(d, row, text, size, doc["id"])
    # One after another, in order: no run of the sweep shared the machine
    # with another (the daemon has as many workers as cores).
    runs = [d.get(f"/runs/{r['id']}").json() for r in doc["runs"]]
    for before, after in zip(runs, runs[1:]):
        check(after["started_ns"] >= before["finished_ns"],
              f"sweep runs {before['id']} and {after['id']} overlapped: "
              f"{before['started_ns']}..{before['finished_ns']}, {after['started_ns']}..")
    ids = {r["id"] for r in doc["runs"]}
    listed = {r["id"] for r in hc.all_runs(d) if r["sweep_id"] == doc["id"]}
    check(listed == ids, f"/runs shows {listed} for the sweep, it has {ids}")
    again = d.get(f"/sweeps/{doc['id']}")
    hc.expect_status(again, 200, "GET /sweeps/{id}")
    check(again.json() == doc, "GET /sweeps/{id} differs from the POST's answer")
    check(again.header("Location") is None, "GET /sweeps/{id} with a Location")
    check(doc["links"] == {"self": f"/sweeps/{doc['id']}", "csv": f"/sweeps/{doc['id']}?format=csv",
                           "svg": f"/sweeps/{doc['id']}?format=svg",
                           "html": f"/sweeps/{doc['id']}?format=html"}, f"links {doc['links']}")
    check(d.get(doc["links"]["self"] + "?format=json").json() == doc, "?format=json")
    check(doc["created_time"] == hc.rfc3339(doc["created_ns"])
          and doc["finished_time"] == hc.rfc3339(doc["finished_ns"]), "the sweep's *_time")
    test_report(d, doc)
    return doc


def seconds(ns):
    """A total_ns cell of the CSV: seconds with 9 decimals."""
    return "" if ns is None else f"{ns // 1000000000}.{ns % 1000000000:09d}"


def test_report(d, doc):
    """The CSV, SVG and HTML of the sweep say what its JSON says."""
    link = doc["links"]
    resp = d.get(link["csv"])
    hc.expect_status(resp, 200, "GET csv")
    check(resp.header("Content-Type") == "text/csv; charset=utf-8", f"csv type {resp.header('Content-Type')}")
    check(resp.header("Content-Disposition") == f'attachment; filename="wiremeter-sweep-{doc["id"]}.csv"',
          f"csv disposition {resp.header('Content-Disposition')}")
    rows = list(csv.reader(io.StringIO(resp.body.decode(), newline="")))
    check(rows[0] == CSV_COLUMNS, f"csv header {rows[0]}")
    check(len(rows) == 1 + len(doc["table"]), f"csv: {len(rows) - 1} rows for {len(doc['table'])} sizes")
    for cells, row in zip(rows[1:], doc["table"]):
        got = dict(zip(CSV_COLUMNS, cells))
        h = row["handout"] or {}
        want = {"size": str(row["size"]), "size_text": row["size_text"], "runs": str(row["runs"]),
                "failed": str(row["failed"]), "handout_packets": str(h.get("packets", "")),
                "handout_total_s": str(h.get("total_s", "")),
                "handout_average_packet_size": "10000" if h else ""}
        for stat in ("median", "min", "max"):
            want[f"packets_{stat}"] = str(row["packets"][stat])
            want[f"start_{stat}"] = row["start_time"][stat]
            want[f"end_{stat}"] = row["end_time"][stat]
            want[f"total_s_{stat}"] = seconds(row["total_ns"][stat])
            check(float(got[f"average_packet_size_{stat}"]) == row["average_packet_size"][stat],
                  f"csv {row['size']}: average {stat} {got[f'average_packet_size_{stat}']}")
        for key, value in want.items():
            check(got[key] == value, f"csv {row['size']}: {key} {got[key]!r}, the JSON says {value!r}")
    accept = d.get(link["self"], headers={"Accept": "text/csv"})
    check(accept.status == 200 and accept.body == resp.body, "Accept: text/csv is not the CSV")
    svg = d.get(link["svg"])
    hc.expect_status(svg, 200, "GET svg")
    check(svg.header("Content-Type") == "image/svg+xml", f"svg type {svg.header('Content-Type')}")
    root = ET.fromstring(svg.body)
    ns = "{http://www.w3.org/2000/svg}"
    check(root.tag == f"{ns}svg", f"svg root {root.tag}")
    panels = root.findall(f"{ns}g")
    drawn = [row for row in doc["table"] if row["size"] > 0 and row["runs"]]
    check(len(panels) == 2 and all(len(p.findall(f".//{ns}circle")) == len(drawn) for p in panels),
          f"Figure 1: {[len(p.findall(f'.//{ns}circle')) for p in panels]} points a panel, "
          f"{len(drawn)} sizes")
    texts = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    for words in ("packets", "total time (", "transfer size (bytes, log scale)"):
        check(words in texts, f"Figure 1 has no {words!r} label")
    html = d.get(link["html"])
    hc.expect_status(html, 200, "GET html")
    check(html.header("Content-Type") == "text/html; charset=utf-8", "html type")
    page = html.body.decode()
    check("<script" not in page.lower() and "@page{size:A4" in page and "<svg" in page
          and page.count("<tr>") == 1 + len(doc["table"]), "the printable page")
    for row in doc["table"]:
        check(f">{row['size_text']}<" in page, f"the page has no row {row['size_text']}")
    for bad in ("xml", "JSON", "", "csv,svg"):
        err = hc.expect_error(d.get(f"{link['self']}?format={bad}"), 400, f"format={bad}",
                              parameter="format")
        check("allowed: json, csv, svg or html" in err["message"], f"format={bad}: {err['message']}")


def test_list(d, newest):
    """GET /sweeps: newest first, the same heads as GET /sweeps/{id}, the
    runs counted, paged along next like GET /runs."""
    doc = d.get("/sweeps").json()
    items = doc["sweeps"]
    check([s["id"] for s in items] == sorted((s["id"] for s in items), reverse=True)
          and items[0]["id"] == newest["id"] and doc["next"] is None and doc["next_before"] is None,
          f"GET /sweeps: {[s['id'] for s in items]}, next {doc['next']}")
    for item in items:
        full = d.get(item["links"]["self"]).json()
        for key in ("id", "status", "created_ns", "created_time", "finished_ns", "finished_time",
                    "params", "links"):
            check(item[key] == full[key], f"sweep {item['id']}: {key} {item[key]}, GET says {full[key]}")
        statuses = [r["status"] for r in full["runs"]]
        check(item["runs"] == {"done": statuses.count("done"), "failed": statuses.count("failed"),
                               "total": len(statuses)}, f"sweep {item['id']}: runs {item['runs']}")
    paged, path = [], "/sweeps?limit=1"
    while path:
        page = d.get(path).json()
        check(len(page["sweeps"]) <= 1, f"{path}: {len(page['sweeps'])} items")
        paged += page["sweeps"]
        path = page["next"]
    check(paged == items, "paging GET /sweeps?limit=1 gives other sweeps than one page")
    for bad in ("limit=0", "limit=201", "before=0", "limt=5"):
        hc.expect_error(d.get(f"/sweeps?{bad}"), 400, f"GET /sweeps?{bad}", parameter=bad.split("=")[0])


def test_forms_and_wait(d):
    # 64 MB runs: a sweep of small runs alone may be done before wait=0
    # answers (a 13 B run takes a few hundred microseconds).
    resp = d.post("/sweeps?wait=0", {"sizes": "0,64MB", "repeat": 2, "direction": "upload"})
    hc.expect_status(resp, 202, "POST /sweeps wait=0")
    doc = resp.json()
    check(doc["status"] == "running" and doc["finished_ns"] is None, f"202 sweep: {doc['status']}")
    check(len(doc["runs"]) == 4 and any(r["status"] in ("queued", "running") for r in doc["runs"]),
          f"202 sweep with nothing pending: {doc['runs']}")
    for r in doc["runs"]:
        hc.wait_run(d, r["id"])
    # The sweep is settled by the worker just after its last run is stored
    # done, so a reader can come in between: wait for it, boundedly.
    deadline = time.monotonic() + 30
    final = d.get(f"/sweeps/{doc['id']}").json()
    while final["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.02)
        final = d.get(f"/sweeps/{doc['id']}").json()
    check(final["status"] == "done" and final["params"]["direction"] == "upload"
          and [row["size"] for row in final["table"]] == [0, 64000000]
          and all(row["pending"] == 0 and row["runs"] == 2 for row in final["table"]),
          f"the sweep after its runs: {final}")
    for r in final["runs"]:
        run = d.get(f"/runs/{r['id']}").json()
        hc.check_payload(run, r["size"], "upload", f"upload sweep run {r['id']}")
    form = d.post("/sweeps", "sizes=13B%2C2kB&repeat=1",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    hc.expect_status(form, 201, "POST /sweeps as a form")
    check([row["size"] for row in form.json()["table"]] == [13, 2000], "form sweep rows")
    return form.json()


def test_queue_full(wiremeter):
    """All or nothing: a sweep that does not fit the queue now is refused
    whole, with Retry-After, and nothing of it is stored."""
    with hc.Daemon(wiremeter, ["--workers", "1", "--queue", "2"] + hc.LONG_ARGS) as d:
        running = hc.post_run(d, f"{hc.LONG}&wait=0").json()["id"]
        queued = hc.post_run(d, "size=13B&wait=0")
        hc.expect_status(queued, 202, "one queued")
        before = hc.store_snapshot(d)
        resp = d.post("/sweeps?sizes=13B,2kB&repeat=1")
        hc.expect_error(resp, 429, "a sweep of 2 with room for 1", code="busy")
        check(resp.header("Retry-After") == "1", f"Retry-After {resp.header('Retry-After')!r}")
        after = hc.store_snapshot(d)
        check([r["id"] for r in hc.json.loads(after[0])] == [r["id"] for r in hc.json.loads(before[0])]
              and after[1] == before[1], f"the refused sweep left runs or files behind: {before[1]} -> {after[1]}")
        hc.expect_error(d.get("/sweeps/1"), 404, "the refused sweep is stored")
        for run_id in (running, queued.json()["id"]):
            hc.wait_run(d, run_id, timeout=300)
        hc.expect_status(d.post("/sweeps?sizes=13B&repeat=2"), 201, "a sweep once there is room")
        hc.finish(d)


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    with hc.Daemon(wiremeter) as d:
        check(d.get("/sweeps").json() == {"sweeps": [], "next_before": None, "next": None},
              "GET /sweeps with none")
        test_sweep(d)
        newest = test_forms_and_wait(d)
        test_list(d, newest)
        hc.finish(d)
    test_queue_full(wiremeter)


if __name__ == "__main__":
    wmtest.main(test)
