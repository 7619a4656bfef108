#!/usr/bin/env python3
"""`wiremeter analyze` of crafted captures, against values worked out by hand.

Each scenario writes a pcap (tests/crafted/pcapgen.py) with a distinct
client and server address, runs `wiremeter analyze --json --packets` on it
and checks the fields a plausible bug would change: every field of the
result document at least once, each threshold of the sequence analysis on
both sides of its edge (fast retransmission after 2 duplicate ACKs, just
inside and exactly at tshark's 20 ms window; out-of-order just inside and
well past 3 ms), Window Full and SACK without relying on a live transfer,
sequence numbers that wrap, more than 64 interleaved connections (the
connection table grows), and headers and options broken on purpose.

Usage: test_crafted.py WIREMETER [--dump SCENARIO]  (label unit: no capture
rights, no daemon; it runs in a second.)
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import wmtest  # noqa: E402
from wmtest import check  # noqa: E402
from pcapgen import (ACK, FIN, MS, PSH, RST, SYN, LINK_NULL, Conn, opt_mss, opt_sack,  # noqa: E402
                     opt_sack_perm, opt_ts, opt_ws, ether, ipv4, ipv6, tcp_header, write_pcap)

CLIENT4, SERVER4 = [10, 1, 0, 1], [10, 2, 0, 2]
CLIENT6 = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1]
SERVER6 = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2]
ISN_C, ISN_S = 1000, 5000

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


# ---- the result document, every field -----------------------------------

@scenario
def summary(frames):
    """A whole connection: options differing per side, a SYN-ACK sent
    twice, a one-byte segment, FIN-ACKs (not pure ACKs), server closes."""
    c = Conn(frames, CLIENT4, SERVER4, 40001, 8080)
    c.send(0, 0, SYN, ISN_C, 0, win=64240,
           opts=opt_mss(1460) + opt_sack_perm() + opt_ts(7, 0) + opt_ws(2))
    c.send(1 * MS, 1, SYN | ACK, ISN_S, ISN_C + 1, win=65160, opts=opt_mss(1400) + opt_ws(5))
    c.send(3 * MS, 1, SYN | ACK, ISN_S, ISN_C + 1, win=65160, opts=opt_mss(1400) + opt_ws(5))
    c.send(4 * MS, 0, ACK, ISN_C + 1, ISN_S + 1, win=1000)
    c.send(5 * MS, 0, PSH | ACK, ISN_C + 1, ISN_S + 1, 100, win=1000)
    c.send(6 * MS, 1, ACK, ISN_S + 1, ISN_C + 101, win=2000)
    c.send(7 * MS, 1, ACK, ISN_S + 1, ISN_C + 101, 1000, win=2000)
    c.send(8 * MS, 1, PSH | ACK, ISN_S + 1001, ISN_C + 101, 1000, win=2000)
    c.send(9 * MS, 0, ACK, ISN_C + 101, ISN_S + 2001, win=1000)
    c.send(10 * MS, 1, PSH | ACK, ISN_S + 2001, ISN_C + 101, 1, win=2000)
    c.send(11 * MS, 0, ACK, ISN_C + 101, ISN_S + 2002, win=1000)
    c.send(20 * MS, 1, FIN | ACK, ISN_S + 2002, ISN_C + 101, win=2000)
    c.send(21 * MS, 0, ACK, ISN_C + 101, ISN_S + 2003, win=1000)
    c.send(22 * MS, 0, FIN | ACK, ISN_C + 101, ISN_S + 2003, win=1000)
    c.send(25 * MS, 1, ACK, ISN_S + 2003, ISN_C + 102, win=2000)


def check_summary(doc):
    conn = one(doc)
    con = conn["connection"]
    check(con["client"] == {"ip": "10.1.0.1", "port": 40001}, f"client {con['client']}")
    check(con["server"] == {"ip": "10.2.0.2", "port": 8080}, f"server {con['server']}")
    check(con["ip_version"] == 4, f"ip_version {con['ip_version']}")
    check(con["roles_known"] is True, "roles_known")
    check(con["mss"] == {"client": 1460, "server": 1400}, f"mss {con['mss']}")
    check(con["window_scale"] == {"client": 2, "server": 5}, f"window_scale {con['window_scale']}")
    # Each offered by the client alone: neither is in use.
    check(con["sack_permitted"] is False, "sack_permitted: only the client offered it")
    check(con["timestamps"] is False, "timestamps: only the client sent them")
    hs = conn["handshake"]
    check(hs["complete"] is True, "handshake complete")
    check(hs["duration_ns"] == 4 * MS, f"handshake duration {hs['duration_ns']}")
    check(hs["isn"] == {"client": ISN_C, "server": ISN_S}, f"isn {hs['isn']}")
    # The first SYN-ACK is the handshake's; the second is sent again.
    check([p["no"] for p in hs["packets"]] == [1, 2, 4],
          f"handshake rows {[p['no'] for p in hs['packets']]}")
    check(conn["packets"][2]["analysis"] != [], "the second SYN-ACK is a retransmission")
    cl = conn["closure"]
    check(cl["kind"] == "fin" and cl["initiator"] == "server", f"closure {cl['kind']} {cl['initiator']}")
    check(cl["simultaneous"] is False and cl["complete"] is True, "closure flags")
    check(cl["duration_ns"] == 5 * MS, f"closure duration {cl['duration_ns']}")
    check([p["no"] for p in cl["packets"]] == [12, 13, 14, 15], "closure rows")
    t = conn["totals"]
    want = {"packets": 15, "client_to_server": 7, "server_to_client": 8, "data_packets": 4,
            "pure_acks": 6, "payload_bytes": 2101, "payload_client_to_server": 100,
            "payload_server_to_client": 2001,
            "stream_bytes": {"client_to_server": 100, "server_to_client": 2001},
            "retransmissions": 1, "duplicate_acks": 0, "out_of_order": 0}
    for k, v in want.items():
        check(t[k] == v, f"totals.{k} {t[k]}, expected {v}")
    tm = conn["timing"]
    # The transfer phase runs from the handshake's ACK (4 ms) to the first
    # FIN (20 ms): 16 ms; the larger direction carried 2001 bytes.
    want = {"first_packet_ns": T0_NS, "last_packet_ns": T0_NS + 25 * MS, "total_ns": 25 * MS,
            "handshake_ns": 4 * MS, "transfer_ns": 16 * MS, "closure_ns": 5 * MS,
            "throughput_bps": 2001 * 8 * 1000000000 // (16 * MS)}
    for k, v in want.items():
        check(tm[k] == v, f"timing.{k} {tm[k]}, expected {v}")
    rows = conn["packets"]
    # Frame bytes, worked out from the rows: over all packets, over those
    # that carry data.
    lengths = [r["length"] for r in rows]
    data = [r["length"] for r in rows if r["len"] > 0]
    check(t["wire_bytes"] == sum(lengths), f"totals.wire_bytes {t['wire_bytes']}, rows {sum(lengths)}")
    check(abs(conn["average_packet_size"]["all"] - sum(lengths) / len(lengths)) < 0.01 and
          abs(conn["average_packet_size"]["data"] - sum(data) / len(data)) < 0.01,
          f"average_packet_size {conn['average_packet_size']}")
    check(rows[9]["len"] == 1 and rows[9]["role"] == "data", f"a one-byte segment: {rows[9]['role']}")
    check(rows[5]["role"] == "ack", "a pure ACK")
    check(rows[0]["source"] == "10.1.0.1" and rows[0]["destination"] == "10.2.0.2"
          and rows[0]["from"] == "client" and rows[1]["from"] == "server", "row endpoints")


@scenario
def summary_ipv6(frames):
    """The same shape over IPv6, both sides offering everything."""
    c = Conn(frames, CLIENT6, SERVER6, 40002, 8443, v6=True)
    every = opt_mss(1440) + opt_sack_perm() + opt_ts(1, 0) + opt_ws(7)
    c.send(0, 0, SYN, ISN_C, 0, opts=every)
    c.send(1 * MS, 1, SYN | ACK, ISN_S, ISN_C + 1, opts=every)
    c.send(2 * MS, 0, ACK, ISN_C + 1, ISN_S + 1, opts=opt_ts(2, 1))
    c.send(3 * MS, 0, PSH | ACK, ISN_C + 1, ISN_S + 1, 300, opts=opt_ts(3, 1))
    c.send(4 * MS, 1, ACK, ISN_S + 1, ISN_C + 301, opts=opt_ts(4, 3))
    c.send(10 * MS, 0, FIN | ACK, ISN_C + 301, ISN_S + 1, opts=opt_ts(5, 4))
    c.send(11 * MS, 1, FIN | ACK, ISN_S + 1, ISN_C + 302, opts=opt_ts(6, 5))
    c.send(13 * MS, 0, ACK, ISN_C + 302, ISN_S + 2, opts=opt_ts(7, 6))


def check_summary_ipv6(doc):
    conn = one(doc)
    con = conn["connection"]
    check(con["ip_version"] == 6, f"ip_version {con['ip_version']}")
    check(con["client"] == {"ip": "2001:db8::1", "port": 40002}, f"client {con['client']}")
    check(con["server"] == {"ip": "2001:db8::2", "port": 8443}, f"server {con['server']}")
    check(con["sack_permitted"] is True and con["timestamps"] is True, "both sides offered")
    cl = conn["closure"]
    check(cl["initiator"] == "client" and cl["simultaneous"] is False, "client closes")
    check(cl["duration_ns"] == 3 * MS and conn["timing"]["closure_ns"] == 3 * MS, "closure 3 ms")
    check(conn["timing"]["transfer_ns"] == 8 * MS, f"transfer {conn['timing']['transfer_ns']}")
    check(conn["timing"]["throughput_bps"] == 300 * 8 * 1000000000 // (8 * MS), "throughput")
    check(conn["totals"]["pure_acks"] == 3, f"pure_acks {conn['totals']['pure_acks']}")


@scenario
def simultaneous_close(frames):
    """Each side sends its FIN before it has seen the other's."""
    c = Conn(frames, CLIENT4, SERVER4, 40003, 8080)
    c.send(0, 0, SYN, ISN_C, 0, opts=opt_mss(1460))
    c.send(1 * MS, 1, SYN | ACK, ISN_S, ISN_C + 1, opts=opt_mss(1460))
    c.send(2 * MS, 0, ACK, ISN_C + 1, ISN_S + 1)
    c.send(3 * MS, 0, FIN | ACK, ISN_C + 1, ISN_S + 1)
    c.send(4 * MS, 1, FIN | ACK, ISN_S + 1, ISN_C + 1)
    c.send(5 * MS, 0, ACK, ISN_C + 2, ISN_S + 2)
    c.send(7 * MS, 1, ACK, ISN_S + 2, ISN_C + 2)


