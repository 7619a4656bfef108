#!/usr/bin/env python3
"""Both ends of a link in the result (issue 13): a run captured at the
sender's end too says what the link did, per direction — frames and bytes
sent, received, lost on the link (sent, never received), seen at both
ends, and the one-way transit time.

- rate=20mbit, queue=8KB, download and upload: the queue overflows, and
  the result's lost frames and bytes each way equal the frames in the
  sender's pcap missing from the receiver's, counted here independently
  by tshark (each frame by its IP id, raw sequence and acknowledgement
  numbers, flags, length, window and TSval, as a multiset: no order
  assumed); sent and received equal each pcap's frames that way, and
  every frame received was sent (no unmatched one);
- the daemon captures a link run at both ends too: `GET /runs/{id}/pcap`
  is the receiver's end, `?end=sender` the sender's, and its result's
  `ends` agree with tshark's count on those two files as above; a loopback
  run has no sender's pcap (404 naming `end`), and `end=bogus` is a 400
  naming the allowed ends;
- per frame, `GET /runs/{id}/ends` (every page): a row for each frame
  sent, whose frame numbers at the end it left and at the end it reached
  are one frame by tshark's fields, its transit positive; the rows marked
  lost are as many as the result's lost frames each way;
- `wiremeter run` in text prints the same totals, a "Link, data" and a
  "Link, acks" line, equal to tshark's count; a loopback run prints none;
- rate=100mbit with its default queue: nothing is lost, every frame is
  seen at both ends, and the transit times are ordered and positive
  (min <= mean <= max, min > 0: a frame is stamped again as it arrives).

Skips (exit 77) where this host cannot make a link or lacks tshark, unless
WIREMETER_REQUIRE_CAPTURE=1.

usage: test_ends.py WIREMETER
"""
import collections
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pathtest  # noqa: E402
from pathtest import livelib, wmtest  # noqa: E402

FIELDS = ["frame.len", "tcp.srcport", "ip.id", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
          "tcp.len", "tcp.window_size_value", "tcp.options.timestamp.tsval"]


def tshark_frames(tshark, pcap):
    """(source port, header key) -> [frame lengths] of each TCP frame."""
    proc = subprocess.run([tshark, "-r", pcap, "-Y", "tcp", "-T", "fields", "-E", "separator=,"]
                          + [a for f in FIELDS for a in ("-e", f)],
                          capture_output=True, text=True, timeout=120)
    wmtest.check(proc.returncode == 0, f"tshark on {pcap}: {proc.stderr.strip()}")
    frames = collections.defaultdict(list)
    for line in proc.stdout.splitlines():
        length, port, *key = line.split(",")
        frames[(int(port), tuple(key))].append(int(length))
    return frames


def tshark_numbered(tshark, pcap):
    """frame number -> (source port, header key) of each TCP frame."""
    proc = subprocess.run([tshark, "-r", pcap, "-Y", "tcp", "-T", "fields", "-E", "separator=,",
                           "-e", "frame.number"] + [a for f in FIELDS[1:] for a in ("-e", f)],
                          capture_output=True, text=True, timeout=120)
    wmtest.check(proc.returncode == 0, f"tshark on {pcap}: {proc.stderr.strip()}")
    out = {}
    for line in proc.stdout.splitlines():
        number, port, *key = line.split(",")
        out[int(number)] = (int(port), tuple(key))
    return out


def check_table(daemon, tshark, run_id, ends, sender, receiver):
    """GET /runs/{id}/ends, every page: a row per frame sent, and each
    row's frames, at the end it left and the end it reached, are one frame
    by tshark's fields; the lost rows are the result's lost frames."""
    rows, url = [], f"/runs/{run_id}/ends?limit=500"
    while url:
        page = daemon.get(url).json()
        rows += page["frames"]
        url = page["next"]
    wmtest.check(len(rows) == page["total"], f"ends table: {len(rows)} rows, total {page['total']}")
    at = {"sender": tshark_numbered(tshark, sender), "receiver": tshark_numbered(tshark, receiver)}
    lost = collections.Counter()
    for row in rows:
        data = row["direction"] == "sender_to_receiver"
        src, dst = (at["sender"], at["receiver"]) if data else (at["receiver"], at["sender"])
        key = src.get(row["sent_frame"])
        wmtest.check(key is not None and row["seq"] == int(key[1][1]) and
                     row["len"] == int(key[1][4]), f"row {row}: frame {key} where it was sent")
        if row["lost"]:
            lost[row["direction"]] += 1
            wmtest.check(row["received_frame"] is None and row["transit_ns"] is None, f"row {row}")
        else:
            wmtest.check(dst.get(row["received_frame"]) == key and row["transit_ns"] > 0,
                         f"row {row}: frame {dst.get(row['received_frame'])} where it arrived, "
                         f"{key} where it was sent")
    for name, d in ends.items():
        wmtest.check(lost[name] == d["lost_frames"],
                     f"ends table {name}: {lost[name]} rows lost, {d['lost_frames']} in the result")
        wmtest.check(sum(r["direction"] == name for r in rows) == d["sent_frames"],
                     f"ends table {name}: rows against {d['sent_frames']} sent")
    return rows


