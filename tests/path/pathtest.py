"""Helpers of the path suite: whether this host can run a link, and the
frames of a pcap read without any of our own code (so that a wrong
dissector cannot agree with itself).

Named pathtest, not pathlib, which is the standard library's. Builds on
tests/live/livelib.py and tests/lib/wmtest.py.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
import livelib  # noqa: E402
from livelib import wmtest  # noqa: E402


def require_link(wiremeter):
    """Skips (or fails under WIREMETER_REQUIRE_CAPTURE=1) unless a link run
    works here: namespaces, veth and tbf, and capture on the veth."""
    proc = livelib.run_cli(wiremeter, ["run", "--size", "0", "--path", "link", "--json"], 60)
    if proc.returncode != 0:
        wmtest.skip(f"this host cannot run path=link: {proc.stderr.strip()}")


def frames(pcap):
    """(original length, timestamp ns, frame bytes) of each record of a
    classic pcap file, microsecond or nanosecond."""
    with open(pcap, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    wmtest.check(magic in (0xa1b2c3d4, 0xa1b23c4d), f"{pcap}: not a little-endian pcap")
    scale = 1 if magic == 0xa1b23c4d else 1000
    out, at = [], 24
    while at + 16 <= len(data):
        sec, frac, caplen, origlen = struct.unpack_from("<IIII", data, at)
        out.append((origlen, sec * 1_000_000_000 + frac * scale, data[at + 16:at + 16 + caplen]))
        at += 16 + caplen
    wmtest.check(at == len(data), f"{pcap}: {len(data) - at} bytes after the last record")
    return out


def tcp_payload_len(frame):
    """TCP payload bytes of an Ethernet/IPv4 or IPv6 frame's headers (the
    IP lengths, so a headers-only snaplen is enough); None if not TCP."""
    ethertype = struct.unpack_from(">H", frame, 12)[0]
    if ethertype == 0x0800:
        ihl = (frame[14] & 0x0F) * 4
        total = struct.unpack_from(">H", frame, 16)[0]
        if frame[23] != 6:
            return None
        tcp = 14 + ihl
        return total - ihl - (frame[tcp + 12] >> 4) * 4
    if ethertype == 0x86DD:
        if frame[20] != 6:
            return None
        plen = struct.unpack_from(">H", frame, 18)[0]
        tcp = 14 + 40
        return plen - (frame[tcp + 12] >> 4) * 4
    return None
