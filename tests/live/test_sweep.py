#!/usr/bin/env python3
"""`wiremeter sweep`: two sizes twice as JSON give two sane rows; the text
form prints the lab's two tables; and the readable reports of `run` and
`analyze` carry the numbers of their JSON.

usage: test_sweep.py WIREMETER
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelib  # noqa: E402
from livelib import wmtest  # noqa: E402


def check_stat(label, stat):
    wmtest.check(stat["min"] <= stat["median"] <= stat["max"], f"{label}: {stat}")


def check_row(row, size, text):
    label = f"row {text}"
    check = wmtest.check
    check(row["size"] == size and row["size_text"] == text, f"{label}: {row}")
    check(row["runs"] == 2 and row["failed"] == 0, f"{label}: runs {row['runs']}")
    check(len(row["samples"]) == 2, f"{label}: samples")
    for s in row["samples"]:
        check(s["last_packet_ns"] - s["first_packet_ns"] == s["total_ns"] > 0,
              f"{label}: sample times {s}")
        check(s["packets"] >= 7 and s["average_packet_size"] > 0, f"{label}: sample {s}")
    for name in ["packets", "total_ns", "average_packet_size"]:
        check_stat(f"{label} {name}", row[name])
    counts = sorted(s["packets"] for s in row["samples"])
    check(row["packets"]["min"] == counts[0] and row["packets"]["max"] == counts[1],
          f"{label}: packets {row['packets']} vs samples {counts}")
    check(row["median_sample"] in (0, 1), f"{label}: median_sample")


def test_sweep_json(wm):
    doc = livelib.run_json(wm, ["sweep", "13B", "2kB", "--repeat", "2"])
    wmtest.check(doc["schema"] == 1 and doc["repeat"] == 2, f"sweep header {doc}")
    rows = doc["table"]
    wmtest.check(len(rows) == 2, f"{len(rows)} rows")
    check_row(rows[0], 13, "13B")
    check_row(rows[1], 2000, "2kB")


def test_sweep_text(wm):
    proc = livelib.run_cli(wm, ["sweep", "13B", "1MB"])
    wmtest.check(proc.returncode == 0, f"sweep text exited {proc.returncode}: {proc.stderr}")
    for needle in ["Packets per transfer size", "Time per transfer size", "13B", "1MB",
                   "avg packet (B)", "total (s)"]:
        wmtest.check(needle in proc.stdout, f"sweep text lacks {needle!r}:\n{proc.stdout}")


def test_reports(wm):
    workdir = livelib.workdir()
    pcap = os.path.join(workdir, "text.pcap")
    proc = livelib.run_cli(wm, ["run", "--size", "2kB", "--pcap", pcap])
    wmtest.check(proc.returncode == 0, f"run exited {proc.returncode}: {proc.stderr}")
    for needle in ["Endpoints", "Three-way handshake: complete", "SYN, ACK", "Raw seq",
                   "Closure: FIN, server closed first", "Totals", "Timing",
                   "Average packet size", "TCP info", "Capture", "verified"]:
        wmtest.check(needle in proc.stdout, f"run text lacks {needle!r}:\n{proc.stdout}")
    doc = livelib.run_json(wm, ["analyze", pcap])
    text = livelib.run_cli(wm, ["analyze", pcap]).stdout
    conn = doc["connections"][0]
    t = conn["totals"]
    for needle in ["Connection 1 of 1",
                   f"packets          {t['packets']} (client->server {t['client_to_server']}",
                   f"payload bytes    {t['payload_bytes']}",
                   f"server  127.0.0.1:{conn['connection']['server']['port']}"]:
        wmtest.check(needle in text, f"analyze text lacks {needle!r}:\n{text}")
    shutil.rmtree(workdir, ignore_errors=True)


def test():
    wm = wmtest.binary()
    wmtest.require_capture(wm)
    test_sweep_json(wm)
    test_sweep_text(wm)
    test_reports(wm)


if __name__ == "__main__":
    wmtest.main(test)
