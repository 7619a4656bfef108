#!/usr/bin/env python3
"""Without root, on the command line: `wiremeter run` and `sweep` started
as user nobody enter a user and network namespace of their own
(--user-namespace auto, as `serve` does), say so on stderr, and run a
link: a run captured at both ends, its pcaps owned by nobody on the host,
and a sweep. `wiremeter presets` asks there too, so it lists the presets
such a run can run. With --user-namespace never (the command line before
this option) nobody has no link, and the run is refused saying why.

Skips, saying why, where the kernel forbids unprivileged user namespaces
(test_userns.py's reasons). Run as root it switches to nobody with
setpriv; run as another user it stays that user.

usage: test_cli_userns.py WIREMETER
"""
import json
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
from test_userns import unprivileged_prefix, userns_allowed, wrapper  # noqa: E402

RIGHTS = "rights: user_namespace: "


def cli(script, args, cwd):
    proc = subprocess.run([script] + args, capture_output=True, text=True, timeout=120, cwd=cwd)
    return proc


def check_run(script, tmp):
    pcap, sender = os.path.join(tmp, "r.pcap"), os.path.join(tmp, "s.pcap")
    proc = cli(script, ["run", "--size", "1MB", "--path", "link", "--rate", "100mbit",
                        "--pcap", pcap, "--pcap-sender", sender, "--json"], tmp)
    check(proc.returncode == 0, f"run as nobody: exit {proc.returncode}: {proc.stderr}")
    check(RIGHTS in proc.stderr, f"run does not say where it runs:\n{proc.stderr}")
    doc = json.loads(proc.stdout)
    check(doc["totals"]["packets"] >= 700,
          f"link run: {doc['totals']['packets']} packets for 1 MB at mtu 1500")
    check(doc["ends"] is not None, "link run: no ends (both-ends capture)")
    check(doc["integrity"]["verified"], "link run: integrity not verified")
    want = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.geteuid()
    for path in (pcap, sender):
        owner = os.stat(path).st_uid
        check(owner == want, f"{path} is owned by uid {owner}, not {want}")


def check_sweep(script, tmp):
    proc = cli(script, ["sweep", "100kB", "1MB", "--path", "link"], tmp)
    check(proc.returncode == 0, f"sweep as nobody: exit {proc.returncode}: {proc.stderr}")
    check(RIGHTS in proc.stderr, f"sweep does not say where it runs:\n{proc.stderr}")
    check("1MB" in proc.stdout, f"sweep's table:\n{proc.stdout}")


def check_presets(script, tmp):
    proc = cli(script, ["presets"], tmp)
    check(proc.returncode == 0, f"presets as nobody: exit {proc.returncode}: {proc.stderr}")
    # bufferbloat is a link with rate and queue only: what nobody can run
    # in a user namespace, and cannot without one.
    block = proc.stdout.split("bufferbloat —")[1]
    check("NOT on this host" not in block, f"presets as nobody:\n{proc.stdout}")


def check_never(script, tmp):
    proc = cli(script, ["run", "--size", "100kB", "--path", "link", "--user-namespace", "never"], tmp)
    check(proc.returncode == 2, f"never: exit {proc.returncode}: {proc.stderr}")
    check("rights: none: " in proc.stderr and "cannot run a link" in proc.stderr,
          f"never: stderr does not say why:\n{proc.stderr}")


def test():
    wiremeter = wmtest.binary()
    prefix = unprivileged_prefix()
    userns_allowed(prefix)
    tmp = tempfile.mkdtemp(prefix="wm-cli-userns-")
    os.chmod(tmp, stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO)
    try:
        script = wrapper(tmp, prefix, wiremeter)
        check_run(script, tmp)
        check_sweep(script, tmp)
        check_presets(script, tmp)
        check_never(script, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    wmtest.main(test)
