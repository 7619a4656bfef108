#!/usr/bin/env python3
"""POST /captures and the routes of a stored capture, with the real daemon.

Accepted: a pcap, a pcapng with two interfaces, the same gzip'd (a .gz
file, Content-Encoding: gzip), in a multipart form as a browser sends it,
a file cut short (stored with read_error), a capture with no TCP, one
with 60 connections; each
analysis equals `wiremeter analyze --json` of the same file field for
field (but "file", the stored name, and "main", which the upload adds), for
every capture of the tshark agreement suite too. Refused: garbage (plain
or gzip'd), an empty body, a gzip stream cut short, a form without a file
or cut short, a body over --max-upload (and a gzip bomb under it that
would grow over it), frames over --max-packets, no token; after each the store (every capture's document and
the files of the captures directory) is what it was. Every connection's
packet list, paged, equals `wiremeter analyze --json --packets`. A daemon killed with
half an upload received starts again with no trace of it. With --capture-wait 0 an upload
is answered 202 "analysing" and ends "done" (the same analysis) or "failed" with why;
a full analysis queue answers 429; --history keeps the newest captures; /metrics counts
analyses by outcome and refusals by reason.

usage: test_captures.py WIREMETER
"""
import glob
import gzip
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check  # noqa: E402

sys.path.insert(0, os.path.join(hc.REPO, "tests", "crafted"))
import pcapgen as pg  # noqa: E402

TSHARK = os.path.join(hc.REPO, "tests", "data", "tshark")
TWO_INTERFACES = os.path.join(TSHARK, "lo_and_any_interfaces.pcap")
CUT_SHORT = os.path.join(TSHARK, "lo_and_any_cut_short.pcap")
TOKEN = "wiremeter-test-token-0123"
PCAP = {"Content-Type": "application/vnd.tcpdump.pcap"}


def read(path):
    with open(path, "rb") as f:
        return f.read()


def analyze_json(wiremeter, path):
    out = subprocess.run([wiremeter, "analyze", path, "--json"], capture_output=True)
    check(out.returncode in (0, 3), f"analyze {path}: exit {out.returncode}: {out.stderr!r}")
    return json.loads(out.stdout)


def same_as_cli(wiremeter, path, doc, what):
    """The uploaded analysis is the command line's, field for field; only
    the file's name differs (the stored name, also in read_error's reason),
    and each connection has "main", the one with the most payload."""
    want = analyze_json(wiremeter, path)
    got = json.loads(json.dumps(doc["analysis"]))
    name = f"{doc['id']}.pcap"
    check(got["file"] == name, f"{what}: file {got['file']!r}, expected {name!r}")
    want["file"] = name
    if want.get("read_error"):
        want["read_error"]["reason"] = want["read_error"]["reason"].replace(path, name)
    mains = [c.pop("main") for c in got["connections"]]
    if mains:
        payload = [c["totals"]["payload_bytes"] for c in got["connections"]]
        check(mains == [i == payload.index(max(payload)) for i in range(len(mains))],
              f"{what}: main {mains} for payloads {payload}")
    check(got == want, f"{what}: upload and `analyze --json` differ:\n"
          f"{json.dumps(got)[:1500]}\n{json.dumps(want)[:1500]}")


FORM = {"Content-Type": "multipart/form-data; boundary=----wmFormBoundary7MA4YWxk"}
FORM_FIELD_ONLY = (b"------wmFormBoundary7MA4YWxk\r\n"
                   b"Content-Disposition: form-data; name=\"label\"\r\n\r\nx\r\n"
                   b"------wmFormBoundary7MA4YWxk--\r\n")


def form(data):
    """A browser's form: a field, then the file, then the closing
    boundary; the file's bytes hold a boundary-like text that is not one."""
    return (b"------wmFormBoundary7MA4YWxk\r\n"
            b"Content-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
            b"------wmFormBoundary7MA4YWxk\r\n"
            b"Content-Disposition: form-data; name=\"file\"; filename=\"mine.pcapng\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + data +
            b"\r\n------wmFormBoundary7MA4YWxk--\r\n")


