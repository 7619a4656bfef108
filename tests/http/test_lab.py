#!/usr/bin/env python3
"""/lab: the lab's tables over the newest runs, the ones the page shows (its
tables and its charts' median lines), one per group of runs with the same
settings (every run parameter but size and label): a median is never taken
across different settings. They are computed by the daemon with the sweep
table's arithmetic, so for a sweep's runs the group's rows must equal the
sweep's own table (GET /sweeps/{id}), and for any window of runs they must
equal the medians computed here by hand from the runs' results: per group
(newest first) and size, the done runs only (failed ones left out), rows by
size ascending, the median of an even count the mean of the two middle
values (an integer for packets and total_ns when whole). limit is 1 to 1000 and counts runs of any
status, read along the store's cursor past its pages of 200; an unknown
parameter is refused naming what is allowed, which is what the OpenAPI
document lists.

The parameter checks need no capture; the tables do (else exit 77).

usage: test_lab.py WIREMETER
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402

SIZES = [("13B", 13), ("2kB", 2000)]
REPEAT = 3
FIGURES = {  # a row's statistic -> the run result's figure
    "packets": lambda r: r["totals"]["packets"],
    "total_ns": lambda r: r["timing"]["total_ns"],
    "average_packet_size": lambda r: r["average_packet_size"]["all"],
}


def median(values):
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def lab(d, query=""):
    resp = d.get(f"/lab{query}")
    hc.expect_status(resp, 200, f"GET /lab{query}")
    check(resp.header("Content-Type") == "application/json", f"GET /lab{query}: Content-Type")
    doc = resp.json()
    check(set(doc) == {"runs", "groups"}, f"GET /lab{query}: keys {sorted(doc)}")
    for g in doc["groups"]:
        check(set(g) == {"settings", "key", "runs", "table"}, f"GET /lab{query}: group keys {sorted(g)}")
        check(g["key"] == settings_key(g["settings"]), f"GET /lab{query}: key {g['key']!r} of {g['settings']}")
        check(not {"size", "size_text", "label"} & set(g["settings"]), f"settings {g['settings']}")
        sizes = [row["size"] for row in g["table"]]
        check(sizes == sorted(sizes) and len(set(sizes)) == len(sizes),
              f"GET /lab{query}: rows not by size ascending: {sizes}")
        check(g["runs"] == sum(row["runs"] for row in g["table"]), f"GET /lab{query}: group runs {g['runs']}")
    keys = [g["key"] for g in doc["groups"]]
    check(len(set(keys)) == len(keys), f"GET /lab{query}: a group twice: {keys}")
    check(doc["runs"] == sum(g["runs"] for g in doc["groups"]), f"GET /lab{query}: runs {doc['runs']}")
    return doc


def settings_key(params):
    """The group key of a run's params: all but size, size_text and label,
    as compact JSON with sorted keys."""
    import json
    rest = {k: v for k, v in params.items() if k not in ("size", "size_text", "label")}
    return json.dumps(rest, sort_keys=True, separators=(",", ":"))


def one_table(doc, what):
    """The rows of a lab whose runs all share their settings."""
    check(len(doc["groups"]) == 1, f"{what}: {len(doc['groups'])} groups, expected one")
    return doc["groups"][0]["table"]


# ---- Parameters (no capture needed) ----------------------------------------

def test_params(d):
    check(lab(d) == {"runs": 0, "groups": []}, "GET /lab on an empty store")
    for value in ("0", "1001", "abc", "-1", "", "1.5"):
        err = hc.expect_error(d.get(f"/lab?limit={value}"), 400, f"GET /lab?limit={value}",
                              parameter="limit", code="invalid_parameter")
        check("1 to 1000" in err["message"], f"limit={value}: the message does not say the range: {err}")
    for value in ("1", "1000"):
        check(lab(d, f"?limit={value}")["runs"] == 0, f"GET /lab?limit={value}")
    hc.expect_error(d.get("/lab?limit=5&limit=6"), 400, "limit twice", parameter="limit")
    err = hc.expect_error(d.get("/lab?wmbogus=1"), 400, "GET /lab?wmbogus=1", parameter="wmbogus")
    check(err["message"] == "unknown parameter 'wmbogus'; allowed: limit",
          f"the unknown parameter's message: {err['message']!r}")
    # What the daemon accepts is what its OpenAPI document lists.
    accepted = set(re.split(r", | and ", re.search(r"allowed: (.*)$", err["message"]).group(1)))
    doc = d.get("/openapi.json").json()
    op = doc["paths"]["/lab"]["get"]
    documented = set()
    for p in op.get("parameters", []):
        name = p["$ref"].rsplit("/", 1)[-1]
        param = doc["components"]["parameters"][name]
        check(param["in"] == "query" and param["description"], f"/lab parameter {param}")
        check(param["schema"].get("minimum") == 1 and param["schema"].get("maximum") == 1000,
              f"/lab limit schema {param['schema']}")
        documented.add(param["name"])
    check(accepted == documented, f"GET /lab accepts {sorted(accepted)}, the document lists {sorted(documented)}")
    check(op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
          == "#/components/schemas/Lab", "GET /lab 200 schema")
    head = hc.raw(d, "HEAD", "/lab")
    check(head.status == 200 and head.body == b"", f"HEAD /lab: {head.status}")
    post = hc.raw(d, "POST", "/lab")
    hc.expect_error(post, 405, "POST /lab")
    check(post.header("Allow") == "GET, HEAD", f"POST /lab: Allow {post.header('Allow')!r}")


# ---- The tables, against the sweep's and by hand ----------------------------

class Results:
    """Each run's result, fetched once."""

    def __init__(self, d):
        self.d, self.cache = d, {}

    def __call__(self, run_id):
        if run_id not in self.cache:
            doc = self.d.get(f"/runs/{run_id}").json()
            check(doc["status"] == "done", f"run {run_id} is {doc['status']}")
            self.cache[run_id] = doc["result"]
        return self.cache[run_id]


