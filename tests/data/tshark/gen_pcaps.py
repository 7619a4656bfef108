#!/usr/bin/env python3
"""Synthetic TCP flows as pcap files, for the tshark agreement test.

Each scenario is a hand-written packet sequence (handshake, data, losses,
duplicate ACKs, closes...) written as an Ethernet pcap with nanosecond
timestamps. regen.sh runs this, then asks tshark what it makes of each file;
test_tshark_agreement.c checks that our analyser says the same. Adding a case
is adding a function here and running regen.sh. Python 3 stdlib only.
"""
import os
import struct
import sys

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10
T0 = 1764050000_000000000  # ns since the epoch, the first frame


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Flow:
    """One connection: side 0 is the client, side 1 the server."""

    def __init__(self, ipv6=False, cport=51234, sport=40211, isn=(1000, 5000),
                 ts=True):
        self.ipv6 = ipv6
        self.addr = ([b"\0" * 15 + b"\1"] * 2) if ipv6 else \
            [bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])]
        self.port = [cport, sport]
        self.next = [isn[0], isn[1]]
        self.win = [65535, 65535]
        self.ts = ts
        self.t = 0
        self.packets = []

    def raw(self, side, flags, seq, ack, length, win=None, dt=10000,
            opts=None, back=0):
        """back: the frame keeps its place but its timestamp says it came
        that many ns earlier (a clock that stepped back)."""
        self.t += dt
        if opts is None:
            opts = self.default_opts(flags)
        self.packets.append(dict(t=self.t - back, slot=self.t, side=side,
                                 flags=flags, seq=seq, ack=ack, len=length,
                                 win=self.win[side] if win is None else win,
                                 opts=opts, flow=self))

    def default_opts(self, flags):
        if flags & SYN:
            return None  # set by syn()
        if self.ts:
            return b"\x01\x01\x08\x0a" + struct.pack("!II", 100, 100)
        return b""

    def syn_opts(self, mss, ws):
        o = struct.pack("!BBH", 2, 4, mss) + b"\x04\x02"
        if self.ts:
            o += b"\x08\x0a" + struct.pack("!II", 100, 0)
        else:
            o += b"\x01\x01"
        if ws is not None:
            o += b"\x01\x03\x03" + bytes([ws])
        return o

    def handshake(self, ws=(7, 7), dt=10000):
        c, s = self.next
        self.raw(0, SYN, c, 0, 0, dt=dt, opts=self.syn_opts(65495, ws[0]))
        self.raw(1, SYN | ACK, s, c + 1, 0, dt=dt,
                 opts=self.syn_opts(65495, ws[1]))
        self.next = [c + 1, s + 1]
        self.raw(0, ACK, c + 1, s + 1, 0, dt=dt)

    def data(self, side, length, dt=10000, flags=PSH | ACK, advance=True,
             seq=None):
        seq = self.next[side] if seq is None else seq
        self.raw(side, flags, seq, self.next[1 - side], length, dt=dt)
        if advance:
            self.next[side] = seq + length

    def ack(self, side, dt=10000, ack=None, win=None):
        self.raw(side, ACK, self.next[side],
                 self.next[1 - side] if ack is None else ack, 0, dt=dt,
                 win=win)

    def fin(self, side, dt=10000):
        self.raw(side, FIN | ACK, self.next[side], self.next[1 - side], 0,
                 dt=dt)
        self.next[side] += 1

    def rst(self, side, dt=10000):
        self.raw(side, RST | ACK, self.next[side], self.next[1 - side], 0,
                 dt=dt)


def frame(p):
    f = p["flow"]
    side = p["side"]
    src, dst = f.addr[side], f.addr[1 - side]
    sport, dport = f.port[side], f.port[1 - side]
    opts = p["opts"] or b""
    opts += b"\0" * (-len(opts) % 4)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, p["seq"] & 0xFFFFFFFF,
                      p["ack"] & 0xFFFFFFFF, (20 + len(opts)) // 4 << 4,
                      p["flags"], p["win"], 0, 0) + opts + b"\0" * p["len"]
    if f.ipv6:
        pseudo = src + dst + struct.pack("!IxxxB", len(tcp), 6)
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64) + src + dst
        ethertype = 0x86DD
    else:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64,
                         6, 0) + src + dst
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        ethertype = 0x0800
    return b"\0" * 12 + struct.pack("!H", ethertype) + ip + tcp