def same_packets(d, wiremeter, path, doc, what, limit=7):
    """Every connection's packet list, page by page (following "next"),
    equals its "packets" in `wiremeter analyze --json --packets`."""
    out = subprocess.run([wiremeter, "analyze", path, "--json", "--packets"],
                         capture_output=True)
    want = json.loads(out.stdout)["connections"]
    for n, conn in enumerate(want):
        rows, url = [], f"/captures/{doc['id']}/connections/{n}/packets?limit={limit}"
        while url:
            resp = d.get(url)
            hc.expect_status(resp, 200, f"{what}: {url}")
            page = resp.json()
            check(page["total"] == len(conn.get("packets", [])) and page["connection"] == n,
                  f"{what}: {url}: total {page['total']}")
            rows += page["packets"]
            url = page["next"]
        check(rows == conn.get("packets", []), f"{what}: connection {n}'s packets differ")
    n = len(want)
    hc.expect_error(d.get(f"/captures/{doc['id']}/connections/{n}/packets"), 404,
                    f"{what}: connection {n}", parameter="n")


def upload(d, body, headers=PCAP, query="", token=None):
    hdrs = dict(headers)
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    return hc.raw(d, "POST", "/captures" + query, body=body, headers=hdrs)


def created(resp, size, what):
    hc.expect_status(resp, 201, what)
    doc = hc.body_json(resp, what)
    check(resp.header("Location") == f"/captures/{doc['id']}",
          f"{what}: Location {resp.header('Location')!r}")
    check(doc["status"] == "done" and doc["size_bytes"] == size
          and isinstance(doc["analysis"], dict), f"{what}: {json.dumps(doc)[:400]}")
    return doc


def snapshot(d):
    """Every capture's document and the files of the captures directory,
    names and bytes."""
    docs, path = [], "/captures?limit=100"
    while path:
        page = d.get(path).json()
        docs += [d.get(f"/captures/{c['id']}").json() for c in page["captures"]]
        path = page["next"]
    cdir = os.path.join(d.data_dir, "captures")
    files = {f: read(os.path.join(cdir, f)) for f in sorted(os.listdir(cdir))}
    return json.dumps(docs, sort_keys=True), files


def refused(d, resp, status, what, parameter=None, mention=None):
    err = hc.expect_error(resp, status, what, parameter=parameter)
    if mention:
        check(mention in err["message"], f"{what}: message should name {mention!r}: {err}")


def many_connections(path, count):
    """count short connections between distinct ports, each carrying its
    index + 1 bytes: the last has the most payload."""
    frames = []
    for i in range(count):
        c = pg.Conn(frames, [10, 0, 0, 1], [10, 0, 0, 2], 40000 + i, 80)
        t = i * 10 * pg.MS
        c.send(t, 0, pg.SYN, 1000, 0)
        c.send(t + 1, 1, pg.SYN | pg.ACK, 5000, 1001)
        c.send(t + 2, 0, pg.ACK, 1001, 5001)
        c.send(t + 3, 0, pg.PSH | pg.ACK, 1001, 5001, length=i + 1)
        c.send(t + 4, 1, pg.ACK, 5001, 1002 + i)
        c.send(t + 5, 0, pg.FIN | pg.ACK, 1002 + i, 5001)
        c.send(t + 6, 1, pg.FIN | pg.ACK, 5001, 1003 + i)
        c.send(t + 7, 0, pg.ACK, 1003 + i, 5002)
    pg.write_pcap(path, frames)


def no_tcp(path):
    """One UDP datagram over IPv4."""
    udp = struct.pack("!HHHH", 5353, 5353, 12, 0) + b"abcd"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + udp
    pg.write_pcap(path, [(0, pg.ether(ip))])


