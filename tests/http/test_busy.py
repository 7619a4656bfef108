#!/usr/bin/env python3
"""Busy and shutting down: 429 with Retry-After when the run queue is full
(and nothing stored for the refused request); SIGTERM stops accepting,
answers 503 with Retry-After to new work on connections already open, lets
the running run finish (its waiting POST gets its 201) and exits 0; with a
drain deadline of 0, the runs still queued or running are marked
"interrupted by shutdown" and the exit is still 0.

usage: test_busy.py WIREMETER
"""
import http.client
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402



def wait_running(d, run_id):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        doc = d.get(f"/runs/{run_id}").json()
        if doc["status"] == "running":
            return
        check(doc["status"] == "queued", f"run {run_id} ended before it was seen running")
        time.sleep(0.01)
    hc.fail(f"run {run_id} never started")


def test_queue_full(wiremeter):
    with hc.Daemon(wiremeter, ["--workers", "1", "--queue", "1"] + hc.LONG_ARGS) as d:
        running = hc.post_run(d, f"{hc.LONG}&wait=0").json()["id"]
        wait_running(d, running)
        queued = hc.post_run(d, "size=13B&wait=0").json()["id"]
        check(d.get(f"/runs/{queued}").json()["status"] == "queued", "second run not queued")
        before = [r["id"] for r in hc.all_runs(d)]
        for query in ("size=13B&wait=0", "size=13B", "size=1kB&wait=5"):
            resp = hc.post_run(d, query)
            err = hc.expect_error(resp, 429, f"POST {query} with the queue full", code="busy")
            check(resp.header("Retry-After") == "1", f"429 Retry-After {resp.header('Retry-After')!r}")
            check("queue" in err["message"], f"429 message {err['message']!r}")
        resp = d.post("/sweeps?sizes=13B")
        hc.expect_error(resp, 429, "a sweep with the queue full", code="busy")
        check(resp.header("Retry-After") == "1", "sweep 429 without Retry-After")
        check([r["id"] for r in hc.all_runs(d)] == before, "a refused request stored a run")
        h = d.get("/healthz").json()["runs"]
        check(h["running"] == 1 and h["queued"] == 1 and h["queue_max"] == 1, f"healthz runs {h}")
        for run_id in (running, queued):
            check(hc.wait_run(d, run_id, timeout=300)["status"] == "done", f"run {run_id} failed")
        hc.created_run(hc.post_run(d, "size=13B"), "POST once the queue has room")
        hc.finish(d)


def request_on(conn, method, path):
    conn.request(method, path)
    resp = conn.getresponse()
    return wmtest.Response(resp.status, resp.headers, resp.read())


def test_drain(wiremeter):
    """SIGTERM while a POST waits for a running run: the run finishes, the
    POST gets it, new work gets 503, GETs are still answered, exit 0."""
    with hc.Daemon(wiremeter, ["--workers", "1", "--drain", "120"] + hc.LONG_ARGS) as d:
        kept = http.client.HTTPConnection("127.0.0.1", d.port, timeout=120)
        hc.expect_status(request_on(kept, "GET", "/healthz"), 200, "healthz before SIGTERM")
        holder = {}
        post = threading.Thread(target=lambda: holder.update(resp=hc.post_run(d, hc.LONG)))
        post.start()
        deadline = time.monotonic() + 60
        while not hc.all_runs(d) and time.monotonic() < deadline:
            time.sleep(0.01)
        run_id = hc.all_runs(d)[0]["id"]
        wait_running(d, run_id)
        d.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while True:
            health = request_on(kept, "GET", "/healthz").json()
            if health["draining"]:
                break
            check(time.monotonic() < deadline, "the daemon never said it was draining")
            time.sleep(0.01)
        check(health["status"] == "draining", f"healthz while draining: {health}")
        resp = request_on(kept, "POST", "/runs?size=13B")
        err = hc.expect_error(resp, 503, "POST while draining", code="shutting_down")
        check(resp.header("Retry-After") == "5", f"503 Retry-After {resp.header('Retry-After')!r}")
        check(err["message"], "503 without a message")
        resp = request_on(kept, "POST", "/sweeps?sizes=13B")
        hc.expect_error(resp, 503, "POST /sweeps while draining", code="shutting_down")
        hc.expect_status(request_on(kept, "GET", f"/runs/{run_id}"), 200, "GET while draining")
        try:
            d.get("/healthz", timeout=2)
            hc.fail("a new connection was accepted while draining")
        except OSError:
            pass
        post.join(timeout=300)
        check(not post.is_alive(), "the waiting POST never got its answer")
        doc = hc.done_run(holder["resp"], "the POST waiting across SIGTERM")
        check(doc["id"] == run_id, "the waiting POST got another run")
        kept.close()
        check(d.proc.wait(timeout=120) == 0, f"exit status {d.proc.returncode} after SIGTERM")
        check("stopped" in d.log(), f"no 'stopped' in the log:\n{d.log()}")
        d.start()
        check(d.get(f"/runs/{run_id}").json()["status"] == "done",
              "the drained run is not done after restart")
        check("left unfinished" not in d.log(), "a drained run was recovered as unfinished")
        check(d.stop() == 0, "second SIGTERM exit status")


def test_drain_deadline(wiremeter):
    """--drain 0: what is still running or queued at SIGTERM is marked
    "interrupted by shutdown" at once; exit 0 all the same."""
    with hc.Daemon(wiremeter, ["--workers", "1", "--drain", "0"] + hc.LONG_ARGS) as d:
        running = hc.post_run(d, f"{hc.LONG}&wait=0").json()["id"]
        queued = [hc.post_run(d, "size=13B&wait=0").json()["id"] for _ in range(2)]
        wait_running(d, running)
        check(d.stop() == 0, f"exit status {d.proc.returncode} after SIGTERM with --drain 0")
        check("3 run(s) marked" in d.log(), f"the log does not count the interrupted runs:\n{d.log()}")
        d.start()
        for run_id in [running] + queued:
            doc = d.get(f"/runs/{run_id}").json()
            check(doc["status"] == "failed" and doc["error"] == {"code": "interrupted",
                                                                   "message": "interrupted by shutdown"},
                  f"run {run_id} after SIGTERM with --drain 0: {doc['status']} {doc['error']}")
            check(doc["finished_ns"] and doc["result"] is None, f"run {run_id}: {doc}")
        pcaps = os.listdir(os.path.join(d.data_dir, "pcaps"))
        check(pcaps == [], f"interrupted runs left captures: {pcaps}")
        check("left unfinished" not in d.log(), "shutdown left runs for recovery")
        hc.finish(d)


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    test_queue_full(wiremeter)
    test_drain(wiremeter)
    test_drain_deadline(wiremeter)


if __name__ == "__main__":
    wmtest.main(test)