def write_pcap(path, flows):
    packets = sorted((p for fl in flows for p in fl.packets),
                     key=lambda p: p["slot"])
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        for p in packets:
            data = frame(p)
            ts = T0 + p["t"]
            out.write(struct.pack("<IIII", ts // 10**9, ts % 10**9,
                                  len(data), len(data)))
            out.write(data)


# ---- scenarios ---------------------------------------------------------

def close_normally(f, first=1):
    f.fin(first)
    f.fin(1 - first)
    f.ack(first)


def download(ipv6=False, ws=(7, 7)):
    f = Flow(ipv6=ipv6)
    f.handshake(ws=ws)
    f.data(0, 16)
    f.ack(1)
    for _ in range(4):
        f.data(1, 32768)
    f.ack(0)
    f.data(1, 1000)
    f.ack(0)
    close_normally(f, first=1)
    return [f]


def upload():
    f = Flow(cport=51300, sport=40300, isn=(4294967000, 77))  # seq wraps
    f.handshake()
    f.data(0, 16)
    for _ in range(3):
        f.data(0, 60000)
        f.ack(1)
    close_normally(f, first=0)
    return [f]


def retransmission():
    f = Flow()
    f.handshake()
    f.data(1, 1000)
    f.data(1, 1000)
    f.ack(0)
    f.data(1, 1000, seq=f.next[1] - 1000, advance=False, dt=200_000_000)
    f.ack(0)
    close_normally(f)
    return [f]


def fast_retransmission():
    f = Flow()
    f.handshake()
    start = f.next[1]
    f.data(1, 1000)          # lost on the way (captured, though)
    for _ in range(4):
        f.data(1, 1000, dt=1000)
        f.ack(0, ack=start, dt=1000)   # the receiver asks for start again
    f.data(1, 1000, seq=start, advance=False, dt=1000)
    f.ack(0)
    close_normally(f)
    return [f]


def spurious_retransmission():
    f = Flow()
    f.handshake()
    f.data(1, 1000)
    f.ack(0)
    f.data(1, 1000, seq=f.next[1] - 1000, advance=False, dt=300_000_000)
    f.ack(0)
    close_normally(f)
    return [f]


def quick_spurious_retransmission():
    """Two segments, both ACKed, then the first sent again at once: old
    data within the out-of-order threshold, yet already acknowledged —
    Wireshark calls it spurious before it considers out-of-order."""
    f = Flow()
    f.handshake(dt=5_000_000)  # a first RTT of 10 ms
    s = f.next[1]
    f.data(1, 1000, dt=1000)
    f.data(1, 1000, dt=1000)
    f.ack(0, dt=1000)
    f.data(1, 1000, seq=s, advance=False, dt=1000)
    f.ack(0, dt=1000)
    close_normally(f)
    return [f]


def fin_retransmission():
    """A FIN sent again soon after: its sequence number counts one byte,
    so it is a retransmission, not out-of-order."""
    f = Flow()
    f.handshake(dt=5_000_000)
    f.data(1, 1000, dt=1000)
    f.ack(0, dt=1000)
    fin_seq = f.next[1]
    f.fin(1, dt=1000)
    f.raw(1, FIN | ACK, fin_seq, f.next[0], 0, dt=1000)
    f.fin(0, dt=1000)
    f.ack(1, dt=1000)
    return [f]


def out_of_order():
    f = Flow()
    f.handshake(dt=5_000_000)  # a first RTT of 10 ms
    s = f.next[1]
    f.data(1, 1000, seq=s + 1000, advance=False, dt=1000)  # second first
    f.data(1, 1000, seq=s, advance=False, dt=1000)
    f.next[1] = s + 2000
    f.ack(0)
    close_normally(f)
    return [f]


def lost_segment():
    f = Flow()
    f.handshake()
    f.data(1, 1000)
    f.next[1] += 1000        # a segment the capture missed
    f.data(1, 1000)
    f.ack(0)
    close_normally(f)
    return [f]


def keepalive_zero_window():
    f = Flow()
    f.handshake()
    f.data(1, 1000)
    f.ack(0, win=0)
    f.data(1, 1, advance=False, dt=200_000_000)  # zero window probe
    f.ack(0, win=0)
    f.ack(0, win=300)                            # window update
    f.raw(1, ACK, f.next[1] - 1, f.next[0], 0, dt=500_000_000)  # keep-alive
    f.ack(0, win=300)
    close_normally(f)
    return [f]


