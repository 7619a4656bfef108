#!/usr/bin/env python3
"""A small POST /runs that waits runs on the request's own thread
(--here-max): its answer is the run's document, byte for byte what GET
/runs/{id} answers and shaped as a worker's run's; it takes one of the
--workers slots, so with one worker a small POST behind a long run waits
for it in the queue and never runs beside it; --here-max 0 and wait=0
keep every run on a worker. wiremeter_runs_here_total counts them. The
files of runs such a run prunes are unlinked by a worker, all of them.

usage: test_here.py WIREMETER
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402


def ran_here(d):
    _, samples = hc.parse_metrics(d.get("/metrics").body.decode())
    return hc.metric(samples, "wiremeter_runs_here_total")


def shape(doc):
    """A document's keys, to the depth of the result's own fragments."""
    return {k: sorted(v) if isinstance(v, dict) else type(v).__name__
            for k, v in doc.items()} | {"result": sorted(doc["result"])}


def test_same_document(wiremeter):
    with hc.Daemon(wiremeter, ["--here-max", "0"]) as d:
        worker = hc.done_run(hc.post_run(d, "size=13B&label=w"), "a worker's small run")
        check(ran_here(d) == 0, f"--here-max 0 ran {ran_here(d)} run(s) here")
        hc.finish(d)
    with hc.Daemon(wiremeter) as d:
        resp = hc.post_run(d, "size=13B&label=w")
        doc = hc.done_run(resp, "a small run on the request's thread")
        check(ran_here(d) == 1, f"runs here after one small POST: {ran_here(d)}")
        again = d.get(f"/runs/{doc['id']}")
        check(again.body == resp.body, "the POST's document differs from GET /runs/{id}'s:\n"
              f"{resp.body[:400]!r}\n{again.body[:400]!r}")
        check(shape(doc) == shape(worker), f"shapes differ:\n{shape(doc)}\n{shape(worker)}")
        check(doc["params"] == worker["params"], f"params {doc['params']} != {worker['params']}")
        hc.check_payload(doc, 13, "download", "w")
        # Not here: no wait, a run larger than the bound.
        # A worker may end a 13 B run before the answer is built: 201
        # then, with the run done; either way not run here.
        resp = hc.post_run(d, "size=13B&wait=0")
        check(resp.status in (201, 202), f"POST wait=0: {resp.status}")
        hc.done_run(hc.post_run(d, "size=1025B"), "a run just over --here-max")
        check(ran_here(d) == 1, f"runs here after wait=0 and 1025 B: {ran_here(d)}")
        h = d.get("/healthz").json()["runs"]
        check(h["running"] == 0, f"healthz after the runs: {h}")
        hc.finish(d)


def test_one_slot(wiremeter):
    """--workers 1: a long run holds the only slot, so a small waiting POST
    queues behind it and starts once it ended, on a worker."""
    with hc.Daemon(wiremeter, ["--workers", "1"] + hc.LONG_ARGS) as d:
        long_id = hc.post_run(d, f"{hc.LONG}&wait=0").json()["id"]
        deadline = time.monotonic() + 60
        while d.get(f"/runs/{long_id}").json()["status"] == "queued":
            check(time.monotonic() < deadline, "the long run never started")
            time.sleep(0.01)
        holder = {}
        post = threading.Thread(target=lambda: holder.update(resp=hc.post_run(d, "size=13B")))
        post.start()
        seen_queued = False
        while post.is_alive() and d.get(f"/runs/{long_id}").json()["status"] == "running":
            h = d.get("/healthz").json()["runs"]
            check(h["running"] <= 1, f"two runs beside each other with --workers 1: {h}")
            seen_queued = seen_queued or h["queued"] == 1
            time.sleep(0.01)
        post.join(timeout=300)
        check(not post.is_alive(), "the small POST never got its answer")
        small = hc.done_run(holder["resp"], "the small POST behind a long run")
        long_doc = hc.wait_run(d, long_id, timeout=300)
        check(long_doc["status"] == "done", f"long run: {long_doc['error']}")
        check(small["started_ns"] >= long_doc["finished_ns"],
              f"the small run started at {small['started_ns']}, before the long run ended "
              f"at {long_doc['finished_ns']}")
        check(seen_queued, "the small run was never seen queued")
        check(ran_here(d) == 0, f"a run went here while the slot was taken: {ran_here(d)}")
        # The slot free again: the next small POST runs here.
        hc.done_run(hc.post_run(d, "size=13B"), "a small POST with the slot free")
        check(ran_here(d) == 1, f"runs here with the slot free: {ran_here(d)}")
        hc.finish(d)


def files_of(d, run_id):
    pcaps = os.path.join(d.data_dir, "pcaps")
    return sorted(n for n in os.listdir(pcaps) if n.split(".")[0] == str(run_id))


def test_pruned_files(wiremeter):
    """--history 1 --inline-max 0: each run's files are on disk, and each
    run prunes the one before. A small run here prunes a worker's run
    whose files it leaves to a worker to unlink (its answer does not wait
    for them): they all go, final and partial names, and nothing of the
    small runs' own is lost."""
    with hc.Daemon(wiremeter, ["--history", "1", "--inline-max", "0"]) as d:
        big = hc.done_run(hc.post_run(d, "size=64KiB"),
                          "a worker's run with files")
        check(files_of(d, big["id"]), f"run {big['id']} has no files with --inline-max 0")
        ids = []
        for i in range(3):
            doc = hc.done_run(hc.post_run(d, "size=13B"), f"small run {i}")
            ids.append(doc["id"])
            check(ran_here(d) == i + 1, f"runs here after {i + 1} small POSTs: {ran_here(d)}")
        deadline = time.monotonic() + 30
        while any(files_of(d, r) for r in [big["id"]] + ids[:-1]):
            check(time.monotonic() < deadline,
                  f"pruned runs' files left: {[files_of(d, r) for r in [big['id']] + ids[:-1]]}")
            time.sleep(0.01)
        check(d.get(f"/runs/{big['id']}").status == 404, "the worker's run was not pruned")
        last = files_of(d, ids[-1])
        check(last and not any(n.endswith(".tmp") for n in last),
              f"the kept run's files: {last}")
        resp, path = hc.fetch_pcap(d, ids[-1])
        os.unlink(path)
        check(resp.status == 200, f"the kept run's pcap: {resp.status}")
        hc.finish(d)


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    test_same_document(wiremeter)
    test_one_slot(wiremeter)
    test_pruned_files(wiremeter)


if __name__ == "__main__":
    wmtest.main(test)
