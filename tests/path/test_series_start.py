#!/usr/bin/env python3
"""The time series' kernel samples start at the connection's establishment,
not at the first write: the sampler gets the data sender's socket as soon
as accept or connect returns. On an upload the client is the sender and
writes the transfer's request before its data, so its first sample, taken
before that request, has sent nothing (bytes_sent 0; it was the request's
16 bytes when the first sample came at the first write of data). On both
directions the first sample comes no later than the first data segment
the capture holds, and every t_ns is after the first SYN (0). Over
loopback and over a link.

usage: test_series_start.py WIREMETER
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pathtest  # noqa: E402  (puts tests/live and tests/lib on the path)
import livelib  # noqa: E402
from livelib import wmtest  # noqa: E402
from wmtest import check  # noqa: E402


def first_sample(wiremeter, tmp, args):
    path = os.path.join(tmp, "series.json")
    livelib.run_json(wiremeter, ["run", "--size", "200kB", "--series", path] + args)
    with open(path) as f:
        series = json.load(f)
    samples = series["kernel"]["samples"]
    check(len(samples) >= 2, f"{args}: {len(samples)} kernel samples")
    check(all(s["t_ns"] >= 0 for s in samples), f"{args}: a sample before the first SYN")
    first = samples[0]
    check(first["t_ns"] <= series["segments"][0]["t_ns"],
          f"{args}: first sample at {first['t_ns']} ns, after the first data segment "
          f"({series['segments'][0]['t_ns']} ns)")
    return first


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    pathtest.require_link(wiremeter)
    tmp = tempfile.mkdtemp(prefix="wm-series-start-")
    try:
        for path in ([], ["--path", "link", "--rate", "100mbit"]):
            for direction in ("download", "upload"):
                args = ["--direction", direction] + path
                first = first_sample(wiremeter, tmp, args)
                check(first["bytes_sent"] == 0,
                      f"{args}: the first sample had sent {first['bytes_sent']} bytes: "
                      f"it is not the connection's establishment")
                print(f"{' '.join(args)}: first sample at {first['t_ns']} ns, "
                      f"cwnd {first['cwnd']}, rtt {first['rtt_us']} us")
    finally:
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


if __name__ == "__main__":
    wmtest.main(test)
