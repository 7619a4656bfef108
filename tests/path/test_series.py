#!/usr/bin/env python3
"""The time series of a link run (issue 13): GET /runs/{id}/series of a
daemon's run at rate=100mbit with a 16 KB queue, whose tail drops are
real losses on this kernel, against tshark on the run's sender's pcap:

- rtt: the same frames, each with tshark's tcp.analysis.ack_rtt, to the
  nanosecond; in_flight: the sender's data segments that tshark gives a
  tcp.analysis.bytes_in_flight (nearly all), each with it; window: every frame of the receiver, with
  tcp.window_size; acks: the receiver's relative tcp.ack; segments: the
  sender's data frames, relative tcp.seq and tcp.len, retransmission where
  tshark's tcp.analysis.retransmission filter matches;
- segments marked lost_on_link are the both-ends table's lost data frames
  (GET /runs/{id}/ends), as many as result.ends' lost total;
- the kernel's samples: 50 to 1000 with interval auto (about 500; a run
  of 0.4 s at least), cwnd > 0 in each, and the last total_retrans at
  least the retransmissions tshark finds in the sender's pcap: the kernel
  counts every segment it sent again, tshark calls some of them
  out-of-order instead (sent again within its threshold after the
  highest one), so the two are compared with that said;
- a loopback run has a series too, from its only capture (source
  "receiver"), its RTTs tshark's on that pcap, nothing lost on a link;
- `wiremeter run --series FILE.csv` writes the kernel's table as CSV.

Skips (exit 77) where this host cannot make a link or lacks tshark, unless
WIREMETER_REQUIRE_CAPTURE=1.

usage: test_series.py WIREMETER
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pathtest  # noqa: E402
from pathtest import livelib, wmtest  # noqa: E402

SIZE = 5_000_000
FIELDS = ["frame.number", "tcp.srcport", "tcp.len", "tcp.seq", "tcp.ack", "tcp.flags.ack",
          "tcp.analysis.ack_rtt", "tcp.analysis.bytes_in_flight", "tcp.window_size"]


def tshark_rows(tshark, pcap):
    proc = subprocess.run([tshark, "-r", pcap, "-Y", "tcp", "-T", "fields", "-E", "separator=,"]
                          + [a for f in FIELDS for a in ("-e", f)],
                          capture_output=True, text=True, timeout=120)
    wmtest.check(proc.returncode == 0, f"tshark on {pcap}: {proc.stderr.strip()}")
    return [dict(zip(FIELDS, line.split(","))) for line in proc.stdout.splitlines()]


def tshark_frames(tshark, pcap, display_filter):
    proc = subprocess.run([tshark, "-r", pcap, "-Y", display_filter, "-T", "fields",
                           "-e", "frame.number"], capture_output=True, text=True, timeout=120)
    wmtest.check(proc.returncode == 0, f"tshark on {pcap}: {proc.stderr.strip()}")
    return {int(n) for n in proc.stdout.split()}


def ns(seconds):
    return round(float(seconds) * 1e9)


def by_frame(table, value):
    return {r["frame"]: r[value] for r in table}


def check_against_tshark(tshark, pcap, doc, sender_port, label):
    """Every per-packet table equals tshark's fields on the same frames."""
    rows = tshark_rows(tshark, pcap)
    sent = [r for r in rows if int(r["tcp.srcport"]) == sender_port]
    back = [r for r in rows if int(r["tcp.srcport"]) != sender_port]
    data = [r for r in sent if int(r["tcp.len"]) > 0]
    want = {
        "rtt": ({int(r["frame.number"]): ns(r["tcp.analysis.ack_rtt"])
                 for r in back if r["tcp.analysis.ack_rtt"]}, "rtt_ns"),
        "in_flight": ({int(r["frame.number"]): int(r["tcp.analysis.bytes_in_flight"])
                       for r in data if r["tcp.analysis.bytes_in_flight"]}, "bytes"),
        "window": ({int(r["frame.number"]): int(r["tcp.window_size"]) for r in back}, "bytes"),
        "acks": ({int(r["frame.number"]): int(r["tcp.ack"]) for r in back
                  if r["tcp.flags.ack"] in ("1", "True")}, "ack"),
    }
    for table, (theirs, field) in want.items():
        ours = by_frame(doc[table], field)
        diff = sorted(set(ours.items()) ^ set(theirs.items()))[:5]
        wmtest.check(ours == theirs and ours,
                     f"{label} {table}: {len(ours)} rows, tshark {len(theirs)}; first "
                     f"differences (frame, value): {diff}")
    segs = {s["frame"]: (s["seq"], s["len"]) for s in doc["segments"]}
    theirs = {int(r["frame.number"]): (int(r["tcp.seq"]), int(r["tcp.len"])) for r in data}
    wmtest.check(segs == theirs, f"{label} segments: {len(segs)} ours, {len(theirs)} tshark's")
    retrans = tshark_frames(tshark, pcap,
                            f"tcp.srcport == {sender_port} && tcp.len > 0 && "
                            "tcp.analysis.retransmission")
    ours = {s["frame"] for s in doc["segments"] if s["retransmission"]}
    wmtest.check(ours == retrans, f"{label}: {len(ours)} retransmissions, tshark {len(retrans)}")
    wmtest.check(sum(s["len"] for s in doc["segments"]) ==
                 sum(r["bytes"] for r in doc["throughput"]), f"{label}: throughput's bytes")
    wmtest.check(sum(r["bytes"] for r in doc["goodput"]) == SIZE, f"{label}: goodput's bytes")
    print(f"ok: {label}: {len(doc['rtt'])} RTTs, {len(doc['in_flight'])} in flight, "
          f"{len(doc['window'])} windows, {len(doc['acks'])} acks, {len(segs)} segments "
          f"({len(retrans)} retransmitted) equal tshark's")
    return retrans


