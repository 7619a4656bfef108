#!/usr/bin/env python3
"""Runs over path=link through the daemon: isolation and cleanup (issue 13).

- 16 link runs at once (16 workers), each in namespaces of its own with
  the same addresses: every run's pcap holds one connection, its own
  (its ports, its packet count), and every transfer is verified;
- the daemon holds a run's two namespaces while it runs, and none once
  runs have ended, succeeded or failed (a 1 ms step deadline on a 1 kbit/s
  link fails a run after its link was made);
- kill -9 during a link run: the namespaces it held are gone from the
  whole host (no process, no descriptor refers to them), and after a
  restart a link run works and the idle daemon holds none.

The namespaces are anonymous (never under /run/netns): a namespace exists
while some task is in it or some descriptor refers to it, so scanning
/proc/*/ns/net and /proc/*/fd is the whole truth.

Skips (exit 77) where this host cannot make a link, unless
WIREMETER_REQUIRE_CAPTURE=1.

usage: test_isolation.py WIREMETER
"""
import glob
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pathtest  # noqa: E402
from pathtest import livelib, wmtest  # noqa: E402

CONCURRENT = 16


def held_namespaces(pid):
    """The network namespaces the process's descriptors refer to, but its
    own: inode texts such as "net:[4026532890]"."""
    own = os.readlink(f"/proc/{pid}/ns/net")
    held = set()
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("net:[") and target != own:
            held.add(target)
    return held


def namespaces_anywhere():
    """Every network namespace some task is in or some descriptor holds."""
    found = set()
    for link in glob.glob("/proc/[0-9]*/ns/net") + glob.glob("/proc/[0-9]*/fd/*"):
        try:
            target = os.readlink(link)
        except OSError:
            continue
        if target.startswith("net:["):
            found.add(target)
    return found


def post(daemon, query):
    resp = daemon.post(f"/runs?{query}")
    wmtest.check(resp.status in (200, 201, 202), f"POST /runs?{query}: {resp.status} {resp.body[:300]!r}")
    return resp.json()


def wait_ended(daemon, run_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = daemon.get(f"/runs/{run_id}").json()
        if doc["status"] in ("done", "failed"):
            return doc
        time.sleep(0.02)
    wmtest.fail(f"run {run_id} did not end within {timeout}s")


def concurrent_runs(daemon, workdir):
    docs, errors = [None] * CONCURRENT, []
    barrier = threading.Barrier(CONCURRENT)

    def one(i):
        try:
            barrier.wait()
            docs[i] = post(daemon, f"size=1MB&path=link&wait=120&label=c{i}")
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(f"run {i}: {err}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wmtest.check(not errors, "; ".join(errors))
    for doc in docs:
        wmtest.check(doc["status"] == "done", f"run {doc['id']}: {doc.get('error')}")
        result = doc["result"]
        wmtest.check(result["params"]["interface"] == "wm0", f"run {doc['id']}: {result['params']}")
        wmtest.check(result["integrity"]["verified"], f"run {doc['id']}: {result['integrity']}")
        pcap = os.path.join(workdir, f"{doc['id']}.pcap")
        resp = daemon.get(f"/runs/{doc['id']}/pcap")
        wmtest.check(resp.status == 200, f"run {doc['id']} pcap: {resp.status}")
        with open(pcap, "wb") as f:
            f.write(resp.body)
        ports = {result["connection"]["client"]["port"], result["connection"]["server"]["port"]}
        frames = pathtest.frames(pcap)
        for _, _, frame in frames:
            ihl = (frame[14] & 0x0F) * 4
            sport = int.from_bytes(frame[14 + ihl:16 + ihl], "big")
            dport = int.from_bytes(frame[16 + ihl:18 + ihl], "big")
            wmtest.check({sport, dport} == ports,
                         f"run {doc['id']}: a frame of ports {sport}, {dport}, not its own {ports}")
        wmtest.check(len(frames) == result["totals"]["packets"],
                     f"run {doc['id']}: pcap {len(frames)} frames, result {result['totals']['packets']}")
    print(f"ok: {CONCURRENT} concurrent link runs, each pcap only its own connection")


def no_namespace_held(daemon, what):
    held = held_namespaces(daemon.proc.pid)
    wmtest.check(not held, f"{what}: the daemon still holds {sorted(held)}")


def failed_run_cleans_up(daemon):
    doc = post(daemon, "size=1MB&path=link&rate=1kbit&timeout=1&wait=60")
    wmtest.check(doc["status"] == "failed", f"a 1 ms step on a 1 kbit/s link: {doc['status']}")
    no_namespace_held(daemon, "after a failed link run")
    print(f"ok: failed link run ({doc['error']['message'][:60]}...) left nothing held")


def running_namespaces(daemon):
    """Starts a slow link run; the namespaces the daemon holds for it."""
    doc = post(daemon, "size=10MB&path=link&rate=1mbit&timeout=60000&wait=0")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        # Once data flows the link is made: no `ip` or `tc` of its setup
        # is still running in a namespace (they would outlive a kill -9
        # by a moment, and be taken for a namespace left behind).
        progress = daemon.get(f"/runs/{doc['id']}").json().get("progress") or {}
        held = held_namespaces(daemon.proc.pid)
        if len(held) >= 2 and progress.get("bytes_done", 0) > 0:
            return doc["id"], held
        time.sleep(0.01)
    wmtest.fail("the slow link run never held its two namespaces and sent data")


def test():
    wiremeter = wmtest.binary()
    pathtest.require_link(wiremeter)
    workdir = tempfile.mkdtemp(prefix="wm-path-")
    daemon = wmtest.Daemon(wiremeter, ["--workers", str(CONCURRENT), "--queue", str(CONCURRENT)])
    with daemon:
        health = daemon.get("/healthz").json()
        wmtest.check(health["capabilities"]["link"]["available"], f"healthz {health['capabilities']}")
        deadline = time.monotonic() + 10  # the line follows the listening socket
        while "  paths:     loopback, link" not in daemon.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        wmtest.check("  paths:     loopback, link" in daemon.log(), f"start log:\n{daemon.log()}")
        concurrent_runs(daemon, workdir)
        no_namespace_held(daemon, "after 16 link runs")
        failed_run_cleans_up(daemon)
        run_id, held = running_namespaces(daemon)
        wmtest.check(held <= namespaces_anywhere(), "the held namespaces are not seen in /proc")
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait()
        left = held & namespaces_anywhere()
        wmtest.check(not left, f"after kill -9, namespaces of run {run_id} remain: {sorted(left)}")
        print(f"ok: kill -9 during a link run: its namespaces {sorted(held)} are gone")
        daemon.start()
        doc = post(daemon, "size=1MB&path=link&wait=60")
        wmtest.check(doc["status"] == "done", f"after restart: {doc.get('error')}")
        no_namespace_held(daemon, "after the restart's run")
        print("ok: after restart a link run works, nothing held")
    shutil.rmtree(workdir)


if __name__ == "__main__":
    wmtest.main(test)
