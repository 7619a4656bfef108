#!/usr/bin/env python3
"""What `wiremeter run` probes: only what the run asks for. A host's path
capabilities (a link, its loss filter, netem) are tried by making a real
link with each; a command-line run used to make all three test links
before every run, loopback or link. Counted here as the network
namespaces the process makes (unshare(CLONE_NEWNET), three a link: two
hosts and the wire), under strace:

- a loopback run makes none;
- a link run makes its own link and one test link (6);
- a link run with loss makes the same: the test link with the loss filter
  proves the link too (6).

What is reported is unchanged: the daemon and `wiremeter presets` still
probe everything (wm_path_capabilities), only once.

Skips without strace, or where this host cannot run a link.

usage: test_cli_probe.py WIREMETER
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pathtest  # noqa: E402  (puts tests/live and tests/lib on the path)
from livelib import wmtest  # noqa: E402
from wmtest import check  # noqa: E402

NAMESPACES_PER_LINK = 3  # two hosts and the wire (wm_path.h)


def namespaces_made(wiremeter, args):
    # LeakSanitizer cannot work under ptrace: a sanitizer build's leak
    # check is off here (the other tests keep it).
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    proc = subprocess.run(["strace", "-f", "-qq", "-e", "trace=unshare", wiremeter]
                          + args + ["--json"], capture_output=True, text=True, timeout=120,
                          env=env)
    check(proc.returncode == 0, f"wiremeter {' '.join(args)}: exit {proc.returncode}:\n"
                                f"{proc.stderr[-2000:]}")
    return len(re.findall(r"unshare\([^)]*CLONE_NEWNET[^)]*\)\s*= 0", proc.stderr))


def test():
    wiremeter = wmtest.binary()
    if not shutil.which("strace"):
        wmtest.skip("strace is not installed: cannot count the namespaces a run makes")
    pathtest.require_link(wiremeter)
    made = namespaces_made(wiremeter, ["run", "--size", "0"])
    check(made == 0, f"a loopback run made {made} network namespaces, not 0")
    for extra in ([], ["--loss", "1"]):
        args = ["run", "--size", "100kB", "--path", "link"] + extra
        made = namespaces_made(wiremeter, args)
        want = 2 * NAMESPACES_PER_LINK  # the run's link and one test link
        check(made == want, f"{' '.join(args)} made {made} network namespaces, not {want}")
        print(f"{' '.join(args)}: {made} network namespaces")


if __name__ == "__main__":
    wmtest.main(test)
