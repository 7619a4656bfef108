#!/usr/bin/env python3
"""SIGTERM with a long run (issue 9, item 7, the runs' part): with
--drain 2 the drain is a bound. A run that would take far longer (64 GiB,
some 20 s here) is cancelled when the drain ends — its transfer and its
capture stop at once — and marked failed "interrupted by shutdown"; the
daemon exits with status 0 within 5 s of the signal.

Needs capture: exits 77 without, unless WIREMETER_REQUIRE_CAPTURE=1.

usage: test_drain.py WIREMETER
"""
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import storecommon as sc  # noqa: E402
from storecommon import check, hc, wmtest  # noqa: E402

SIZE = "64GiB"
DRAIN_S = 2
EXIT_WITHIN_S = 5


def budget_args(wiremeter):
    """Raises the run budget, where this binary has one, so that the long
    run is cut by the drain and not by its budget."""
    helptext = subprocess.run([wiremeter, "serve", "--help"], capture_output=True,
                              text=True).stdout + ""
    wanted = {"--max-packets": "100000000", "--max-pcap": "64GiB",
              "--max-duration": "3600"}
    args = []
    for flag, value in wanted.items():
        if flag in helptext:
            args += [flag, value]
    return args


def test(wiremeter):
    wmtest.require_capture(wiremeter)
    args = ["--max-size", SIZE, "--drain", str(DRAIN_S)] + budget_args(wiremeter)
    d = hc.Daemon(wiremeter, args=args)
    d.start()
    try:
        resp = d.post(f"/runs?size={SIZE}&wait=0")
        hc.expect_status(resp, 202, "POST the long run")
        run_id = resp.json()["id"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            doc = d.get(f"/runs/{run_id}").json()
            if doc["status"] == "running" and (doc.get("progress") or {}).get("bytes_done"):
                break
            check(doc["status"] in ("queued", "running"), f"the long run ended early: {doc}")
            time.sleep(0.05)
        signalled = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        try:
            rc = d.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            rc = None
        took = time.monotonic() - signalled
        print(f"exit {rc} {took:.2f} s after SIGTERM (drain {DRAIN_S} s)")
        check(rc == 0, f"exit status {rc}:\n{d.log()}")
        check(took <= EXIT_WITHIN_S, f"exited {took:.1f} s after SIGTERM, more than "
                                     f"{EXIT_WITHIN_S} s with --drain {DRAIN_S}")
        db = sqlite3.connect(os.path.join(d.data_dir, "wiremeter.db"))
        row = db.execute("SELECT status, error_code, error_message FROM runs WHERE id = ?",
                         (run_id,)).fetchone()
        db.close()
        check(row == ("failed", "interrupted", "interrupted by shutdown"),
              f"the long run after shutdown: {row}")
        left = [f for f in os.listdir(os.path.join(d.data_dir, "pcaps"))]
        check(left == [], f"files left by the interrupted run: {left}")
        for mark in ("Sanitizer", "runtime error:"):
            check(mark not in d.log(), f"sanitizer report:\n{d.log()}")
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()


if __name__ == "__main__":
    wm = wmtest.binary()
    wmtest.main(lambda: test(wm))
