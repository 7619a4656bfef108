#!/usr/bin/env python3
"""Crafted packets the dissector must take as tshark does: IP fragments
(IPv6 ones, which Linux TCP never sends, and overlapping or duplicated
IPv4 ones), malformed TCP options and TCP data offsets below 5. Built on gen_pcaps.py's flows;
regen.sh runs this after it. Python 3 stdlib only.

A fragment plan lists, in the order they go on the wire, the fragments of
one segment's IP payload: (offset, length, more[, bytes that replace the
payload's at that offset]).
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_pcaps as g  # noqa: E402
from gen_pcaps import ACK, SYN, Flow, close_normally  # noqa: E402

IPV4_ID = [0x4000]
IPV6_ID = [0x10000]


def fragments(p, plan):
    """The frames of packet p cut as plan says."""
    whole = g.frame(p)
    ipv6 = p["flow"].ipv6
    eth, iphl = whole[:14], (40 if ipv6 else 20)
    ip, payload = whole[14:14 + iphl], whole[14 + iphl:]
    frames = []
    if ipv6:
        IPV6_ID[0] += 1
        ident = IPV6_ID[0]
    else:
        IPV4_ID[0] += 1
        ident = IPV4_ID[0]
    for item in plan:
        off, length, more = item[:3]
        data = payload[off:off + length]
        if len(item) > 3:
            data = item[3] + data[len(item[3]):]
        if ipv6:
            fh = struct.pack("!BBHI", 6, 0, off | (1 if more else 0), ident)
            hdr = ip[:4] + struct.pack("!H", len(fh) + len(data)) + \
                bytes([44]) + ip[7:]
            frames.append(eth + hdr + fh + data)
        else:
            flags = (0x2000 if more else 0) | (off // 8)
            hdr = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(data), ident,
                              flags, 64, 6, 0) + ip[12:20]
            hdr = hdr[:10] + struct.pack("!H", g.csum(hdr)) + hdr[12:]
            frames.append(eth + hdr + data)
    return frames


def with_doff(p):
    """The frame of p, its TCP data offset set to p["doff"] if given."""
    data = g.frame(p)
    if p.get("doff") is None:
        return data
    at = 14 + (40 if p["flow"].ipv6 else 20) + 12
    return data[:at] + bytes([p["doff"] << 4]) + data[at + 1:]


def write(path, flows, plans=None, cuts=None):
    """Like gen_pcaps.write_pcap; plans maps a packet's 1-based place to
    its fragment plan, cuts a frame's 1-based number to its snaplen."""
    plans, cuts = plans or {}, cuts or {}
    packets = sorted((p for fl in flows for p in fl.packets),
                     key=lambda p: p["t"])
    frames = []
    for i, p in enumerate(packets, 1):
        ts = g.T0 + p["t"]
        parts = fragments(p, plans[i]) if i in plans else [with_doff(p)]
        frames += [(ts + k * 1000, f) for k, f in enumerate(parts)]
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        for n, (ts, data) in enumerate(frames, 1):
            cap = min(cuts.get(n, len(data)), len(data))
            out.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, cap,
                                  len(data)))
            out.write(data[:cap])


def transfer(ipv6, segments, seglen):
    f = Flow(ipv6=ipv6, cport=51400, sport=40400)
    f.handshake()
    for _ in range(segments):
        f.data(0, seglen)
    f.ack(1)
    close_normally(f, first=0)
    return f


def ipv6_fragments():
    # 3000-byte segments + 32 of TCP header = 3032 bytes of payload
    f = transfer(True, 5, 3000)
    in_order = [(0, 1232, True), (1232, 1232, True), (2464, 568, False)]
    plans = {
        4: in_order,
        5: list(reversed(in_order)),                 # last first
        6: [(0, 1232, True), (1232, 1232, True), (1232, 1232, True),
            (2464, 568, False)],                     # a duplicate
        # a short first fragment with another seq, then the real one at
        # the same offset: the bytes of the first to come stand
        7: [(0, 16, True, b"\xc8\xc8\x9d\xd0\x00\x00\x00\x00"),
            (0, 1232, True), (1232, 1800, False)],
        8: [(0, 1232, True), (2464, 568, False)],    # never completed
    }
    return [f], plans


