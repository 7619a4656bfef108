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
- a queued or running run's series is 409, a missing run's 404; DELETE
  removes the series file with the run.

usage: test_series.py WIREMETER
"""
import os
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


def test_states(d, run):
    hc.expect_error(d.get("/runs/999999/series"), 404, "a missing run's series")
    resp = hc.post_run(d, f"{hc.LONG}&wait=0")
    hc.expect_status(resp, 202, "long run")
    busy = resp.json()
    resp = d.get(f"/runs/{busy['id']}/series")
    check(resp.status in (409, 200), f"a running run's series: {resp.status}")
    if resp.status == 409:
        hc.expect_error(resp, 409, "a running run's series", "id")
    hc.wait_run(d, busy["id"], timeout=300)
    pcaps = os.path.join(d.data_dir, "pcaps")
    check(f"{run['id']}.series.json" in os.listdir(pcaps), "no series file beside the pcap")
    hc.expect_status(d.delete(f"/runs/{run['id']}"), 204, "DELETE")
    left = [n for n in os.listdir(pcaps) if n.startswith(f"{run['id']}.")]
    check(not left, f"after DELETE: {left}")
    hc.expect_error(d.get(f"/runs/{run['id']}/series"), 404, "a deleted run's series")
    print("ok: 404 for a missing run, 409 while it runs, the file removed with the run")


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    with hc.Daemon(wiremeter, hc.LONG_ARGS) as d:
        run, doc = test_document(d)
        test_interval(d)
        test_csv(d, run, doc)
        test_states(d, run)
        hc.finish(d)


if __name__ == "__main__":
    wmtest.main(test)
