#!/usr/bin/env python3
"""Retention and sweeps (issue 9, item 10): with --history 3, a sweep of 5
sizes must end done with all 5 sizes — retention never prunes the runs of
a sweep that is still running — and a sweep's runs go together: while any
of them is among the 3 newest finished runs the whole sweep stays, and once
all are older it goes whole (the sweep with them), never part of it.

Needs capture: exits 77 without, unless WIREMETER_REQUIRE_CAPTURE=1.

usage: test_retention_sweep.py WIREMETER
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import storecommon as sc  # noqa: E402
from storecommon import check, hc, wmtest  # noqa: E402

SIZES = ["13B", "2kB", "10kB", "20kB", "30kB"]


def sweep_runs(d, sweep_id):
    return sorted(r["id"] for r in hc.all_runs(d) if r["sweep_id"] == sweep_id)


def test(wiremeter):
    wmtest.require_capture(wiremeter)
    with hc.Daemon(wiremeter, args=["--history", "3", "--workers", "2"]) as d:
        hc.done_run(d.post("/runs?size=13B&wait=60"), "a run before the sweep")
        resp = d.post(f"/sweeps?sizes={','.join(SIZES)}&wait=120")
        hc.expect_status(resp, 201, "POST /sweeps")
        doc = resp.json()
        check(doc["status"] == "done", f"sweep: {doc['status']}")
        check([row["size_text"] for row in doc["table"]] == SIZES,
              f"the sweep answered {len(doc['table'])} of 5 sizes: "
              f"{[row['size_text'] for row in doc['table']]}")
        for row in doc["table"]:
            check(row["runs"] == 1 and row["failed"] == 0 and len(row["run_ids"]) == 1,
                  f"sweep row {row['size_text']}: {row}")
        ids = [r["id"] for r in doc["runs"]]
        check(sweep_runs(d, doc["id"]) == sorted(ids), "a run of the sweep is gone")
        # One newer run: the sweep's newest runs are still among the 3
        # kept, so all 5 stay (more than 3 runs are kept, never part of it).
        hc.done_run(d.post("/runs?size=13B&wait=60"), "a run after the sweep")
        check(sweep_runs(d, doc["id"]) == sorted(ids), "the sweep lost part of its runs")
        again = d.get(f"/sweeps/{doc['id']}").json()
        check(len(again["table"]) == len(SIZES), f"GET /sweeps: {len(again['table'])} sizes")
        # Three more: every run of the sweep is older than the 3 kept, so
        # the whole sweep goes, runs and pcaps with it.
        for _ in range(3):
            hc.done_run(d.post("/runs?size=13B&wait=60"), "a later run")
        # Retention runs once the last run's waiters are woken: what the
        # API shows of it is waited for (the bound is not a speed).
        deadline = time.monotonic() + 30
        while sweep_runs(d, doc["id"]) and time.monotonic() < deadline:
            pass
        check(sweep_runs(d, doc["id"]) == [], "part of the sweep stayed")
        hc.expect_error(d.get(f"/sweeps/{doc['id']}"), 404, "the pruned sweep")
        # A run seen gone has its files gone; a retired (.tmp) name may
        # linger while the disk is freed.
        pcaps = os.listdir(os.path.join(d.data_dir, "pcaps"))
        check(not any(f.split(".")[0] in {str(i) for i in ids} and not f.endswith(".tmp")
                      for f in pcaps),
              f"files of the pruned sweep stayed: {pcaps}")
        check(len(hc.all_runs(d)) == 3, f"{len(hc.all_runs(d))} runs kept, expected 3")
        hc.finish(d)


if __name__ == "__main__":
    wm = wmtest.binary()
    wmtest.main(lambda: test(wm))
