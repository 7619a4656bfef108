#!/usr/bin/env python3
"""`wiremeter analyze` of the files people bring, through the binary:
a pcapng whose two interfaces have different link types (dumpcap -i lo
-i any), the same capture cut short in the middle of a block (exit 3, the
frames before the cut analysed, read_error and stderr saying where), a
classic pcap with timestamps after 2038-01-19 (up to 2106), the bounds on
records, and the streamed --packets document. Where tshark is installed,
what it reads of the same files is compared; without it those checks are
left out (the frames tshark read are also in tests/data/tshark/*.fields).

usage: test_files.py WIREMETER
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib  # noqa: E402
from livelib import wmtest  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
MULTI = os.path.join(DATA, "tshark", "lo_and_any_interfaces.pcap")
CUT = os.path.join(DATA, "tshark", "lo_and_any_cut_short.pcap")
SLL2 = os.path.join(DATA, "loopback6_13B_sll2.pcap")


def analyze(wm, args, status, env=None):
    proc = subprocess.run([wm, "analyze"] + args, capture_output=True,
                          text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))
    wmtest.check(proc.returncode == status,
                 f"analyze {args}: exit {proc.returncode}, expected {status}"
                 f"\n{proc.stderr}")
    return proc


def tshark_frames(path):
    """Frame numbers tshark reads of path, and its stderr; None without
    tshark."""
    tshark = shutil.which("tshark")
    if not tshark:
        return None
    proc = subprocess.run([tshark, "-n", "-r", path, "-T", "fields", "-e",
                           "frame.number", "-e", "tcp.seq", "-e", "tcp.len"],
                          capture_output=True, text=True, timeout=120)
    return [line.split("\t") for line in proc.stdout.splitlines()], proc.stderr


def our_rows(doc):
    rows = [p for c in doc["connections"] for p in c["packets"]]
    rows.sort(key=lambda p: p["no"])
    return [[str(p["no"]), str(p["seq"]), str(p["len"])] for p in rows]


def test_link_types(wm):
    doc = json.loads(analyze(wm, ["--json", "--packets", MULTI], 0).stdout)
    wmtest.check(doc["frames"] == 20, f"frames {doc['frames']}")
    wmtest.check(doc["linktypes"] == [1, 113], f"linktypes {doc['linktypes']}")
    wmtest.check(doc["read_error"] is None, f"read_error {doc['read_error']}")
    wmtest.check(len(doc["connections"]) == 2, "two connections")
    for c in doc["connections"]:
        wmtest.check(c["handshake"]["complete"] and c["closure"]["complete"],
                     f"connection {c['connection']} incomplete")
        wmtest.check(len(c["packets"]) == c["totals"]["packets"] == 10,
                     f"{len(c['packets'])} rows")
    got = tshark_frames(MULTI)
    if got is not None:
        wmtest.check(our_rows(doc) == got[0],
                     f"rows differ from tshark's:\n{our_rows(doc)}\n{got[0]}")


def test_cut_short(wm):
    proc = analyze(wm, ["--json", "--packets", CUT], 3)
    for needle in ["warning", "after frame 15", "cut short", "offset 4912"]:
        wmtest.check(needle in proc.stderr, f"stderr lacks {needle!r}: {proc.stderr}")
    doc = json.loads(proc.stdout)
    stop = doc["read_error"]
    wmtest.check(doc["frames"] == 15, f"frames {doc['frames']}")
    wmtest.check(stop["offset"] == 4912 and stop["after_frame"] == 15 and
                 stop["kind"] == "cut_short", f"read_error {stop}")
    got = tshark_frames(CUT)
    if got is not None:
        wmtest.check("cut short" in got[1], f"tshark did not warn: {got[1]}")
        wmtest.check(our_rows(doc) == got[0],
                     f"rows differ from tshark's:\n{our_rows(doc)}\n{got[0]}")
    text = analyze(wm, [CUT], 3)
    wmtest.check("Reading stopped after frame 15" in text.stdout, text.stdout)

    with tempfile.TemporaryDirectory() as tmp:
        # cut inside its first frame: nothing could be read
        head = os.path.join(tmp, "head.pcapng")
        with open(CUT, "rb") as f, open(head, "wb") as out:
            out.write(f.read(400))
        proc = analyze(wm, ["--json", head], 1)
        wmtest.check("cut short" in proc.stderr, proc.stderr)
        wmtest.check(proc.stdout == "", f"printed {proc.stdout!r}")


def test_2038(wm):
    """Seconds past 2^31 (2038-01-19T03:14:08Z) and up to 2^32 - 1."""
    with open(SLL2, "rb") as f:
        data = bytearray(f.read())
    with tempfile.TemporaryDirectory() as tmp:
        for first, day in [(0x80000000, "2038-01-19 03:14:08"),
                           (0xfffffff0, "2106-02-07 06:28:00")]:
            off, n, stamps = 24, 0, []
            while off < len(data):
                sec, frac, caplen, _ = struct.unpack_from("<IIII", data, off)
                struct.pack_into("<I", data, off, first + n // 5)
                stamps.append((first + n // 5) * 10**9 + frac * 1000)
                off += 16 + caplen
                n += 1
            path = os.path.join(tmp, "late.pcap")
            with open(path, "wb") as f:
                f.write(data)
            doc = json.loads(analyze(wm, ["--json", "--packets", path], 0).stdout)
            rows = doc["connections"][0]["packets"]
            wmtest.check([p["ts_ns"] for p in rows] == stamps,
                         f"ts_ns {[p['ts_ns'] for p in rows]} != {stamps}")
            text = analyze(wm, [path], 0).stdout
            wmtest.check(day in text, f"{day} not in:\n{text}")


def test_limits(wm):
    proc = analyze(wm, ["--max-record-bytes", "12", MULTI], 2)
    wmtest.check("max-record-bytes" in proc.stderr and "128" in proc.stderr,
                 proc.stderr)
    proc = analyze(wm, [MULTI], 2, env={"WIREMETER_MAX_ROW_CONNECTIONS": "x"})
    wmtest.check("max-row-connections" in proc.stderr, proc.stderr)
    # the 3066-byte frame's block is over 1000 bytes: reading stops there
    proc = analyze(wm, ["--json", MULTI], 3,
                   env={"WIREMETER_MAX_RECORD_BYTES": "1000"})
    wmtest.check("--max-record-bytes" in proc.stderr, proc.stderr)
    wmtest.check(json.loads(proc.stdout)["frames"] == 5, proc.stdout[:200])
    # one connection keeps its rows, the other is summarised without
    doc = json.loads(analyze(wm, ["--json", "--packets",
                                  "--max-row-connections", "1", MULTI], 0).stdout)
    wmtest.check(doc["connections_without_rows"] == 1, str(doc)[:300])
    kept = [c["rows_kept"] for c in doc["connections"]]
    wmtest.check(kept == [True, False], f"rows_kept {kept}")
    second = doc["connections"][1]
    wmtest.check("packets" not in second and second["totals"]["packets"] == 10,
                 str(second)[:300])


def test():
    wm = wmtest.binary()
    test_link_types(wm)
    test_cut_short(wm)
    test_2038(wm)
    test_limits(wm)


if __name__ == "__main__":
    wmtest.main(test)
