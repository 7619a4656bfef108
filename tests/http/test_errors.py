#!/usr/bin/env python3
"""Bad input, every error status, and the token.

Each bad request of the issue's list — size -1, 1XB, 99999999999999999999,
missing; an 8 KiB query string; invalid JSON; a wrong content type; an
unknown parameter; id abc and 99999999999999999999; ../../etc/passwd in a
static path — and many more of the same kind get their 4xx JSON error
(naming the parameter where there is one), none a 500, and the store is
unchanged afterwards: the same runs with the same documents, the same pcap
files. Also 404, 405 with Allow, 413 over --max-size and --max-body, 415,
and 401/403 with --token. No capture is needed: runs stored here may be
done or failed, the comparison is the same.

usage: test_errors.py WIREMETER
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BIG_QUERY = "/runs?size=13B&label=" + "x" * 8192

# (method, target, body, headers, status, parameter the error names or
# None for "no parameter", description). Targets are sent byte for byte.
BAD = [
    # The list.
    ("POST", "/runs?size=-1", None, {}, 400, "size", "size -1"),
    ("POST", "/runs?size=1XB", None, {}, 400, "size", "size 1XB"),
    ("POST", "/runs?size=99999999999999999999", None, {}, 400, "size", "size overflowing"),
    ("POST", "/runs", None, {}, 400, "size", "size missing"),
    ("POST", BIG_QUERY, None, {}, 414, None, "an 8 KiB query string"),
    ("POST", "/runs", '{"size": "13B",', JSON, 400, "body", "invalid JSON"),
    ("POST", "/runs", "size=13B", {"Content-Type": "text/plain"}, 415, "Content-Type",
     "wrong content type"),
    ("POST", "/runs?size=13B&szie=2kB", None, {}, 400, "szie", "unknown parameter"),
    ("GET", "/runs/abc", None, {}, 400, "id", "id abc"),
    ("GET", "/runs/99999999999999999999", None, {}, 400, "id", "id overflowing"),
    ("GET", "/../../etc/passwd", None, {}, 400, "path", "../../etc/passwd"),
    # Sizes.
    ("POST", "/runs?size=", None, {}, 400, "size", "size empty"),
    ("POST", "/runs?size", None, {}, 400, "size", "size with no ="),
    ("POST", "/runs?size=1.5B", None, {}, 400, "size", "size fraction of a byte"),
    ("POST", "/runs?size=13%20B%20", None, {}, 400, "size", "size with trailing space"),
    ("POST", "/runs?size=0x10", None, {}, 400, "size", "size in hex"),
    ("POST", "/runs?size=2MB", None, {}, 413, "size", "size over --max-size"),
    ("POST", "/runs?size=1.000001MB", None, {}, 413, "size", "size just over --max-size"),
    # Other run parameters.
    ("POST", "/runs?size=13B&size=2kB", None, {}, 400, "size", "size twice"),
    ("POST", "/runs?size=13B", '{"size": "2kB"}', JSON, 400, "size", "size in query and body"),
    ("POST", "/runs?size=13B&direction=sideways", None, {}, 400, "direction", "direction"),
    ("POST", "/runs?size=13B&chunk=0", None, {}, 400, "chunk", "chunk 0"),
    ("POST", "/runs?size=13B&chunk=1GiB", None, {}, 400, "chunk", "chunk too big"),
    ("POST", "/runs?size=13B&nodelay=maybe", None, {}, 400, "nodelay", "nodelay"),
    ("POST", "/runs?size=13B&mss=10", None, {}, 400, "mss", "mss below 88"),
    ("POST", "/runs?size=13B&mss=-1", None, {}, 400, "mss", "mss negative"),
    ("POST", "/runs?size=13B&snaplen=10", None, {}, 400, "snaplen", "snaplen below 96"),
    ("POST", "/runs?size=13B&sndbuf=1TB", None, {}, 400, "sndbuf", "sndbuf"),
    ("POST", "/runs?size=13B&timeout=0", None, {}, 400, "timeout", "timeout 0"),
    ("POST", "/runs?size=13B&congestion=no_such_cc", None, {}, 400, "congestion",
     "congestion the kernel lacks"),
    ("POST", "/runs?size=13B&congestion=../x", None, {}, 400, "congestion", "congestion junk"),
    ("POST", "/runs?size=13B&label=%01", None, {}, 400, "label", "label control char"),
    ("POST", "/runs?size=13B&label=" + "y" * 101, None, {}, 400, "label", "label too long"),
    ("POST", "/runs?size=13B&wait=-1", None, {}, 400, "wait", "wait negative"),
    ("POST", "/runs?size=13B&wait=100000", None, {}, 400, "wait", "wait over --max-wait"),
    ("POST", "/runs?size=13B&ipv6=2", None, {}, 400, "ipv6", "ipv6"),
    # Bodies.
    ("POST", "/runs", '["size", "13B"]', JSON, 400, "body", "JSON array body"),
    ("POST", "/runs", '"13B"', JSON, 400, "body", "JSON string body"),
    ("POST", "/runs", '{"size": {"bytes": 13}}', JSON, 400, "size", "JSON object value"),
    ("POST", "/runs", '{"size": null}', JSON, 400, "size", "JSON null value"),
    ("POST", "/runs", '{"size": "13B", "size": "2kB"}', JSON, 400, "body", "JSON duplicate key"),
    ("POST", "/runs", '{"size": -13}', JSON, 400, "size", "JSON negative number"),
    ("POST", "/runs", '{"size": 1.5}', JSON, 400, "size", "JSON fraction"),
    ("POST", "/runs", '{"size": "13B", "bogus": 1}', JSON, 400, "bogus", "JSON unknown key"),
    ("POST", "/runs", '\x00{"size": "13B"}', JSON, 400, "body", "JSON with a NUL"),
    ("POST", "/runs", "size=13B&label=%zz", FORM, 400, "body", "form bad escape"),
    ("POST", "/runs", "size=13B&label=%00", FORM, 400, "body", "form NUL escape"),
    ("POST", "/runs", "size=13B&nosuch=1", FORM, 400, "nosuch", "form unknown name"),
    ("POST", "/runs", "size=13B", {}, 415, "Content-Type", "body with no content type"),
    ("POST", "/runs", "size=13B", {"Content-Type": "application/jsonx"}, 415, "Content-Type",
     "content type with a suffix"),
    ("POST", "/runs", "x" * 70000, JSON, 413, None, "body over --max-body"),
    # Lists and pages.
    ("GET", "/runs?limit=0", None, {}, 400, "limit", "limit 0"),
    ("GET", "/runs?limit=201", None, {}, 400, "limit", "limit over 200"),
    ("GET", "/runs?limit=abc", None, {}, 400, "limit", "limit abc"),
    ("GET", "/runs?before=-1", None, {}, 400, "before", "before negative"),
    ("GET", "/runs?before=99999999999999999999", None, {}, 400, "before", "before overflowing"),
    ("GET", "/runs?status=done", None, {}, 400, "status", "list unknown parameter"),
    ("GET", "/runs/1/packets?offset=-1", None, {}, 400, "offset", "offset negative"),
    ("GET", "/runs/1/packets?limit=10001", None, {}, 400, "limit", "packets limit"),
    ("GET", "/runs/1/packets?page=2", None, {}, 400, "page", "packets unknown parameter"),
    # Ids.
    ("GET", "/runs/0", None, {}, 400, "id", "id 0"),
    ("GET", "/runs/-1", None, {}, 400, "id", "id negative"),
    ("GET", "/runs/1e3", None, {}, 400, "id", "id 1e3"),
    ("GET", "/runs/%201", None, {}, 400, "id", "id with a space"),
    ("GET", "/runs/9223372036854775808", None, {}, 400, "id", "id over int64"),
    ("DELETE", "/runs/abc", None, {}, 400, "id", "DELETE id abc"),
    ("GET", "/runs/abc/packets", None, {}, 400, "id", "packets id abc"),
    ("GET", "/runs/99999999999999999999/pcap", None, {}, 400, "id", "pcap id overflowing"),
    ("GET", "/sweeps/abc", None, {}, 400, "id", "sweep id abc"),
    # Sweeps.
    ("POST", "/sweeps", None, {}, 400, "sizes", "sweep without sizes"),
    ("POST", "/sweeps?sizes=13B,1XB", None, {}, 400, "sizes", "sweep bad size"),
    ("POST", "/sweeps?sizes=13B,,", None, {}, 400, "sizes", "sweep empty sizes"),
    ("POST", "/sweeps?sizes=13B,2MB", None, {}, 413, "sizes", "sweep size over --max-size"),
    ("POST", "/sweeps?sizes=13B&repeat=0", None, {}, 400, "repeat", "repeat 0"),
    ("POST", "/sweeps?sizes=13B&repeat=101", None, {}, 400, "repeat", "repeat over 100"),
    ("POST", "/sweeps?sizes=13B&size=2kB", None, {}, 400, "size", "sweep with size"),
    ("POST", "/sweeps?sizes=13B&chunk=0", None, {}, 400, "chunk", "sweep chunk 0"),
    ("POST", "/sweeps?sizes=" + ",".join(["13B"] * 33), None, {}, 400, "sizes", "33 sizes"),
    ("POST", "/sweeps?sizes=13B&repeat=10", None, {}, 400, "repeat",
     "sweep larger than the queue"),
    # Static paths.
    ("GET", "/%2e%2e/%2e%2e/etc/passwd", None, {}, 400, "path", "encoded dot segments"),
    ("GET", "/..%2f..%2fetc%2fpasswd", None, {}, 400, "path", "encoded slashes"),
    ("GET", "/js/../../../etc/passwd", None, {}, 400, "path", "dot segments below a dir"),
    ("GET", "/..\\..\\etc\\passwd", None, {}, 400, "path", "backslashes"),
    ("GET", "/index.html%00.js", None, {}, 400, "path", "encoded NUL"),
    ("GET", "/.git/config", None, {}, 400, "path", "hidden name"),
    ("GET", "//etc/passwd", None, {}, 400, "path", "empty segment"),
    ("GET", "/nosuch.html", None, {}, 404, "path", "missing static file"),
    # No such thing.
    ("GET", "/runs/999999", None, {}, 404, "id", "no such run"),
    ("GET", "/runs/999999/packets", None, {}, 404, "id", "packets of no such run"),
    ("GET", "/runs/999999/pcap", None, {}, 404, "id", "pcap of no such run"),
    ("DELETE", "/runs/999999", None, {}, 404, "id", "DELETE no such run"),
    ("GET", "/sweeps/999999", None, {}, 404, "id", "no such sweep"),
    ("GET", "/runs/1/nosuch", None, {}, 404, "path", "no such route"),
    ("DELETE", "/nosuch/deep/path", None, {}, 405, None, "DELETE on a static path"),
]

# (method, target, Allow header expected).
NOT_ALLOWED = [
    ("PUT", "/runs", "POST, GET, HEAD"),
    ("DELETE", "/runs", "POST, GET, HEAD"),
    ("POST", "/runs/1", "GET, HEAD, DELETE"),
    ("PATCH", "/runs/1/pcap", "GET, HEAD"),
    ("POST", "/runs/1/packets", "GET, HEAD"),
    ("DELETE", "/sweeps/1", "GET, HEAD"),
    ("DELETE", "/sweeps", "POST, GET, HEAD"),
    ("POST", "/healthz", "GET, HEAD"),
    ("DELETE", "/metrics", "GET, HEAD"),
    ("PUT", "/openapi.json", "GET, HEAD"),
    ("POST", "/", "GET, HEAD"),
]


def check_bad(d, case):
    method, target, body, headers, status, parameter, what = case
    resp = hc.raw(d, method, target, body=body, headers=headers)
    err = hc.expect_error(resp, status, f"{what} ({method} {target[:60]})", parameter=parameter)
    if parameter is None:
        check(err.get("parameter") is None, f"{what}: names parameter {err.get('parameter')!r}")
    if status == 400 and parameter not in ("id", "path", "body", "Content-Type"):
        words = ("allowed", "expected", "available", "needed", "required", "more than once")
        check(any(w in err["message"] for w in words),
              f"{what}: the message does not say what is allowed: {err['message']!r}")


def test_bad_inputs(d):
    # Something stored first, so that "unchanged" compares real runs.
    for query in ("size=13B", "size=2kB&direction=upload&label=kept"):
        hc.created_run(hc.post_run(d, query), f"POST {query}")
    before = hc.store_snapshot(d)
    for case in BAD:
        check_bad(d, case)
    for method, target, allow in NOT_ALLOWED:
        resp = hc.raw(d, method, target)
        hc.expect_error(resp, 405, f"{method} {target}", code="method_not_allowed")
        check(resp.header("Allow") == allow,
              f"{method} {target}: Allow {resp.header('Allow')!r}, expected {allow!r}")
    after = hc.store_snapshot(d)
    check(after[1] == before[1], f"pcap files changed: {before[1]} -> {after[1]}")
    check(after[0] == before[0], "the stored runs changed after the bad requests")


def test_token(wiremeter):
    """With --token, POST and DELETE need `Authorization: Bearer`: 401
    without it, 403 with a wrong one; GET needs nothing. The token comes
    from the environment, as the README advises (a flag shows in ps)."""
    with hc.Daemon(wiremeter, env={"WIREMETER_TOKEN": "s3cret-token-0123"}) as d:
        before = hc.store_snapshot(d)
        for method, target in (("POST", "/runs?size=13B"), ("POST", "/sweeps?sizes=13B"),
                               ("DELETE", "/runs/1")):
            resp = hc.raw(d, method, target)
            hc.expect_error(resp, 401, f"{method} {target} without a token",
                            parameter="Authorization", code="unauthorized")
            check((resp.header("WWW-Authenticate") or "").startswith("Bearer"),
                  f"401 without WWW-Authenticate: {resp.header('WWW-Authenticate')!r}")
            for auth, status in (("Bearer wrong", 403), ("Bearer s3cret-token-012", 403),
                                 ("Bearer s3cret-token-01234", 403), ("Basic czNjcmV0", 401),
                                 ("s3cret-token-0123", 401), ("Bearer ", 403)):
                hc.expect_error(hc.raw(d, method, target, headers={"Authorization": auth}),
                                status, f"{method} {target} with {auth!r}",
                                parameter="Authorization")
        # Bad input is still refused after the token, never before it.
        hc.expect_error(hc.raw(d, "POST", "/runs?size=1XB"), 401, "bad size without a token")
        check(hc.store_snapshot(d) == before, "refused requests changed the store")
        auth = {"Authorization": "Bearer s3cret-token-0123"}
        hc.expect_error(hc.raw(d, "POST", "/runs?size=1XB", headers=auth), 400,
                        "bad size with the token", parameter="size")
        doc = hc.created_run(hc.raw(d, "POST", "/runs?size=13B", headers=auth), "POST with the token")
        hc.expect_status(d.get(f"/runs/{doc['id']}"), 200, "GET without a token")
        hc.expect_status(d.get("/runs"), 200, "GET /runs without a token")
        hc.expect_error(hc.raw(d, "DELETE", f"/runs/{doc['id']}"), 401, "DELETE without a token")
        hc.expect_status(hc.raw(d, "DELETE", f"/runs/{doc['id']}",
                                headers={"authorization": "bearer s3cret-token-0123"}), 204,
                         "DELETE with the token (header and scheme in lower case)")
        hc.finish(d)


def test_long_targets(wiremeter):
    """--max-url is the limit, whatever it is set to: a target just under
    it reaches the handler, one over it gets the JSON 414."""
    with hc.Daemon(wiremeter, ["--max-url", "16KiB"]) as d:
        under = "/runs?size=13B&label=" + "z" * (16 * 1024 - 200)
        hc.expect_error(hc.raw(d, "POST", under), 400, "a 16 KiB target under --max-url",
                        parameter="label")
        over = "/runs?size=13B&label=" + "z" * (16 * 1024 + 10)
        hc.expect_error(hc.raw(d, "POST", over), 414, "a target over --max-url 16KiB")
        far = "/runs?size=13B&label=" + "z" * (24 * 1024)
        hc.expect_error(hc.raw(d, "POST", far), 414, "a 24 KiB target")
        check(hc.all_runs(d) == [], "a refused long target stored a run")
        hc.finish(d)


def test_exposed_refused(wiremeter):
    """A non-loopback address with neither a token nor --open is refused
    at start, saying why."""
    port = wmtest.free_port()
    proc = subprocess.run([wiremeter, "serve", "--listen", f"0.0.0.0:{port}",
                           "--data-dir", os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                      f"wm-refused-{port}")],
                          capture_output=True, text=True, timeout=30)
    check(proc.returncode != 0, "serve on 0.0.0.0 without a token started")
    check("token" in proc.stderr and "--open" in proc.stderr,
          f"the refusal does not say what to do: {proc.stderr!r}")


def test():
    wiremeter = wmtest.binary()
    with hc.Daemon(wiremeter, ["--max-size", "1MB", "--max-wait", "60",
                                   "--queue", "8"]) as d:
        test_bad_inputs(d)
        hc.finish(d)
    test_token(wiremeter)
    test_long_targets(wiremeter)
    test_exposed_refused(wiremeter)


if __name__ == "__main__":
    wmtest.main(test)