def check_simultaneous_close(doc):
    cl = one(doc)["closure"]
    check(cl["simultaneous"] is True, "simultaneous close")
    # From the first FIN (3 ms) to the ACK of the last one (5 ms).
    check(cl["complete"] is True and cl["duration_ns"] == 2 * MS, f"closure {cl}")
    check(cl["initiator"] == "client", "initiator")


@scenario
def fin_sent_again(frames):
    """The client's FIN is sent again after the server's FIN: the closure
    is still from the client's first FIN to the ACK of the server's."""
    c = Conn(frames, CLIENT4, SERVER4, 40004, 8080)
    c.send(0, 0, SYN, ISN_C, 0)
    c.send(1 * MS, 1, SYN | ACK, ISN_S, ISN_C + 1)
    c.send(2 * MS, 0, ACK, ISN_C + 1, ISN_S + 1)
    c.send(3 * MS, 0, FIN | ACK, ISN_C + 1, ISN_S + 1)
    c.send(4 * MS, 1, FIN | ACK, ISN_S + 1, ISN_C + 2)
    c.send(5 * MS, 0, FIN | ACK, ISN_C + 1, ISN_S + 1)
    c.send(6 * MS, 0, ACK, ISN_C + 2, ISN_S + 2)


def check_fin_sent_again(doc):
    cl = one(doc)["closure"]
    check(cl["complete"] is True, f"closure complete: {cl}")
    check(cl["duration_ns"] == 3 * MS, f"closure duration {cl['duration_ns']}")
    check(cl["initiator"] == "client" and cl["simultaneous"] is False, "closure")