def test_accepted(d, wiremeter, tmp):
    data = read(TWO_INTERFACES)
    doc = created(upload(d, data, query="?label=two%20interfaces"), len(data), "pcapng")
    check(doc["label"] == "two interfaces", f"label {doc['label']!r}")
    check(doc["analysis"]["linktypes"] == [1, 113], f"linktypes {doc['analysis']['linktypes']}")
    same_as_cli(wiremeter, TWO_INTERFACES, doc, "pcapng, two interfaces")
    same_packets(d, wiremeter, TWO_INTERFACES, doc, "pcapng, two interfaces")
    hc.expect_error(d.get(f"/captures/{doc['id']}/connections/x/packets"), 400, "n not a number",
                    parameter="n")
    again = d.get(doc["links"]["self"])
    hc.expect_status(again, 200, "GET the capture")
    check(again.json() == doc, "GET /captures/{id} differs from the 201's document")
    pcap = d.get(doc["links"]["pcap"])
    hc.expect_status(pcap, 200, "GET the capture's file")
    check(pcap.body == data, "the stored file is not the uploaded one")

    data = read(TWO_INTERFACES)
    doc = created(upload(d, gzip.compress(data)), len(data), "a .gz file")
    same_as_cli(wiremeter, TWO_INTERFACES, doc, "a .gz file")
    doc = created(upload(d, gzip.compress(data), headers={**PCAP, "Content-Encoding": "gzip"}),
                  len(data), "Content-Encoding: gzip")
    same_as_cli(wiremeter, TWO_INTERFACES, doc, "Content-Encoding: gzip")
    doc = created(upload(d, form(data), headers=FORM), len(data), "a form")
    same_as_cli(wiremeter, TWO_INTERFACES, doc, "a form")
    check(d.get(doc["links"]["pcap"]).body == data, "the form's file is not stored as sent")
    doc = created(upload(d, form(gzip.compress(data)), headers=FORM), len(data), "a form's .gz")
    same_as_cli(wiremeter, TWO_INTERFACES, doc, "a form's .gz")

    data = read(CUT_SHORT)
    doc = created(upload(d, data, headers={"Content-Type": "application/octet-stream"}),
                  len(data), "cut short")
    stop = doc["analysis"]["read_error"]
    check(stop and stop["kind"] == "cut_short" and d.data_dir not in stop["reason"],
          f"cut short: read_error {stop}")
    same_as_cli(wiremeter, CUT_SHORT, doc, "cut short")
    same_packets(d, wiremeter, CUT_SHORT, doc, "cut short")

    path = os.path.join(tmp, "no_tcp.pcap")
    no_tcp(path)
    doc = created(upload(d, read(path)), os.path.getsize(path), "no TCP")
    check(doc["analysis"]["connections"] == [] and doc["analysis"]["not_tcp"] == 1,
          f"no TCP: {doc['analysis']}")
    same_as_cli(wiremeter, path, doc, "no TCP")

    path = os.path.join(tmp, "sixty.pcap")
    many_connections(path, 60)
    doc = created(upload(d, read(path)), os.path.getsize(path), "60 connections")
    conns = doc["analysis"]["connections"]
    check(len(conns) == 60, f"60 connections: {len(conns)}")
    check([c["main"] for c in conns] == [False] * 59 + [True], "main is not the last")
    same_as_cli(wiremeter, path, doc, "60 connections")
    same_packets(d, wiremeter, path, doc, "60 connections", limit=3)

    for path in sorted(glob.glob(os.path.join(TSHARK, "*.pcap*"))):
        data = read(path)
        doc = created(upload(d, data), len(data), os.path.basename(path))
        same_as_cli(wiremeter, path, doc, os.path.basename(path))
        same_packets(d, wiremeter, path, doc, os.path.basename(path), limit=50)

    listed = d.get("/captures?limit=2").json()
    check(len(listed["captures"]) == 2 and listed["next"]
          and listed["captures"][0]["id"] > listed["captures"][1]["id"]
          and "analysis" not in listed["captures"][0], f"list: {listed}")
    metrics = d.get("/metrics").body.decode()
    check(f"wiremeter_capture_uploads_total {8 + len(glob.glob(os.path.join(TSHARK, '*.pcap*')))}"
          in metrics, "uploads not counted in /metrics")


