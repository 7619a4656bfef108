#!/usr/bin/env python3
"""The command line refuses bad arguments the way it promises: a usage
error exits 2 with a message on stderr (a bad size names the accepted
forms, an unknown flag prints the usage); --help prints the usage on stdout
and exits 0; a run that cannot be done exits 1. Needs no capture rights.

usage: test_cli.py WIREMETER
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib  # noqa: E402
from livelib import wmtest  # noqa: E402

# What every bad-size message must contain: the accepted forms.
FORMS = ["kB", "MB", "KiB", "MiB"]


def expect(wiremeter, args, status, *needles, stream="stderr"):
    proc = livelib.run_cli(wiremeter, args, timeout=60)
    label = "wiremeter " + " ".join(args)
    out = proc.stdout if stream == "stdout" else proc.stderr
    wmtest.check(proc.returncode == status,
                 f"{label}: exit {proc.returncode}, expected {status}\n{proc.stderr}")
    for needle in needles:
        wmtest.check(needle in out, f"{label}: {stream} lacks {needle!r}:\n{out}")
    if status != 0:
        wmtest.check(proc.stdout == "", f"{label}: printed on stdout on error:\n{proc.stdout}")
    return proc


def test_sizes(wm):
    for bad in ["-1", "abc", "1.5B", "12XB", "1e6", "99999999999999999999999", "", " ", "1 2"]:
        expect(wm, ["run", "--size", bad], 2, "size", *FORMS)
    expect(wm, ["run"], 2, "size is required", *FORMS)
    expect(wm, ["run", "--size", "2GiB"], 2, "size")
    expect(wm, ["run", "--size", "2MB", "--max-size", "1MB"], 2, "size")
    expect(wm, ["run", "--size", "1MB", "--max-size", "bogus"], 2, "max-size", *FORMS)
    expect(wm, ["sweep", "13B", "bogus"], 2, "bogus", *FORMS)
    expect(wm, ["sweep"], 2, "size", *FORMS)


def test_options(wm):
    expect(wm, ["run", "--size", "1MB", "--chunk", "0"], 2, "chunk")
    expect(wm, ["run", "--size", "1MB", "--direction", "sideways"], 2,
           "direction", "download or upload")
    expect(wm, ["run", "--size", "1MB", "--mss", "12"], 2, "mss")
    expect(wm, ["run", "--size", "1MB", "--snaplen", "10"], 2, "snaplen")
    expect(wm, ["run", "--size", "1MB", "--timeout", "0"], 2, "timeout")
    expect(wm, ["run", "--size", "1MB", "--congestion", "no_such_algo"], 2, "congestion")
    expect(wm, ["run", "--szie", "1MB"], 2, "usage:")
    expect(wm, ["run", "--size"], 2, "usage:")
    expect(wm, ["run", "--size", "1MB", "extra"], 2, "extra")
    expect(wm, ["sweep", "13B", "--repeat", "0"], 2, "repeat")
    expect(wm, ["sweep", "13B", "--pcap", "x.pcap"], 2, "pcap")
    expect(wm, ["analyze"], 2, "FILE")
    expect(wm, ["analyze", "a.pcap", "b.pcap"], 2, "usage:")
    expect(wm, ["analyze", "--bogus", "a.pcap"], 2, "usage:")


def test_help_and_failures(wm):
    for cmd in ["run", "sweep", "analyze"]:
        proc = expect(wm, [cmd, "--help"], 0, "usage: wiremeter " + cmd, stream="stdout")
        wmtest.check(proc.stderr == "", f"{cmd} --help wrote on stderr: {proc.stderr}")
    expect(wm, ["run", "--help"], 0, "--size", "--pcap", "--direction", stream="stdout")
    missing = "/nonexistent/wm-no-such.pcap"
    expect(wm, ["analyze", missing], 1, missing)
    expect(wm, ["run", "--size", "13B", "--interface", "wm-no-such-if0"], 1,
           "wm-no-such-if0")


def test():
    wm = wmtest.binary()
    test_sizes(wm)
    test_options(wm)
    test_help_and_failures(wm)


if __name__ == "__main__":
    wmtest.main(test)