def by_hand(d, results, limit):
    """The tables of the newest `limit` runs: per group of settings (in
    the order of each group's newest run) and size, the done runs and the
    median, min and max of each figure; with the size text of the newest
    run of the size."""
    window = hc.all_runs(d)[:limit]
    groups = {}  # key -> size -> {"size_text", "results"}; dicts keep order
    for run in window:
        if run["status"] != "done":
            continue
        sizes = groups.setdefault(settings_key(run["params"]), {})
        g = sizes.setdefault(run["params"]["size"], {"size_text": run["params"]["size_text"], "results": []})
        g["results"].append(results(run["id"]))
    tables = {}
    for key, sizes in groups.items():
        table = tables[key] = {}
        for size, g in sizes.items():
            row = {"size_text": g["size_text"], "runs": len(g["results"])}
            for name, figure in FIGURES.items():
                values = [figure(r) for r in g["results"]]
                row[name] = {"median": median(values), "min": min(values), "max": max(values)}
            table[size] = row
    return tables


def check_against_hand(d, results, limit):
    doc = lab(d, f"?limit={limit}")
    tables = by_hand(d, results, limit)
    what = f"GET /lab?limit={limit}"
    check([g["key"] for g in doc["groups"]] == list(tables),
          f"{what}: groups {[g['key'] for g in doc['groups']]}, by hand {list(tables)}")
    for group in doc["groups"]:
        check_group(what, group, tables[group["key"]])
    return doc


def check_group(what, group, want):
    check([row["size"] for row in group["table"]] == sorted(want),
          f"{what}: sizes {[row['size'] for row in group['table']]}, by hand {sorted(want)}")
    check(group["runs"] == sum(w["runs"] for w in want.values()),
          f"{what}: runs {group['runs']}, by hand {sum(w['runs'] for w in want.values())}")
    for row in group["table"]:
        w = want[row["size"]]
        label = f"{what}: row {row['size']}"
        check(row["runs"] == w["runs"] and row["failed"] == 0 and len(row["samples"]) == w["runs"],
              f"{label}: runs {row['runs']} failed {row['failed']}, by hand {w['runs']}")
        check(row["size_text"] == w["size_text"], f"{label}: size_text {row['size_text']!r}, newest {w['size_text']!r}")
        for key in FIGURES:
            check(row[key] == w[key], f"{label}: {key} {row[key]}, by hand {w[key]}")
            m = row[key]["median"]
            if key == "average_packet_size":
                check(isinstance(m, float), f"{label}: {key} median {m!r} is not a real")
            else:
                whole = float(w[key]["median"]).is_integer()
                check(isinstance(m, int) == whole, f"{label}: {key} median {m!r}, by hand {w[key]['median']!r}")


def make_failed_runs(wiremeter, data_dir):
    """Two 13B runs that fail (no such capture interface), in the store the
    capturing daemon opens next: the table must leave them out."""
    with hc.Daemon(wiremeter, ["--interface", "wmnosuch0"], data_dir=data_dir) as d:
        for _ in range(2):
            doc = hc.created_run(hc.post_run(d, "size=13B"), "a run without capture")
            check(doc["status"] == "failed", f"a run on wmnosuch0 is {doc['status']}")
        check(lab(d) == {"runs": 0, "groups": []}, "GET /lab with only failed runs")
        hc.finish(d)


