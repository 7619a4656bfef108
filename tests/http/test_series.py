#!/usr/bin/env python3
"""GET /runs/{id}/series on a real daemon (issue 13, the time series):

- a loopback run's series: every table present, validated against the
  OpenAPI document like every JSON answer of this suite (closed schemas),
  "source" receiver, "run" its id, t_ns on one axis from its first SYN,
  the segments reaching the stream's end, the throughput their bytes
  (retransmissions included), the goodput the run's size, the kernel's samples within the bound with a positive cwnd;
- `interval=1000` is the interval the series uses;
- ?format=csv&table=NAME for every table: a header of the JSON field
  names (t_ns first) and a line per row of the JSON; an unknown table,
  a CSV without a table, a table without CSV and an unknown format are
  400 naming the parameter and what is allowed;
- a done run's links name its series (the POST's answer, GET /runs/{id}
  and the list), a queued or running run's do not; a run whose series
  file is gone (stored before series were kept) names none;
- a queued or running run's series is 409, a missing run's 404; DELETE
  removes the series file with the run;
- a daemon started with small --series-points and --series-samples
  (WIREMETER_SERIES_SAMPLES from the environment) keeps at most that many
  rows per table and samples, says "truncated" and names its bounds.

usage: test_series.py WIREMETER
"""
import contextlib
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402

TABLES = ["kernel", "throughput", "goodput", "rtt", "in_flight", "window", "segments", "acks"]
ALLOWED = "kernel, throughput, goodput, rtt, in_flight, window, segments or acks"


def series(d, run_id):
    resp = d.get(f"/runs/{run_id}/series")
    hc.expect_status(resp, 200, "GET series")
    return hc.body_json(resp, "GET series")


def test_document(d):
    run = hc.done_run(hc.post_run(d, "size=2MB"), "2MB")
    link = f"/runs/{run['id']}/series"
    check(run["links"].get("series") == link, f"the POST's links: {run['links']}")
    got = hc.body_json(d.get(f"/runs/{run['id']}"), "GET run")
    check(got["links"].get("series") == link, f"GET /runs/{{id}}'s links: {got['links']}")
    listed = hc.body_json(d.get("/runs"), "GET /runs")["runs"]
    check([r["links"].get("series") for r in listed if r["id"] == run["id"]] == [link],
          "the list's links name no series")
    print(f"ok: links.series {link} in the POST's answer, GET /runs/{{id}} and the list")
    doc = series(d, run["id"])
    check(doc["run"] == run["id"] and doc["source"] == "receiver", f"run/source: {doc['run']}")
    for table in TABLES[1:]:
        check(doc[table], f"table {table} is empty")
    # Retransmissions (a loaded loopback has some) are sent again: the
    # segments reach the stream's end, and the throughput counts them all.
    end = max(s["seq"] + s["len"] for s in doc["segments"])
    check(end == 1 + 2000000, f"segments end at {end}")
    sent = sum(s["len"] for s in doc["segments"])
    check(sent >= 2000000 and sum(s["bytes"] for s in doc["throughput"]) == sent,
          f"segments' {sent} bytes, throughput's")
    check(sum(s["bytes"] for s in doc["goodput"]) == 2000000, "goodput's bytes")
    check(not any(s["lost_on_link"] for s in doc["segments"]), "lost on loopback")
    step = doc["interval_ns"]
    check(all(r["t_ns"] == i * step for i, r in enumerate(doc["throughput"])),
          "throughput is not one row per interval")
    samples = doc["kernel"]["samples"]
    check(2 <= len(samples) <= doc["bounds"]["samples"], f"{len(samples)} samples")
    check(all(s["cwnd"] > 0 for s in samples), "a sample with cwnd 0")
    check(samples[-1]["bytes_acked"] >= 2000000, f"last sample {samples[-1]}")
    times = [s["t_ns"] for s in samples]
    check(times == sorted(times) and times[0] >= 0, "samples out of order")
    check(doc["segments"][0]["seq"] == 1, f"first segment {doc['segments'][0]}")
    print(f"ok: series of run {run['id']}: {len(samples)} kernel samples every "
          f"{step} ns, {len(doc['segments'])} segments, {len(doc['rtt'])} RTTs")
    return run, doc


def test_interval(d):
    run = hc.done_run(hc.post_run(d, "size=1MB&interval=1000"), "interval=1000")
    check(run["params"]["interval"] == 1000, f"params {run['params'].get('interval')}")
    doc = series(d, run["id"])
    check(doc["interval_ns"] == 1000000, f"interval_ns {doc['interval_ns']}")
    run = hc.done_run(hc.post_run(d, "size=1kB&interval=auto"), "interval=auto")
    check(run["params"]["interval"] == 0, f"auto: params {run['params'].get('interval')}")
    hc.expect_error(d.post("/runs?size=1kB&interval=50"),
                    400, "interval=50", parameter="interval")
    print("ok: interval=1000 samples every 1 ms; 50 us is refused")