def tshark_counts(tshark, sender_pcap, receiver_pcap, sender_port):
    """Per direction: sent, received and lost frames and bytes, by tshark."""
    at_sender = tshark_frames(tshark, sender_pcap)
    at_receiver = tshark_frames(tshark, receiver_pcap)
    out = {}
    for name, data in (("sender_to_receiver", True), ("receiver_to_sender", False)):
        # The acks leave from the receiver's end.
        src, dst = (at_sender, at_receiver) if data else (at_receiver, at_sender)
        c = collections.Counter()
        for key in set(src) | set(dst):
            if (key[0] == sender_port) != data:
                continue
            sent, got = src.get(key, []), dst.get(key, [])
            c["sent_frames"] += len(sent)
            c["sent_bytes"] += sum(sent)
            c["received_frames"] += len(got)
            c["received_bytes"] += sum(got)
            missing = len(sent) - len(got)
            wmtest.check(missing >= 0, f"{name}: a frame received more often than sent: {key}")
            c["lost_frames"] += missing
            c["lost_bytes"] += sum(sent[:missing])  # the same key, the same length
        out[name] = c
    return out


def run(wiremeter, tshark, workdir, label, direction, link):
    receiver = os.path.join(workdir, f"{label}-receiver.pcap")
    sender = os.path.join(workdir, f"{label}-sender.pcap")
    result = livelib.run_json(wiremeter, ["run", "--size", "1MB", "--direction", direction,
                                          "--path", "link", "--pcap", receiver,
                                          "--pcap-sender", sender] + link)
    return check_ends(tshark, label, result, direction, sender, receiver)


def check_ends(tshark, label, result, direction, sender, receiver):
    wmtest.check(result["integrity"]["verified"], f"{label}: integrity {result['integrity']}")
    conn = result["connection"]
    sender_port = conn["server" if direction == "download" else "client"]["port"]
    theirs = tshark_counts(tshark, sender, receiver, sender_port)
    ends = result["ends"]
    # A frame the sender's capture dropped would count as lost on the link.
    at_sender = result["link"]["sender_capture"]
    wmtest.check(at_sender is not None and at_sender["dropped"] == 0
                 and at_sender["if_dropped"] == 0 and at_sender["complete"]
                 and at_sender["frames"] == ends["sender_to_receiver"]["sent_frames"]
                 + ends["receiver_to_sender"]["received_frames"],
                 f"{label}: the sender's capture {at_sender}, ends {ends}")
    for name, counts in theirs.items():
        ours = ends[name]
        for field, value in counts.items():
            wmtest.check(ours[field] == value,
                         f"{label} {name}: {field} {ours[field]} in the result, {value} by tshark")
        wmtest.check(ours["unmatched_frames"] == 0, f"{label} {name}: {ours}")
        wmtest.check(ours["both_ends_frames"] == ours["received_frames"],
                     f"{label} {name}: {ours}")
    return ends


def save(resp, path, label):
    wmtest.check(resp.status == 200, f"{label}: {resp.status} {resp.body[:300]!r}")
    with open(path, "wb") as f:
        f.write(resp.body)