@scenario
def handshake_late(frames):
    """The capture starts after the SYN: a SYN-ACK and its ACK only."""
    c = Conn(frames, CLIENT4, SERVER4, 40005, 8080)
    c.send(0, 1, SYN | ACK, ISN_S, ISN_C + 1)
    c.send(1 * MS, 0, ACK, ISN_C + 1, ISN_S + 1)
    c.send(2 * MS, 0, PSH | ACK, ISN_C + 1, ISN_S + 1, 10)


def check_handshake_late(doc):
    hs = one(doc)["handshake"]
    check(hs["complete"] is False, "no SYN captured: the handshake is not complete")


@scenario
def simultaneous_open_late(frames):
    """A simultaneous open captured after both SYNs: each side sends a
    SYN-ACK. The first one decides the roles: its receiver is the client."""
    c = Conn(frames, CLIENT4, SERVER4, 40006, 8080)
    c.send(0, 1, SYN | ACK, ISN_S, ISN_C + 1)
    c.send(1 * MS, 0, SYN | ACK, ISN_C, ISN_S + 1)
    c.send(2 * MS, 0, ACK, ISN_C + 1, ISN_S + 1)
    c.send(3 * MS, 1, ACK, ISN_S + 1, ISN_C + 1)


def check_simultaneous_open_late(doc):
    con = one(doc)["connection"]
    check(con["client"] == {"ip": "10.1.0.1", "port": 40006}, f"client {con['client']}")
    check(con["roles_known"] is True, "roles known from the first SYN-ACK")


