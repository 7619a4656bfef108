#!/usr/bin/env python3
"""Uploads into a full disk and a read-only store (issue 11, the capture
counterpart of test_disk_full and test_readonly_store): the data
directory is a small tmpfs.

- The disk filled to the last byte: POST /captures answers 507
  (insufficient_storage) naming the cause and no server path.
- A little room left, less than the upload: the body meets ENOSPC while it
  is received or stored; the answer is 507 (or 413/503, never 2xx), and
  nothing of it stays.
- Below the free-space reserve (--min-free): 507 naming the reserve.
- The store read-only (remounted, daemon restarted): 503 read_only; the
  captures stored before are served as they were.
After each refusal the store (every capture's document, every file of the
captures directory) is what it was, and no upload-* file is left.

Needs root (tmpfs): exits 77 without, unless WIREMETER_REQUIRE_CAPTURE=1
makes that a failure.

usage: test_capture_disk.py WIREMETER
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import storecommon as sc  # noqa: E402
from storecommon import check, hc, wmtest  # noqa: E402

sys.path.insert(0, os.path.join(hc.REPO, "tests", "http"))
import test_captures as tc  # noqa: E402


def refused_cleanly(d, resp, statuses, what, before):
    check(resp.status in statuses, f"{what}: {resp.status} {resp.body[:300]!r}")
    err = hc.expect_error(resp, resp.status, what)
    check(d.data_dir not in err["message"], f"{what}: the message names a path: {err}")
    check(tc.snapshot(d) == before, f"{what}: the store changed")
    return err


def full_disk(d, data, before):
    sc.fill(d.data_dir)
    err = refused_cleanly(d, tc.upload(d, data), (507,), "an upload into a full disk", before)
    check(err["code"] == "insufficient_storage", f"full disk: {err}")
    os.remove(os.path.join(d.data_dir, "filler"))


def nearly_full_disk(d, data, before):
    sc.fill(d.data_dir, leave=len(data) // 4)
    refused_cleanly(d, tc.upload(d, data), (413, 503, 507),
                    "an upload larger than the room left", before)
    os.remove(os.path.join(d.data_dir, "filler"))


def test(wiremeter):
    sc.need_root("test_capture_disk")
    small = tc.read(os.path.join(tc.TSHARK, "client_closes.pcap"))
    with sc.tmpfs("24m") as data_dir:
        log = sc.log_outside(data_dir)
        path = os.path.join(os.path.dirname(log), os.path.basename(log) + ".pcap")
        tc.many_connections(path, 300)  # about 1 MB: a quarter of it fits
        data = tc.read(path)
        os.remove(path)
        d = sc.Daemon(wiremeter, data_dir=data_dir, env={"WIREMETER_MIN_FREE": "0"})
        d.log_path = log
        try:
            with d:
                kept = [tc.created(tc.upload(d, small), len(small), f"upload {i}")
                        for i in range(2)]
                before = tc.snapshot(d)
                full_disk(d, small, before)
                nearly_full_disk(d, data, before)
                tc.created(tc.upload(d, small), len(small), "an upload once there is room")
                hc.finish(d)
            below = sc.Daemon(wiremeter, data_dir=data_dir, args=["--min-free", "1GiB"])
            below.log_path = log
            with below:
                before = tc.snapshot(below)
                err = refused_cleanly(below, tc.upload(below, small), (507,),
                                      "an upload below the reserve", before)
                check("reserve" in err["message"], f"507 without the reason: {err}")
                hc.finish(below)
            sc.remount(data_dir, "ro")
            try:
                ro = sc.Daemon(wiremeter, data_dir=data_dir, env={"WIREMETER_MIN_FREE": "0"})
                ro.log_path = log
                with ro:
                    before = tc.snapshot(ro)
                    err = refused_cleanly(ro, tc.upload(ro, small), (503,),
                                          "an upload into a read-only store", before)
                    check(err["code"] == "read_only", f"read-only store: {err}")
                    for doc in kept:
                        check(ro.get(f"/captures/{doc['id']}").json() == doc,
                              f"capture {doc['id']} differs on the read-only store")
                    hc.finish(ro)
            finally:
                sc.remount(data_dir, "rw")
        finally:
            print(open(log, errors="replace").read()[-3000:])
            os.remove(log)


if __name__ == "__main__":
    wm = wmtest.binary()
    wmtest.main(lambda: test(wm))
