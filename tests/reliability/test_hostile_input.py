#!/usr/bin/env python3
"""Hostile input on a real daemon: what a web page, a rebinding DNS name or
a careless client sends, answered with a JSON error and never with a
changed value, a hang, or a run stored under another name.

- CSRF and DNS rebinding: a Host the daemon does not serve is 421 (but
  /healthz, which probes ask by any name); a POST or DELETE whose Origin
  is another site is 403 and stores nothing; the page's own origins
  (http://127.0.0.1:PORT, http://localhost:PORT) and --allowed-hosts pass.
- Invalid UTF-8 and control bytes in labels, values and names: 400
  naming the parameter, with a message that is valid JSON text.
- JSON string values of 1 KiB and more are judged whole, never cut: a
  padded size is refused, not run with another size.
- A FIFO under the web root is a 404 at once, not a hung thread.
- Run ids are canonical: /runs/01, /runs/1%00 and /runs/1%2fpcap are not
  run 1 (or its pcap).

No capture is needed: runs may fail, they are only looked up.

usage: test_hostile_input.py WIREMETER
"""
import json
import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import httpcommon as hc  # noqa: E402
from httpcommon import check  # noqa: E402
import wmtest  # noqa: E402


def error_of(resp, status, what, parameter=None, code=None):
    """expect_error, and the message is text: no control byte."""
    err = hc.expect_error(resp, status, what, parameter=parameter, code=code)
    check(not any(ord(c) < 0x20 for c in err["message"]),
          f"{what}: control bytes in the message {err['message']!r}")
    return err


def run_ids(d):
    return [r["id"] for r in hc.all_runs(d)]


def test_host_and_origin(d):
    port = d.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}",
                 f"LOCALHOST:{port}"):
        hc.expect_status(hc.raw(d, "GET", "/runs", headers={"Host": host}), 200,
                         f"GET /runs with Host {host}")
    for host in (f"evil.example:{port}", "evil.example", f"localhost:{port + 1}",
                 "localhost", f"127.0.0.1.evil.example:{port}", f"localhost:{port}:1"):
        for target in ("/runs", "/runs/1/pcap", "/", "/openapi.json"):
            error_of(hc.raw(d, "GET", target, headers={"Host": host}), 421,
                     f"GET {target} with Host {host!r}", parameter="Host",
                     code="misdirected_request")
    hc.expect_status(hc.raw(d, "GET", "/healthz", headers={"Host": "10.1.2.3:8080"}), 200,
                     "GET /healthz by a probe's Host")
    before = run_ids(d)
    evil = {"Origin": "http://evil.example"}
    form = {"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"}
    for method, target, headers, body in (
            ("POST", "/runs?size=13B&wait=0", evil, None),
            ("POST", "/runs", form, "size=13B&wait=0"),
            ("POST", "/sweeps?sizes=13B&wait=0", evil, None),
            ("POST", "/runs?size=13B&wait=0", {"Origin": "null"}, None),
            ("POST", "/runs?size=13B&wait=0", {"Origin": f"http://localhost:{port}.evil.example"}, None),
            ("DELETE", f"/runs/{before[0]}", evil, None)):
        error_of(hc.raw(d, method, target, body=body, headers=headers), 403,
                 f"{method} {target} from {headers['Origin']}", parameter="Origin",
                 code="forbidden_origin")
    check(run_ids(d) == before, f"a refused cross-site request changed the runs: {run_ids(d)}")
    for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
        resp = hc.raw(d, "POST", "/runs?size=13B&wait=0", headers={"Origin": origin})
        # Accepted: 202, or 201 when a worker ended the 13 B run before
        # the answer was built (wait=0 answers with what is there).
        check(resp.status in (201, 202),
              f"POST from the page's own origin {origin}: {resp.status} {resp.body[:200]!r}")


