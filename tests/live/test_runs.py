#!/usr/bin/env python3
"""Live runs of every lab size in both directions: the handshake is SYN,
SYN-ACK, ACK; the closure has both FINs; payload bytes equal the size in the
data direction and the request in the other; integrity verified; no drops;
the capture saw the closure; and `wiremeter analyze` of the written pcap
gives the same connection, handshake, closure, totals and timing as the run.

usage: test_runs.py WIREMETER
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib  # noqa: E402
from livelib import wmtest  # noqa: E402


def check_handshake(label, r):
    hs = r["handshake"]
    check = wmtest.check
    check(hs["complete"] is True, f"{label}: handshake not complete")
    flags = [p["flags"] for p in hs["packets"]]
    check(flags == ["SYN", "SYN, ACK", "ACK"], f"{label}: handshake flags {flags}")
    sides = [p["from"] for p in hs["packets"]]
    check(sides == ["client", "server", "client"], f"{label}: handshake sides {sides}")
    syn, syn_ack, ack = hs["packets"]
    check(syn["seq"] == 0 and syn_ack["seq"] == 0 and syn_ack["ack"] == 1
          and ack["seq"] == 1 and ack["ack"] == 1,
          f"{label}: relative seq/ack of the handshake")
    check(syn_ack["raw_ack"] == (syn["raw_seq"] + 1) % 2**32,
          f"{label}: SYN-ACK does not acknowledge the client's ISN")
    check(ack["raw_ack"] == (syn_ack["raw_seq"] + 1) % 2**32,
          f"{label}: ACK does not acknowledge the server's ISN")
    check("mss" in syn["options"], f"{label}: SYN has no MSS option")
    check(hs["duration_ns"] >= 0, f"{label}: negative handshake duration")


def check_closure(label, r, direction):
    cl = r["closure"]
    check = wmtest.check
    check(cl["kind"] == "fin", f"{label}: closure kind {cl['kind']}")
    check(cl["complete"] is True, f"{label}: closure not complete")
    fins = {p["from"] for p in cl["packets"] if "FIN" in p["flags"]}
    check(fins == {"client", "server"}, f"{label}: FINs seen from {fins}")
    check(cl["packets"][-1]["flags"] == "ACK", f"{label}: closure does not end with an ACK")
    # The data sender shuts its side first (worker/transfer.c).
    sender = "server" if direction == "download" else "client"
    check(cl["initiator"] == sender,
          f"{label}: closed first by {cl['initiator']}, expected the sender ({sender})")


def check_totals(label, r, size, direction):
    t = r["totals"]
    check = wmtest.check
    wmtest.check_streams(label, t, size, direction)
    check(t["packets"] == t["client_to_server"] + t["server_to_client"],
          f"{label}: per-direction packets do not add up")
    check(t["packets"] >= 7, f"{label}: only {t['packets']} packets")
    tm = r["timing"]
    check(tm["last_packet_ns"] - tm["first_packet_ns"] == tm["total_ns"], f"{label}: total_ns")
    check(tm["total_ns"] > 0, f"{label}: total_ns is {tm['total_ns']}")


def check_run(label, r, size, direction):
    check = wmtest.check
    check(r["schema"] == 1, f"{label}: schema {r.get('schema')}")
    check(r["params"]["size"] == size and r["params"]["direction"] == direction,
          f"{label}: params {r['params']}")
    check_handshake(label, r)
    check_closure(label, r, direction)
    check_totals(label, r, size, direction)
    i = r["integrity"]
    check(i["verified"] is True and i["received_bytes"] == size and i["expected_bytes"] == size,
          f"{label}: integrity {i}")
    c = r["capture"]
    check(c["dropped"] == 0 and c["if_dropped"] == 0, f"{label}: capture dropped {c}")
    check(c["complete"] is True, f"{label}: capture did not see the closure")
    check(c["malformed"] == 0, f"{label}: {c['malformed']} malformed frames")
    check(c["frames"] == r["totals"]["packets"],
          f"{label}: {c['frames']} frames but {r['totals']['packets']} packets")


def check_analyze(wiremeter, label, r, pcap):
    doc = livelib.run_json(wiremeter, ["analyze", pcap])
    check = wmtest.check
    check(doc["schema"] == 1 and doc["malformed"] == 0, f"{label}: analyze header {doc}")
    check(len(doc["connections"]) == 1, f"{label}: {len(doc['connections'])} connections in the pcap")
    conn = doc["connections"][0]
    for name in livelib.FRAGMENTS:
        if conn.get(name) != r.get(name):
            wmtest.fail(f"{label}: analyze of the pcap differs in '{name}':\n"
                        f"  run:     {r.get(name)}\n  analyze: {conn.get(name)}")


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    workdir = livelib.workdir()
    for size_text, size in livelib.SIZES:
        for direction in livelib.DIRECTIONS:
            label = f"{size_text} {direction}"
            result, pcap = livelib.transfer(wiremeter, size_text, direction, workdir)
            check_run(label, result, size, direction)
            check_analyze(wiremeter, label, result, pcap)
            print(f"ok: {label}: {result['totals']['packets']} packets, "
                  f"{result['timing']['total_ns']} ns")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    wmtest.main(test)
