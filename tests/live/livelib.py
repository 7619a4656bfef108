"""Helpers of the live suite: run wiremeter, read its JSON, check a run.

Why a module: the live, tshark and sweep tests all run the same transfers
and need the same facts checked the same way. It builds on tests/lib/wmtest.py
(binary, skip rule, check/fail).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import wmtest  # noqa: E402

# The sizes of the lab, plus the empty transfer and a large one.
SIZES = [("0", 0), ("13B", 13), ("2kB", 2000), ("439kB", 439000),
         ("1MB", 1000000), ("64MiB", 64 * 1024 * 1024)]
DIRECTIONS = ["download", "upload"]

# The fragments that `analyze` of a run's pcap must reproduce exactly.
FRAGMENTS = ["connection", "handshake", "closure", "totals", "timing",
             "average_packet_size"]


def run_cli(wiremeter, args, timeout=300):
    return subprocess.run([wiremeter] + list(args), capture_output=True,
                          text=True, timeout=timeout)


def run_json(wiremeter, args, timeout=300):
    """Runs `wiremeter ARGS --json`, fails the test unless it exits 0."""
    proc = run_cli(wiremeter, list(args) + ["--json"], timeout)
    label = " ".join(args)
    wmtest.check(proc.returncode == 0,
                 f"wiremeter {label} exited {proc.returncode}: {proc.stderr.strip()}")
    try:
        return json.loads(proc.stdout)
    except ValueError as err:
        wmtest.fail(f"wiremeter {label}: output is not JSON ({err}): {proc.stdout[:300]}")


def transfer(wiremeter, size_text, direction, workdir, extra=()):
    """One live run with its pcap; returns (result, pcap path)."""
    pcap = os.path.join(workdir, f"{size_text}-{direction}.pcap")
    result = run_json(wiremeter, ["run", "--size", size_text, "--direction",
                                  direction, "--pcap", pcap] + list(extra))
    wmtest.check(os.path.getsize(pcap) > 24, f"{pcap} is empty")
    return result, pcap


def workdir():
    return tempfile.mkdtemp(prefix="wm-live-")


def require_tshark():
    """tshark's path; skips (or fails under WIREMETER_REQUIRE_CAPTURE=1)."""
    for d in os.environ.get("PATH", "").split(os.pathsep):
        path = os.path.join(d, "tshark")
        if os.access(path, os.X_OK):
            return path
    wmtest.skip("tshark is not installed (apt-get install tshark)")
