#!/usr/bin/env python3
"""An uploaded capture's analysis under a kill -9, and the packet budget
while it reads (issue 11), on a large crafted capture (tests/crafted
generator: 40000 connections, 320000 frames, 24 MB; its analysis takes
seconds).

- kill -9 while the capture is analysed (the POST answered 202 with
  --capture-wait 0, the kill follows at once): at restart the daemon
  analyses it again, and it ends "done" with the same analysis as a fresh
  upload of the same file and as `wiremeter analyze --json`, field for
  field (but the stored name). The daemon's log says it analysed it again
  when the kill did land during the analysis.
- --max-packets 1000: the upload is refused with 413 naming the budget,
  reading stopped at the frame past it (the message says so), and the
  store is as it was before.

usage: test_capture_crash.py WIREMETER
"""
import os
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import storecommon as sc  # noqa: E402
from storecommon import check, hc, wmtest  # noqa: E402

sys.path.insert(0, os.path.join(hc.REPO, "tests", "http"))
import test_captures as tc  # noqa: E402

CONNECTIONS = 40000


def big_capture(path):
    """CONNECTIONS short connections, 8 frames each, 1 to 100 bytes of
    payload: many frames, few bytes."""
    pg = tc.pg
    frames = []
    for i in range(CONNECTIONS):
        c = pg.Conn(frames, [10, 0, (i >> 8) & 255, 1], [10, 0, 0, 2],
                    1024 + i % 60000, 80)
        t = i * 10 * pg.MS
        n = i % 100 + 1
        c.send(t, 0, pg.SYN, 1000, 0)
        c.send(t + 1, 1, pg.SYN | pg.ACK, 5000, 1001)
        c.send(t + 2, 0, pg.ACK, 1001, 5001)
        c.send(t + 3, 0, pg.PSH | pg.ACK, 1001, 5001, length=n)
        c.send(t + 4, 1, pg.ACK, 5001, 1001 + n)
        c.send(t + 5, 0, pg.FIN | pg.ACK, 1001 + n, 5001)
        c.send(t + 6, 1, pg.FIN | pg.ACK, 5001, 1002 + n)
        c.send(t + 7, 0, pg.ACK, 1002 + n, 5002)
    pg.write_pcap(path, frames)


def without_name(doc):
    """The analysis without what names the stored file."""
    analysis = dict(doc["analysis"])
    analysis.pop("file")
    return analysis


def killed_during_analysis(wiremeter, path):
    data = tc.read(path)
    with hc.Daemon(wiremeter, ["--capture-wait", "0"]) as d:
        resp = tc.upload(d, data)
        hc.expect_status(resp, 202, "a large capture with --capture-wait 0")
        cid = resp.json()["id"]
        d.stop(signal.SIGKILL)
        d.start()
        doc = tc.settled(d, cid, "after kill -9")
        check(doc["status"] == "done" and doc["size_bytes"] == len(data),
              f"after kill -9: {str(doc)[:400]}")
        again = "analysed again" in d.log()
        print(f"the kill landed during the analysis: {again}")
        fresh = tc.settled(d, tc.upload(d, data).json()["id"], "a fresh upload")
        check(without_name(doc) == without_name(fresh),
              "the analysis made again after kill -9 differs from a fresh upload's")
        tc.same_as_cli(wiremeter, path, doc, "analysed again after kill -9")
        left = [f for f in os.listdir(os.path.join(d.data_dir, "captures"))
                if f.startswith("upload-")]
        check(not left, f"uploads left behind: {left}")
        hc.finish(d)


def over_the_budget(wiremeter, path):
    data = tc.read(path)
    with hc.Daemon(wiremeter, ["--max-packets", "1000", "--capture-wait", "600"]) as d:
        before = tc.snapshot(d)
        tc.refused(d, tc.upload(d, data), 413, "320000 frames over --max-packets 1000",
                   "body", "--max-packets")
        err = tc.upload(d, data).json()["error"]
        check("more than 1000 frames" in err["message"]
              and "reading stopped" in err["message"], f"413: {err}")
        check(tc.snapshot(d) == before, "a capture over the budget changed the store")
        hc.finish(d)


def test(wiremeter):
    with tempfile.TemporaryDirectory(prefix="wm-capture-crash-") as tmp:
        path = os.path.join(tmp, "big.pcap")
        big_capture(path)
        over_the_budget(wiremeter, path)
        killed_during_analysis(wiremeter, path)


if __name__ == "__main__":
    wm = wmtest.binary()
    wmtest.main(lambda: test(wm))
