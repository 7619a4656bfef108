"""Shared helpers for wiremeter's integration tests (Python 3 stdlib only).

Why a module: every suite (live captures, HTTP, browser, docker) needs the
same three things done the same way — a free port, a real daemon with its
own data directory, and the rule that a test needing capture rights skips
with a clear message unless WIREMETER_REQUIRE_CAPTURE=1, where it fails.
"""
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77  # ctest SKIP_RETURN_CODE


def capture_required():
    return os.environ.get("WIREMETER_REQUIRE_CAPTURE") == "1"


def skip(reason):
    """Skips the test (exit 77), or fails it when capture is required."""
    if capture_required():
        print(f"FAIL: {reason} (WIREMETER_REQUIRE_CAPTURE=1, so this is a failure)")
        sys.exit(1)
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def binary():
    """The wiremeter binary under test: $WIREMETER_BIN or argv[1]."""
    path = os.environ.get("WIREMETER_BIN") or (sys.argv[1] if len(sys.argv) > 1 else "")
    if not path or not os.access(path, os.X_OK):
        fail(f"wiremeter binary not found (got {path!r}); pass it as argv[1] or WIREMETER_BIN")
    return path


# The client's request before any data (WM_TRANSFER_REQUEST_BYTES in
# worker/wm_transfer.h): "WMTR", version, direction, padding, u64 size.
REQUEST_BYTES = 16


def expected_streams(size, direction):
    """(client->server, server->client) bytes of a run's two streams."""
    if direction == "download":
        return REQUEST_BYTES, size
    return REQUEST_BYTES + size, 0


def check_streams(label, totals, size, direction):
    """A run's totals carried exactly its own bytes: the request one way,
    the size the other. stream_bytes counts each byte of a stream once;
    payload counts bytes sent again too (a busy machine makes loopback
    resend: Wireshark calls those retransmissions, or out-of-order within
    the first RTT), so it equals the streams only when nothing was resent."""
    c2s, s2c = expected_streams(size, direction)
    stream = totals["stream_bytes"]
    check(stream == {"client_to_server": c2s, "server_to_client": s2c},
          f"{label}: stream bytes {stream}, expected {c2s}/{s2c}")
    payload = (totals["payload_client_to_server"], totals["payload_server_to_client"])
    if totals["retransmissions"] == 0 and totals["out_of_order"] == 0:
        check(payload == (c2s, s2c), f"{label}: payload {payload}, expected {(c2s, s2c)}")
    else:
        check(payload[0] >= c2s and payload[1] >= s2c,
              f"{label}: payload {payload} short of {(c2s, s2c)}")
    check(totals["payload_bytes"] == sum(payload), f"{label}: payload_bytes")


def capture_permitted(wiremeter):
    """Asks the binary itself whether it may capture on lo."""
    proc = subprocess.run([wiremeter, "run", "--size", "0", "--json"],
                          capture_output=True, text=True, timeout=60)
    if proc.returncode == 0:
        return True, ""
    return False, (proc.stderr or proc.stdout).strip()


def require_capture(wiremeter):
    ok, why = capture_permitted(wiremeter)
    if not ok:
        skip(f"capture is not permitted here: {why}")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name):
        return self.headers.get(name)


def request(base, method, path, body=None, headers=None, timeout=120):
    """One HTTP request; never raises for an HTTP error status."""
    data = body
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        data = body.encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Response(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, err.headers, err.read())


class Daemon:
    """`wiremeter serve` on a free loopback port with a fresh data directory.

    Use as a context manager; extra flags and environment may be given.
    restart() stops and starts it on the same port and data directory.
    """

    def __init__(self, wiremeter, args=(), env=None, data_dir=None):
        self.wiremeter = wiremeter
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="wm-test-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "daemon.log")

    # The /healthz statuses that say the daemon is up: 200 here; a test of a
    # store that cannot be written waits for its 503 too.
    READY = (200,)

    def start(self, timeout=20):
        log = open(self.log_path, "ab")
        # Only what this start writes: a restart appends to the same log.
        log_start = log.tell()
        cmd = [self.wiremeter, "serve", "--listen", f"127.0.0.1:{self.port}",
               "--data-dir", self.data_dir] + self.args
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail(f"daemon exited with {self.proc.returncode} at start:\n{self.log()}")
            # Our daemon says it listens once its socket is bound: until
            # then, a daemon of another test that was handed the same free
            # port could be the one answering /healthz.
            if not self.listening_since(log_start):
                time.sleep(0.05)
                continue
            try:
                if request(self.base, "GET", "/healthz", timeout=2).status in self.READY:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        # Never left running: a bug that keeps /healthz from answering
        # (a mutant, say) would otherwise leave a daemon per test behind.
        self.proc.kill()
        self.proc.wait()
        fail(f"daemon not healthy after {timeout}s:\n{self.log()}")

    def listening_since(self, offset):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                return f"listening on http://127.0.0.1:{self.port}".encode() in f.read()
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail(f"daemon did not exit within {timeout}s of signal {sig}")
        return self.proc.returncode if self.proc else None

    def restart(self):
        self.stop()
        return self.start()

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def get(self, path, **kw):
        return request(self.base, "GET", path, **kw)

    def post(self, path, body=None, **kw):
        return request(self.base, "POST", path, body=body, **kw)

    def delete(self, path, **kw):
        return request(self.base, "DELETE", path, **kw)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop(signal.SIGKILL if exc[0] else signal.SIGTERM)
        if self.own_dir and exc[0] is None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        elif exc[0] is not None:
            print(f"daemon log ({self.log_path}):\n{self.log()}")


def main(test):
    """Runs test() and turns an uncaught assertion into a clear failure."""
    try:
        test()
    except AssertionError as err:
        fail(str(err) or "assertion failed")
    print("PASS")


# A small run's outputs live in the database, not in pcaps/ (the daemon's
# --inline-max): what tests read of a stored run, they read from either.
OUTPUT_FILES = {"pcap": ".pcap", "rows": ".rows", "series": ".series.json"}


def held_outputs(data_dir, kind):
    """{run id: bytes} of the runs whose `kind` output ("pcap", "rows",
    "series") is kept in the database."""
    import sqlite3
    path = os.path.join(data_dir, "wiremeter.db")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return dict(db.execute("SELECT run_id, data FROM run_outputs WHERE kind = ?", (kind,)))
    finally:
        db.close()


def run_output(data_dir, run_id, kind):
    """A stored run's output: its file in pcaps/, else its bytes in the
    database; None when it has neither."""
    path = os.path.join(data_dir, "pcaps", f"{run_id}{OUTPUT_FILES[kind]}")
    if os.path.exists(path):
        with open(path, "rb") as f:
            return f.read()
    return held_outputs(data_dir, kind).get(run_id)
