#!/usr/bin/env python3
"""Server paths stay on the server: what anyone may read (/healthz, a run's
error) tells what went wrong and what to do, without the paths of this
host's files; the store keeps the whole message for the operator.

The daemon runs as `nobody` without capture rights (and kept in the
host's network namespace, --user-namespace never: in one of its own it
could capture), so that capture is refused with the engine's own advice — `sudo setcap ... /path/of/wiremeter`
— which names the binary's path. Needs root (to become nobody); exits 77
otherwise.

usage: test_public_errors.py WIREMETER
"""
import os
import shutil
import sqlite3
import stat
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import httpcommon as hc  # noqa: E402
from httpcommon import check  # noqa: E402
import wmtest  # noqa: E402

NOBODY = 65534


def as_nobody(wiremeter, tmp):
    """A wrapper that starts the binary as nobody, with no capability."""
    path = os.path.join(tmp, "wiremeter-as-nobody")
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\nexec setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups "
                f"--inh-caps=-all {wiremeter} \"$@\"\n")
    os.chmod(path, 0o755)
    return path


def main():
    wiremeter = os.path.realpath(wmtest.binary())
    if os.geteuid() != 0:
        wmtest.skip("becoming nobody needs root")
    tmp = tempfile.mkdtemp(prefix="wm-public-")
    os.chmod(tmp, 0o755)
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    os.chown(data, NOBODY, NOBODY)
    # The binary must be reachable by nobody for the test to mean anything.
    check(os.stat(wiremeter).st_mode & stat.S_IXOTH, f"{wiremeter} is not executable by others")
    with hc.Daemon(as_nobody(wiremeter, tmp), ["--user-namespace", "never"],
                   data_dir=data) as d:
        health = d.get("/healthz").json()
        capture = health["capture"]
        if capture["permitted"]:
            wmtest.skip(f"capture is permitted even to nobody here: {capture}")
        reason = capture["reason"]
        check("setcap" in reason, f"/healthz lost the advice on how to grant capture: {reason!r}")
        check(wiremeter not in reason and data not in reason,
              f"/healthz shows a server path: {reason!r}")
        check("wiremeter binary" in reason, f"/healthz does not say which file to setcap: {reason!r}")
        check(wiremeter in d.log(), "the daemon's own log lost the binary's path")
        run = hc.created_run(hc.post_run(d, "size=13B&label=paths"), "a run without capture")
        check(run["status"] == "failed", f"a run without capture rights: {run['status']}")
        message = run["error"]["message"]
        check("setcap" in message and wiremeter not in message and data not in message,
              f"a run's error shows a server path: {message!r}")
        listed = hc.all_runs(d)[0]
        check(listed["error"]["message"] == message, f"the list shows another message: {listed['error']}")
        hc.finish(d)
    with sqlite3.connect(os.path.join(data, "wiremeter.db")) as db:
        stored, = db.execute("SELECT error_message FROM runs WHERE id = ?", (run["id"],)).fetchone()
    check(wiremeter in stored, f"the store lost the whole message: {stored!r}")
    shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
