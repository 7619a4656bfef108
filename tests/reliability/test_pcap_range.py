#!/usr/bin/env python3
"""A pcap in parts: GET /runs/{id}/pcap honours a single byte Range (206
with Content-Range, exactly those bytes of the whole file), answers 416
with a JSON error past the end, and the whole file (200) for what it does
not serve in part (several ranges, another unit, a stale If-Range). So a
large capture's download can be resumed (curl -C -).

Needs capture rights (exits 77 without them, fails under
WIREMETER_REQUIRE_CAPTURE=1).

usage: test_pcap_range.py WIREMETER
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import httpcommon as hc  # noqa: E402
from httpcommon import check  # noqa: E402
import wmtest  # noqa: E402


def ranged(d, target, value, **extra):
    return hc.raw(d, "GET", target, headers={"Range": value, **extra})


def main():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    with hc.Daemon(wiremeter) as d:
        run = hc.done_run(hc.post_run(d, "size=200kB&snaplen=full&chunk=4KiB"), "a 200 kB run")
        target = run["links"]["pcap"]
        whole = d.get(target)
        hc.expect_status(whole, 200, f"GET {target}")
        check(whole.header("Accept-Ranges") == "bytes", f"no Accept-Ranges: {whole.header('Accept-Ranges')!r}")
        modified = whole.header("Last-Modified")
        check(modified, "no Last-Modified on the pcap")
        body, size = whole.body, len(whole.body)
        check(size > 200000, f"a 200 kB run with snaplen=full has a {size}-byte pcap")
        for value, first, last in (("bytes=0-99", 0, 99), ("bytes=100-", 100, size - 1),
                                   ("bytes=-50", size - 50, size - 1), (f"bytes=1000-{size + 500}", 1000, size - 1),
                                   (f"bytes={size - 1}-{size - 1}", size - 1, size - 1),
                                   (f"bytes=-{size + 10}", 0, size - 1)):
            resp = ranged(d, target, value)
            hc.expect_status(resp, 206, f"Range: {value}")
            check(resp.header("Content-Range") == f"bytes {first}-{last}/{size}",
                  f"Range: {value}: Content-Range {resp.header('Content-Range')!r}")
            check(resp.body == body[first:last + 1], f"Range: {value}: not those bytes of the file")
            check(resp.header("Content-Type") == "application/vnd.tcpdump.pcap",
                  f"Range: {value}: Content-Type {resp.header('Content-Type')!r}")
        for value in (f"bytes={size}-", f"bytes={size + 100}-{size + 200}", "bytes=-0"):
            resp = ranged(d, target, value)
            hc.expect_error(resp, 416, f"Range: {value}", parameter="Range")
            check(resp.header("Content-Range") == f"bytes */{size}",
                  f"Range: {value}: Content-Range {resp.header('Content-Range')!r}")
        for value, extra in (("bytes=0-1,5-6", {}), ("items=0-1", {}), ("bytes=5-1", {}), ("bytes=x-", {}),
                             ("bytes=0-99", {"If-Range": "Thu, 01 Jan 1970 00:00:00 GMT"})):
            resp = ranged(d, target, value, **extra)
            hc.expect_status(resp, 200, f"Range: {value} {extra}")
            check(resp.body == body, f"Range: {value} {extra}: not the whole file")
        resp = ranged(d, target, "bytes=10-19", **{"If-Range": modified})
        hc.expect_status(resp, 206, "Range with the current If-Range")
        check(resp.body == body[10:20], "If-Range: not those bytes")
        resp = hc.raw(d, "HEAD", target, headers={"Range": "bytes=0-9"})
        check(resp.status == 206 and resp.body == b"", f"HEAD with a Range: {resp.status} {resp.body[:50]!r}")
        hc.finish(d)
    print("ok")


if __name__ == "__main__":
    main()