# ---- sequence analysis at each threshold's edge ---------------------------

def data_then_loss(c, retransmit_at, dupacks):
    """Server data, the second segment lost, `dupacks` duplicate ACKs, then
    the lost segment sent again `retransmit_at` ns after the last one."""
    c.send(0, 0, SYN, ISN_C, 0)
    c.send(1 * MS, 1, SYN | ACK, ISN_S, ISN_C + 1)
    c.send(2 * MS, 0, ACK, ISN_C + 1, ISN_S + 1)
    t = 3 * MS
    for i in (0, 2, 3, 4):
        c.send(t, 1, ACK, ISN_S + 1 + 100 * i, ISN_C + 1, 100)
        t += 10000
    c.send(t, 0, ACK, ISN_C + 1, ISN_S + 101)
    for _ in range(dupacks):
        t += 10000
        c.send(t, 0, ACK, ISN_C + 1, ISN_S + 101)
    c.send(t + retransmit_at, 1, ACK, ISN_S + 101, ISN_C + 1, 100)


@scenario
def fast_two_dupacks(frames):
    data_then_loss(Conn(frames, CLIENT4, SERVER4, 41001, 8080), 1 * MS, 2)


@scenario
def fast_inside_window(frames):
    data_then_loss(Conn(frames, CLIENT4, SERVER4, 41002, 8080), 10 * MS, 3)


@scenario
def fast_window_edge(frames):
    data_then_loss(Conn(frames, CLIENT4, SERVER4, 41003, 8080), 20 * MS, 3)


@scenario
def one_dupack(frames):
    data_then_loss(Conn(frames, CLIENT4, SERVER4, 41004, 8080), 1 * MS, 1)


def last_marks(doc):
    return one(doc)["packets"][-1]["analysis"]


