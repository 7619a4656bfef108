#!/usr/bin/env python3
"""A full disk (issue 9, items 4 and 5): the data directory is a small
tmpfs, filled by the test.

- With a little room left, runs whose pcap cannot be written fail with a
  reason (code and message, no server path) and none is stored done with
  a short pcap: every done run's pcap re-analyses to its frame count.
- Filled to the last byte, /healthz answers 503 "degraded" and says why;
  new runs get 507.
- Restarted with a run left running by a crash on the full disk, the
  daemon starts (read-only), serves every earlier run, shows the crashed
  run failed from memory, refuses writes with 503/507, and once space is
  freed writes that failure and takes runs again without a restart.
- Below the free-space reserve (--min-free), runs and sweeps get 507.
- Nothing stored earlier is lost: every earlier run's document is as it
  was and its pcap still re-analyses.

Needs root (tmpfs) and capture: exits 77 without, unless
WIREMETER_REQUIRE_CAPTURE=1 makes that a failure.

usage: test_disk_full.py WIREMETER
"""
import os
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import storecommon as sc  # noqa: E402
from storecommon import check, hc, wmtest  # noqa: E402

BIG = "size=2MB&snaplen=full&wait=60"  # a pcap of 2 MB and more


def earlier_runs(d):
    for query in ("size=13B", "size=1MB", "size=100kB&snaplen=full"):
        hc.done_run(d.post(f"/runs?{query}&wait=60"), f"POST {query}")
    return sc.run_docs(d)


def runs_on_a_nearly_full_disk(wiremeter, d):
    sc.fill(d.data_dir, leave=256 << 10)
    seen_disk_failure = False
    for i in range(8):
        resp = d.post(f"/runs?{BIG if i % 2 == 0 else 'size=13B&wait=60'}")
        if resp.status in (503, 507):  # the store itself found no room
            hc.expect_error(resp, resp.status, "POST on a full disk")
            continue
        run = hc.created_run(resp, f"POST {i} on a nearly full disk")
        if run["status"] == "failed":
            sc.check_failure_reason(run, d, "nearly full disk")
            seen_disk_failure |= run["error"]["code"] in ("insufficient_storage", "read_only")
        sc.check_done_pcaps(wiremeter, d, [run], "nearly full disk")
    check(seen_disk_failure, "no run failed for want of space: the disk was not full enough")
    sc.check_done_pcaps(wiremeter, d, list(sc.run_docs(d).values()), "nearly full disk")


def full_disk(d):
    sc.fill(d.data_dir, name="filler2")
    resp = d.get("/healthz")
    hc.expect_status(resp, 503, "/healthz on a full disk")
    doc = resp.json()
    check(doc["status"] == "degraded" and doc["store"]["reason"]
          and doc["store"]["free_bytes"] == 0, f"/healthz on a full disk: {doc}")
    resp = d.post("/runs?size=13B")
    check(resp.status in (503, 507), f"POST on a full disk: {resp.status}")
    hc.expect_error(resp, resp.status, "POST on a full disk")


def crash_on_full_disk(wiremeter, d, before):
    """A run left running by a crash, on a disk without a byte left."""
    d.stop(signal.SIGKILL)
    for name in ("filler", "filler2"):
        os.remove(os.path.join(d.data_dir, name))
    db = sqlite3.connect(os.path.join(d.data_dir, "wiremeter.db"))
    crashed = max(before)
    db.execute("UPDATE runs SET status = 'running', result_json = NULL,"
               " finished_ns = NULL WHERE id = ?", (crashed,))
    sc.lose_outputs(db, d.data_dir, crashed)
    db.commit()
    db.close()
    sc.fill(d.data_dir)
    d.start()
    health = d.get("/healthz")
    hc.expect_status(health, 503, "/healthz after a restart on a full disk")
    check(health.json()["store"]["writable"] is False, f"/healthz: {health.json()}")
    run = d.get(f"/runs/{crashed}").json()
    check(run["status"] == "failed" and run["error"]["code"] == "interrupted",
          f"crashed run after the restart: {run}")
    for run_id, doc in before.items():
        if run_id != crashed:
            check(d.get(f"/runs/{run_id}").json() == doc, f"run {run_id} changed")
    for resp in (d.post("/runs?size=13B"), d.delete(f"/runs/{min(before)}")):
        check(resp.status in (503, 507), f"write on a read-only store: {resp.status}")
        err = hc.expect_error(resp, resp.status, "write on a read-only store")
        check(d.data_dir not in err["message"], f"message names a path: {err}")
    os.remove(os.path.join(d.data_dir, "filler"))
    deadline = time.monotonic() + 15
    while d.get("/healthz").status != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    check(d.get("/healthz").status == 200, f"store not writable again: {d.get('/healthz').json()}")
    d.stop()
    db = sqlite3.connect(os.path.join(d.data_dir, "wiremeter.db"))
    row = db.execute("SELECT status, error_code FROM runs WHERE id = ?", (crashed,)).fetchone()
    db.close()
    check(row == ("failed", "interrupted"), f"crashed run not written once there was room: {row}")
    d.start()
    return crashed


def reserve(wiremeter, data_dir, log):
    d = sc.Daemon(wiremeter, data_dir=data_dir, args=["--max-size", "16MB"])
    d.log_path = log
    with d:
        for path in ("/runs?size=13B", "/sweeps?sizes=13B,2kB"):
            err = hc.expect_error(d.post(path), 507, f"POST {path} below the reserve",
                                  code="insufficient_storage")
            check("reserve" in err["message"], f"507 without the reason: {err}")
        doc = d.get("/healthz").json()
        check(doc["status"] == "degraded" and "reserve" in doc["store"]["reason"],
              f"/healthz below the reserve: {doc}")
        hc.finish(d)


def test(wiremeter):
    sc.need_root("test_disk_full")
    wmtest.require_capture(wiremeter)
    with sc.tmpfs("24m") as data_dir:
        log = sc.log_outside(data_dir)
        # The variable, not the flag: a binary without the setting then
        # runs the test (and fails it) instead of refusing the flag.
        d = sc.Daemon(wiremeter, data_dir=data_dir, args=["--workers", "2"],
                      env={"WIREMETER_MIN_FREE": "0"})
        d.log_path = log
        try:
            with d:
                before = earlier_runs(d)
                runs_on_a_nearly_full_disk(wiremeter, d)
                full_disk(d)
                crashed = crash_on_full_disk(wiremeter, d, before)
                for run_id, doc in before.items():
                    if run_id != crashed:
                        check(d.get(f"/runs/{run_id}").json() == doc, f"run {run_id} lost or changed")
                sc.check_done_pcaps(wiremeter, d, list(sc.run_docs(d).values()), "at the end")
                hc.finish(d)
            for name in os.listdir(data_dir):
                if name.startswith("filler"):
                    os.remove(os.path.join(data_dir, name))
            reserve(wiremeter, data_dir, log)
        finally:
            print(open(log, errors="replace").read()[-3000:])
            os.remove(log)


if __name__ == "__main__":
    wm = wmtest.binary()
    wmtest.main(lambda: test(wm))
