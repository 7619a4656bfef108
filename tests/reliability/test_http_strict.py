"""Strict HTTP: heads RFC 9112 says to refuse are refused, every error in JSON.

Why: libmicrohttpd 0.9.75 took the first of two Content-Lengths, processed
Content-Length with chunked, served HTTP/1.1 without Host and joined
obs-fold lines (nginx answers 400 to each), answered its own errors (400,
413, 414, 431, 505) with HTML bodies, and a path that decoded to invalid
UTF-8 got an empty 500 or no answer at all. Each case below is sent byte
for byte on a raw socket, on a new connection (the gate's check) and, where
it applies, as the second request of a kept-alive connection (the access
handler's check); the answer must be the status given with a JSON error
document, and nothing may be stored.
"""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import httpcommon as hc  # noqa: E402
import wmtest  # noqa: E402
from wmtest import check  # noqa: E402

# "localhost" becomes "localhost:PORT" when sent: the daemon serves only
# the Host names that are its own.
H = b"Host: localhost\r\n"

# (name, raw request, expected status, parameter named or None)
FIRST_REQUEST_CASES = [
    ("two different Content-Lengths",
     b"POST /runs?size=13B&wait=0 HTTP/1.1\r\n" + H + b"Content-Length: 0\r\nContent-Length: 5\r\n\r\nhello",
     400, "Content-Length"),
    ("two equal Content-Lengths",
     b"POST /runs?size=13B&wait=0 HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
     400, "Content-Length"),
    ("Content-Length with chunked",
     b"POST /runs?size=13B&wait=0 HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     400, "Transfer-Encoding"),
    ("chunked body", b"POST /runs?size=13B&wait=0 HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     411, "Content-Length"),
    ("unknown Transfer-Encoding", b"POST /runs HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n",
     501, "Transfer-Encoding"),
    ("HTTP/1.1 without Host", b"GET /healthz HTTP/1.1\r\n\r\n", 400, "Host"),
    ("two Hosts", b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "Host"),
    ("obs-fold", b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: a\r\n b\r\n\r\n", 400, None),
    ("obs-fold as the first header line", b"GET /healthz HTTP/1.1\r\n X-A: a\r\n" + H + b"\r\n", 400, None),
    ("space before the colon", b"GET /healthz HTTP/1.1\r\n" + H + b"X-A : b\r\n\r\n", 400, None),
    ("header line without a colon", b"GET /healthz HTTP/1.1\r\n" + H + b"NoColon\r\n\r\n", 400, None),
    ("control byte in a header value", b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: a\x01b\r\n\r\n", 400, None),
    ("bare CR in the request line", b"GET /healthz\rX HTTP/1.1\r\n" + H + b"\r\n", 400, None),
    ("headers over the limit", b"GET /healthz HTTP/1.1\r\n" + H + b"X-A: " + b"a" * 20000 + b"\r\n\r\n", 431, None),
    ("target of 30000 bytes", b"GET /" + b"a" * 30000 + b" HTTP/1.1\r\n" + H + b"\r\n", 414, None),
    ("target one byte over --max-url", b"GET /" + b"a" * 4096 + b" HTTP/1.1\r\n" + H + b"\r\n", 414, None),
    ("HTTP/2.0", b"GET /healthz HTTP/2.0\r\n" + H + b"\r\n", 505, None),
    ("HTTP/1.2", b"GET /healthz HTTP/1.2\r\n" + H + b"\r\n", 505, None),
    ("not a version", b"GET /healthz HTTP/1.1x\r\n" + H + b"\r\n", 400, None),
    ("garbage", b"\x01\x02 garbage\r\n\r\n", 400, None),
    ("Content-Length not a number", b"POST /runs HTTP/1.1\r\n" + H + b"Content-Length: 5x\r\n\r\nhello", 400, "Content-Length"),
    ("Content-Length of 23 digits", b"POST /runs HTTP/1.1\r\n" + H + b"Content-Length: 99999999999999999999999\r\n\r\n",
     400, "Content-Length"),
    ("Content-Length over --max-body", b"POST /runs HTTP/1.1\r\n" + H + b"Content-Length: 70000\r\n\r\n", 413, None),
    ("path /%ff", b"GET /%ff HTTP/1.1\r\n" + H + b"\r\n", 400, None),
    ("path /runs/%ff", b"GET /runs/%ff HTTP/1.1\r\n" + H + b"\r\n", 400, None),
    ("path /runs/%ff/packets", b"GET /runs/%ff/packets HTTP/1.1\r\n" + H + b"\r\n", 400, None),
    ("path /runs/%c3%28 (bad UTF-8)", b"GET /runs/%c3%28 HTTP/1.1\r\n" + H + b"\r\n", 400, None),
    ("path /runs/1%00", b"GET /runs/1%00 HTTP/1.1\r\n" + H + b"\r\n", 400, None),
    ("path /%00", b"GET /%00 HTTP/1.1\r\n" + H + b"\r\n", 400, None),
    ("DELETE /runs/%ff", b"DELETE /runs/%ff HTTP/1.1\r\n" + H + b"\r\n", 400, None),
]

# Sent as the second request of a kept-alive connection: libmicrohttpd has
# parsed these heads; the access handler must hold them to the same rules.
KEPT_ALIVE_CASES = [c for c in FIRST_REQUEST_CASES if c[0] in (
    "two different Content-Lengths", "two equal Content-Lengths", "Content-Length with chunked",
    "chunked body", "unknown Transfer-Encoding", "HTTP/1.1 without Host", "two Hosts",
    "Content-Length over --max-body", "path /%ff", "path /runs/%ff", "path /runs/1%00")]

# Accepted: what RFC 9112 allows and nginx serves.
ACCEPTED_CASES = [
    ("HTTP/1.0 without Host", b"GET /healthz HTTP/1.0\r\n\r\n", 200),
    ("bare LF line ends", b"GET /healthz HTTP/1.1\nHost: localhost\n\n", 200),
    ("an empty line before the request line", b"\r\nGET /healthz HTTP/1.1\r\n" + H + b"\r\n", 200),
    # (a query every route refuses unless it names a parameter the route
    # takes: /lab's limit, written with leading zeros to reach the length)
    ("the longest target and 8000 bytes of headers",
     b"GET /lab?limit=" + b"0" * 4079 + b"1 HTTP/1.1\r\n" + H + b"X-Pad: " + b"p" * 8000 + b"\r\n\r\n", 200),
    ("valid UTF-8 path", b"GET /%c3%a9 HTTP/1.1\r\n" + H + b"\r\n", 404),
    ("control byte in the path", b"GET /%01%1b[31m HTTP/1.1\r\n" + H + b"\r\n", 404),
]


def read_one(s, timeout=10):
    """(status, headers, body) of the next response on s."""
    s.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    check(lines[0].startswith("HTTP/1.1 "), f"not an HTTP/1.1 response: {data[:200]!r}")
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body[:length]


def send(port, raw, keep_first=False):
    raw = raw.replace(b"Host: localhost", f"Host: localhost:{port}".encode())
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        if keep_first:
            s.sendall(f"GET /healthz HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n".encode())
            status, headers, _ = read_one(s)
            check(status == 200 and headers.get("connection", "").lower() != "close",
                  f"first request of a kept-alive connection: {status} {headers}")
        try:
            s.sendall(raw)
        except OSError:
            pass  # refused and closed before all was sent: the answer is there
        return read_one(s)
    finally:
        s.close()


def check_error(name, status, headers, body, want, parameter):
    check(status == want, f"{name}: status {status}, expected {want}: {body[:300]!r}")
    ctype = headers.get("content-type", "")
    check(ctype.startswith("application/json"), f"{name}: Content-Type {ctype!r}, body {body[:200]!r}")
    try:
        doc = json.loads(body)
    except ValueError:
        hc.fail(f"{name}: error body is not JSON: {body[:300]!r}")
    err = doc.get("error")
    check(isinstance(err, dict) and isinstance(err.get("code"), str) and err.get("message"),
          f"{name}: not an error document: {doc}")
    if parameter is not None:
        check(err.get("parameter") == parameter, f"{name}: parameter {err.get('parameter')!r}, expected {parameter!r}")
    check(not any(ord(c) < 0x20 or ord(c) == 0x7f for c in err["message"]),
          f"{name}: control characters in the message: {err['message']!r}")
    check(headers.get("x-content-type-options") == "nosniff", f"{name}: no security headers: {headers}")
    return err


def test(wiremeter):
    with hc.Daemon(wiremeter) as d:
        print("first request of a connection:")
        for name, raw, want, parameter in FIRST_REQUEST_CASES:
            status, headers, body = send(d.port, raw)
            err = check_error(name, status, headers, body, want, parameter)
            print(f"  {name}: {status} {err['code']}: {err['message'][:90]}")
        print("second request of a kept-alive connection:")
        for name, raw, want, parameter in KEPT_ALIVE_CASES:
            status, headers, body = send(d.port, raw, keep_first=True)
            err = check_error(name, status, headers, body, want, parameter)
            print(f"  {name}: {status} {err['code']}")
        print("accepted:")
        for name, raw, want in ACCEPTED_CASES:
            status, headers, body = send(d.port, raw)
            check(status == want, f"{name}: status {status}, expected {want}: {body[:300]!r}")
            if status >= 400:
                err = check_error(name, status, headers, body, want, None)
                print(f"  {name}: {status} {err['message'][:90]}")
            else:
                json.loads(body)
                print(f"  {name}: {status}")
        runs = hc.all_runs(d)
        check(runs == [], f"a refused request stored a run: {runs}")
        hc.finish(d)


if __name__ == "__main__":
    wmtest.main(lambda: test(wmtest.binary()))