def check_fast_two_dupacks(doc):
    rows = one(doc)["packets"]
    check(rows[-2]["analysis"] == ["duplicate_ack"], f"second dup ACK {rows[-2]['analysis']}")
    check("fast_retransmission" in last_marks(doc), f"after 2 dup ACKs: {last_marks(doc)}")


def check_fast_inside_window(doc):
    check("fast_retransmission" in last_marks(doc), f"10 ms after: {last_marks(doc)}")


def check_fast_window_edge(doc):
    m = last_marks(doc)
    check("fast_retransmission" not in m and "retransmission" in m, f"exactly 20 ms after: {m}")


def check_one_dupack(doc):
    m = last_marks(doc)
    check("fast_retransmission" not in m, f"after 1 dup ACK: {m}")


def out_of_order_after(c, gap):
    """No handshake (no RTT known: tshark's 3 ms threshold). The hole is
    filled `gap` ns after the segment past it."""
    c.send(0, 1, ACK, ISN_S, ISN_C, 100)
    c.send(1 * MS, 1, ACK, ISN_S + 200, ISN_C, 100)
    c.send(1 * MS + gap, 1, ACK, ISN_S + 100, ISN_C, 100)


@scenario
def out_of_order_inside(frames):
    out_of_order_after(Conn(frames, CLIENT4, SERVER4, 42001, 8080), 2 * MS)


@scenario
def out_of_order_outside(frames):
    out_of_order_after(Conn(frames, CLIENT4, SERVER4, 42002, 8080), 10 * MS)


def check_out_of_order_inside(doc):
    rows = one(doc)["packets"]
    check("lost_segment" in rows[1]["analysis"], f"the segment past a hole: {rows[1]['analysis']}")
    check("out_of_order" in rows[2]["analysis"], f"2 ms later: {rows[2]['analysis']}")


def check_out_of_order_outside(doc):
    m = one(doc)["packets"][2]["analysis"]
    check("out_of_order" not in m and "retransmission" in m, f"10 ms later: {m}")


@scenario
def keep_alive(frames):
    """Keep-alives of zero and one byte, then a window update (not a
    duplicate ACK) after each; a RST with a zero window past the data."""
    c = Conn(frames, CLIENT4, SERVER4, 43001, 8080)
    c.send(0, 0, SYN, ISN_C, 0)
    c.send(1 * MS, 1, SYN | ACK, ISN_S, ISN_C + 1)
    c.send(2 * MS, 0, ACK, ISN_C + 1, ISN_S + 1)
    c.send(3 * MS, 0, PSH | ACK, ISN_C + 1, ISN_S + 1, 50)
    c.send(4 * MS, 1, ACK, ISN_S + 1, ISN_C + 51)
    c.send(5 * MS, 0, ACK, ISN_C + 50, ISN_S + 1)          # keep-alive, 0 bytes
    c.send(6 * MS, 1, ACK, ISN_S + 1, ISN_C + 51, win=30000)
    c.send(7 * MS, 0, ACK, ISN_C + 50, ISN_S + 1, 1)       # keep-alive, 1 byte
    c.send(8 * MS, 1, ACK, ISN_S + 1, ISN_C + 51)
    c.send(9 * MS, 0, RST, ISN_C + 500, 0, win=0)


def check_keep_alive(doc):
    rows = one(doc)["packets"]
    check(rows[5]["analysis"] == ["keep_alive"], f"zero-byte keep-alive: {rows[5]['analysis']}")
    check(rows[6]["analysis"] == ["window_update"], f"after it: {rows[6]['analysis']}")
    check(rows[7]["analysis"] == ["keep_alive"], f"one-byte keep-alive: {rows[7]['analysis']}")
    check(rows[8]["analysis"] == ["window_update"], f"after it: {rows[8]['analysis']}")
    check(rows[9]["analysis"] == [], f"a RST past the data, window 0: {rows[9]['analysis']}")