def daemon_ends(wiremeter, tshark, workdir):
    with wmtest.Daemon(wiremeter) as daemon:
        resp = daemon.post("/runs?size=1MB&path=link&rate=20mbit&queue=8KB&wait=120")
        wmtest.check(resp.status in (200, 201), f"POST /runs: {resp.status} {resp.body[:300]!r}")
        doc = resp.json()
        wmtest.check(doc["status"] == "done", f"daemon link run: {doc.get('error')}")
        run_id = doc["id"]
        receiver = os.path.join(workdir, "daemon-receiver.pcap")
        sender = os.path.join(workdir, "daemon-sender.pcap")
        save(daemon.get(f"/runs/{run_id}/pcap"), receiver, "the receiver's pcap")
        resp = daemon.get(f"/runs/{run_id}/pcap?end=sender")
        wmtest.check('-sender.pcap"' in resp.headers.get("Content-Disposition", ""),
                     f"end=sender: {resp.headers}")
        save(resp, sender, "the sender's pcap")
        ends = check_ends(tshark, "daemon", doc["result"], "download", sender, receiver)
        wmtest.check(ends["sender_to_receiver"]["lost_frames"] > 0, f"daemon: {ends}")
        rows = check_table(daemon, tshark, run_id, ends, sender, receiver)
        print(f"ok: GET /runs/{run_id}/ends: {len(rows)} frames, each the same at both ends "
              f"by tshark, {sum(r['lost'] for r in rows)} lost")
        resp = daemon.get(f"/runs/{run_id}/ends?limit=0")
        wmtest.check(resp.status == 400 and resp.json()["error"]["parameter"] == "limit",
                     f"ends limit=0: {resp.status} {resp.body[:300]!r}")
        resp = daemon.get(f"/runs/{run_id}/pcap?end=bogus")
        wmtest.check(resp.status == 400 and resp.json()["error"]["parameter"] == "end" and
                     "receiver or sender" in resp.json()["error"]["message"],
                     f"end=bogus: {resp.status} {resp.body[:300]!r}")
        doc = daemon.post("/runs?size=10kB&wait=60").json()
        wmtest.check(doc["status"] == "done" and doc["result"]["ends"] is None,
                     f"loopback run: {doc.get('error')}, ends {doc.get('result', {}).get('ends')}")
        resp = daemon.get(f"/runs/{doc['id']}/pcap?end=sender")
        wmtest.check(resp.status == 404 and resp.json()["error"]["parameter"] == "end",
                     f"a loopback run's sender's pcap: {resp.status} {resp.body[:300]!r}")
        resp = daemon.get(f"/runs/{doc['id']}/ends")
        wmtest.check(resp.status == 404, f"a loopback run's ends: {resp.status} {resp.body[:300]!r}")
        resp = daemon.delete(f"/runs/{run_id}")
        wmtest.check(resp.status in (200, 204), f"DELETE: {resp.status}")
        left = [n for n in os.listdir(os.path.join(daemon.data_dir, "pcaps"))
                if n.startswith(f"{run_id}.")]
        wmtest.check(not left, f"after DELETE /runs/{run_id}: {left} remain")
    print(f"ok: the daemon keeps both ends of a link run; {ends['sender_to_receiver']['lost_frames']}"
          f" frames lost, as tshark counts them; deleting the run removes both")


def text_totals(wiremeter, tshark, workdir):
    """`wiremeter run` without --json prints the same totals, a line each
    way, and a loopback run none."""
    receiver = os.path.join(workdir, "text-receiver.pcap")
    sender = os.path.join(workdir, "text-sender.pcap")
    proc = livelib.run_cli(wiremeter, ["run", "--size", "1MB", "--path", "link", "--rate", "20mbit",
                                       "--queue", "8KB", "--pcap", receiver, "--pcap-sender", sender])
    wmtest.check(proc.returncode == 0, f"text run: {proc.stderr.strip()}")
    lines = {line[:24].strip(): line for line in proc.stdout.splitlines() if line.startswith("Link, ")}
    server = int(re.search(r"server +169\.254\.0\.2:(\d+)", proc.stdout).group(1))
    theirs = tshark_counts(tshark, sender, receiver, server)
    for name, way in (("Link, data", "sender_to_receiver"), ("Link, acks", "receiver_to_sender")):
        c = theirs[way]
        want = (f"{c['sent_frames']} frames sent, {c['received_frames']} received, "
                f"{c['lost_frames']} lost on the link ({c['lost_bytes']} bytes)")
        wmtest.check(name in lines and want in lines[name],
                     f"text run: {name!r} line {lines.get(name)!r}, tshark counts {want!r}")
    proc = livelib.run_cli(wiremeter, ["run", "--size", "10kB"])
    wmtest.check(proc.returncode == 0 and "Link, " not in proc.stdout, f"loopback run:\n{proc.stdout}")
    print(f"ok: text: {lines['Link, data'].strip()}")


def test():
    wiremeter = wmtest.binary()
    pathtest.require_link(wiremeter)
    tshark = livelib.require_tshark()
    workdir = livelib.workdir()
    for direction in ("download", "upload"):
        label = f"queue-8KB-{direction}"
        ends = run(wiremeter, tshark, workdir, label, direction,
                   ["--rate", "20mbit", "--queue", "8KB"])
        lost = ends["sender_to_receiver"]["lost_frames"]
        wmtest.check(lost > 0, f"{label}: no frame lost at a 20 Mbit/s bottleneck with 8 KB queue")
        print(f"ok: {label}: {lost} frames lost on the link "
              f"({ends['sender_to_receiver']['lost_bytes']} bytes), as tshark counts them")
    daemon_ends(wiremeter, tshark, workdir)
    text_totals(wiremeter, tshark, workdir)
    label = "no-loss"
    ends = run(wiremeter, tshark, workdir, label, "download", ["--rate", "100mbit"])
    for name, d in ends.items():
        wmtest.check(d["lost_frames"] == 0 and d["both_ends_frames"] == d["sent_frames"] > 0,
                     f"{label} {name}: {d}")
        wmtest.check(0 < d["transit_min_ns"] <= d["transit_mean_ns"] <= d["transit_max_ns"],
                     f"{label} {name}: transit {d}")
    print(f"ok: {label}: every frame at both ends, data transit "
          f"{ends['sender_to_receiver']['transit_mean_ns']} ns on average")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    wmtest.main(test)
