#!/usr/bin/env python3
"""Agreement with tshark: for live runs' pcaps (every lab size, both
directions, IPv4 and one IPv6 run), each packet's frame number, relative
time to the nanosecond, addresses and ports, frame length, flags, relative
seq/ack, window, TCP length, analysis marks, the tcp.analysis values
(nxtseq, ack RTT, bytes in flight, iRTT, RTO) and the Info text equal what
`tshark -T fields` prints; the conversation's frame and byte counts equal
`tshark -q -z conv,tcp`.

usage: test_tshark.py WIREMETER
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib  # noqa: E402
from livelib import wmtest  # noqa: E402

# tshark field -> how our packet row says the same thing.
FIELDS = ["frame.number", "frame.time_relative", "ip.src", "ipv6.src", "tcp.srcport",
          "ip.dst", "ipv6.dst", "tcp.dstport", "frame.len", "tcp.flags", "tcp.seq",
          "tcp.ack", "tcp.window_size", "tcp.len"]

# Wireshark's expert fields and the names docs/result.md gives them.
MARKS = [("tcp.analysis.retransmission", "retransmission"),
         ("tcp.analysis.fast_retransmission", "fast_retransmission"),
         ("tcp.analysis.spurious_retransmission", "spurious_retransmission"),
         ("tcp.analysis.out_of_order", "out_of_order"),
         ("tcp.analysis.duplicate_ack", "duplicate_ack"),
         ("tcp.analysis.lost_segment", "lost_segment"),
         ("tcp.analysis.ack_lost_segment", "acked_unseen_segment"),
         ("tcp.analysis.keep_alive", "keep_alive"),
         ("tcp.analysis.window_update", "window_update"),
         ("tcp.analysis.zero_window", "zero_window")]


# Wireshark's tcp.analysis values and the packet row's names for them;
# tshark prints times in seconds, our rows in ns; empty is null.
VALUES = [("tcp.nxtseq", "nxtseq", False),
          ("tcp.analysis.acks_frame", "acks_frame", False),
          ("tcp.analysis.ack_rtt", "ack_rtt_ns", True),
          ("tcp.analysis.bytes_in_flight", "bytes_in_flight", False),
          ("tcp.analysis.push_bytes_sent", "push_bytes_sent", False),
          ("tcp.analysis.initial_rtt", "initial_rtt_ns", True),
          ("tcp.analysis.rto", "rto_ns", True),
          ("tcp.analysis.rto_frame", "rto_frame", False)]


def tshark_rows(tshark, pcap, ports):
    fields = FIELDS + [m[0] for m in MARKS] + ["tcp.analysis.duplicate_ack_num"] + \
        [v[0] for v in VALUES] + ["_ws.col.Info"]
    cmd = [tshark, "-n", "-r", pcap, "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=f"]
    # Our pattern bytes are no protocol: decoding them as plain data keeps
    # tshark's port and heuristic dissectors from renaming the Info column.
    for port in ports:
        cmd += ["-d", f"tcp.port=={port},data"]
    for f in fields:
        cmd += ["-e", f]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    wmtest.check(proc.returncode == 0, f"tshark failed: {proc.stderr}")
    rows = []
    for line in proc.stdout.splitlines():
        # Wireshark notes where a dissector ran past the snaplen (it does
        # for a FIN carrying data): a fact of its dissection engine, not of
        # TCP, which our Info text leaves out.
        line = line.replace("[Packet size limited during capture]", "")
        values = line.split("\t")
        wmtest.check(len(values) == len(fields), f"tshark line with {len(values)} fields: {line}")
        rows.append(dict(zip(fields, values)))
    return rows


def seconds(ns):
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    return f"{sign}{ns // 1000000000}.{ns % 1000000000:09d}"


def expected_fields(p):
    """Our packet row in tshark's spelling."""
    v6 = ":" in p["source"]
    return {
        "frame.number": str(p["no"]),
        "frame.time_relative": seconds(p["time_ns"]),
        "ip.src": "" if v6 else p["source"], "ipv6.src": p["source"] if v6 else "",
        "ip.dst": "" if v6 else p["destination"], "ipv6.dst": p["destination"] if v6 else "",
        "tcp.srcport": str(p["source_port"]), "tcp.dstport": str(p["destination_port"]),
        "frame.len": str(p["length"]),
        "tcp.seq": str(p["seq"]), "tcp.ack": str(p["ack"]),
        "tcp.window_size": str(p["window"]), "tcp.len": str(p["len"]),
        "_ws.col.Info": p["info"],
    }


def compare_packet(label, ours, theirs):
    want = expected_fields(ours)
    for field, value in want.items():
        if theirs[field] != value:
            wmtest.fail(f"{label}: frame {ours['no']}: {field} is {value!r} for us, "
                        f"{theirs[field]!r} for tshark")
    if int(theirs["tcp.flags"], 16) != ours["flags_raw"]:
        wmtest.fail(f"{label}: frame {ours['no']}: flags {ours['flags_raw']:#x} vs tshark "
                    f"{theirs['tcp.flags']}")
    analysis = set(ours.get("analysis") or [])
    for field, name in MARKS:
        if (theirs[field] != "") != (name in analysis):
            wmtest.fail(f"{label}: frame {ours['no']}: mark {name}: ours {sorted(analysis)}, "
                        f"tshark {field}={theirs[field]!r}")
    for field, key, is_time in VALUES:
        value = ours[key]
        want = "" if value is None else seconds(value) if is_time else str(value)
        wmtest.check(theirs[field] == want, f"{label}: frame {ours['no']}: {key} is {want!r} "
                                            f"for us, {field} {theirs[field]!r} for tshark")
    dup = theirs["tcp.analysis.duplicate_ack_num"]
    ours_dup = str(ours["dup_ack"]["num"]) if ours.get("dup_ack") else ""
    wmtest.check(dup == ours_dup, f"{label}: frame {ours['no']}: dup ACK number "
                                  f"{ours_dup!r} vs tshark {dup!r}")