def test_refused(d, tmp):
    data = read(TWO_INTERFACES)
    before = snapshot(d)
    refused(d, upload(d, b"this is not a capture at all"), 415, "garbage", "body")
    refused(d, upload(d, b""), 400, "empty body", "body", "empty")
    refused(d, upload(d, gzip.compress(b"not a capture either")), 415, "gzip of garbage",
            "body", "decompressed")
    refused(d, upload(d, gzip.compress(data)[:-100]), 400, "gzip cut short", "body", "gzip")
    refused(d, upload(d, data, headers={**PCAP, "Content-Encoding": "br"}), 415,
            "Content-Encoding br", "Content-Encoding")
    refused(d, upload(d, FORM_FIELD_ONLY, headers=FORM), 400, "form without a file", "body",
            "file part")
    refused(d, upload(d, form(data)[:-12], headers=FORM), 400, "form cut short", "body",
            "boundary")
    refused(d, upload(d, form(data), headers={"Content-Type": "multipart/form-data"}), 400,
            "form without a boundary", "Content-Type")
    refused(d, upload(d, data, headers={"Content-Type": "application/json"}), 415,
            "JSON Content-Type", "Content-Type")
    refused(d, upload(d, data, query="?label=" + "x" * 101), 400, "long label", "label")
    refused(d, upload(d, data, query="?lable=x"), 400, "unknown parameter", "lable")
    check(snapshot(d) == before, "a refused upload changed the store")


def test_limits(wiremeter, tmp):
    data = read(TWO_INTERFACES)
    with hc.Daemon(wiremeter, ["--max-upload", str(len(data) - 1), "--max-packets", "10",
                               "--token", TOKEN]) as d:
        before = snapshot(d)
        refused(d, upload(d, data, token=TOKEN), 413, "over --max-upload",
                mention="--max-upload")
        bomb = gzip.compress(b"\0" * (4 << 20))
        check(len(bomb) < len(data), f"the bomb is {len(bomb)} bytes")
        refused(d, upload(d, bomb, token=TOKEN), 413, "a gzip bomb", "body", "--max-upload")
        small = read(os.path.join(TSHARK, "client_closes.pcap"))
        refused(d, upload(d, small), 401, "no token")
        frames = analyze_json(wiremeter, CUT_SHORT)["frames"]
        check(frames > 10, f"{CUT_SHORT} has {frames} frames")
        refused(d, upload(d, read(CUT_SHORT), token=TOKEN), 413, "over --max-packets",
                "body", "--max-packets")
        check(snapshot(d) == before, "a refused upload changed the store")
        doc = created(upload(d, small, token=TOKEN), len(small), "within the limits")
        resp = d.delete(f"/captures/{doc['id']}")
        hc.expect_status(resp, 401, "DELETE without token")
        resp = d.delete(f"/captures/{doc['id']}", headers={"Authorization": f"Bearer {TOKEN}"})
        hc.expect_status(resp, 204, "DELETE")
        check(snapshot(d) == before, "a deleted capture left something")
        hc.expect_status(d.get(f"/captures/{doc['id']}", headers={"Authorization": f"Bearer {TOKEN}"}),
                         404, "GET a deleted capture")
        hc.finish(d)


def settled(d, cid, what, headers=None):
    """The capture's document once its analysis ended (polled: the daemon
    says "analysing" until then)."""
    deadline = time.monotonic() + 120
    while True:
        resp = d.get(f"/captures/{cid}", headers=headers or {})
        hc.expect_status(resp, 200, f"{what}: GET /captures/{cid}")
        doc = resp.json()
        if doc["status"] != "analysing":
            return doc
        check(doc["analysis"] is None and doc["error"] is None,
              f"{what}: analysing with {json.dumps(doc)[:300]}")
        check(time.monotonic() < deadline, f"{what}: still analysing after 120 s")
        time.sleep(0.05)


