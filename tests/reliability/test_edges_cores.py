#!/usr/bin/env python3
"""The default worker count on a machine with more cores than --workers
allows (256): the daemon must not start 512 workers because it sees 512
cores. The cores are faked: a mount namespace of the test's own binds a
file saying "0-511" over /sys/devices/system/cpu/online, which is what
sysconf(_SC_NPROCESSORS_ONLN) reads. Needs root (mount namespaces): exits
77 without, unless WIREMETER_REQUIRE_CAPTURE=1, where it fails.

Usage: test_edges_cores.py WIREMETER
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import wmtest  # noqa: E402
from wmtest import check, fail  # noqa: E402


def main():
    wiremeter = wmtest.binary()
    if os.geteuid() != 0 or not shutil.which("unshare"):
        wmtest.skip("faking the core count needs root and unshare (a mount namespace)")
    tmp = tempfile.mkdtemp(prefix="wm-cores-")
    cpus = os.path.join(tmp, "online")
    with open(cpus, "w") as f:
        f.write("0-511\n")
    port = wmtest.free_port()
    data = os.path.join(tmp, "data")
    script = ('mount --bind "$1" /sys/devices/system/cpu/online && shift && exec "$@"')
    proc = subprocess.Popen(["unshare", "-m", "sh", "-c", script, "sh", cpus, wiremeter, "serve",
                             "--listen", f"127.0.0.1:{port}", "--data-dir", data],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        health = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    health = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.05)
        if health is None:
            out = proc.stdout.read().decode(errors="replace") if proc.poll() is not None else ""
            if "mount" in out or "unshare" in out:
                wmtest.skip(f"no mount namespace here: {out.strip()}")
            fail(f"the daemon did not come up: {out}")
        workers = health["runs"]["workers"]
        check(1 <= workers <= 256, f"512 cores seen: {workers} workers, allowed 1 to 256")
        check(workers == 1, f"over 256 cores the default is 1 worker: {workers}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    wmtest.main(main)
