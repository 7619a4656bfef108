#!/usr/bin/env python3
"""Without root: `wiremeter serve` started as user nobody enters a user
and network namespace of its own (--user-namespace auto), says so at
start and in /healthz, and there runs a loopback run with its capture and
a link run captured at both ends, its files owned by nobody on the host.
The same daemon with --user-namespace never (the daemon before this
mode) can do neither: it has no capture and no link. And the binary with
the file capability cap_net_raw (as the Docker image installs it: such a
process runs non-dumpable, and its /proc/self files are not its own) gets
there too, when setcap is at hand.

Where the kernel forbids unprivileged user namespaces the test skips,
saying so, even under WIREMETER_REQUIRE_CAPTURE=1: the host, not the
build, decides that. Run as root it switches to nobody with setpriv;
run as another user it stays that user.

usage: test_userns.py WIREMETER
"""
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pathtest  # noqa: E402,F401  (puts tests/live and tests/lib on the path)
from livelib import wmtest  # noqa: E402
from wmtest import check  # noqa: E402

AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def unprivileged_prefix():
    """The command prefix that drops root, or [] when not root."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        wmtest.skip("setpriv (util-linux) is not installed: cannot drop to user nobody")
    return AS_NOBODY


def userns_allowed(prefix):
    proc = subprocess.run(prefix + ["unshare", "--user", "--map-root-user", "--net", "true"],
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        print(f"SKIP: unprivileged user namespaces are forbidden on this host "
              f"(`unshare -Urn true` as nobody: {proc.stderr.strip()}); "
              f"see kernel.unprivileged_userns_clone and user.max_user_namespaces")
        sys.exit(wmtest.SKIP)


def wrapper(tmp, prefix, wiremeter, name="wiremeter", cap=None):
    """A copy of the binary nobody can run, behind a script that drops
    root: the build tree may not be open to others. cap: a file
    capability to put on it."""
    binary = os.path.join(tmp, name)
    shutil.copy(wiremeter, binary)
    os.chmod(binary, 0o755)
    if cap:
        subprocess.run(["setcap", cap, binary], check=True, timeout=30)
    script = os.path.join(tmp, "as-nobody-" + name)
    with open(script, "w") as f:
        f.write("#!/bin/sh\nexec " + " ".join(prefix + [binary]) + ' "$@"\n')
    os.chmod(script, 0o755)
    return script


def data_dir(tmp, name):
    path = os.path.join(tmp, name)
    os.mkdir(path)
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    return path


def check_private(d, wiremeter):
    health = d.get("/healthz").json()
    caps = health["capabilities"]
    check(caps.get("rights", {}).get("mode") == "user_namespace", f"rights {caps.get('rights')}")
    check("rights:    user_namespace: " in d.log(), f"the log does not say so:\n{d.log()}")
    check(health["capture"]["permitted"], f"capture {health['capture']}")
    check(caps["link"]["available"], f"link {caps['link']}")
    resp = d.post("/runs?size=1MB")
    check(resp.status == 201, f"loopback run: {resp.status} {resp.body[:300]!r}")
    run = resp.json()
    check(run["status"] == "done", f"loopback run failed: {run.get('error')}")
    check(run["result"]["connection"]["server"]["ip"] == "127.0.0.1",
          f"loopback run's server {run['result']['connection']['server']}")
    check(run["result"]["totals"]["packets"] > 0, "the loopback run captured nothing")
    pcap = d.get(f"/runs/{run['id']}/pcap")
    check(pcap.status == 200 and len(pcap.body) > 24, f"pcap: {pcap.status}, {len(pcap.body)} bytes")
    resp = d.post("/runs?size=1MB&path=link&rate=100mbit")
    check(resp.status == 201, f"link run: {resp.status} {resp.body[:300]!r}")
    run = resp.json()
    check(run["status"] == "done", f"link run failed: {run.get('error')}")
    check(run["result"]["totals"]["packets"] >= 700,
          f"link run: {run['result']['totals']['packets']} packets for 1 MB at mtu 1500")
    check(run["result"]["ends"] is not None, "link run: no ends (both-ends capture)")
    owner = os.stat(os.path.join(d.data_dir, "wiremeter.db")).st_uid
    want = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.geteuid()
    check(owner == want, f"the store is owned by uid {owner}, not {want}")


def check_host_without_rights(d):
    health = d.get("/healthz").json()
    caps = health["capabilities"]
    check(caps["rights"]["mode"] == "none", f"never: rights {caps['rights']}")
    check(not caps["link"]["available"], f"never: link {caps['link']}")
    check(not health["capture"]["permitted"], f"never: capture {health['capture']}")


def test():
    wiremeter = wmtest.binary()
    prefix = unprivileged_prefix()
    userns_allowed(prefix)
    tmp = tempfile.mkdtemp(prefix="wm-userns-")
    os.chmod(tmp, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        script = wrapper(tmp, prefix, wiremeter)
        with wmtest.Daemon(script, data_dir=data_dir(tmp, "private")) as d:
            check_private(d, wiremeter)
            check(d.stop() == 0, f"exit status after SIGTERM:\n{d.log()}")
        with wmtest.Daemon(script, args=["--user-namespace", "never"],
                           data_dir=data_dir(tmp, "host")) as d:
            check_host_without_rights(d)
            check(d.stop() == 0, f"exit status after SIGTERM:\n{d.log()}")
        if os.geteuid() == 0 and shutil.which("setcap"):
            script = wrapper(tmp, prefix, wiremeter, "wiremeter-cap", "cap_net_raw+ep")
            with wmtest.Daemon(script, data_dir=data_dir(tmp, "filecap")) as d:
                check_private(d, wiremeter)
                check(d.stop() == 0, f"exit status after SIGTERM:\n{d.log()}")
        else:
            print("not tried: the binary with a file capability (needs root and setcap)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    wmtest.main(test)