def test_csv(d, run, doc):
    for table in TABLES:
        resp = d.get(f"/runs/{run['id']}/series?format=csv&table={table}")
        hc.expect_status(resp, 200, f"CSV {table}")
        check(resp.header("Content-Type").startswith("text/csv"), f"{table}: content type")
        lines = resp.body.decode().splitlines()
        rows = doc["kernel"]["samples"] if table == "kernel" else doc[table]
        check(lines[0].split(",") == list(rows[0].keys()),
              f"{table}: header {lines[0]!r}, JSON fields {list(rows[0].keys())}")
        check(len(lines) == len(rows) + 1, f"{table}: {len(lines) - 1} lines, {len(rows)} rows")
        first = lines[1].split(",")
        for name, cell in zip(lines[0].split(","), first):
            value = rows[0][name]
            want = "" if value is None else str(value).lower() if isinstance(value, bool) \
                else str(round(value)) if isinstance(value, float) else str(value)
            check(cell == want, f"{table}.{name}: CSV {cell!r}, JSON {value!r}")
    base = f"/runs/{run['id']}/series"
    err = hc.expect_error(d.get(base + "?format=csv&table=cwnd"), 400, "table=cwnd", "table")
    check(ALLOWED in err["message"], f"unknown table: {err['message']}")
    err = hc.expect_error(d.get(base + "?format=csv"), 400, "CSV without table", "table")
    check(ALLOWED in err["message"], f"CSV without table: {err['message']}")
    hc.expect_error(d.get(base + "?table=rtt"), 400, "table without CSV", "table")
    hc.expect_error(d.get(base + "?format=xml"), 400, "format=xml", "format")
    print(f"ok: CSV of {len(TABLES)} tables, headers the JSON's fields; bad queries refused")


def hide_series(data_dir, run_id):
    """Takes run_id's series away, file or database row; what
    restore_series puts back."""
    path = os.path.join(data_dir, "pcaps", f"{run_id}.series.json")
    if os.path.exists(path):
        os.rename(path, path + ".kept")
        return None
    data = wmtest.held_outputs(data_dir, "series")[run_id]
    with contextlib.closing(sqlite3.connect(os.path.join(data_dir, "wiremeter.db"), timeout=30)) as db:
        db.execute("DELETE FROM run_outputs WHERE run_id = ? AND kind = 'series'", (run_id,))
        db.commit()
    return data


def restore_series(data_dir, run_id, hidden):
    path = os.path.join(data_dir, "pcaps", f"{run_id}.series.json")
    if hidden is None:
        os.rename(path + ".kept", path)
        return
    with contextlib.closing(sqlite3.connect(os.path.join(data_dir, "wiremeter.db"), timeout=30)) as db:
        db.execute("INSERT INTO run_outputs (run_id, kind, data) VALUES (?, 'series', ?)", (run_id, hidden))
        db.commit()


def test_states(d, run):
    hc.expect_error(d.get("/runs/999999/series"), 404, "a missing run's series")
    resp = hc.post_run(d, f"{hc.LONG}&wait=0")
    hc.expect_status(resp, 202, "long run")
    busy = resp.json()
    check("series" not in busy["links"], f"a queued run's links: {busy['links']}")
    resp = d.get(f"/runs/{busy['id']}/series")
    check(resp.status in (409, 200), f"a running run's series: {resp.status}")
    if resp.status == 409:
        hc.expect_error(resp, 409, "a running run's series", "id")
    hc.wait_run(d, busy["id"], timeout=300)
    pcaps = os.path.join(d.data_dir, "pcaps")
    # As a run stored before series were kept (the daemon's cache of done
    # runs is its memory: a restart is what an upgrade does). A small
    # run's series is in the database rather than a file.
    hidden = hide_series(d.data_dir, busy["id"])
    d.restart()
    old = hc.body_json(d.get(f"/runs/{busy['id']}"), "GET a run without its series file")
    check(old["status"] == "done" and "series" not in old["links"], f"links without the file: {old['links']}")
    restore_series(d.data_dir, busy["id"], hidden)
    check(wmtest.run_output(d.data_dir, run["id"], "series") is not None, "no series stored with the run")
    hc.expect_status(d.delete(f"/runs/{run['id']}"), 204, "DELETE")
    left = [n for n in os.listdir(pcaps) if n.startswith(f"{run['id']}.")]
    check(not left, f"after DELETE: {left}")
    check(wmtest.run_output(d.data_dir, run["id"], "series") is None, "the series outlived its run")
    hc.expect_error(d.get(f"/runs/{run['id']}/series"), 404, "a deleted run's series")
    print("ok: 404 for a missing run, 409 while it runs, the file removed with the run; "
          "links.series only where the file is")


POINTS, SAMPLES = 20, 3


def test_bounds(wiremeter):
    with hc.Daemon(wiremeter, hc.LONG_ARGS + ["--series-points", str(POINTS)],
                   env={"WIREMETER_SERIES_SAMPLES": str(SAMPLES)}) as d:
        run = hc.done_run(hc.post_run(d, "size=8MB"), "8MB")
        doc = series(d, run["id"])
        check(doc["bounds"] == {"samples": SAMPLES, "points": POINTS}, f"bounds {doc['bounds']}")
        rows = {t: len(doc[t]) for t in TABLES[1:]}
        check(all(n <= POINTS for n in rows.values()), f"rows per table over {POINTS}: {rows}")
        check(POINTS in rows.values(), f"no table reached {POINTS} rows: {rows}")
        samples = len(doc["kernel"]["samples"])
        check(2 <= samples <= SAMPLES, f"{samples} kernel samples, bound {SAMPLES}")
        check(doc["truncated"] is True, "a series cut at its bounds is not marked truncated")
        hc.finish(d)
    print(f"ok: --series-points {POINTS}, WIREMETER_SERIES_SAMPLES={SAMPLES}: rows {rows}, "
          f"{samples} samples, truncated")


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    with hc.Daemon(wiremeter, hc.LONG_ARGS) as d:
        run, doc = test_document(d)
        test_interval(d)
        test_csv(d, run, doc)
        test_states(d, run)
        hc.finish(d)
    test_bounds(wiremeter)


if __name__ == "__main__":
    wmtest.main(test)
