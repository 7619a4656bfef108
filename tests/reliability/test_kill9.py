#!/usr/bin/env python3
"""A kill -9 campaign (issue 9, items 5 and 12): the daemon is killed at
random moments while clients start runs and sweeps, delete runs, and
retention (--history) prunes; after each restart:

- PRAGMA integrity_check is ok (Python's sqlite3, read-only);
- no run is left queued or running (each became failed "interrupted");
- files and rows agree: a <id>.pcap for every done run and none other, no
  partial <id>.pcap.tmp (a kill between a deletion's commit and its unlink
  used to leave the file forever);
- no acknowledged run is lost: every run a POST answered is still there,
  unless a DELETE was sent for it or retention may have taken it (at least
  --history finished runs newer than it, kept or deleted); a run answered
  done is still done.

WM_KILL9_COUNT sets the number of kills (default 50, the CI length, about
a minute and a half; e.g. WM_KILL9_COUNT=1000 for a long campaign).
WM_KILL9_SEED makes the moments reproducible (printed at start).

Needs capture: exits 77 without, unless WIREMETER_REQUIRE_CAPTURE=1.

usage: test_kill9.py WIREMETER
"""
import http.client
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import storecommon as sc  # noqa: E402
from storecommon import check, hc, wmtest  # noqa: E402

HISTORY = 25
SIZES = ["13B", "2kB", "100kB", "1MB"]


class Ledger:
    """What the clients were told, shared by their threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}          # id -> "done" or "accepted"
        self.delete_sent = set()

    def ack(self, run_id, status):
        with self.lock:
            if self.acked.get(run_id) != "done":
                self.acked[run_id] = "done" if status == "done" else "accepted"


def call(port, method, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, json.loads(body) if body else None
    finally:
        conn.close()


def runner(port, ledger, stop, rng):
    while not stop.is_set():
        try:
            status, doc = call(port, "POST", f"/runs?size={rng.choice(SIZES)}"
                                             f"&wait={rng.choice([0, 0, 2])}")
            if status in (201, 202):
                ledger.ack(doc["id"], doc["status"])
        except (OSError, http.client.HTTPException, ValueError):
            time.sleep(0.02)


def sweeper(port, ledger, stop, rng):
    while not stop.is_set():
        try:
            status, doc = call(port, "POST", "/sweeps?sizes=13B,2kB,10kB&wait=0")
            if status in (201, 202):
                for run in doc.get("runs", []):
                    ledger.ack(run["id"], "accepted")
            time.sleep(rng.uniform(0.05, 0.3))
        except (OSError, http.client.HTTPException, ValueError):
            time.sleep(0.02)


def deleter(port, ledger, stop, rng):
    while not stop.is_set():
        with ledger.lock:
            ids = list(ledger.acked)
        if not ids:
            time.sleep(0.02)
            continue
        run_id = rng.choice(ids[-40:])
        with ledger.lock:
            ledger.delete_sent.add(run_id)
        try:
            call(port, "DELETE", f"/runs/{run_id}")
        except (OSError, http.client.HTTPException, ValueError):
            pass
        time.sleep(rng.uniform(0.01, 0.1))


def check_integrity(data_dir):
    db = sqlite3.connect(f"file:{os.path.join(data_dir, 'wiremeter.db')}?mode=ro", uri=True)
    try:
        result = db.execute("PRAGMA integrity_check").fetchall()
    finally:
        db.close()
    check(result == [("ok",)], f"integrity_check: {result}")


def check_files(data_dir, runs, kill):
    done = {r["id"] for r in runs if r["status"] == "done"}
    names = os.listdir(os.path.join(data_dir, "pcaps"))
    partial = [n for n in names if n.endswith(".tmp")]
    check(not partial, f"after kill {kill}: partial files left: {partial}")
    pcaps = {int(n.split(".")[0]) for n in names if n.endswith(".pcap")}
    # A small run's pcap is in the database, written in the commit that
    # says done: never one without the other either.
    pcaps |= set(wmtest.held_outputs(data_dir, "pcap"))
    check(pcaps == done, f"after kill {kill}: pcaps of no done run {sorted(pcaps - done)}, "
                         f"done runs without a pcap {sorted(done - pcaps)}")


def check_runs(runs, ledger, kill):
    unfinished = [r["id"] for r in runs if r["status"] not in ("done", "failed")]
    check(not unfinished, f"after kill {kill}: runs left unfinished: {unfinished}")
    present = {r["id"]: r["status"] for r in runs}
    gone_ok = ledger.delete_sent
    for run_id, acked in ledger.acked.items():
        if run_id in gone_ok:
            continue
        if run_id not in present:
            newer = sum(1 for i in present if i > run_id) + \
                sum(1 for i in gone_ok if i > run_id and i not in present)
            check(newer >= HISTORY, f"after kill {kill}: acknowledged run {run_id} "
                                    f"lost ({newer} newer runs, history {HISTORY})")
        elif acked == "done":
            check(present[run_id] == "done",
                  f"after kill {kill}: run {run_id} was answered done, is {present[run_id]}")


def one_cycle(d, ledger, rng, kill):
    d.start()
    check_integrity(d.data_dir)
    runs = hc.all_runs(d)
    check_runs(runs, ledger, kill)
    check_files(d.data_dir, runs, kill)
    stop = threading.Event()
    threads = [threading.Thread(target=f, args=(d.port, ledger, stop, random.Random(rng.random())))
               for f in (runner, runner, runner, sweeper, deleter)]
    for t in threads:
        t.start()
    time.sleep(rng.uniform(0.2, 1.2))
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    stop.set()
    for t in threads:
        t.join()


def test(wiremeter):
    wmtest.require_capture(wiremeter)
    count = int(os.environ.get("WM_KILL9_COUNT", "50"))
    seed = int(os.environ.get("WM_KILL9_SEED", str(int(time.time()))))
    print(f"{count} kills, seed {seed}")
    rng = random.Random(seed)
    ledger = Ledger()
    d = sc.Daemon(wiremeter, args=["--history", str(HISTORY), "--workers", "2"])
    started = time.monotonic()
    try:
        for kill in range(1, count + 1):
            one_cycle(d, ledger, rng, kill)
        d.start()
        check_integrity(d.data_dir)
        runs = hc.all_runs(d)
        check_runs(runs, ledger, count)
        check_files(d.data_dir, runs, count)
        hc.finish(d)
        d.stop()
        print(f"{count} kills in {time.monotonic() - started:.0f} s: "
              f"{len(ledger.acked)} runs acknowledged, {len(ledger.delete_sent)} deletions sent, "
              f"{len(runs)} runs kept")
        shutil.rmtree(d.data_dir, ignore_errors=True)
    except BaseException:
        if d.proc and d.proc.poll() is None:
            d.proc.kill()
        print(f"data directory kept: {d.data_dir}\n{d.log()[-3000:]}")
        raise


if __name__ == "__main__":
    wm = wmtest.binary()
    wmtest.main(lambda: test(wm))
