#!/usr/bin/env python3
"""Token hygiene: where the token comes from, how strong it must be, what
it guards.

- A weak token (under 16 characters, blank, with spaces) is refused at
  start, on loopback as on 0.0.0.0, and the refusal never prints it.
- --token-file (WIREMETER_TOKEN_FILE) gives it from a file, one line;
  a token given twice, a missing file, an empty one are refused.
- --token on the command line warns, and is gone from /proc/PID/cmdline
  (what ps shows) once the daemon has started.
- --protect-reads: every route but /healthz and the page's files needs
  the token (401 without, 403 wrong); it needs a token to start.

usage: test_token.py WIREMETER
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import httpcommon as hc  # noqa: E402
from httpcommon import check  # noqa: E402
import wmtest  # noqa: E402

TOKEN = "wm-test-token-6f1c2a9e8b7d"


class AuthDaemon(hc.Daemon):
    """A daemon whose test requests carry the token (hc.finish's too)."""

    def get(self, path, **kw):
        kw.setdefault("headers", {"Authorization": f"Bearer {TOKEN}"})
        return super().get(path, **kw)


def refused(wiremeter, args, env=None, words=()):
    """serve with args exits 2 at once, its message holding words and
    never the token given."""
    what = f"serve {args} {env or ''}"
    try:
        with tempfile.TemporaryDirectory(prefix="wm-token-") as data:
            proc = subprocess.run([wiremeter, "serve", "--listen", "127.0.0.1:0",
                                   "--data-dir", data] + args,
                                  capture_output=True, text=True, timeout=10,
                                  env=dict(os.environ, **(env or {})))
    except subprocess.TimeoutExpired:
        hc.fail(f"{what}: the daemon started (and ran 10 s) instead of refusing")
    check(proc.returncode == 2, f"{what}: exit {proc.returncode}, expected a refusal: {proc.stderr!r}")
    for word in words:
        check(word in proc.stderr, f"{what}: {word!r} not in {proc.stderr!r}")
    return proc.stderr


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def test_weak_tokens(wiremeter):
    for token in ("short", " ", " " * 20, "sixteen chars ok", "tab\tseparated-token-x",
                  "fifteen-chars-x"):
        err = refused(wiremeter, ["--token", token], words=("16",))
        check(token.strip() == "" or token not in err, f"the refusal prints the token: {err!r}")
        refused(wiremeter, [], env={"WIREMETER_TOKEN": token}, words=("16",))
    refused(wiremeter, ["--listen", "0.0.0.0:0", "--token", " "], words=("16",))
    d = tempfile.mkdtemp(prefix="wm-token-")
    refused(wiremeter, ["--token-file", os.path.join(d, "missing")], words=("--token-file",))
    refused(wiremeter, ["--token-file", write(os.path.join(d, "empty"), "")], words=("16",))
    refused(wiremeter, ["--token-file", write(os.path.join(d, "two"), TOKEN + "\nmore\n")],
            words=("--token-file",))
    refused(wiremeter, ["--token-file", write(os.path.join(d, "ok"), TOKEN + "\n")],
            env={"WIREMETER_TOKEN": TOKEN}, words=("not both",))
    refused(wiremeter, ["--protect-reads"], words=("--protect-reads", "token"))
    shutil.rmtree(d)


def test_token_file(wiremeter):
    d = tempfile.mkdtemp(prefix="wm-token-")
    path = write(os.path.join(d, "token"), TOKEN + "\r\n", 0o644)
    with hc.Daemon(wiremeter, ["--token-file", path]) as daemon:
        check("chmod 600" in daemon.log(), f"no warning for a token file others may read:\n{daemon.log()}")
        hc.expect_error(hc.raw(daemon, "POST", "/runs?size=13B&wait=0"), 401, "POST without the token")
        resp = hc.raw(daemon, "POST", "/runs?size=13B&wait=0",
                      headers={"Authorization": f"Bearer {TOKEN}"})
        # 202, or 201 when a worker ended the 13 B run before the answer.
        check(resp.status in (201, 202), f"POST with the token from the file: {resp.status}")
        hc.expect_status(daemon.get("/runs"), 200, "GET without --protect-reads")
        hc.finish(daemon)
    with hc.Daemon(wiremeter, [], env={"WIREMETER_TOKEN_FILE": path}) as daemon:
        resp = hc.raw(daemon, "POST", "/runs?size=13B&wait=0",
                      headers={"Authorization": f"Bearer {TOKEN}"})
        check(resp.status in (201, 202),
              f"POST with the token of WIREMETER_TOKEN_FILE: {resp.status}")
    shutil.rmtree(d)


def test_argv_hidden(wiremeter):
    with hc.Daemon(wiremeter, ["--token", TOKEN]) as daemon:
        with open(f"/proc/{daemon.proc.pid}/cmdline", "rb") as f:
            cmdline = f.read()
        check(TOKEN.encode() not in cmdline, f"the token is in /proc/PID/cmdline: {cmdline!r}")
        check(b"--token" in cmdline, f"cmdline lost the flag itself: {cmdline!r}")
        check("warning" in daemon.log() and "--token-file" in daemon.log(),
              f"no warning for --token on the command line:\n{daemon.log()}")
        hc.expect_status(hc.raw(daemon, "POST", "/runs?size=13B&wait=0",
                                headers={"Authorization": f"Bearer {TOKEN}"}), 202,
                         "the hidden token still works")
    with hc.Daemon(wiremeter, [f"--token={TOKEN}"]) as daemon:
        with open(f"/proc/{daemon.proc.pid}/cmdline", "rb") as f:
            cmdline = f.read()
        check(TOKEN.encode() not in cmdline, f"--token=... is in /proc/PID/cmdline: {cmdline!r}")


def test_protect_reads(wiremeter):
    with AuthDaemon(wiremeter, ["--protect-reads"], env={"WIREMETER_TOKEN": TOKEN}) as d:
        run = hc.raw(d, "POST", "/runs?size=13B&wait=0",
                     headers={"Authorization": f"Bearer {TOKEN}"}).json()
        rid = run["id"]
        for target in ("/runs", f"/runs/{rid}", f"/runs/{rid}/packets", f"/runs/{rid}/pcap",
                       "/lab", "/metrics", "/openapi.json", "/sweeps/1"):
            resp = hc.raw(d, "GET", target)
            hc.expect_error(resp, 401, f"GET {target} without the token", parameter="Authorization")
            check("Bearer" in (resp.header("WWW-Authenticate") or ""), f"GET {target}: no WWW-Authenticate")
            hc.expect_error(hc.raw(d, "GET", target, headers={"Authorization": "Bearer " + "x" * 26}),
                            403, f"GET {target} with a wrong token", parameter="Authorization")
            resp = hc.raw(d, "HEAD", target)
            check(resp.status == 401, f"HEAD {target} without the token: {resp.status}")
        for target in ("/runs", f"/runs/{rid}", "/lab", "/metrics", "/openapi.json"):
            hc.expect_status(d.get(target), 200, f"GET {target} with the token")
        for target in ("/healthz", "/", "/index.html", "/js/api.js", "/style.css"):
            hc.expect_status(hc.raw(d, "GET", target), 200, f"GET {target} without the token")
        hc.finish(d)


def main():
    wiremeter = wmtest.binary()
    test_weak_tokens(wiremeter)
    test_token_file(wiremeter)
    test_argv_hidden(wiremeter)
    test_protect_reads(wiremeter)
    print("ok")


if __name__ == "__main__":
    main()
