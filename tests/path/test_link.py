#!/usr/bin/env python3
"""A run over path=link: the client and the server in network namespaces
of their own, joined by a veth pair (issue 13).

- mtu=1500, offload off: every frame is at most 1514 bytes on the wire
  (1500 + the Ethernet header), 1 MB takes at least 700 frames, and at
  least 691 of them carry data (1 MB / 1448, the MSS of a 1500-byte MTU
  with timestamps),
  in both directions and over IPv6; on loopback the same megabyte is a
  few dozen frames of up to 65,549 bytes, so this fails if the run did not
  cross the link;
- rate=100mbit: a 10 MB download takes at least 0.8 s and its throughput
  is at most the rate (whether it is within 10 % of it is printed: that
  depends on the CPU the run gets);
- both ends: `--pcap-sender` captures at the sender's end of the veth;
  with nothing lost on the link both pcaps hold the same frames, byte
  for byte, in the same order each way, each seen where it arrived no
  earlier than where it was sent;
- the queue: at rate=20mbit with cubic, a 256 KB queue makes the sender's
  RTT more than three times an 8 KB queue's, and no more than its drain
  time (105 ms) plus 30 ms; the 8 KB queue overflows, and the frames it
  drops are in the sender's pcap and not the receiver's: the receiver's
  frames are the sender's, in order each way, less at least one;
- tshark agrees with `wiremeter analyze` on the link's pcaps, both ends;
- settings that need another path, or that do not fit together, are
  refused naming the parameter.

Skips (exit 77) where this host cannot make a link, unless
WIREMETER_REQUIRE_CAPTURE=1.

usage: test_link.py WIREMETER
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pathtest  # noqa: E402
from pathtest import livelib, wmtest  # noqa: E402
import test_tshark  # noqa: E402  (tests/live, put on the path by pathtest)

MB = 1_000_000
WIRE_MAX = 1500 + 14


def check_frames(label, pcap, min_frames, min_data_frames):
    frames = pathtest.frames(pcap)
    wmtest.check(len(frames) >= min_frames, f"{label}: {len(frames)} frames, at least {min_frames} expected")
    longest = max(length for length, _, _ in frames)
    wmtest.check(longest <= WIRE_MAX, f"{label}: a frame of {longest} bytes on a 1500-byte link")
    data = [f for f in frames if (pathtest.tcp_payload_len(f[2]) or 0) > 0]
    wmtest.check(len(data) >= min_data_frames,
                 f"{label}: {len(data)} data frames, at least {min_data_frames} expected")
    print(f"ok: {label}: {len(frames)} frames, {len(data)} with data, longest {longest} B")


def agree_with_tshark(tshark, wiremeter, label, pcap):
    doc = livelib.run_json(wiremeter, ["analyze", pcap, "--packets"])
    wmtest.check(len(doc["connections"]) == 1, f"{label}: connections in the pcap")
    packets = doc["connections"][0]["packets"]
    conn = doc["connections"][0]["connection"]
    theirs = test_tshark.tshark_rows(tshark, pcap, (conn["client"]["port"], conn["server"]["port"]))
    wmtest.check(len(packets) == len(theirs),
                 f"{label}: {len(packets)} packets for us, {len(theirs)} for tshark")
    for ours, row in zip(packets, theirs):
        test_tshark.compare_packet(label, ours, row)
    test_tshark.compare_conv(tshark, label, pcap, packets)
    print(f"ok: {label}: {len(packets)} packets agree with tshark")


def frames_and_tshark(wiremeter, tshark, workdir):
    for direction, extra in (("download", []), ("upload", []), ("download", ["--ipv6"])):
        label = f"1MB {direction} {' '.join(extra)}".strip()
        result, pcap = livelib.transfer(wiremeter, "1MB", direction, workdir,
                                        ["--path", "link", "--mtu", "1500"] + extra)
        wmtest.check(result["params"]["path"] == "link" and result["params"]["interface"] == "wm0",
                     f"{label}: params {result['params']}")
        wmtest.check(result["integrity"]["verified"], f"{label}: integrity {result['integrity']}")
        check_frames(label, pcap, 700, -(-MB // 1448))
        agree_with_tshark(tshark, wiremeter, label, pcap)


def both_ends(wiremeter, tshark, workdir):
    for direction in ("download", "upload"):
        label = f"1MB {direction} at 100mbit, both ends"
        receiver = os.path.join(workdir, f"receiver-{direction}.pcap")
        sender = os.path.join(workdir, f"sender-{direction}.pcap")
        result = livelib.run_json(wiremeter, ["run", "--size", "1MB", "--direction", direction,
                                              "--path", "link", "--rate", "100mbit",
                                              "--pcap", receiver, "--pcap-sender", sender])
        wmtest.check(result["integrity"]["verified"], f"{label}: integrity {result['integrity']}")
        got, sent = pathtest.frames(receiver), pathtest.frames(sender)
        wmtest.check(len(got) == len(sent) == result["totals"]["packets"],
                     f"{label}: receiver {len(got)} frames, sender {len(sent)}, "
                     f"result {result['totals']['packets']}")
        # The data sender's address: the server's (.2) in a download.
        sender_ip = bytes([169, 254, 0, 2 if direction == "download" else 1])
        # Each direction's frames, matched by their bytes (each frame seen
        # first where it was sent; IPv4 source at byte 26). Not compared in
        # order: frames a host sends from two CPUs at once can cross on the
        # way into the wire (each CPU has its own backlog behind a veth), so
        # a pair of ACKs may reach the far end swapped.
        for outbound in (True, False):
            def mine(frames):
                return [f for f in frames if (f[2][26:30] == sender_ip) == outbound]
            at_sender, at_receiver = mine(sent), mine(got)
            wmtest.check(len(at_sender) == len(at_receiver),
                         f"{label}: {len(at_sender)} vs {len(at_receiver)} frames one way")
            where_sent = {}
            for frame in (at_sender if outbound else at_receiver):
                where_sent.setdefault(frame[2], []).append(frame[1])
            later = 0
            for i, frame in enumerate(at_receiver if outbound else at_sender):
                times = where_sent.get(frame[2])
                wmtest.check(bool(times), f"{label}: frame {i + 1} {'from' if outbound else 'to'} "
                                          f"the sender arrived but was never sent")
                first, then = times.pop(0), frame[1]
                wmtest.check(first <= then, f"{label}: frame {i + 1} seen {first - then} ns "
                                            f"earlier where it arrived than where it was sent")
                later += first < then
            # Two captures of one end stamp a frame alike; the veth's far
            # end stamps it again, later, as it arrives.
            wmtest.check(later * 2 > len(at_sender),
                         f"{label}: only {later} of {len(at_sender)} frames arrived after they "
                         f"were sent: are both captures at one end?")
        print(f"ok: {label}: {len(got)} frames, the same at both ends")
        agree_with_tshark(tshark, wiremeter, f"{label}, sender's pcap", sender)
    proc = livelib.run_cli(wiremeter, ["run", "--size", "1kB", "--pcap-sender",
                                       os.path.join(workdir, "x.pcap")])
    wmtest.check(proc.returncode == 2 and "pcap-sender" in proc.stderr,
                 f"--pcap-sender without a link: exit {proc.returncode}, {proc.stderr.strip()!r}")


def one_way(frames, source_ip, outbound):
    return [f[2] for f in frames if (f[2][26:30] == source_ip) == outbound]


def is_subsequence(part, whole):
    it = iter(whole)
    return all(any(x == y for y in it) for x in part)


def queue(wiremeter, tshark, workdir):
    rtt = {}
    for size in ("8KB", "256KB"):
        receiver = os.path.join(workdir, f"queue-{size}-receiver.pcap")
        sender = os.path.join(workdir, f"queue-{size}-sender.pcap")
        result = livelib.run_json(wiremeter, ["run", "--size", "1MB", "--path", "link",
                                              "--rate", "20mbit", "--queue", size,
                                              "--congestion", "cubic", "--pcap", receiver,
                                              "--pcap-sender", sender])
        wmtest.check(result["integrity"]["verified"], f"queue {size}: {result['integrity']}")
        rtt[size] = result["tcp_info"]["rtt_us"]
        if size == "8KB":
            server = bytes([169, 254, 0, 2])
            got, sent = pathtest.frames(receiver), pathtest.frames(sender)
            dropped = 0
            for outbound in (True, False):
                at_sender, at_receiver = one_way(sent, server, outbound), one_way(got, server, outbound)
                wmtest.check(is_subsequence(at_receiver, at_sender),
                             f"queue {size}: the receiver's frames are not the sender's less some")
                dropped += len(at_sender) - len(at_receiver)
            wmtest.check(dropped > 0, f"queue {size}: no frame dropped at a 20 Mbit/s bottleneck")
            print(f"ok: queue {size}: {dropped} frames dropped on the link, in the sender's pcap only")
            agree_with_tshark(tshark, wiremeter, f"queue {size}, sender's pcap", sender)
    wmtest.check(rtt["256KB"] > 3 * rtt["8KB"], f"RTT {rtt}: a bigger queue did not delay more")
    wmtest.check(rtt["256KB"] <= 105_000 + 30_000, f"RTT {rtt}: more than the queue can hold")
    print(f"ok: sender's RTT {rtt['8KB']} us with an 8 KB queue, {rtt['256KB']} us with 256 KB")


def rate(wiremeter, workdir):
    result, pcap = livelib.transfer(wiremeter, "10MB", "download", workdir,
                                    ["--path", "link", "--rate", "100mbit"])
    seconds = result["timing"]["total_ns"] / 1e9
    bps = result["timing"]["throughput_bps"]
    wmtest.check(result["params"]["rate"] == 100_000_000, f"params.rate {result['params']['rate']}")
    wmtest.check(seconds >= 0.8, f"10 MB at 100 Mbit/s took {seconds:.3f} s, less than 0.8 s")
    # The limiter bounds the throughput from above whatever the load; how
    # close to the rate a run gets depends on the CPU left to it (94-95
    # Mbit/s in a release build, 89.7 once under ASan on a loaded
    # machine), so that side is printed, not asserted: speed lives in
    # bench/.
    wmtest.check(bps <= 100e6, f"throughput {bps / 1e6:.1f} Mbit/s above the 100 Mbit/s rate")
    within = "within" if bps >= 90e6 else "NOT within"
    print(f"ok: 10 MB at rate=100mbit: {seconds:.3f} s, {bps / 1e6:.1f} Mbit/s "
          f"({within} 10 % of the rate)")


def refusals(wiremeter):
    cases = [(["--mtu", "9000"], "path"),
             (["--path", "link", "--queue", "1MB"], "queue"),
             (["--path", "link", "--delay", "5", "--jitter", "6"], "jitter"),
             (["--path", "link", "--ipv6", "--mtu", "1279"], "mtu"),
             (["--path", "link", "--rate", "100"], "rate")]
    for args, parameter in cases:
        proc = livelib.run_cli(wiremeter, ["run", "--size", "1kB"] + args)
        wmtest.check(proc.returncode == 2 and proc.stderr.startswith(f"wiremeter run: {parameter}:"),
                     f"{args}: exit {proc.returncode}, {proc.stderr.strip()!r}")
    print("ok: bad path settings refused, naming the parameter")


def test():
    wiremeter = wmtest.binary()
    pathtest.require_link(wiremeter)
    tshark = livelib.require_tshark()
    workdir = livelib.workdir()
    refusals(wiremeter)
    frames_and_tshark(wiremeter, tshark, workdir)
    both_ends(wiremeter, tshark, workdir)
    queue(wiremeter, tshark, workdir)
    rate(wiremeter, workdir)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    wmtest.main(test)
