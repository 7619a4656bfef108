#!/usr/bin/env python3
"""16 runs at once, each a POST of its own on its own connection, released
together: every run ends done, overlapping the others in time, and reports
only its own connection — its pcap holds that one connection and nothing
else, its packet list names only its ports — and exactly its own payload
bytes (each run a different size, both directions).

usage: test_concurrency.py WIREMETER
"""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402

RUNS = 16


def plan(i):
    """Run i's size (all different, none a multiple of another's chunking)
    and direction."""
    return 300000 + 7919 * i, "download" if i % 2 == 0 else "upload"


def post_all(d):
    barrier = threading.Barrier(RUNS)
    answers = [None] * RUNS

    def one(i):
        size, direction = plan(i)
        barrier.wait()
        answers[i] = hc.post_run(d, f"size={size}&direction={direction}&label=c{i}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(RUNS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    check(all(a is not None for a in answers), "some POSTs never answered")
    return answers


def max_overlap(runs):
    """The most runs executing at the same instant, from their stored
    start and finish times."""
    events = sorted([(r["started_ns"], 1) for r in runs] + [(r["finished_ns"], -1) for r in runs])
    level = best = 0
    for _, step in events:
        level += step
        best = max(best, level)
    return best


def check_own(wiremeter, d, i, run):
    size, direction = plan(i)
    label = f"run c{i} (id {run['id']}, {size} B {direction})"
    check(run["label"] == f"c{i}" and run["params"]["size"] == size
          and run["params"]["direction"] == direction, f"{label}: another run's answer: {run['params']}")
    hc.check_payload(run, size, direction, label)
    result = run["result"]
    conn = result["connection"]
    ports = {conn["client"]["port"], conn["server"]["port"]}
    cap = result["capture"]
    check(cap["frames"] == result["totals"]["packets"] and cap["not_tcp"] == 0
          and cap["malformed"] == 0, f"{label}: the capture holds frames of others: {cap}")
    check(cap["dropped"] == 0 and cap["if_dropped"] == 0, f"{label}: capture drops {cap}")
    rows, total, _ = hc.packet_list(d, run["id"], 10000)
    check(total == len(rows) == cap["frames"], f"{label}: {len(rows)} rows, {cap['frames']} frames")
    foreign = [r for r in rows if {r["source_port"], r["destination_port"]} != ports]
    check(not foreign, f"{label}: packets of other connections: {foreign[:3]}")
    _, path = hc.fetch_pcap(d, run["id"])
    try:
        offline = hc.analyze(wiremeter, path)
    finally:
        os.unlink(path)
    check(len(offline["connections"]) == 1 and offline["frames"] == cap["frames"],
          f"{label}: its pcap holds {len(offline['connections'])} connections, {offline['frames']} frames")
    return ports


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    with hc.Daemon(wiremeter, ["--workers", str(RUNS)]) as d:
        answers = post_all(d)
        runs = [hc.done_run(a, f"concurrent POST {i}") for i, a in enumerate(answers)]
        check(len({r["id"] for r in runs}) == RUNS, "two POSTs got the same run")
        overlap = max_overlap(runs)
        check(overlap >= 4, f"at most {overlap} runs executed at once: not concurrent")
        seen = {}
        for i, run in enumerate(runs):
            for port in check_own(wiremeter, d, i, run):
                other = seen.get(port)
                check(other is None or not overlaps(runs[other], run),
                      f"port {port} used by two runs at the same time: c{other} and c{i}")
                seen[port] = i
        print(f"{RUNS} runs, at most {overlap} at once")
        hc.finish(d)


def overlaps(a, b):
    """Whether the two runs' connections were on the wire at the same time
    (first to last packet). Not the runs' whole spans: once a run's
    connection is closed its ports are free, and the kernel may give one
    to a run that starts while the first is still being analysed."""
    ta, tb = a["result"]["timing"], b["result"]["timing"]
    return (ta["first_packet_ns"] <= tb["last_packet_ns"]
            and tb["first_packet_ns"] <= ta["last_packet_ns"])


if __name__ == "__main__":
    wmtest.main(test)