def test_sweep(d):
    sizes = ",".join(t for t, _ in SIZES)
    resp = d.post(f"/sweeps?sizes={sizes}&repeat={REPEAT}")
    hc.expect_status(resp, 201, "POST /sweeps")
    sweep = d.get(f"/sweeps/{resp.json()['id']}").json()
    doc = lab(d)
    check(doc["runs"] == len(SIZES) * REPEAT, f"GET /lab after the sweep: runs {doc['runs']}")
    table = one_table(doc, "GET /lab after the sweep")
    check([row["size"] for row in table] == [s for _, s in SIZES], f"rows {table}")
    check(doc["groups"][0]["settings"] == {k: v for k, v in sweep["params"].items() if k not in ("sizes", "repeat", "label")},
          f"the group's settings {doc['groups'][0]['settings']}, the sweep's params {sweep['params']}")
    for row, mine in zip(table, sweep["table"]):
        label = f"GET /lab row {row['size']}"
        check(row["size"] == mine["size"] and row["size_text"] == mine["size_text"]
              and row["runs"] == mine["runs"] == REPEAT and row["failed"] == 0,
              f"{label}: {row['size_text']} runs {row['runs']} failed {row['failed']}, the sweep's {mine['runs']}")
        for key in FIGURES:
            check(row[key] == mine[key], f"{label}: {key} {row[key]}, the sweep's table {mine[key]}")
        # The same samples, newest first here, in run order in the sweep.
        check(row["samples"] == mine["samples"][::-1], f"{label}: samples differ from the sweep's")


def test_windows(d, results):
    check_against_hand(d, results, 1000)
    # An even count for 2kB (the median a mean) and a row of size 0.
    hc.done_run(hc.post_run(d, "size=2kB"), "one more 2kB run")
    hc.done_run(hc.post_run(d, "size=0"), "a 0-byte run")
    doc = check_against_hand(d, results, 1000)
    table = one_table(doc, "after two more runs")
    check([(row["size"], row["runs"]) for row in table] == [(0, 1), (13, 3), (2000, 4)],
          f"rows after two more runs: {[(row['size'], row['runs']) for row in table]}")
    # The window counts runs of any status: the failed ones take room.
    total = len(hc.all_runs(d))
    for limit in (1, 2, 3, total - 2, total - 1, total):
        check_against_hand(d, results, limit)
    check(lab(d)["runs"] == total - 2, "the default window (200) over all the runs")


def test_two_chunks(d, results):
    """Runs of two chunk sizes are two groups, never one median: each
    group's 2kB row holds only its own runs (their samples, and the
    statistics by hand of those alone). The newest group (chunk 500) comes
    first; a label does not split a group."""
    before = lab(d)
    other = [g for g in before["groups"]]
    for chunk, label in ((1000, "a"), (1000, "b"), (500, "a"), (500, "c")):
        hc.done_run(hc.post_run(d, f"size=2kB&chunk={chunk}&nodelay=1&label={label}"), f"2kB chunk {chunk}")
    doc = check_against_hand(d, results, 1000)
    new = doc["groups"][:2]
    check([g["settings"]["chunk"] for g in new] == [500, 1000],
          f"the two newest groups' chunks: {[g['settings']['chunk'] for g in new]}")
    check(doc["groups"][2:] == other, "the older groups changed")
    for g in new:
        check([(row["size"], row["runs"]) for row in g["table"]] == [(2000, 2)],
              f"group chunk {g['settings']['chunk']}: rows {[(r['size'], r['runs']) for r in g['table']]}")
    # No mixed median: each group's samples are those of its own runs.
    runs = hc.all_runs(d)[:4]
    for g in new:
        mine = sorted(results(r["id"])["totals"]["packets"] for r in runs
                      if r["params"]["chunk"] == g["settings"]["chunk"])
        row = g["table"][0]
        check(sorted(s["packets"] for s in row["samples"]) == mine,
              f"group chunk {g['settings']['chunk']}: samples {row['samples']}, its runs {mine}")


def test_pages(d, results):
    """More runs than one store page (200): the window follows the cursor."""
    resp = d.post("/sweeps?sizes=0,13B,2kB&repeat=70&wait=300")
    hc.expect_status(resp, 201, "a sweep of 210 runs")
    for limit in (199, 200, 201, 400, 1000):
        check_against_hand(d, results, limit)


def test():
    wiremeter = wmtest.binary()
    with hc.Daemon(wiremeter) as d:
        test_params(d)
        hc.finish(d)
    wmtest.require_capture(wiremeter)
    data_dir = tempfile.mkdtemp(prefix="wm-test-lab-")
    make_failed_runs(wiremeter, data_dir)
    with hc.Daemon(wiremeter, ["--queue", "300"], data_dir=data_dir) as d:
        results = Results(d)
        test_sweep(d)
        test_windows(d, results)
        test_two_chunks(d, results)
        test_pages(d, results)
        hc.finish(d)
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    wmtest.main(test)
