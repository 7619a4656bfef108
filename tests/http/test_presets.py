#!/usr/bin/env python3
"""Presets: GET /presets lists the links with plain names, each with the
run parameters it sets (the text forms POST /runs takes) and whether this
host can run it; `wiremeter presets` lists the same. A run with
preset=NAME gets those settings, except the ones given beside it, and
its params record the preset and the expanded values; a preset this host
cannot run is refused with 400 naming the missing setting and the preset;
an unknown one with 400 listing the names.

usage: test_presets.py WIREMETER
"""
import os
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402

NAMES = ["ethernet-1g", "home-broadband", "lossy-wifi", "bufferbloat"]

# What params renders, from a preset's text form (rates in bit/s).
RATE_UNITS = {"kbit": 1000, "mbit": 1000000, "gbit": 1000000000}
SIZE_UNITS = {"KiB": 1024, "MiB": 1 << 20, "kB": 1000, "MB": 1000000}


def rendered(name, text):
    if name == "rate":
        for unit, bits in RATE_UNITS.items():
            if text.endswith(unit):
                return int(float(text[:-len(unit)]) * bits)
    if name == "queue":
        for unit, scale in SIZE_UNITS.items():
            if text.endswith(unit):
                return int(float(text[:-len(unit)]) * scale)
    if name == "loss":
        return float(text)
    if name == "path":
        return text
    return int(text)


def run(d, params):
    return d.post("/runs?" + urllib.parse.urlencode(params))


def check_listing(d, wiremeter):
    resp = d.get("/presets")
    hc.expect_status(resp, 200, "GET /presets")
    presets = resp.json()["presets"]
    check([p["name"] for p in presets] == NAMES, f"GET /presets names {[p['name'] for p in presets]}")
    cli = subprocess.run([wiremeter, "presets"], capture_output=True, text=True, timeout=60)
    check(cli.returncode == 0, f"wiremeter presets: exit {cli.returncode}: {cli.stderr}")
    for p in presets:
        check(p["params"]["path"] == "link", f"{p['name']}: path {p['params'].get('path')}")
        flags = " ".join(f"--{k} {v}" for k, v in p["params"].items())
        check(f"{p['name']} — {p['title']}\n" in cli.stdout and f"  {flags}\n" in cli.stdout,
              f"wiremeter presets does not show {p['name']} as {flags}:\n{cli.stdout}")
        check((p["reason"] is None) == p["available"], f"{p['name']}: reason {p['reason']!r}")
    hc.expect_error(d.get("/presets?name=x"), 400, "GET /presets?name=x", parameter="name")
    return presets


def check_runs(d, presets):
    for p in presets:
        resp = run(d, {"size": "13B", "preset": p["name"]})
        what = f"POST /runs preset={p['name']}"
        if not p["available"]:
            err = hc.expect_error(resp, 400, what)
            check(f"set by preset {p['name']}" in err["message"] or err["parameter"] == "path",
                  f"{what}: the refusal does not name the preset: {err}")
            check(err["parameter"] in p["params"], f"{what}: refused for {err['parameter']}, "
                  f"which the preset does not set")
            continue
        doc = hc.done_run(resp, what)
        params = doc["params"]
        check(params["preset"] == p["name"], f"{what}: params.preset {params['preset']!r}")
        for name, text in p["params"].items():
            check(params[name] == rendered(name, text),
                  f"{what}: params.{name} {params[name]!r}, the preset sets {text}")
        check(doc["result"]["params"] == params, f"{what}: result.params differs from params")
    # Explicit settings win over the preset's, in the query or the body.
    by_name = {p["name"]: p for p in presets}
    if by_name["bufferbloat"]["available"]:
        doc = hc.done_run(d.post("/runs?size=13B&rate=10mbit", body={"preset": "bufferbloat"}),
                          "preset=bufferbloat rate=10mbit")
        check(doc["params"]["rate"] == 10000000 and doc["params"]["queue"] == 5000000,
              f"preset=bufferbloat rate=10mbit: params {doc['params']}")
    err = hc.expect_error(run(d, {"size": "13B", "preset": "dsl"}), 400, "preset=dsl",
                          parameter="preset")
    check(all(n in err["message"] for n in NAMES), f"preset=dsl: names not listed: {err['message']}")
    hc.expect_error(run(d, {"size": "13B", "preset": "ethernet-1g", "path": "loopback"}), 400,
                    "preset=ethernet-1g path=loopback", parameter="path")


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    with hc.Daemon(wiremeter) as d:
        presets = check_listing(d, wiremeter)
        check_runs(d, presets)
        hc.finish(d)


if __name__ == "__main__":
    wmtest.main(test)