def test_concurrent(wiremeter, tmp):
    """16 uploads at once to a daemon that analyses one at a time
    (--workers 1) with 4 places in its queue: each is answered 201, 202
    (analysed later) or 429 (with Retry-After, nothing stored), the store
    holds exactly the 201 and 202 ones, each ends done, and no upload is
    left behind."""
    path = os.path.join(tmp, "sixty.pcap")
    many_connections(path, 60)
    data = read(path)
    with hc.Daemon(wiremeter, ["--workers", "1", "--queue", "4"]) as d:
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda _: upload(d, data), range(16)))
        ids, later = set(), 0
        for resp in answers:
            check(resp.status in (201, 202, 429),
                  f"concurrent upload: {resp.status} {resp.body[:200]!r}")
            if resp.status in (201, 202):
                ids.add(resp.json()["id"])
                later += resp.status == 202
            else:
                check(resp.header("Retry-After"), "a 429 without Retry-After")
                check("--queue" in resp.json()["error"]["message"], f"429: {resp.body!r}")
        for cid in ids:
            check(settled(d, cid, "concurrent")["status"] == "done", f"capture {cid} not done")
        listed = {c["id"] for c in d.get("/captures?limit=100").json()["captures"]}
        check(listed == ids, f"stored {sorted(listed)}, answered 201/202 for {sorted(ids)}")
        left = [f for f in os.listdir(os.path.join(d.data_dir, "captures")) if f.startswith("upload-")]
        check(not left, f"uploads left behind: {left}")
        print(f"concurrent uploads: {len(ids)} stored ({later} answered 202), "
              f"{16 - len(ids)} answered 429")
        hc.finish(d)


def test_analysed_later(wiremeter, tmp):
    """--capture-wait 0: the upload is answered 202 at once with Location
    and status "analysing"; the capture then ends "done" with the analysis
    a wait would have given, or "failed" with an error object saying why
    (a capture over --max-packets: its file is removed, the row says why).
    /metrics counts the analyses by outcome and the refusals by reason."""
    data = read(TWO_INTERFACES)
    with hc.Daemon(wiremeter, ["--capture-wait", "0", "--max-packets", "100"]) as d:
        resp = upload(d, data)
        hc.expect_status(resp, 202, "--capture-wait 0")
        doc = hc.body_json(resp, "202")
        check(resp.header("Location") == f"/captures/{doc['id']}",
              f"202: Location {resp.header('Location')!r}")
        check(doc["status"] in ("analysing", "done"), f"202: status {doc['status']}")
        done = settled(d, doc["id"], "analysed later")
        check(done["status"] == "done" and done["error"] is None, f"202 then: {done}")
        same_as_cli(wiremeter, TWO_INTERFACES, done, "analysed later")
        same_packets(d, wiremeter, TWO_INTERFACES, done, "analysed later")

        big = os.path.join(tmp, "fifty.pcap")
        many_connections(big, 50)  # 400 frames
        resp = upload(d, read(big))
        hc.expect_status(resp, 202, "over --max-packets, --capture-wait 0")
        failed = settled(d, resp.json()["id"], "over --max-packets")
        check(failed["status"] == "failed" and failed["analysis"] is None
              and failed["error"]["code"] == "too_large"
              and "--max-packets" in failed["error"]["message"]
              and d.data_dir not in failed["error"]["message"], f"over the budget: {failed}")
        hc.expect_error(d.get(failed["links"]["pcap"]), 404, "a failed capture's file", "id")
        check(not [f for f in os.listdir(os.path.join(d.data_dir, "captures"))
                   if f.startswith(f"{failed['id']}.") and not f.endswith(".tmp")],
              "a failed capture kept its files")  # a retired .tmp may linger a moment
        listed = d.get("/captures").json()["captures"]
        check([c["status"] for c in listed] == ["failed", "done"], f"list: {listed}")
        resp = d.delete(f"/captures/{failed['id']}")
        hc.expect_status(resp, 204, "DELETE a failed capture")

        refused(d, upload(d, b"garbage"), 415, "garbage", "body")
        refused(d, upload(d, b""), 400, "empty", "body")
        metrics = d.get("/metrics").body.decode()
        for line in ('wiremeter_capture_analyses_total{outcome="done"} 1',
                     'wiremeter_capture_analyses_total{outcome="failed"} 1',
                     'wiremeter_capture_refused_total{reason="unsupported_media_type"} 1',
                     'wiremeter_capture_refused_total{reason="invalid_parameter"} 1',
                     "wiremeter_capture_uploads_total 2",
                     "wiremeter_capture_analyses_running 0"):
            check(line in metrics, f"/metrics lacks {line!r}")
        seconds = [float(m.split()[1]) for m in metrics.splitlines()
                   if m.startswith("wiremeter_capture_analysis_seconds_total ")]
        check(seconds and seconds[0] > 0, f"analysis seconds: {seconds}")
        hc.finish(d)


