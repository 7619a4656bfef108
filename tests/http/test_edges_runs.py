#!/usr/bin/env python3
"""The run queue and the history at their exact edge (needs capture:
exits 77 without it, fails under WIREMETER_REQUIRE_CAPTURE=1).

- --queue 1: one run is taken (the queue's last free slot is a slot);
- --queue 2: a sweep of exactly 2 sizes is taken, one of 3 refused;
- --history 1: after two runs, exactly one is kept (the newest);
- a range of the pcap ending exactly at its size, and one of its last byte.

Usage: test_edges_runs.py WIREMETER
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402


def pcap_ranges(d, run_id):
    """Ranges of the run's pcap at its end: a last byte of exactly the size
    is clamped to the size - 1; a range of one byte is one byte."""
    whole = d.get(f"/runs/{run_id}/pcap")
    check(whole.status == 200, f"pcap: {whole.status}")
    size = len(whole.body)
    # A short timeout: a range past the end must not leave the answer hanging.
    resp = d.get(f"/runs/{run_id}/pcap", headers={"Range": f"bytes=0-{size}"}, timeout=20)
    check(resp.status == 206 and resp.header("Content-Range") == f"bytes 0-{size - 1}/{size}"
          and resp.body == whole.body, f"bytes=0-{size}: {resp.status} {resp.header('Content-Range')}")
    resp = d.get(f"/runs/{run_id}/pcap", headers={"Range": f"bytes={size - 1}-{size - 1}"},
                 timeout=20)
    check(resp.status == 206 and resp.body == whole.body[-1:],
          f"the last byte alone: {resp.status} {resp.header('Content-Range')} {len(resp.body)}")


def main():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    with hc.Daemon(wiremeter, ["--workers", "1", "--queue", "1", "--history", "1"]) as d:
        first = hc.done_run(hc.post_run(d, "size=13B"), "a run into a queue of 1")
        second = hc.done_run(hc.post_run(d, "size=2kB"), "a second run")
        pcap_ranges(d, second["id"])
        # Retention runs just after a run's waiters are woken: wait for it
        # (bounded), then the list must hold the newest run alone.
        deadline = time.monotonic() + 30
        ids = [r["id"] for r in hc.all_runs(d)]
        while len(ids) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
            ids = [r["id"] for r in hc.all_runs(d)]
        check(ids == [second["id"]], f"--history 1 keeps the newest run only: {ids}")
        check(d.get(f"/runs/{first['id']}").status == 404, "the older run is gone")
        hc.finish(d)
    with hc.Daemon(wiremeter, ["--workers", "1", "--queue", "2"]) as d:
        resp = d.post("/sweeps?sizes=13B,2kB&repeat=1")
        check(resp.status in (201, 202), f"a sweep of exactly --queue runs: {resp.status} {resp.body[:300]}")
        resp = d.post("/sweeps?sizes=13B,2kB,4kB&repeat=1")
        check(resp.status == 400 and b"--queue" in resp.body,
              f"a sweep of --queue + 1 runs: {resp.status} {resp.body[:300]}")
        hc.finish(d)


if __name__ == "__main__":
    wmtest.main(main)