@scenario
def window_full(frames):
    """No window scale on either SYN: the server's 2000 bytes fill the
    client's 2000-byte window exactly."""
    c = Conn(frames, CLIENT4, SERVER4, 44001, 8080)
    c.send(0, 0, SYN, ISN_C, 0, win=2000)
    c.send(1 * MS, 1, SYN | ACK, ISN_S, ISN_C + 1)
    c.send(2 * MS, 0, ACK, ISN_C + 1, ISN_S + 1, win=2000)
    c.send(3 * MS, 1, ACK, ISN_S + 1, ISN_C + 1, 1000)
    c.send(4 * MS, 1, ACK, ISN_S + 1001, ISN_C + 1, 1000)
    c.send(5 * MS, 0, ACK, ISN_C + 1, ISN_S + 2001, win=0)


def check_window_full(doc):
    rows = one(doc)["packets"]
    check(rows[3]["analysis"] == [], f"half the window: {rows[3]['analysis']}")
    check(rows[4]["analysis"] == ["window_full"], f"the window filled: {rows[4]['analysis']}")
    check(rows[5]["analysis"] == ["zero_window"], f"zero window: {rows[5]['analysis']}")


@scenario
def sack(frames):
    """Duplicate ACKs carrying SACK blocks, one with a ragged option length."""
    c = Conn(frames, CLIENT4, SERVER4, 45001, 8080)
    c.send(0, 0, SYN, ISN_C, 0, opts=opt_sack_perm())
    c.send(1 * MS, 1, SYN | ACK, ISN_S, ISN_C + 1, opts=opt_sack_perm())
    c.send(2 * MS, 0, ACK, ISN_C + 1, ISN_S + 1)
    for i in (0, 2, 3):
        c.send(3 * MS + i, 1, ACK, ISN_S + 1 + 100 * i, ISN_C + 1, 100)
    c.send(4 * MS, 0, ACK, ISN_C + 1, ISN_S + 101)
    c.send(5 * MS, 0, ACK, ISN_C + 1, ISN_S + 101, opts=opt_sack([(ISN_S + 201, ISN_S + 301)]))
    ragged = b"\x01\x01" + bytes([5, 14]) + bytes(12) + b"\x01\x01"
    c.send(6 * MS, 0, ACK, ISN_C + 1, ISN_S + 101, opts=ragged)


def check_sack(doc):
    conn = one(doc)
    check(conn["connection"]["sack_permitted"] is True, "SACK permitted on both SYNs")
    rows = conn["packets"]
    check(rows[7]["options"].get("sack") == [[201, 301]], f"SACK block: {rows[7]['options']}")
    check("duplicate_ack" in rows[7]["analysis"], f"a dup ACK with SACK: {rows[7]['analysis']}")
    check("sack" not in rows[8]["options"] and rows[8]["options"].get("unknown") == 1,
          f"a SACK option 14 bytes long is not blocks: {rows[8]['options']}")


@scenario
def wrap(frames):
    """The server's sequence numbers wrap past 2^32; a segment is lost
    right after the wrap."""
    isn = 0xFFFFFF00
    c = Conn(frames, CLIENT4, SERVER4, 46001, 8080)
    c.send(0, 0, SYN, ISN_C, 0)
    c.send(1 * MS, 1, SYN | ACK, isn, ISN_C + 1)
    c.send(2 * MS, 0, ACK, ISN_C + 1, isn + 1)
    c.send(3 * MS, 1, ACK, isn + 1, ISN_C + 1, 0x80)
    c.send(4 * MS, 1, ACK, isn + 0x81, ISN_C + 1, 0x100)       # crosses 2^32
    c.send(5 * MS, 1, ACK, isn + 0x281, ISN_C + 1, 0x100)      # 0x100 lost
    c.send(6 * MS, 0, ACK, ISN_C + 1, isn + 0x181)