def client_closes():
    f = Flow()
    f.handshake()
    f.data(0, 13)
    f.ack(1)
    close_normally(f, first=0)
    return [f]


def simultaneous_close():
    f = Flow()
    f.handshake()
    f.data(1, 100)
    f.ack(0)
    c, s = f.next
    f.raw(0, FIN | ACK, c, s, 0)
    f.raw(1, FIN | ACK, s, c, 0)
    f.next = [c + 1, s + 1]
    f.ack(0)
    f.ack(1)
    return [f]


def rst_close():
    f = Flow()
    f.handshake()
    f.data(0, 13)
    f.ack(1)
    f.rst(1)
    return [f]


def no_handshake():
    f = Flow(isn=(700000, 900000))
    f.data(1, 1000, flags=ACK)
    f.ack(0)
    f.data(1, 1000)
    f.ack(0)
    close_normally(f)
    return [f]


def two_connections():
    a = Flow(cport=51000)
    b = Flow(cport=51001, isn=(123, 456))
    b.t = 5000  # interleaved in time
    for f in (a, b):
        f.handshake()
        f.data(1, 500)
        f.ack(0)
        close_normally(f)
    return [a, b]


def reused_tuple():
    a = Flow(cport=52000)
    a.handshake()
    a.data(1, 500)
    a.ack(0)
    close_normally(a)
    b = Flow(cport=52000, isn=(9000000, 8000000))
    b.t = a.t + 1_000_000
    b.handshake()
    b.data(1, 700)
    b.ack(0)
    close_normally(b)
    return [a, b]


def no_window_scale():
    return download(ws=(None, None))


def half_window_scale():
    return download(ws=(7, None))


def syn_retransmission():
    f = Flow(cport=51400)
    c, s = f.next
    f.raw(0, SYN, c, 12345, 0, opts=f.syn_opts(65495, 7))  # stray ack field
    f.raw(0, SYN, c, 0, 0, dt=1_000_000_000, opts=f.syn_opts(65495, 7))
    f.raw(1, SYN | ACK, s, c + 1, 0, opts=f.syn_opts(65495, 7))
    f.next = [c + 1, s + 1]
    f.ack(0)
    f.data(0, 13)
    f.ack(1)
    f.data(1, 2000)
    f.data(1, 2000, seq=f.next[1] - 2000, advance=False, dt=300_000_000)
    f.ack(0)
    f.ack(0)
    close_normally(f, first=0)
    return [f]


def ipv6_download():
    return download(ipv6=True)


def backwards_time():
    """A fast retransmission whose frame is stamped 200 us before the
    duplicate ACK it answers: Wireshark's time gaps are unsigned, so it is
    long after, and a plain retransmission."""
    f = Flow()
    f.handshake()
    start = f.next[1]
    f.data(1, 1000)
    for _ in range(3):
        f.data(1, 1000, dt=1000)
        f.ack(0, ack=start, dt=1000)
    f.raw(1, PSH | ACK, start, f.next[0], 1000, dt=1000, back=201000)
    f.ack(0)
    close_normally(f)
    return [f]


def acked_unseen_twice():
    """The receiver acks bytes the sender was never seen to send, twice
    with the same ACK: Wireshark flags the first only (it remembers in
    the sender's duplicate-ACK count until the ACK changes)."""
    f = Flow()
    f.handshake()
    f.data(1, 1000)
    f.ack(0, ack=f.next[1] + 2000)
    f.ack(0, ack=f.next[1] + 2000)
    f.next[1] += 2000
    f.data(1, 1000)
    f.ack(0)
    close_normally(f)
    return [f]


def window_full_after_syn():
    """The client's first data fills the window of the server's SYN-ACK,
    which is not scaled: the server has sent no ACK since its SYN."""
    f = Flow()
    c, s = f.next
    f.raw(0, SYN, c, 0, 0, opts=f.syn_opts(65495, 7))
    f.raw(1, SYN | ACK, s, c + 1, 0, win=1000, opts=f.syn_opts(65495, 7))
    f.next = [c + 1, s + 1]
    f.raw(0, ACK, c + 1, s + 1, 0, win=512)
    f.data(0, 1000)
    f.ack(1)
    close_normally(f)
    return [f]