def test_allowed_hosts(wiremeter):
    with hc.Daemon(wiremeter, ["--allowed-hosts", "wm.example, proxy.example:8443"]) as d:
        for host, status in (("wm.example", 200), (f"wm.example:{d.port}", 200),
                             ("WM.example:1", 200), ("proxy.example:8443", 200),
                             ("proxy.example", 421), (f"localhost:{d.port}", 200)):
            hc.expect_status(hc.raw(d, "GET", "/runs", headers={"Host": host}), status,
                             f"--allowed-hosts: Host {host}")
        resp = hc.raw(d, "POST", "/runs?size=13B&wait=0", headers={"Origin": "https://wm.example"})
        # 202, or 201 when a worker ended the 13 B run before the answer.
        check(resp.status in (201, 202), f"POST from an allowed origin: {resp.status}")
        hc.finish(d)
    with hc.Daemon(wiremeter, ["--allowed-hosts", "*"]) as d:
        hc.expect_status(hc.raw(d, "GET", "/runs", headers={"Host": "any.example"}), 200,
                         "--allowed-hosts '*'")
    for bad in ("wm.example:0", "a b", "wm.example:http", "[zz::1]", ",", "wm.example:"):
        proc = wmtest.subprocess.run([wiremeter, "serve", "--allowed-hosts", bad, "--listen",
                                      "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
        check(proc.returncode == 2 and "--allowed-hosts" in proc.stderr,
              f"--allowed-hosts {bad!r} not refused at start: {proc.returncode} {proc.stderr!r}")


def test_utf8(d):
    before = run_ids(d)
    for target, parameter in (
            ("/runs?size=13B&label=%FF%FE", "label"),
            ("/runs?size=13B&label=%C0%AF", "label"),             # overlong '/'
            ("/runs?size=13B&label=%ED%A0%80", "label"),          # a surrogate
            ("/runs?size=13B&label=ab%C2%85cd", "label"),         # C1 control
            ("/runs?size=13B&label=%E2%82", "label"),             # cut character
            ("/runs?size=%FF%FE", "size"),
            ("/runs?size=13B&chunk=%FF%FE", "chunk"),
            ("/runs?size=13B&congestion=" + "c" * 63 + "%C3%A9", "congestion"),
            ("/runs?size=13B&direction=%1B%5B31m", "direction")):
        error_of(hc.raw(d, "POST", target), 400, f"POST {target}", parameter=parameter)
    err = error_of(hc.raw(d, "POST", "/runs?size=13B&%FF%FE=1"), 400, "a name that is not UTF-8")
    check(err["parameter"] == "\\xFF\\xFE", f"the bad name is not shown safely: {err}")
    error_of(hc.raw(d, "GET", "/runs?limit=%FF"), 400, "GET /runs?limit=%FF", parameter="limit")
    error_of(hc.raw(d, "GET", "/runs?%C3%A9t%C3%A9=1"), 400, "an unknown UTF-8 name",
             parameter="\u00e9t\u00e9")
    check(run_ids(d) == before, "a refused request stored a run")
    doc = hc.post_run(d, "size=13B&wait=0&label=%C3%A9t%C3%A9%20%E2%9C%93").json()
    check(doc["label"] == "\u00e9t\u00e9 \u2713", f"a UTF-8 label came back as {doc['label']!r}")


def test_long_json_values(d):
    before = run_ids(d)
    padded = "0" * 1100 + "100GB"
    for body, parameter in (({"size": padded}, "size"),
                            ({"size": "0" * 40 + "13B"}, "size"),
                            ({"size": "13B", "label": "x" * 2000}, "label"),
                            ({"size": "13B", "congestion": "c" * 1500}, "congestion")):
        what = f"POST /runs with a {len(json.dumps(body))}-byte JSON body ({parameter})"
        err = error_of(hc.raw(d, "POST", "/runs", body=json.dumps(body),
                              headers={"Content-Type": "application/json"}),
                       400, what, parameter=parameter)
        if body.get("size", "").startswith("000"):
            check("31" in err["message"], f"{what}: the limit is not named: {err}")
    error_of(hc.raw(d, "POST", "/runs?size=" + "0" * 40 + "13B"), 400,
             "a 43-character size text in the query", parameter="size")
    check(run_ids(d) == before, f"a padded value ran: runs {run_ids(d)}, before {before}")
    # Whole, not cut: 1100 zeros and a 7 is 7 (cut to 1023 bytes, it was 0).
    resp = hc.raw(d, "POST", "/runs", body=json.dumps({"size": "13B", "chunk": "0" * 1100 + "7",
                                                      "wait": "0" * 1100}),
                  headers={"Content-Type": "application/json"})
    # 202, or 201 when a worker ended the 13 B run before the answer.
    check(resp.status in (201, 202), f"a 1101-digit chunk of 7: {resp.status}")
    check(resp.json()["params"]["chunk"] == 7, f"chunk {resp.json()['params']['chunk']}, expected 7")


def test_fifo(wiremeter):
    root = tempfile.mkdtemp(prefix="wm-webroot-")
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<!doctype html><title>x</title>")
    os.mkfifo(os.path.join(root, "pipe.js"))
    os.mkdir(os.path.join(root, "dir.js"))
    with hc.Daemon(wiremeter, ["--web-root", root]) as d:
        for target in ("/pipe.js", "/pipe.js", "/dir.js"):
            start = time.monotonic()
            try:
                resp = hc.raw(d, "GET", target, timeout=5)
            except (socket.timeout, TimeoutError):
                hc.fail(f"GET {target} (a FIFO) hung for 5 s")
            error_of(resp, 404, f"GET {target}")
            check(time.monotonic() - start < 2, f"GET {target} took {time.monotonic() - start:.1f}s")
        hc.expect_status(hc.raw(d, "GET", "/index.html", timeout=5), 200, "the page after the FIFO")
        hc.finish(d)
    shutil.rmtree(root)


def test_ids(d):
    run = hc.post_run(d, "size=13B&wait=0").json()
    rid = run["id"]
    check(rid < 10, f"run id {rid}: the test wants a one-digit id")
    hc.expect_status(d.get(f"/runs/{rid}"), 200, f"GET /runs/{rid}")
    for target, code in ((f"/runs/0{rid}", "invalid_parameter"), (f"/runs/00{rid}", "invalid_parameter"),
                         (f"/runs/{rid}%00", "invalid_path"), (f"/runs/{rid}%00abc", "invalid_path"),
                         (f"/runs/{rid}%2fpcap", "invalid_path"), (f"/runs/{rid}%2Fpackets", "invalid_path"),
                         (f"/runs/0{rid}/pcap", "invalid_parameter"), ("/runs/" + "1" * 80, None)):
        resp = hc.raw(d, "GET", target)
        check(resp.status in (400, 404), f"GET {target}: {resp.status}, expected 400 or 404: {resp.body[:200]!r}")
        error_of(resp, resp.status, f"GET {target}", code=code)
    error_of(hc.raw(d, "DELETE", f"/runs/0{rid}"), 400, f"DELETE /runs/0{rid}")
    hc.expect_status(d.get(f"/runs/{rid}"), 200, f"run {rid} after DELETE /runs/0{rid}")


def main():
    wiremeter = wmtest.binary()
    with hc.Daemon(wiremeter, ["--max-wait", "5"]) as d:
        hc.post_run(d, "size=13B&wait=0")  # a run to aim at
        test_host_and_origin(d)
        test_utf8(d)
        test_long_json_values(d)
        test_ids(d)
        hc.finish(d)
    test_allowed_hosts(wiremeter)
    test_fifo(wiremeter)
    print("ok")


if __name__ == "__main__":
    main()
