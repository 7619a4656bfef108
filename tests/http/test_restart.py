#!/usr/bin/env python3
"""kill -9 during runs, then a restart on the same data directory: the
database is sound, every run that had ended is intact (the same document,
the same pcap bytes, still re-analysed to the same JSON), the runs that
were running or queued are failed "interrupted by restart" with no capture
left behind, their sweep is failed too, and the daemon works on.

usage: test_restart.py WIREMETER
"""
import os
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402


def ended_runs(d):
    """{id: (document, pcap bytes or None)} of every run that ended."""
    out = {}
    for row in hc.all_runs(d):
        doc = d.get(f"/runs/{row['id']}").json()
        check(doc["status"] in ("done", "failed"), f"run {row['id']} is {doc['status']}")
        pcap = None
        if doc["status"] == "done":
            resp = d.get(f"/runs/{row['id']}/pcap")
            hc.expect_status(resp, 200, f"pcap of run {row['id']}")
            pcap = resp.body
        out[row["id"]] = (doc, pcap)
    return out


def start_unfinished(d):
    """One run part-way through, runs queued behind it, and a sweep whose
    runs are all queued. Returns their ids."""
    running = hc.post_run(d, f"{hc.LONG}&wait=0").json()["id"]
    queued = [hc.post_run(d, f"size={s}&wait=0").json()["id"] for s in ("13B", "1MB")]
    sweep = d.post("/sweeps?sizes=13B,2kB&repeat=2&wait=0")
    hc.expect_status(sweep, 202, "sweep with wait=0")
    sweep = sweep.json()
    deadline = time.monotonic() + 120
    while True:
        doc = d.get(f"/runs/{running}").json()
        if doc["status"] == "running" and doc["progress"]["bytes_done"] > 0:
            break
        check(doc["status"] in ("queued", "running"), f"the long run ended too soon: {doc['status']}")
        check(time.monotonic() < deadline, "the long run never got going")
        time.sleep(0.01)
    return running, queued, sweep


def check_database(data_dir):
    """The file a kill -9 left: SQLite's own integrity check, in WAL mode,
    read-only so as to change nothing."""
    db = sqlite3.connect(f"file:{os.path.join(data_dir, 'wiremeter.db')}?mode=ro", uri=True)
    try:
        check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check failed")
        check(db.execute("PRAGMA journal_mode").fetchone()[0] == "wal", "the database is not in WAL mode")
    finally:
        db.close()


def kill_during_runs(wiremeter, d):
    """Ended runs, then unfinished ones, then kill -9. Returns what the
    restart must show."""
    for query in ("size=13B", "size=2kB&direction=upload&label=kept", "size=1MB&snaplen=full"):
        hc.done_run(hc.post_run(d, query), f"POST {query}")
    hc.expect_status(d.post("/sweeps?sizes=13B,2kB&repeat=2"), 201, "a finished sweep")
    before = ended_runs(d)
    running, queued, sweep = start_unfinished(d)
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait(timeout=30)
    check(d.proc.returncode == -signal.SIGKILL, f"the daemon died of {d.proc.returncode}")
    check_database(d.data_dir)
    tmp = [f for f in os.listdir(os.path.join(d.data_dir, "pcaps")) if f.endswith(".tmp")]
    check(tmp == [f"{running}.pcap.tmp"], f"partial captures at the kill: {tmp}")
    return before, [running] + queued + [r["id"] for r in sweep["runs"]], sweep["id"]


def check_recovered(wiremeter, d, before, unfinished, sweep_id):
    check(f"{len(unfinished)} run(s) left unfinished" in d.log(),
          f"start-up does not report {len(unfinished)} recovered runs:\n{d.log()}")
    after = ended_runs(d)
    check(set(after) == set(before) | set(unfinished),
          f"runs after restart {sorted(after)}, expected {sorted(set(before) | set(unfinished))}")
    for run_id, (doc, pcap) in before.items():
        check(hc.jdump(after[run_id][0]) == hc.jdump(doc), f"run {run_id} changed across the kill")
        check(after[run_id][1] == pcap, f"the pcap of run {run_id} changed across the kill")
        if pcap is not None:
            path = os.path.join(d.data_dir, "pcaps", f"{run_id}.pcap")
            conn = hc.analyze(wiremeter, path)["connections"][0]
            for key in hc.FRAGMENTS:
                check(conn[key] == doc["result"][key], f"run {run_id}: {key} no longer re-analyses")
    for run_id in unfinished:
        doc = after[run_id][0]
        check(doc["status"] == "failed" and doc["error"] == {"code": "interrupted",
                                                               "message": "interrupted by restart"},
              f"run {run_id} after the kill: {doc['status']} {doc['error']}")
        check(doc["finished_ns"] and doc["result"] is None, f"run {run_id}: {doc}")
        hc.expect_error(d.get(f"/runs/{run_id}/pcap"), 404, f"pcap of interrupted run {run_id}")
    files = sorted(os.listdir(os.path.join(d.data_dir, "pcaps")))
    # A done run's packet rows (<id>.rows) and time series
    # (<id>.series.json) live beside its pcap; one that a crash left
    # without it would be an orphan.
    pcaps = [f for f in files if not f.endswith((".rows", ".series.json"))]
    check(sorted(f for f in files if f.endswith(".series.json")) ==
          sorted(f"{i}.series.json" for i, (_, p) in before.items() if p is not None),
          f"series files after recovery: {files}")
    check(pcaps == sorted(f"{i}.pcap" for i, (_, p) in before.items() if p is not None),
          f"pcap files after recovery: {files}")
    check(all(f[:-len(".rows")] + ".pcap" in pcaps for f in files if f.endswith(".rows")),
          f"a rows file without its pcap after recovery: {files}")
    s = d.get(f"/sweeps/{sweep_id}").json()
    check(s["status"] == "failed" and s["finished_ns"], f"the interrupted sweep is {s['status']}")
    check(all(r["status"] == "failed" for r in s["runs"]), f"sweep runs {s['runs']}")
    return after


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    # Every output a file (--inline-max 0): this is about the files a kill
    # leaves behind; reliability/test_inline_outputs.py kills a daemon
    # that keeps small runs' outputs in its database.
    with hc.Daemon(wiremeter, ["--workers", "1", "--inline-max", "0"] + hc.LONG_ARGS) as d:
        before, unfinished, sweep_id = kill_during_runs(wiremeter, d)
        d.start()
        after = check_recovered(wiremeter, d, before, unfinished, sweep_id)
        fresh = hc.done_run(hc.post_run(d, "size=2kB"), "a run after the restart")
        check(fresh["id"] > max(after), f"new run id {fresh['id']} reuses an old one")
        hc.finish(d)
        check(d.stop() == 0, "exit status after SIGTERM")
        d.start()
        check(d.log().count("left unfinished") == 1, f"a clean stop left runs to recover:\n{d.log()}")
        check(d.stop() == 0, "exit status")


if __name__ == "__main__":
    wmtest.main(test)
