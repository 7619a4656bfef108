"""Helpers of the store's reliability tests (disk full, read-only store,
kill -9, retention, drain), on top of tests/http/httpcommon.py.

Why a module: these tests share the same moves — a small tmpfs as the
data directory (root only), a daemon started whatever /healthz says
(a degraded daemon answers 503 and that is the point), a disk filled to
the last byte, and the check that every done run's pcap re-analyses to the
frames its result counts. Not a test itself: ctest runs test_*.py only.
"""
import contextlib
import errno
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
import httpcommon as hc  # noqa: E402
from httpcommon import check, fail, wmtest  # noqa: E402,F401


def need_root(what):
    """tmpfs mounts need root: skip (77) without, unless capture is
    required, which makes it a failure (as wmtest.skip does)."""
    if os.geteuid() != 0:
        wmtest.skip(f"{what} needs root (it mounts a tmpfs)")


@contextlib.contextmanager
def tmpfs(size):
    """A fresh tmpfs of `size` (e.g. "24m"), unmounted however the test
    ends."""
    path = tempfile.mkdtemp(prefix="wm-tmpfs-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700",
                    "tmpfs", path], check=True)
    try:
        yield path
    finally:
        for _ in range(50):
            if subprocess.run(["umount", path], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "-l", path])
        os.rmdir(path)


def remount(path, mode):
    subprocess.run(["mount", "-o", f"remount,{mode}", path], check=True)


def fill(path, leave=0, name="filler"):
    """Writes path/name until the disk has at most `leave` bytes free
    (0: until ENOSPC). Returns the file's path."""
    target = os.path.join(path, name)
    chunk = b"\0" * (64 << 10)
    with open(target, "ab", buffering=0) as f:
        while True:
            free = os.statvfs(path).f_bavail * os.statvfs(path).f_frsize
            if free <= leave:
                break
            n = min(len(chunk), free - leave) if leave else len(chunk)
            try:
                f.write(chunk[:n])
            except OSError as err:
                if err.errno != errno.ENOSPC:
                    raise
                break
    return target


class Daemon(hc.Daemon):
    """A daemon whose start waits for any /healthz answer: a read-only or
    full store answers 503, and must still start and serve."""

    READY = (200, 503)


def log_outside(data_dir):
    """A daemon log beside, not inside, a data directory that will be
    filled or made read-only."""
    fd, path = tempfile.mkstemp(prefix="wm-daemon-", suffix=".log")
    os.close(fd)
    return path


def check_done_pcaps(wiremeter, d, runs, what):
    """Every done run's pcap is whole: `wiremeter analyze` reads it to the
    last record and counts the frames its result says. (A small run's pcap
    is in the database: it is read from there.)"""
    for run in runs:
        if run["status"] != "done":
            continue
        data = wmtest.run_output(d.data_dir, run["id"], "pcap")
        check(data is not None, f"{what}: done run {run['id']} has no pcap")
        fd, path = tempfile.mkstemp(prefix="wm-store-", suffix=".pcap")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            got = hc.analyze(wiremeter, path)["frames"]
        finally:
            os.unlink(path)
        want = run["result"]["capture"]["frames"]
        check(got == want, f"{what}: run {run['id']} is done with {want} frames, "
                           f"its pcap holds {got}")


def lose_outputs(db, data_dir, run_id):
    """What a crash in the middle of run_id leaves of its outputs: none,
    in pcaps/ or in the database (db: a connection the caller commits)."""
    for ext in wmtest.OUTPUT_FILES.values():
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(data_dir, "pcaps", f"{run_id}{ext}"))
    db.execute("DELETE FROM run_outputs WHERE run_id = ?", (run_id,))


def check_failure_reason(run, d, what):
    """A failed run says why with a code and a message naming no server
    path."""
    err = run.get("error") or {}
    check(isinstance(err.get("code"), str) and err["code"]
          and isinstance(err.get("message"), str) and err["message"],
          f"{what}: run {run['id']} failed without a reason: {run}")
    check(d.data_dir not in err["message"] and "/tmp" not in err["message"],
          f"{what}: run {run['id']}'s message names a server path: {err}")


def run_docs(d):
    """Every run's whole document, by id."""
    return {r["id"]: d.get(f"/runs/{r['id']}").json() for r in hc.all_runs(d)}
