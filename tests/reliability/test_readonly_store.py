#!/usr/bin/env python3
"""A read-only data directory (issue 9, item 5): the daemon is stopped
with a run left running (as a crash leaves it), the tmpfs holding its data
directory is remounted read-only, and the daemon restarted.

It must start read-only: GETs answer as before (every run, its pcap, its
packets, the sweep), the crashed run shows failed "interrupted" (from
memory: nothing can be written), POST /runs, POST /sweeps and DELETE answer
503 with code read_only and a reason naming no path, and /healthz answers
503 "degraded" saying why. Made writable again, the daemon takes runs
again without a restart and writes the crashed run's failure.

Needs root (tmpfs) and capture: exits 77 without, unless
WIREMETER_REQUIRE_CAPTURE=1 makes that a failure.

usage: test_readonly_store.py WIREMETER
"""
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import storecommon as sc  # noqa: E402
from storecommon import check, hc, wmtest  # noqa: E402


def make_history(d):
    for query in ("size=13B", "size=1MB", "size=2kB&label=ro"):
        hc.done_run(d.post(f"/runs?{query}&wait=60"), f"POST {query}")
    resp = d.post("/sweeps?sizes=13B,2kB&wait=60")
    hc.expect_status(resp, 201, "POST /sweeps")
    return sc.run_docs(d), resp.json()


def crash_a_run(data_dir, docs):
    """The newest run as a process killed in its middle leaves it."""
    crashed = max(docs)
    db = sqlite3.connect(os.path.join(data_dir, "wiremeter.db"))
    db.execute("UPDATE runs SET status = 'running', result_json = NULL,"
               " finished_ns = NULL WHERE id = ?", (crashed,))
    sc.lose_outputs(db, data_dir, crashed)
    db.commit()
    db.close()
    return crashed


def check_read_only(d, docs, sweep, crashed):
    health = d.get("/healthz")
    hc.expect_status(health, 503, "/healthz on a read-only store")
    h = health.json()
    check(h["status"] == "degraded" and h["store"]["read_only"] is True
          and "read-only" in (h["store"]["reason"] or ""), f"/healthz: {h}")
    for run_id, doc in docs.items():
        got = d.get(f"/runs/{run_id}").json()
        if run_id == crashed:
            check(got["status"] == "failed" and got["error"]["code"] == "interrupted",
                  f"crashed run {run_id} on a read-only store: {got}")
            continue
        check(got == doc, f"run {run_id} differs on the read-only store")
        hc.expect_status(d.get(f"/runs/{run_id}/pcap"), 200, f"pcap of run {run_id}")
        hc.expect_status(d.get(f"/runs/{run_id}/packets?limit=5"), 200,
                         f"packets of run {run_id}")
    hc.expect_status(d.get(f"/sweeps/{sweep['id']}"), 200, "GET /sweeps/{id}")
    hc.expect_status(d.get("/runs"), 200, "GET /runs")
    for method, path in (("POST", "/runs?size=13B"), ("POST", "/sweeps?sizes=13B"),
                         ("DELETE", f"/runs/{min(docs)}")):
        resp = d.post(path) if method == "POST" else d.delete(path)
        err = hc.expect_error(resp, 503, f"{method} {path} on a read-only store",
                              code="read_only")
        check("read-only" in err["message"] and d.data_dir not in err["message"],
              f"{method} {path}: {err}")


def test(wiremeter):
    sc.need_root("test_readonly_store")
    wmtest.require_capture(wiremeter)
    with sc.tmpfs("32m") as data_dir:
        log = sc.log_outside(data_dir)
        d = sc.Daemon(wiremeter, data_dir=data_dir, env={"WIREMETER_MIN_FREE": "0"})
        d.log_path = log
        try:
            d.start()
            docs, sweep = make_history(d)
            d.stop()
            crashed = crash_a_run(data_dir, docs)
            sc.remount(data_dir, "ro")
            d.start()
            check_read_only(d, docs, sweep, crashed)
            hc.finish(d)
            d.stop()
            check(d.proc.returncode == 0, f"exit status {d.proc.returncode} on a read-only store")
            sc.remount(data_dir, "rw")
            d.start()
            deadline = time.monotonic() + 10
            while d.get("/healthz").status != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
            hc.expect_status(d.get("/healthz"), 200, "/healthz once writable again")
            hc.done_run(d.post("/runs?size=13B&wait=60"), "POST once writable again")
            d.stop()
        finally:
            if d.proc and d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait()
            print(open(log, errors="replace").read()[-2500:])
            os.remove(log)


if __name__ == "__main__":
    wm = wmtest.binary()
    wmtest.main(lambda: test(wm))
