#!/usr/bin/env python3
"""/sweeps: POST with sizes and repeat answers the lab's tables — per size
the packets, start, end and total time and average packet size, with the
median, min and max over the repeats, and the run ids — which must agree
with the runs themselves, run one after another (each under /runs, tied by sweep_id); GET
/sweeps/{id} gives the same document; wait=0 answers 202 at once; the JSON
body form works; a sweep the queue cannot take now is 429 with
Retry-After and leaves nothing stored.

usage: test_sweeps.py WIREMETER
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402

SIZES = [("13B", 13), ("2kB", 2000), ("439kB", 439000)]
REPEAT = 3


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


def test_forms_and_wait(d):
    resp = d.post("/sweeps?wait=0", {"sizes": "0,1kB", "repeat": 2, "direction": "upload"})
    hc.expect_status(resp, 202, "POST /sweeps wait=0")
    doc = resp.json()
    check(doc["status"] == "running" and doc["finished_ns"] is None, f"202 sweep: {doc['status']}")
    check(len(doc["runs"]) == 4 and any(r["status"] in ("queued", "running") for r in doc["runs"]),
          f"202 sweep with nothing pending: {doc['runs']}")
    for r in doc["runs"]:
        hc.wait_run(d, r["id"])
    final = d.get(f"/sweeps/{doc['id']}").json()
    check(final["status"] == "done" and final["params"]["direction"] == "upload"
          and [row["size"] for row in final["table"]] == [0, 1000]
          and all(row["pending"] == 0 and row["runs"] == 2 for row in final["table"]),
          f"the sweep after its runs: {final}")
    for r in final["runs"]:
        run = d.get(f"/runs/{r['id']}").json()
        hc.check_payload(run, r["size"], "upload", f"upload sweep run {r['id']}")
    form = d.post("/sweeps", "sizes=13B%2C2kB&repeat=1",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    hc.expect_status(form, 201, "POST /sweeps as a form")
    check([row["size"] for row in form.json()["table"]] == [13, 2000], "form sweep rows")


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
        test_sweep(d)
        test_forms_and_wait(d)
        hc.finish(d)
    test_queue_full(wiremeter)


if __name__ == "__main__":
    wmtest.main(test)