def check_wrap(doc):
    rows = one(doc)["packets"]
    marks = [r["analysis"] for r in rows]
    check(marks[3] == [] and marks[4] == [], f"across the wrap: {marks}")
    check(marks[5] == ["lost_segment"], f"after the wrap, a segment lost: {marks[5]}")
    check(rows[5]["seq"] == 0x281 - 1 + 1 and rows[5]["len"] == 0x100, f"relative seq {rows[5]['seq']}")
    check(one(doc)["totals"]["stream_bytes"]["server_to_client"] == 0x380,
          f"stream bytes {one(doc)['totals']['stream_bytes']}")


@scenario
def many_connections(frames):
    """70 connections between 70 distinct clients and one server, their
    packets interleaved: all SYNs, all SYN-ACKs, ... all last ACKs."""
    conns = [Conn(frames, [10, 3, 0, 1 + i], SERVER4, 50000 + i, 8080) for i in range(70)]
    t = 0
    steps = [
        lambda c, i: c.send(t, 0, SYN, ISN_C + i, 0),
        lambda c, i: c.send(t, 1, SYN | ACK, ISN_S, ISN_C + i + 1),
        lambda c, i: c.send(t, 0, ACK, ISN_C + i + 1, ISN_S + 1),
        lambda c, i: c.send(t, 0, PSH | ACK, ISN_C + i + 1, ISN_S + 1, 1 + i),
        lambda c, i: c.send(t, 1, FIN | ACK, ISN_S + 1, ISN_C + i + 2 + i),
        lambda c, i: c.send(t, 0, FIN | ACK, ISN_C + i + 2 + i, ISN_S + 2),
        lambda c, i: c.send(t, 1, ACK, ISN_S + 2, ISN_C + i + 3 + i),
    ]
    for step in steps:
        for i, c in enumerate(conns):
            step(c, i)
            t += 1000


def check_many_connections(doc):
    conns = doc["connections"]
    check(len(conns) == 70, f"{len(conns)} connections, expected 70")
    seen = set()
    for conn in conns:
        client = conn["connection"]["client"]
        i = client["port"] - 50000
        seen.add(i)
        check(client["ip"] == f"10.3.0.{1 + i}", f"connection {i}: client {client}")
        check(conn["connection"]["server"] == {"ip": "10.2.0.2", "port": 8080}, f"{i}: server")
        t = conn["totals"]
        check(t["packets"] == 7 and t["payload_client_to_server"] == 1 + i, f"{i}: totals {t}")
        check(conn["handshake"]["complete"] and conn["closure"]["complete"], f"{i}: phases")
        check(conn["closure"]["initiator"] == "server", f"{i}: initiator")
    check(seen == set(range(70)), "every connection once")


# ---- broken headers and options --------------------------------------------

@scenario
def options_broken(frames):
    """SYNs whose options have lengths their kind cannot have: each is
    skipped as unknown, never read as that kind."""
    c = Conn(frames, CLIENT4, SERVER4, 47001, 8080)
    c.send(0, 0, SYN, ISN_C, 0, opts=opt_mss(1460, length=6) + opt_ws(3))
    c.send(1 * MS, 1, SYN | ACK, ISN_S, ISN_C + 1,
           opts=bytes([3, 2]) + bytes([8, 8]) + bytes(6) + opt_mss(1300))
    c.send(2 * MS, 0, ACK, ISN_C + 1, ISN_S + 1, opts=bytes([30, 1, 1, 1]) + opt_mss(1200))
    c.send(3 * MS, 0, ACK, ISN_C + 1, ISN_S + 1)


def check_options_broken(doc):
    rows = one(doc)["packets"]
    o = [r["options"] for r in rows]
    check("mss" not in o[0] and o[0].get("unknown") == 1 and o[0].get("wscale") == 3,
          f"MSS of length 6: {o[0]}")
    check("wscale" not in o[1] and "timestamps" not in o[1] and o[1].get("unknown") == 2
          and o[1].get("mss") == 1300, f"window scale of length 2, timestamps of 8: {o[1]}")
    # An option of length 1 would never end: the options stop there (the
    # MSS after it is not read), the segment itself is kept.
    check(len(rows) == 4 and "mss" not in o[2] and "unknown" not in o[2],
          f"an option of length 1: {o[2]}, rows {len(rows)}")