def ipv4_fragments_overlap():
    f = transfer(False, 5, 1400)                     # 1432 bytes of payload
    plans = {
        4: [(0, 552, True), (552, 552, True), (1104, 328, False)],
        5: [(1104, 328, False), (0, 552, True), (552, 552, True)],
        # overlapping: 0-800 then 552-1432; then the tail again after the
        # datagram is whole, which opens one that never completes
        6: [(0, 800, True), (552, 880, False), (552, 880, False)],
        7: [(0, 552, True), (552, 552, True)],       # no last fragment
    }
    return [f], plans


def syn_with_options(opts):
    f = Flow(cport=51500, sport=40500)
    c, s = f.next
    f.raw(0, SYN, c, 0, 0,
          opts=f.syn_opts(65495, 7) if opts is None else opts)
    f.raw(1, SYN | ACK, s, c + 1, 0, opts=f.syn_opts(65495, 7))
    f.next = [c + 1, s + 1]
    f.raw(0, ACK, c + 1, s + 1, 0)
    f.data(0, 100)
    f.ack(1)
    f.data(1, 200)
    f.ack(0)
    close_normally(f)
    return f


TS = b"\x08\x0a" + struct.pack("!II", 100, 0)


def tcp_option_len0():
    return [syn_with_options(struct.pack("!BBH", 2, 0, 1460) + b"\x04\x02" +
                             TS + b"\x01\x03\x03\x07")], {}


def tcp_option_len255():
    return [syn_with_options(struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" +
                             b"\x08\xff" + TS[2:] + b"\x01\x03\x03\x07")], {}


def tcp_option_bad_mss_len():
    return [syn_with_options(struct.pack("!BBH", 2, 3, 1460) + b"\x04\x02" +
                             TS + b"\x01\x03\x03\x07")], {}


def tcp_data_offset3():
    f = syn_with_options(None)
    f.packets[3]["doff"] = 3  # the first data segment: 12 bytes of header
    return [f], {}


def tcp_syn_data_offset3():
    f = syn_with_options(None)
    f.packets[0]["doff"] = 3
    return [f], {}


def acked_unseen_repeated():
    # what reaches the analysis when fragments cannot be reassembled: ACKs
    # of data never seen, then a segment after a gap, then more ACKs
    f = Flow(cport=51600, sport=40600)
    f.handshake()
    c = f.next[0]
    for k in (1000, 2000, 3000):
        f.raw(1, ACK, f.next[1], c + k, 0)
    f.raw(0, ACK | 0x08, c + 3000, f.next[1], 500)
    for k in (3500, 4000):
        f.raw(1, ACK, f.next[1], c + k, 0)
    f.raw(0, ACK | 0x08, c + 5000, f.next[1], 500)
    f.raw(1, ACK, f.next[1], c + 5500, 0)
    return [f], {}


SCENARIOS = {
    "ipv6_fragments": ipv6_fragments,
    "ipv4_fragments_overlap": ipv4_fragments_overlap,
    "tcp_option_len0": tcp_option_len0,
    "tcp_option_len255": tcp_option_len255,
    "tcp_option_bad_mss_len": tcp_option_bad_mss_len,
    "tcp_data_offset3": tcp_data_offset3,
    "tcp_syn_data_offset3": tcp_syn_data_offset3,
    "acked_unseen_repeated": acked_unseen_repeated,
}

if __name__ == "__main__":
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    for name, make in SCENARIOS.items():
        flows, plans = make()
        write(os.path.join(outdir, name + ".pcap"), flows, plans)
