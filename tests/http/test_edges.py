#!/usr/bin/env python3
"""Each HTTP limit and guard at its exact edge, one guard at a time.

- Limits: a target of exactly --max-url bytes and one more, a body of
  exactly --max-body and one more, a Content-Length over the limit with no
  body sent (answered at once, not after a wait for the body).
- Static files: every guard of service/api/static.c reached on its own —
  an encoded slash (either case), a dot segment or dot file, a symlink in
  the web root to a file outside it, and one to a sibling directory whose
  name begins with the web root's (/web and /web-secret): only the realpath
  containment check stops those two.
- Guard: reads (GET and HEAD) need no token and no same origin unless
  --protect-reads; /healthz and the page stay public even then; the scheme
  must be "Bearer " with its space.
- Router: an {id} that fills its buffer is not cut into another id; HEAD
  reaches only GET routes.
- Header rules: two Host headers, a DEL byte in a value.
- Parameters: a name of exactly the longest length, and one byte longer.

No capture needed. Usage: test_edges.py WIREMETER
"""
import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402

TOKEN = "edge-token-0123456789abcdef"
MAX_URL = 100
MAX_BODY = 1000


def send_raw(port, data, timeout=10):
    """Sends bytes as they are; returns (status, body text, seconds)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
            text = b"".join(chunks)
            head, sep, body = text.partition(b"\r\n\r\n")
            if sep:
                length = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
                          if l.lower().startswith(b"content-length:")]
                if length and len(body) >= length[0]:
                    break
    text = b"".join(chunks)
    check(text.startswith(b"HTTP/1.1 "), f"no HTTP answer to {data[:80]!r}: {text[:200]!r}")
    return int(text[9:12]), text.partition(b"\r\n\r\n")[2].decode("utf-8", "replace"), \
        time.monotonic() - start


def request(d, method, target, headers=(), body=b""):
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{d.port}", "Connection: close"]
    lines += list(headers)
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return send_raw(d.port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def limits(d):
    # A file name padded to exactly MAX_URL bytes (no such file: 404, not
    # 414), then one byte more.
    target = "/" + "a" * (MAX_URL - 1)
    check(len(target) == MAX_URL, "target length")
    status, body, _ = request(d, "GET", target)
    check(status == 404, f"a target of exactly --max-url: {status} {body}")
    status, body, _ = request(d, "GET", target + "a")
    check(status == 414 and "--max-url" in body, f"one byte more: {status} {body}")

    auth = [f"Authorization: Bearer {TOKEN}", "Content-Type: application/x-www-form-urlencoded"]
    body = b"size=13B&label=" + b"x" * (MAX_BODY - len("size=13B&label="))
    check(len(body) == MAX_BODY, "body length")
    status, text, _ = request(d, "POST", "/runs", auth, body)
    check(status != 413, f"a body of exactly --max-body: {status} {text}")
    status, text, _ = request(d, "POST", "/runs", auth, body + b"x")
    check(status == 413 and "--max-body" in text, f"one byte more: {status} {text}")
    # Over the limit, nothing sent after the head: refused at once, the
    # daemon does not wait for a body it will not read.
    head = (f"POST /runs HTTP/1.1\r\nHost: 127.0.0.1:{d.port}\r\nConnection: close\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: {10 * MAX_BODY}\r\n\r\n")
    status, text, _ = send_raw(d.port, head.encode())
    check(status == 413 and "--max-body" in text, f"Content-Length over, no body: {status} {text}")


def header_rules(d):
    status, body, _ = request(d, "GET", "/healthz", [f"Host: 127.0.0.1:{d.port}"])
    check(status == 400 and "Host" in body, f"two Host headers: {status} {body}")
    status, body, _ = request(d, "GET", "/healthz", ["X-Note: a\x7fb"])
    check(status == 400, f"DEL in a header value: {status} {body}")
    status, body, _ = send_raw(d.port, f" /healthz HTTP/1.1\r\nHost: 127.0.0.1:{d.port}\r\n"
                                        "Connection: close\r\n\r\n".encode())
    check(status == 400, f"a request line with no method: {status} {body}")
    status, body, _ = send_raw(d.port, f"POST /runs HTTP/1.0\r\nHost: 127.0.0.1:{d.port}\r\n"
                                        f"Authorization: Bearer {TOKEN}\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n".encode())
    check(status == 400 and "HTTP/1.1" in body, f"Transfer-Encoding in HTTP/1.0: {status} {body}")
    status, body, _ = request(d, "GET", "/healthz", ["X-Note: a\tb"])
    check(status == 200, f"a tab in a header value is allowed: {status} {body}")


def guard(d):
    status, body, _ = request(d, "HEAD", "/runs")
    check(status == 200, f"HEAD is a read, no token needed: {status} {body}")
    status, body, _ = request(d, "GET", "/runs", ["Origin: http://elsewhere.example"])
    check(status == 200, f"a read from another origin: {status} {body}")
    status, body, _ = request(d, "POST", "/runs?size=13B", ["Origin: http://elsewhere.example",
                                                            f"Authorization: Bearer {TOKEN}"])
    check(status == 403, f"a write from another origin: {status} {body}")
    status, body, _ = request(d, "POST", "/runs?size=13B", [f"Authorization: Bearer_{TOKEN}"])
    check(status == 401, f"'Bearer_' is not the Bearer scheme: {status} {body}")
    status, body, _ = request(d, "POST", "/runs?size=13B", [f"Authorization: Bearer {TOKEN}x"])
    check(status == 403, f"a token with one more character: {status} {body}")


def router(d):
    status, body, _ = request(d, "GET", "/runs/" + "1" * 64)
    check(status == 404, f"an id of 64 digits (its buffer's size) matches no route: {status} {body}")
    status, body, _ = request(d, "GET", "/runs/" + "1" * 63)
    check(status == 400 and "id" in body, f"an id of 63 digits, over int64: {status} {body}")
    # The router's own check, before any route: /runs/1%2Fpcap must not
    # reach GET /runs/{id}/pcap, in either case of the escape.
    for target in ("/runs/1%2Fpcap", "/runs/1%2fpcap"):
        status, body, _ = request(d, "GET", target)
        check(status == 400 and "no route has" in body, f"{target}: {status} {body}")
    # POST /runs comes first in the table: HEAD /runs is GET's (a list),
    # never the POST handler (which would want a size).
    status, body, _ = request(d, "HEAD", "/runs")
    check(status == 200, f"HEAD /runs is GET /runs: {status} {body}")
    status, body, _ = request(d, "HEAD", "/runs/1")
    check(status == 404, f"HEAD /runs/1 is GET /runs/1 (no such run): {status}")


def parameters(d):
    auth = [f"Authorization: Bearer {TOKEN}"]
    name = "n" * 24
    # In a JSON body: the router checks a query string's names itself,
    # a body's go through the parameter walk (handlers_params.c).
    doc = ('{"size": "13B", "%s": 1}' % name).encode()
    status, body, _ = request(d, "POST", "/runs", auth + ["Content-Type: application/json"], doc)
    check(status == 400 and f"'{name}'; allowed:" in body,
          f"a name of exactly 24 bytes in a JSON body reaches the route: {status} {body}")
    status, body, _ = request(d, "POST", f"/runs?size=13B&{name}=1", auth)
    # 24 bytes: short enough for the route's own check, which lists what
    # is allowed; 25: refused before any route sees it.
    check(status == 400 and f"'{name}'; allowed:" in body,
          f"a name of exactly 24 bytes reaches the route: {status} {body}")
    status, body, _ = request(d, "POST", f"/runs?size=13B&{name}n=1", auth)
    check(status == 400 and "no parameter has such a name" in body and f"'{name}...'" in body,
          f"a name of 25 bytes: {status} {body}")


def static_files(wiremeter):
    top = tempfile.mkdtemp(prefix="wm-edges-")
    root = os.path.join(top, "web")
    sibling = os.path.join(top, "web-secret")
    for path in (root, sibling, os.path.join(root, "a")):
        os.makedirs(path)
    files = {os.path.join(root, "index.html"): "<html>page</html>",
             os.path.join(root, "a", "b"): "inner",
             os.path.join(root, ".hidden"): "dot file",
             os.path.join(root, "a\\b"): "backslash file",
             os.path.join(sibling, "key.txt"): "SIBLING-SECRET",
             os.path.join(top, "outside.txt"): "OUTSIDE-SECRET"}
    for path, text in files.items():
        with open(path, "w") as f:
            f.write(text)
    os.symlink(os.path.join(sibling, "key.txt"), os.path.join(root, "sibling.txt"))
    os.symlink(os.path.join(top, "outside.txt"), os.path.join(root, "outside.txt"))
    os.symlink(os.path.join(root, "index.html"), os.path.join(root, "inside.html"))
    try:
        with hc.Daemon(wiremeter, ["--web-root", root]) as d:
            status, body, _ = request(d, "GET", "/a/b")
            check(status == 200 and body == "inner", f"a file in a subdirectory: {status} {body}")
            status, body, _ = request(d, "GET", "/inside.html")
            check(status == 200 and "page" in body, f"a symlink inside the root: {status} {body}")
            status, body, _ = request(d, "GET", "/a")
            check(status == 404, f"a directory is not a file: {status} {body}")
            for target in ("/a%2Fb", "/a%2fb", "/a%5Cb", "/a%5cb", "/a\\b"):
                status, body, _ = request(d, "GET", target)
                check(status in (400, 404) and body != "inner", f"{target}: {status} {body}")
            # A name with a backslash exists here; it is refused all the same
            # (a Windows separator is never a name on this server).
            status, body, _ = request(d, "GET", "/a\\b")
            check(status == 400 and "backslash file" not in body, f"/a\\b: {status} {body}")
            for target in ("/.hidden", "/a/.%2e/index.html", "/a/..%2Findex.html"):
                status, body, _ = request(d, "GET", target)
                check(status in (400, 404) and "dot file" not in body, f"{target}: {status} {body}")
            for target in ("/sibling.txt", "/outside.txt"):
                status, body, _ = request(d, "GET", target)
                check(status in (400, 404) and "SECRET" not in body,
                      f"{target}, a symlink out of the web root: {status} {body}")
            hc.finish(d)
    finally:
        shutil.rmtree(top, ignore_errors=True)


class ProtectedDaemon(hc.Daemon):
    # Up even when /healthz wrongly wants the token: the check below says
    # so, and the daemon is stopped (a failed start would leave it running).
    READY = (200, 401)


def protect_reads(wiremeter):
    with ProtectedDaemon(wiremeter, ["--token", TOKEN, "--protect-reads"]) as d:
        status, body, _ = request(d, "GET", "/healthz")
        check(status == 200, f"/healthz stays public under --protect-reads: {status} {body}")
        status, body, _ = request(d, "GET", "/")
        check(status in (200, 404), f"the page stays public: {status} {body}")
        status, body, _ = request(d, "GET", "/runs")
        check(status == 401, f"/runs needs the token under --protect-reads: {status} {body}")
        status, body, _ = request(d, "GET", "/runs", [f"Authorization: Bearer {TOKEN}"])
        check(status == 200, f"/runs with the token: {status} {body}")


def main():
    wiremeter = wmtest.binary()
    args = ["--token", TOKEN, "--max-url", str(MAX_URL), "--max-body", str(MAX_BODY)]
    with hc.Daemon(wiremeter, args) as d:
        limits(d)
        header_rules(d)
        guard(d)
        router(d)
        parameters(d)
    static_files(wiremeter)
    protect_reads(wiremeter)


if __name__ == "__main__":
    wmtest.main(main)