def test_retention(wiremeter):
    """--history 2: once a third capture is analysed, the oldest goes, row
    and files; the two newest stay."""
    small = read(os.path.join(TSHARK, "client_closes.pcap"))
    with hc.Daemon(wiremeter, ["--history", "2"]) as d:
        ids = [created(upload(d, small), len(small), f"upload {i}")["id"] for i in range(3)]
        deadline = time.monotonic() + 60
        while len(d.get("/captures").json()["captures"]) > 2:
            check(time.monotonic() < deadline, "retention never removed the oldest capture")
            time.sleep(0.05)
        listed = [c["id"] for c in d.get("/captures").json()["captures"]]
        check(listed == ids[:0:-1], f"kept {listed}, expected {ids[:0:-1]}")
        hc.expect_error(d.get(f"/captures/{ids[0]}"), 404, "the oldest capture", "id")
        left = sorted(f for f in os.listdir(os.path.join(d.data_dir, "captures"))
                      if f.startswith(f"{ids[0]}."))
        check(not left, f"the oldest capture's files stayed: {left}")
        hc.finish(d)


def test_killed_mid_upload(wiremeter):
    """kill -9 while half the body is in: the next start leaves no
    temporary file and no capture."""
    data = read(TWO_INTERFACES)
    with hc.Daemon(wiremeter) as d:
        before = snapshot(d)
        s = socket.create_connection(("127.0.0.1", d.port))
        s.sendall(b"POST /captures HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                  b"Content-Type: application/vnd.tcpdump.pcap\r\n"
                  b"Content-Length: %d\r\n\r\n" % (d.port, len(data)) + data[:len(data) // 2])
        cdir = os.path.join(d.data_dir, "captures")
        deadline = time.monotonic() + 30
        while not any(f.startswith("upload-") for f in os.listdir(cdir)):
            check(time.monotonic() < deadline, "the upload never reached the disk")
            time.sleep(0.01)
        d.stop(signal.SIGKILL)
        s.close()
        d.start()
        check(snapshot(d) == before, f"a killed upload left something: {os.listdir(cdir)}")
        hc.finish(d)


def main():
    wiremeter = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="wm-captures-") as tmp:
        with hc.Daemon(wiremeter) as d:
            test_refused(d, tmp)
            test_accepted(d, wiremeter, tmp)
            test_refused(d, tmp)
            hc.finish(d)
        test_limits(wiremeter, tmp)
        test_concurrent(wiremeter, tmp)
        test_analysed_later(wiremeter, tmp)
        test_retention(wiremeter)
        test_killed_mid_upload(wiremeter)


if __name__ == "__main__":
    hc.wmtest.main(main)
