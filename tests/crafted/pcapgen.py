"""Crafted captures for tests/crafted/test_crafted.py (Python 3 stdlib only).

Why not tests/data/tshark/gen_pcaps.py: those flows are checked against what
tshark says and all share one address (127.0.0.1 on both sides). These are
checked against values worked out by hand, with a DISTINCT client and server
address, at the exact edge of each threshold, and with headers and options
broken on purpose — things a real capture produces only by chance.
"""
import struct

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10
T0 = 1764060000_000000000  # ns since the epoch, the first frame
MS = 1000000

LINK_NULL, LINK_ETHERNET = 0, 1


def opt_mss(v, length=4):
    return struct.pack("!BB", 2, length) + struct.pack("!H", v) + b"\0" * (length - 4)


def opt_ws(v):
    return b"\x01" + struct.pack("!BBB", 3, 3, v)


def opt_sack_perm():
    return b"\x01\x01\x04\x02"


def opt_ts(val, ecr):
    return b"\x01\x01" + struct.pack("!BBII", 8, 10, val, ecr)


def opt_sack(blocks):
    body = b"".join(struct.pack("!II", l, r) for l, r in blocks)
    return b"\x01\x01" + struct.pack("!BB", 5, 2 + len(body)) + body


def pad(opts):
    return opts + b"\x01" * (-len(opts) % 4)


def tcp_header(sport, dport, seq, ack, flags, win, opts=b"", doff=None):
    opts = pad(opts)
    words = doff if doff is not None else 5 + len(opts) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                       words << 4, flags, win, 0, 0) + opts


def ipv4(src, dst, payload, total=None, frag=0):
    length = 20 + len(payload) if total is None else total
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, 1, frag, 64, 6, 0,
                       bytes(src), bytes(dst)) + payload


def ipv6(src, dst, payload, plen=None):
    length = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", 6 << 28, length, 6, 64, bytes(src), bytes(dst)) + payload


def ether(ip_packet, v6=False):
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + (b"\x86\xdd" if v6 else b"\x08\x00") + ip_packet


def write_pcap(path, frames, linktype=LINK_ETHERNET):
    """frames: (ns since T0, bytes); a nanosecond pcap."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, linktype))
        for t, data in frames:
            ts = T0 + t
            f.write(struct.pack("<IIII", ts // 1000000000, ts % 1000000000, len(data), len(data)))
            f.write(data)


class Conn:
    """One connection between two distinct hosts: side 0 the client, 1 the
    server. Sequence numbers are kept by the caller, raw, so each scenario
    reads like the packet list it makes."""

    def __init__(self, frames, client, server, cport, sport, v6=False):
        self.frames = frames
        self.addr = [client, server]
        self.port = [cport, sport]
        self.v6 = v6

    def send(self, t, side, flags, seq, ack, length=0, win=65535, opts=b"", **broken):
        tcp = tcp_header(self.port[side], self.port[1 - side], seq, ack, flags, win, opts,
                         broken.get("doff")) + b"\x5a" * length
        if self.v6:
            ip = ipv6(self.addr[side], self.addr[1 - side], tcp, broken.get("plen"))
        else:
            ip = ipv4(self.addr[side], self.addr[1 - side], tcp, broken.get("total"),
                      broken.get("frag", 0))
        self.frames.append((t, ether(ip, self.v6)))