def sack(f, blocks):
    """Timestamps and a SACK option of (left, right) raw edges."""
    o = b"\x01\x01\x08\x0a" + struct.pack("!II", 100, 100) + b"\x01\x01"
    return o + struct.pack("!BB", 5, 2 + 8 * len(blocks)) + b"".join(
        struct.pack("!II", left, right) for left, right in blocks)


def dsack():
    """Both D-SACK forms of RFC 2883: a block below the ACK (a segment
    received twice), and a first block inside the second; the SACKed
    bytes leave the sender's bytes in flight."""
    f = Flow()
    f.handshake()
    s = f.next[1]
    f.data(1, 1000)
    f.data(1, 1000)
    f.data(1, 1000)
    f.ack(0)
    f.data(1, 1000, seq=s, advance=False, dt=300_000_000)  # spurious
    f.raw(0, ACK, f.next[0], f.next[1], 0, opts=sack(f, [(s, s + 1000)]))
    s = f.next[1]
    f.data(1, 1000)                     # received
    f.data(1, 1000)                     # lost on the way
    f.data(1, 1000)                     # received: SACKed
    f.raw(0, ACK, f.next[0], s + 1000, 0,
          opts=sack(f, [(s + 2000, s + 3000)]))
    f.data(1, 1000, seq=s + 2000, advance=False, dt=300_000_000)
    f.raw(0, ACK, f.next[0], s + 1000, 0,
          opts=sack(f, [(s + 2000, s + 3000), (s + 2000, s + 3000)]))
    f.data(1, 1000, seq=s + 1000, advance=False)
    f.data(1, 500)                      # in flight beside the SACKed bytes
    f.ack(0)
    close_normally(f)
    return [f]


def fastopen_experimental():
    """TCP Fast Open in its experimental form (kind 254, ExID 0xF989):
    a SYN asking for a cookie, and a SYN with a cookie and data that the
    server's SYN-ACK does not acknowledge (it ignored the data, which the
    client then sends again)."""
    asks = Flow(cport=51400, sport=40500, isn=(7000, 9000))
    c, s = asks.next
    mss = struct.pack("!BBH", 2, 4, 1460)
    asks.raw(0, SYN, c, 0, 0, opts=mss + b"\xfe\x04\xf9\x89")
    cookie = b"\xfe\x0c\xf9\x89" + bytes(range(1, 9))
    asks.raw(1, SYN | ACK, s, c + 1, 0, opts=mss + cookie)
    asks.next = [c + 1, s + 1]
    asks.raw(0, ACK, c + 1, s + 1, 0, opts=b"")
    close_normally(asks)
    data = Flow(cport=51401, sport=40500, isn=(8000, 9500), ts=False)
    c, s = data.next
    data.raw(0, SYN, c, 0, 10, opts=mss + cookie, dt=1_000_000)
    data.raw(1, SYN | ACK, s, c + 1, 0, opts=mss)
    data.next = [c + 1, s + 1]
    data.ack(0)
    data.data(0, 10)
    data.ack(1)
    close_normally(data)
    return [asks, data]


SCENARIOS = {
    "download": download, "upload": upload, "retransmission": retransmission,
    "fast_retransmission": fast_retransmission,
    "spurious_retransmission": spurious_retransmission,
    "out_of_order": out_of_order, "lost_segment": lost_segment,
    "quick_spurious_retransmission": quick_spurious_retransmission,
    "fin_retransmission": fin_retransmission,
    "keepalive_zero_window": keepalive_zero_window,
    "client_closes": client_closes, "simultaneous_close": simultaneous_close,
    "rst_close": rst_close, "no_handshake": no_handshake,
    "two_connections": two_connections, "reused_tuple": reused_tuple,
    "no_window_scale": no_window_scale,
    "half_window_scale": half_window_scale,
    "syn_retransmission": syn_retransmission, "ipv6_download": ipv6_download,
    "backwards_time": backwards_time, "dsack": dsack,
    "fastopen_experimental": fastopen_experimental,
    "acked_unseen_twice": acked_unseen_twice,
    "window_full_after_syn": window_full_after_syn,
}

if __name__ == "__main__":
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    for name, make in SCENARIOS.items():
        write_pcap(os.path.join(outdir, name + ".pcap"), make())
