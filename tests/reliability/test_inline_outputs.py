#!/usr/bin/env python3
"""A small run's outputs in the database (--inline-max): a 13-byte run
makes no file in pcaps/, its pcap, packet rows and time series are rows of
run_outputs, and every route serves them as it serves files (the pcap's
bytes, its ranges and Last-Modified, the pages, the series as JSON and
CSV); an output past the limit is a file while the others of the same run
stay in the database; --inline-max 0 keeps files only; DELETE takes the
rows with the run; kill -9 right after runs end leaves every done run
with its outputs and every unfinished one with none; a bad value is
refused naming the setting.

Needs capture rights (exits 77 without them, fails under
WIREMETER_REQUIRE_CAPTURE=1).

usage: test_inline_outputs.py WIREMETER
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import httpcommon as hc  # noqa: E402
from httpcommon import check  # noqa: E402
import wmtest  # noqa: E402

KINDS = ("pcap", "rows", "series")


def files_of(d, run_id):
    return sorted(n for n in os.listdir(os.path.join(d.data_dir, "pcaps"))
                  if n.split(".")[0] == str(run_id))


def held_kinds(d, run_id):
    return sorted(k for k in KINDS if run_id in wmtest.held_outputs(d.data_dir, k))


def check_served(wiremeter, d, run):
    """Every route answers from wherever the outputs are, the same way."""
    run_id = run["id"]
    pcap = d.get(f"/runs/{run_id}/pcap")
    hc.expect_status(pcap, 200, "GET pcap")
    check(pcap.body == wmtest.run_output(d.data_dir, run_id, "pcap"), "the pcap served is not the stored one")
    check(pcap.header("Content-Length") == str(len(pcap.body)), "pcap Content-Length")
    part = hc.raw(d, "GET", f"/runs/{run_id}/pcap", headers={"Range": "bytes=4-13",
                                                            "If-Range": pcap.header("Last-Modified")})
    hc.expect_status(part, 206, "a range of the pcap")
    check(part.body == pcap.body[4:14], "the range is not those bytes")
    fd, path = tempfile.mkstemp(prefix="wm-inline-", suffix=".pcap")
    with os.fdopen(fd, "wb") as f:
        f.write(pcap.body)
    try:
        conn = hc.analyze(wiremeter, path)["connections"][0]
    finally:
        os.unlink(path)
    for key in hc.FRAGMENTS:
        check(conn[key] == run["result"][key], f"run {run_id}: analyze of the pcap: {key} differs")
    total = run["result"]["totals"]["packets"]
    rows, reported, _ = hc.packet_list(d, run_id, 3)
    check(reported == total and [p["no"] for p in rows] == list(range(1, total + 1)),
          f"run {run_id}: {len(rows)} rows of {reported}, the result says {total}")
    check(rows[:3] == run["result"]["handshake"]["packets"], "the first rows are not the handshake")
    check(run["links"].get("series") == f"/runs/{run_id}/series", f"links: {run['links']}")
    series = d.get(f"/runs/{run_id}/series")
    hc.expect_status(series, 200, "GET series")
    stored = json.loads(wmtest.run_output(d.data_dir, run_id, "series"))
    check(series.json() == {"run": run_id, **stored}, "the series served is not the stored one")
    csv = d.get(f"/runs/{run_id}/series?format=csv&table=kernel")
    hc.expect_status(csv, 200, "GET series as CSV")
    check(csv.body.startswith(b"t_ns,"), f"CSV: {csv.body[:40]!r}")


def test_small_and_large(wiremeter):
    with hc.Daemon(wiremeter) as d:
        small = hc.done_run(hc.post_run(d, "size=13B&wait=60"), "a 13B run")
        check(files_of(d, small["id"]) == [], f"a 13B run made files: {files_of(d, small['id'])}")
        check(held_kinds(d, small["id"]) == sorted(KINDS), f"held: {held_kinds(d, small['id'])}")
        check_served(wiremeter, d, hc.body_json(d.get(f"/runs/{small['id']}"), "GET run"))
        large = hc.done_run(hc.post_run(d, "size=1MB&snaplen=full&wait=60"), "a 1MB full-snaplen run")
        check(f"{large['id']}.pcap" in files_of(d, large["id"]), f"files: {files_of(d, large['id'])}")
        check("pcap" not in held_kinds(d, large["id"]), "a 1 MB pcap in the database")
        check_served(wiremeter, d, large)
        hc.expect_status(d.delete(f"/runs/{small['id']}"), 204, "DELETE")
        check(held_kinds(d, small["id"]) == [], "outputs outlived their run")
        hc.finish(d)
    print("ok: a 13B run makes no file and is served from the database; a 1 MB pcap is a file")


def test_limit(wiremeter):
    # Under 1 KiB: a 13-byte run's pcap (about 900 bytes), not its rows
    # or series: one run, both places.
    with hc.Daemon(wiremeter, ["--inline-max", "1KiB"]) as d:
        run = hc.done_run(hc.post_run(d, "size=13B&wait=60"), "13B, 1KiB limit")
        check(held_kinds(d, run["id"]) == ["pcap"], f"held: {held_kinds(d, run['id'])}")
        check(files_of(d, run["id"]) == sorted([f"{run['id']}.rows", f"{run['id']}.series.json"]),
              f"files: {files_of(d, run['id'])}")
        check_served(wiremeter, d, hc.body_json(d.get(f"/runs/{run['id']}"), "GET run"))
        hc.finish(d)
    with hc.Daemon(wiremeter, env={"WIREMETER_INLINE_MAX": "0"}) as d:
        run = hc.done_run(hc.post_run(d, "size=13B&wait=60"), "13B, files only")
        check(held_kinds(d, run["id"]) == [], f"held with 0: {held_kinds(d, run['id'])}")
        check(len(files_of(d, run["id"])) == 3, f"files: {files_of(d, run['id'])}")
        hc.finish(d)
    proc = subprocess.run([wiremeter, "serve", "--inline-max", "17MiB"], capture_output=True, text=True,
                          timeout=30)
    check(proc.returncode != 0 and "--inline-max" in proc.stderr and "16MiB" in proc.stderr,
          f"--inline-max 17MiB: {proc.returncode} {proc.stderr!r}")
    print("ok: past the limit a file, the rest in the database; 0 keeps files; 17MiB refused")


def test_kill9(wiremeter):
    """kill -9 right after runs end: each done one keeps what its commit
    held; the one still running has none, and fails."""
    with hc.Daemon(wiremeter, ["--workers", "1"] + hc.LONG_ARGS) as d:
        done = [hc.done_run(hc.post_run(d, "size=13B&wait=60"), f"run {i}") for i in range(3)]
        pcaps = {r["id"]: d.get(f"/runs/{r['id']}/pcap").body for r in done}
        unfinished = []
        for query in (f"{hc.LONG}&wait=0", "size=13B&wait=0"):  # running, then queued
            resp = hc.post_run(d, query)
            hc.expect_status(resp, 202, f"POST {query}")
            unfinished.append(resp.json()["id"])
        d.stop(signal.SIGKILL)
        db = sqlite3.connect(f"file:{os.path.join(d.data_dir, 'wiremeter.db')}?mode=ro", uri=True)
        check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check")
        db.close()
        d.start()
        for run_id, body in pcaps.items():
            doc = d.get(f"/runs/{run_id}").json()
            check(doc["status"] == "done", f"run {run_id} after kill -9: {doc['status']} {doc['error']}")
            check(d.get(f"/runs/{run_id}/pcap").body == body, f"run {run_id}: its pcap changed")
        for run_id in unfinished:
            doc = d.get(f"/runs/{run_id}").json()
            check(doc["status"] == "failed", f"run {run_id} after kill -9: {doc['status']}")
            check(held_kinds(d, run_id) == [] and files_of(d, run_id) == [],
                  f"unfinished run {run_id} left outputs")
        check("capture_lost" not in d.log(), f"a held pcap taken for lost:\n{d.log()}")
        check_served(wiremeter, d, d.get(f"/runs/{done[-1]['id']}").json())
        hc.finish(d)
    print("ok: kill -9 after the commit keeps the held outputs, takes none of an unfinished run")


def main():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    test_small_and_large(wiremeter)
    test_limit(wiremeter)
    test_kill9(wiremeter)
    print("ok")


if __name__ == "__main__":
    main()