def ns_of(text):
    """tshark's seconds with nine decimals, as integer ns."""
    sign = -1 if text.startswith("-") else 1
    whole, frac = text.lstrip("-").split(".")
    return sign * (int(whole) * 1000000000 + int(frac.ljust(9, "0")))


def compare_rtt(label, analysis, theirs):
    """The connection's RTT summary against every ack_rtt tshark shows:
    count, min, max and mean exact, p50 and p99 within the histogram's
    1/32 (docs/result.md)."""
    samples = sorted(ns_of(r["tcp.analysis.ack_rtt"]) for r in theirs
                     if r["tcp.analysis.ack_rtt"])
    rtt = analysis["rtt"]
    wmtest.check(rtt["count"] == len(samples),
                 f"{label}: rtt count {rtt['count']}, tshark {len(samples)} ack_rtt")
    if not samples:
        return
    wmtest.check((rtt["min_ns"], rtt["max_ns"]) == (samples[0], samples[-1]),
                 f"{label}: rtt min/max {rtt['min_ns']}/{rtt['max_ns']}, "
                 f"tshark {samples[0]}/{samples[-1]}")
    wmtest.check(rtt["mean_ns"] == sum(samples) // len(samples),
                 f"{label}: rtt mean {rtt['mean_ns']}, tshark {sum(samples) // len(samples)}")
    for key, per_mille in (("p50_ns", 500), ("p99_ns", 990)):
        exact = samples[max(1, -(-len(samples) * per_mille // 1000)) - 1]
        wmtest.check(abs(rtt[key] - exact) * 32 <= abs(exact),
                     f"{label}: rtt {key} {rtt[key]}, tshark's {exact}")


def format_size(n):
    """Wireshark's format_size (wsutil/str_util.c), SI prefixes, integer
    division: what conv,tcp prints as byte counts."""
    for power, prefix in ((1000 ** 4, "TB"), (1000 ** 3, "GB"), (1000 ** 2, "MB"), (1000, "kB")):
        if n // power >= 10:
            return f"{n // power} {prefix}"
    return f"{n} bytes"


CONV = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+ \S+)\s+(\d+)\s+(\d+ \S+)\s+(\d+)\s+(\d+ \S+)")


def compare_conv(tshark, label, pcap, packets):
    proc = subprocess.run([tshark, "-n", "-q", "-r", pcap, "-z", "conv,tcp"],
                          capture_output=True, text=True, timeout=300)
    wmtest.check(proc.returncode == 0, f"tshark conv failed: {proc.stderr}")
    convs = [CONV.match(line) for line in proc.stdout.splitlines()]
    convs = [m for m in convs if m]
    wmtest.check(len(convs) == 1, f"{label}: tshark sees {len(convs)} conversations:\n{proc.stdout}")
    m = convs[0]
    # "<-" counts what B sent to A, "->" what A sent to B.
    a_port = int(m.group(1).rsplit(":", 1)[1])
    sent = {}
    for p in packets:
        n, b = sent.get(p["source_port"], (0, 0))
        sent[p["source_port"]] = (n + 1, b + p["length"])
    b_port = int(m.group(2).rsplit(":", 1)[1])
    a_frames, a_bytes = sent.get(a_port, (0, 0))
    b_frames, b_bytes = sent.get(b_port, (0, 0))
    want = (str(b_frames), format_size(b_bytes), str(a_frames), format_size(a_bytes),
            str(a_frames + b_frames), format_size(a_bytes + b_bytes))
    got = m.groups()[2:8]
    wmtest.check(tuple(got) == want, f"{label}: conv,tcp says {got}, we count {want}")


def test():
    wiremeter = wmtest.binary()
    tshark = livelib.require_tshark()
    wmtest.require_capture(wiremeter)
    workdir = livelib.workdir()
    cases = [(s, d, []) for s, _ in livelib.SIZES for d in livelib.DIRECTIONS]
    cases.append(("1MB", "download", ["--ipv6"]))
    for size_text, direction, extra in cases:
        label = f"{size_text} {direction} {' '.join(extra)}".strip()
        result, pcap = livelib.transfer(wiremeter, size_text, direction, workdir, extra)
        doc = livelib.run_json(wiremeter, ["analyze", pcap, "--packets"])
        wmtest.check(len(doc["connections"]) == 1, f"{label}: connections in the pcap")
        packets = doc["connections"][0].get("packets")
        wmtest.check(isinstance(packets, list), f"{label}: analyze --packets gave no packet list")
        conn = doc["connections"][0]["connection"]
        theirs = tshark_rows(tshark, pcap, (conn["client"]["port"], conn["server"]["port"]))
        wmtest.check(len(packets) == len(theirs),
                     f"{label}: {len(packets)} packets for us, {len(theirs)} for tshark")
        for ours, row in zip(packets, theirs):
            compare_packet(label, ours, row)
        compare_conv(tshark, label, pcap, packets)
        compare_rtt(label, doc["connections"][0]["analysis"], theirs)
        print(f"ok: {label}: {len(packets)} packets agree with tshark")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    wmtest.main(test)