def ends_lost(daemon, run_id):
    """The both-ends table's lost data frames (at the sender's end)."""
    lost, url = set(), f"/runs/{run_id}/ends?limit=10000"
    while url:
        page = daemon.get(url).json()
        lost |= {r["sent_frame"] for r in page["frames"]
                 if r["lost"] and r["direction"] == "sender_to_receiver" and r["len"] > 0}
        url = page["next"]
    return lost


def save(daemon, path, target):
    resp = daemon.get(target)
    wmtest.check(resp.status == 200, f"{target}: {resp.status}")
    with open(path, "wb") as f:
        f.write(resp.body)


def link_run(daemon, tshark, workdir):
    resp = daemon.post(f"/runs?size={SIZE}&path=link&rate=100mbit&queue=16KB&wait=120")
    doc = resp.json()
    wmtest.check(doc.get("status") == "done", f"link run: {doc.get('error')}")
    run_id, result = doc["id"], doc["result"]
    resp = daemon.get(f"/runs/{run_id}/series")
    wmtest.check(resp.status == 200, f"series: {resp.status} {resp.body[:300]!r}")
    series = resp.json()
    wmtest.check(series["source"] == "sender" and not series["truncated"], "source/truncated")
    sender = os.path.join(workdir, "sender.pcap")
    save(daemon, sender, f"/runs/{run_id}/pcap?end=sender")
    server_port = result["connection"]["server"]["port"]
    retrans = check_against_tshark(tshark, sender, series, server_port, "link")

    lost = {s["frame"] for s in series["segments"] if s["lost_on_link"]}
    total = result["ends"]["sender_to_receiver"]["lost_frames"]
    wmtest.check(lost == ends_lost(daemon, run_id) and len(lost) == total and total > 0,
                 f"lost_on_link: {len(lost)} segments, result.ends {total}")
    print(f"ok: {len(lost)} segments lost on the link, the both-ends table's and result.ends'")

    samples = series["kernel"]["samples"]
    wmtest.check(50 <= len(samples) <= 1000, f"{len(samples)} kernel samples with interval auto")
    wmtest.check(all(s["cwnd"] > 0 for s in samples), "a sample with cwnd 0")
    total_retrans = samples[-1]["total_retrans"]
    ooo = tshark_frames(tshark, sender, f"tcp.srcport == {server_port} && tcp.len > 0 && "
                        "tcp.analysis.out_of_order")
    wmtest.check(total_retrans >= len(retrans),
                 f"kernel total_retrans {total_retrans} < tshark's {len(retrans)} retransmissions")
    print(f"ok: {len(samples)} kernel samples every {series['interval_ns']} ns, cwnd up to "
          f"{max(s['cwnd'] for s in samples)}; total_retrans {total_retrans}: tshark "
          f"{len(retrans)} retransmissions + {len(ooo)} out-of-order = {len(retrans) + len(ooo)}")


def loopback_run(daemon, tshark, workdir):
    doc = daemon.post(f"/runs?size={SIZE}&wait=120").json()
    wmtest.check(doc.get("status") == "done", f"loopback run: {doc.get('error')}")
    series = daemon.get(f"/runs/{doc['id']}/series").json()
    wmtest.check(series["source"] == "receiver", f"loopback source {series['source']}")
    wmtest.check(not any(s["lost_on_link"] for s in series["segments"]), "lost on loopback")
    pcap = os.path.join(workdir, "loopback.pcap")
    save(daemon, pcap, f"/runs/{doc['id']}/pcap")
    check_against_tshark(tshark, pcap, series, doc["result"]["connection"]["server"]["port"],
                         "loopback")


def cli_csv(wiremeter, workdir):
    path = os.path.join(workdir, "kernel.csv")
    proc = livelib.run_cli(wiremeter, ["run", "--size", "1MB", "--series", path])
    wmtest.check(proc.returncode == 0, f"--series: {proc.stderr.strip()}")
    with open(path) as f:
        lines = f.read().splitlines()
    wmtest.check(lines[0] == "t_ns,cwnd,ssthresh,mss,rtt_us,rttvar_us,unacked,retrans,"
                 "total_retrans,lost,delivery_rate_bps,pacing_rate_bps,bytes_acked,bytes_sent"
                 and len(lines) >= 3, f"--series CSV: {lines[:3]}")
    print(f"ok: wiremeter run --series {os.path.basename(path)}: {len(lines) - 1} samples")


def test():
    wiremeter = wmtest.binary()
    pathtest.require_link(wiremeter)
    tshark = livelib.require_tshark()
    workdir = livelib.workdir()
    with wmtest.Daemon(wiremeter) as daemon:
        link_run(daemon, tshark, workdir)
        loopback_run(daemon, tshark, workdir)
    cli_csv(wiremeter, workdir)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    wmtest.main(test)
