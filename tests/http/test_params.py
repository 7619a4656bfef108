#!/usr/bin/env python3
"""One run, one "params": for ten parameter sets, POST /runs and
`wiremeter run --json` give the same params object, byte for byte in
compact JSON (key order included), and in each document params equals
result.params. They are rendered once, by the engine, from the one table
of run parameters (worker/include/wm_params.h); before, the API echoed
the size as written and the result the engine's shortest form ("1000kB"
against "1MB"), and result.params had no timeout and no label.

usage: test_params.py WIREMETER
"""
import json
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402

# name -> value, as both a query string and the command line take them.
SETS = [
    {"size": "13B"},
    {"size": "1000kB"},
    {"size": "2kB", "direction": "upload"},
    {"size": "64KiB", "chunk": "1KiB", "nodelay": "true"},
    {"size": "1.5kB", "sndbuf": "64KiB", "rcvbuf": "128KiB"},
    {"size": "10kB", "mss": "1460"},
    {"size": "13B", "congestion": "reno"},
    {"size": "2000", "ipv6": "true"},
    {"size": "20kB", "snaplen": "full"},
    {"size": "0", "timeout": "5000", "label": "lab 3, run a"},
]

SWITCHES = {"nodelay", "ipv6"}  # flags without a value on the command line


def compact(doc):
    """The compact JSON text of a parsed object, in its own key order."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def cli_run(wiremeter, params):
    argv = [wiremeter, "run", "--json"]
    for name, value in params.items():
        if name in SWITCHES:
            check(value == "true", f"{name}: a switch is only ever on")
            argv.append(f"--{name}")
        else:
            argv += [f"--{name}", value]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    check(proc.returncode == 0, f"{' '.join(argv[1:])}: exit {proc.returncode}: {proc.stderr}")
    return json.loads(proc.stdout)


def api_run(d, params):
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return hc.done_run(hc.post_run(d, query), f"POST /runs?{query}")


def test_readme(d):
    """The README's table of run parameters names every row of the table,
    in its order, and nothing else (wait is POST's own)."""
    err = hc.expect_error(d.post("/runs?wmbogus=1"), 400, "unknown parameter", parameter="wmbogus")
    names = err["message"].split("allowed: ", 1)[1].split(", ")
    with open(os.path.join(hc.REPO, "README.md"), encoding="utf-8") as f:
        text = f.read()
    table = text.split("| parameter | allowed | meaning |", 1)[1].split("\n\n", 1)[0]
    rows = []
    for line in table.splitlines()[2:]:
        rows += [n.strip(" `") for n in line.split("|")[1].split(",")]
    check(rows == names, f"README's parameters {rows}, the daemon's {names}")


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    with hc.Daemon(wiremeter) as d:
        test_readme(d)
        for params in SETS:
            what = " ".join(f"{k}={v}" for k, v in params.items())
            run = api_run(d, params)
            cli = cli_run(wiremeter, params)
            api_text, cli_text = compact(run["params"]), compact(cli["params"])
            check(api_text == cli_text,
                  f"{what}: POST /runs params {api_text}\n  wiremeter run params {cli_text}")
            check(compact(run["result"]["params"]) == api_text,
                  f"{what}: result.params {compact(run['result']['params'])} differs from params {api_text}")
            check(run["params"]["size_text"] == params["size"],
                  f"{what}: size_text {run['params']['size_text']!r}, written {params['size']!r}")
            for name, value in params.items():
                check(name in run["params"], f"{what}: params has no {name}")
            if "label" in params:
                check(run["params"]["label"] == params["label"] == run["label"],
                      f"{what}: label {run['params']['label']!r}")
            # A stored run reads back the same.
            again = d.get(f"/runs/{run['id']}").json()
            check(compact(again["params"]) == api_text, f"{what}: GET /runs/{{id}} params differ")
        hc.finish(d)


if __name__ == "__main__":
    wmtest.main(test)