def broken_frames(frames):
    c = Conn(frames, CLIENT4, SERVER4, 48001, 8080)
    c.send(0, 0, SYN, ISN_C, 0)
    c.send(1000, 0, ACK, ISN_C + 1, ISN_S + 1, doff=15)          # header past the segment
    c.send(1500, 0, ACK, ISN_C + 1, ISN_S + 1, doff=6)           # 4 bytes past it
    c.send(2000, 0, ACK, ISN_C + 1, ISN_S + 1, frag=0x1000)      # a later fragment
    v6 = Conn(frames, CLIENT6, SERVER6, 48002, 8080, v6=True)
    v6.send(3000, 0, SYN, ISN_C, 0)
    v6.send(4000, 0, ACK, ISN_C + 1, ISN_S + 1, plen=20 + 40)   # 40 bytes too long


@scenario
def headers_broken(frames):
    broken_frames(frames)


def check_headers_broken(doc):
    check(doc["frames"] == 6, f"frames {doc['frames']}")
    check(doc["malformed"] == 3, f"malformed {doc['malformed']} (TCP offsets x2, IPv6 length)")
    check(doc["not_tcp"] == 1, f"not_tcp {doc['not_tcp']} (a fragment at offset 0x1000 * 8)")
    for conn in doc["connections"]:
        check(conn["totals"]["packets"] == 1, f"only the SYN of each: {conn['totals']}")
        # One packet: no transfer phase, so no throughput either.
        check(conn["timing"]["transfer_ns"] == 0 and conn["timing"]["throughput_bps"] is None,
              f"one packet's timing: {conn['timing']}")


def write_null_short(path):
    tcp = tcp_header(40000, 8080, ISN_C, 0, SYN, 65535)
    ok = struct_le(2) + ipv4(CLIENT4, SERVER4, tcp)
    write_pcap(path, [(0, ok), (1000, b"\x02\0\0")], LINK_NULL)


def struct_le(family):
    return family.to_bytes(4, "little")


def check_null_short(doc):
    check(doc["frames"] == 2 and doc["malformed"] == 1, f"a 3-byte loopback frame: {doc}")
    check(len(doc["connections"]) == 1, "the good frame")


# ---- running ----------------------------------------------------------------

T0_NS = 1764060000_000000000


def one(doc):
    check(len(doc["connections"]) == 1, f"{len(doc['connections'])} connections, expected 1")
    return doc["connections"][0]


def analyze(wiremeter, path):
    proc = subprocess.run([wiremeter, "analyze", "--json", "--packets", path],
                          capture_output=True, text=True, timeout=60)
    check(proc.returncode == 0, f"analyze {path}: exit {proc.returncode}: {proc.stderr}")
    return json.loads(proc.stdout)


def build(name, path):
    if name == "null_short":
        write_null_short(path)
        return
    frames = []
    SCENARIOS[name](frames)
    write_pcap(path, frames)


def main():
    wiremeter = wmtest.binary()
    names = list(SCENARIOS) + ["null_short"]
    if "--dump" in sys.argv:
        name = sys.argv[sys.argv.index("--dump") + 1]
        with tempfile.TemporaryDirectory(prefix="wm-crafted-") as tmp:
            path = os.path.join(tmp, name + ".pcap")
            build(name, path)
            print(json.dumps(analyze(wiremeter, path), indent=1))
        return
    failed = []
    with tempfile.TemporaryDirectory(prefix="wm-crafted-") as tmp:
        for name in names:
            path = os.path.join(tmp, name + ".pcap")
            build(name, path)
            try:
                globals()["check_" + name](analyze(wiremeter, path))
                print(f"ok {name}")
            except SystemExit:
                failed.append(name)
                print(f"FAILED {name}")
    check(not failed, f"scenarios failed: {' '.join(failed)}")


if __name__ == "__main__":
    wmtest.main(main)
