"""Helpers of the HTTP suite, on top of tests/lib/wmtest.py.

Why a module: every HTTP test checks error documents the same way (status,
JSON shape, the parameter named), reads the store the same way (every run,
following the cursor), so that "the store is unchanged" means one thing
everywhere, and ends the same way: no request of the test was answered
500, every (route, status) pair the daemon counted in /metrics is
documented in its OpenAPI document, and every JSON answer the test
received matches the schema that document gives its route and status.

The last check: importing this module records every answer (wmtest's
requests and raw() alike) into a file; when the test ends, one node
process (tests/http/validate.mjs, ajv) validates them all against the
document the binary under test prints, and a mismatch fails the test,
whatever its own verdict. It is on for the scripts of tests/http, which
ctest runs with WM_HTTP_NODE_MODULES set (the http_npm_ci fixture); other
suites that import this module (reliability) are not held to it.
"""
import atexit
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import wmtest  # noqa: E402,F401
from wmtest import check, fail  # noqa: E402,F401

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# A run that keeps a worker busy for a while (about 1.3 s on a 2-core
# machine here, longer under sanitizers): long enough to be seen running
# part-way, to fill the queue behind it, to signal the daemon during it.
# It is over the default size limit, so daemons that need it get LONG_ARGS.
LONG_SIZE = 4 << 30
LONG = f"size={LONG_SIZE}"
LONG_ARGS = ["--max-size", "16GiB"]

# The fragments of a run's result that `wiremeter analyze` of its pcap
# must reproduce exactly.
FRAGMENTS = ["connection", "handshake", "closure", "totals", "timing",
             "average_packet_size"]


# ---- Recording every answer, validated against OpenAPI at the end ------

_IN_HTTP_SUITE = os.path.basename(os.path.dirname(os.path.abspath(sys.argv[0]))) == "http"
_records = None  # the open JSONL file, when recording


def _record(method, target, resp):
    if _records is None:
        return
    try:
        body = resp.body.decode("utf-8")
    except UnicodeDecodeError:
        return  # a pcap or another binary: no JSON to check
    ctype = resp.header("Content-Type") or ""
    if not ctype.startswith("application/json"):
        return
    _records.write(json.dumps({"method": method, "target": target, "status": resp.status,
                               "type": ctype, "body": body}) + "\n")


_plain_request = wmtest.request


def _recording_request(base, method, path, *args, **kw):
    resp = _plain_request(base, method, path, *args, **kw)
    _record(method, path, resp)
    return resp


# The absolute times of every document: each X_ns has its X_time beside
# it, the same instant as RFC 3339 text (docs/result.md).
ABSOLUTE_NS = ("created", "started", "finished", "first_packet", "last_packet", "ts",
               "start", "end")


def rfc3339(ns):
    """ns since the epoch as the daemon writes it: UTC, 9 digits, Z."""
    import datetime
    sec, frac = divmod(ns, 1000000000)
    day = datetime.datetime.fromtimestamp(sec, tz=datetime.timezone.utc)
    return day.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def time_problems(doc, where="", out=None):
    """Every absolute *_ns of doc without its *_time, or with one that is
    not the same instant to the nanosecond; [] when all agree."""
    out = [] if out is None else out
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            time_problems(item, f"{where}[{i}]", out)
    elif isinstance(doc, dict):
        for key, value in doc.items():
            if key.endswith("_ns") and key[:-3] in ABSOLUTE_NS:
                name = key[:-3] + "_time"
                if name not in doc:
                    out.append(f"{where}.{key} has no {name}")
                    continue
                pairs = ([(value, doc[name])] if not isinstance(value, dict) else
                         [(value[k], (doc[name] or {}).get(k)) for k in value])
                for ns, text in pairs:
                    if ns is not None and not isinstance(ns, int):
                        out.append(f"{where}.{key} is {ns!r}, not an integer")
                        continue
                    want = None if ns is None else rfc3339(ns)
                    if text != want:
                        out.append(f"{where}.{name} is {text!r} for {ns}, expected {want!r}")
            elif key.endswith("_time") and key[:-5] + "_ns" not in doc:
                out.append(f"{where}.{key} has no {key[:-5]}_ns beside it")
            time_problems(value, f"{where}.{key}", out)
    return out


def _check_times():
    """time_problems of every JSON answer recorded; the first few printed."""
    problems = []
    with open(_records.name, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec["target"].split("?")[0] == "/openapi.json":
                continue  # schemas of the documents, not one
            try:
                doc = json.loads(rec["body"])
            except ValueError:
                continue
            problems += [f"{rec['method']} {rec['target']}: {p}" for p in time_problems(doc)]
    for p in problems[:20]:
        print(f"TIME MISMATCH: {p}", flush=True)
    return not problems


def _validate(wiremeter):
    """Runs the validator over the records; a mismatch ends the process
    with status 1 (even after a skip: what was answered must match)."""
    _records.flush()
    if os.path.getsize(_records.name) == 0:
        return
    if not _check_times():
        print("FAIL: an absolute time without its RFC 3339 text, or with another", flush=True)
        os._exit(1)
    node = os.environ.get("WM_NODE") or "node"
    with tempfile.NamedTemporaryFile("w", prefix="wm-openapi-", suffix=".json", delete=False) as doc:
        proc = subprocess.run([wiremeter, "serve", "--print-openapi"], stdout=doc, timeout=60)
    try:
        if proc.returncode != 0:
            fail("wiremeter serve --print-openapi failed: cannot validate the answers")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "validate.mjs")
        out = subprocess.run([node, script, doc.name, _records.name],
                             capture_output=True, text=True, timeout=300)
        lines = out.stdout.splitlines()
        print("\n".join(lines if len(lines) <= 61 else lines[:60] + ["..."] + lines[-1:]), flush=True)
        if out.returncode != 0:
            print(out.stderr, flush=True)
            print("FAIL: answers do not match the OpenAPI document", flush=True)
            os._exit(1)
    finally:
        os.unlink(doc.name)
        os.unlink(_records.name)


def _start_recording():
    global _records
    if not os.environ.get("WM_HTTP_NODE_MODULES"):
        fail("WM_HTTP_NODE_MODULES is not set: run the HTTP tests through ctest (the "
             "http_npm_ci fixture installs the OpenAPI validator), or set it to a "
             "node_modules holding ajv and ajv-formats")
    _records = tempfile.NamedTemporaryFile("w", prefix="wm-answers-", suffix=".jsonl", delete=False)
    wmtest.request = _recording_request
    wiremeter = sys.argv[1] if len(sys.argv) > 1 else None
    if wiremeter:
        atexit.register(_validate_or_fail, wiremeter)


def _validate_or_fail(wiremeter):
    """An error in the check itself fails the test too: an exception in
    an atexit function would not change the exit status."""
    try:
        _validate(wiremeter)
    except BaseException as err:  # noqa: B902 — whatever it is, the test fails
        import traceback
        traceback.print_exc()
        print(f"FAIL: the OpenAPI check of the answers could not run: {err}", flush=True)
        os._exit(1)


if _IN_HTTP_SUITE:
    _start_recording()


class Daemon(wmtest.Daemon):
    """wmtest's daemon, held to more on a clean exit of its block: SIGTERM
    ends it with status 0, and its log has no sanitizer report (a sanitizer
    build prints leaks and errors there, where no assertion would see
    them)."""

    def __exit__(self, *exc):
        if exc[0] is None:
            rc = self.stop()
            log = self.log()
            check(rc == 0, f"daemon exit status {rc} after SIGTERM:\n{log}")
            for mark in ("Sanitizer", "runtime error:"):
                check(mark not in log, f"daemon log has a sanitizer report:\n{log}")
        return super().__exit__(*exc)


def body_json(resp, what):
    try:
        return resp.json()
    except ValueError:
        fail(f"{what}: body is not JSON: {resp.body[:300]!r}")


def expect_status(resp, status, what):
    check(resp.status == status,
          f"{what}: expected {status}, got {resp.status}: {resp.body[:300]!r}")


def expect_error(resp, status, what, parameter=None, code=None):
    """The response is `status` with an {"error": {...}} document."""
    expect_status(resp, status, what)
    ctype = resp.header("Content-Type") or ""
    check(ctype.startswith("application/json"), f"{what}: Content-Type {ctype!r}")
    doc = body_json(resp, what)
    err = doc.get("error")
    check(isinstance(err, dict) and isinstance(err.get("code"), str)
          and isinstance(err.get("message"), str) and err["message"],
          f"{what}: not an error document: {doc}")
    if parameter is not None:
        check(err.get("parameter") == parameter,
              f"{what}: error should name parameter {parameter!r}: {err}")
    if code is not None:
        check(err.get("code") == code, f"{what}: code {err.get('code')!r}, expected {code!r}")
    return err


def raw(daemon, method, target, body=None, headers=None, timeout=120):
    """A request whose target is sent byte for byte (urllib would quote or
    normalise it): for dot segments, %-escapes and huge query strings. A
    Host in headers replaces http.client's own."""
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=timeout)
    try:
        data = body.encode() if isinstance(body, str) else body
        hdrs = dict(headers or {})
        conn.putrequest(method, target, skip_host="Host" in hdrs,
                        skip_accept_encoding=True)
        if data is not None:
            hdrs.setdefault("Content-Length", str(len(data)))
        for name, value in hdrs.items():
            conn.putheader(name, value)
        conn.endheaders()
        if data:
            conn.send(data)
        resp = conn.getresponse()
        answer = wmtest.Response(resp.status, resp.headers, resp.read())
        _record(method, target, answer)
        return answer
    finally:
        conn.close()


def all_runs(daemon):
    """Every stored run, newest first, following the cursor."""
    runs, path = [], "/runs?limit=200"
    while path:
        resp = daemon.get(path)
        check(resp.status == 200, f"GET {path}: {resp.status} {resp.body[:200]!r}")
        doc = resp.json()
        runs.extend(doc["runs"])
        path = doc["next"]
    return runs


def store_snapshot(daemon):
    """What "the store is unchanged" compares: every run's full document
    (result included) and the pcap files."""
    runs = []
    for row in all_runs(daemon):
        resp = daemon.get(f"/runs/{row['id']}")
        check(resp.status == 200, f"GET /runs/{row['id']}: {resp.status}")
        runs.append(resp.json())
    pcap_dir = os.path.join(daemon.data_dir, "pcaps")
    # Finished captures only: a running run's <id>.pcap.tmp comes and goes.
    files = sorted(f for f in os.listdir(pcap_dir) if f.endswith(".pcap")) \
        if os.path.isdir(pcap_dir) else []
    # A small run's pcap is kept in the database instead.
    held = sorted(wmtest.held_outputs(daemon.data_dir, "pcap")) \
        if os.path.exists(os.path.join(daemon.data_dir, "wiremeter.db")) else []
    return jdump(runs), files, held


def wait_run(daemon, run_id, timeout=120):
    """Polls GET /runs/{id} until the run is done or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = daemon.get(f"/runs/{run_id}").json()
        if doc["status"] in ("done", "failed"):
            return doc
        time.sleep(0.02)
    fail(f"run {run_id} did not end within {timeout}s")


def post_run(daemon, query, **kw):
    return daemon.post(f"/runs?{query}", **kw)


def created_run(resp, what):
    """A 201 answer to POST /runs: Location names the run, and the body is
    the run, ended (done or failed), with its result when done."""
    expect_status(resp, 201, what)
    doc = body_json(resp, what)
    check(resp.header("Location") == f"/runs/{doc['id']}",
          f"{what}: Location {resp.header('Location')!r} for run {doc['id']}")
    check(doc["status"] in ("done", "failed"), f"{what}: status {doc['status']}")
    if doc["status"] == "done":
        check(isinstance(doc.get("result"), dict), f"{what}: no result: {doc}")
    return doc


def done_run(resp, what):
    doc = created_run(resp, what)
    check(doc["status"] == "done", f"{what}: run failed: {doc['error']}")
    return doc


def check_payload(run, size, direction, label):
    """The run carried exactly its own bytes, every one verified."""
    i = run["result"]["integrity"]
    check(i["verified"] is True and i["received_bytes"] == size == i["expected_bytes"],
          f"{label}: integrity {i}")
    wmtest.check_streams(label, run["result"]["totals"], size, direction)


def analyze(wiremeter, path):
    """`wiremeter analyze PATH --json`, parsed."""
    proc = subprocess.run([wiremeter, "analyze", path, "--json"],
                          capture_output=True, text=True, timeout=120)
    check(proc.returncode == 0, f"analyze {path} exited {proc.returncode}: {proc.stderr}")
    return json.loads(proc.stdout)


def fetch_pcap(daemon, run_id):
    """GET /runs/{id}/pcap into a temporary file; returns (response, path)."""
    resp = daemon.get(f"/runs/{run_id}/pcap")
    fd, path = tempfile.mkstemp(prefix=f"wm-http-{run_id}-", suffix=".pcap")
    with os.fdopen(fd, "wb") as f:
        f.write(resp.body)
    return resp, path


def packet_list(daemon, run_id, limit):
    """The whole packet list of a run, page by page, following `next`."""
    rows, path, pages = [], f"/runs/{run_id}/packets?limit={limit}", 0
    while path:
        resp = daemon.get(path)
        expect_status(resp, 200, f"GET {path}")
        doc = resp.json()
        check(doc["limit"] == limit and len(doc["packets"]) <= limit,
              f"GET {path}: page of {len(doc['packets'])} rows, limit {doc['limit']}")
        check(doc["offset"] == len(rows), f"GET {path}: offset {doc['offset']} after {len(rows)} rows")
        rows.extend(doc["packets"])
        path, pages = doc["next"], pages + 1
        check(pages < 100000, "packet pages never end")
    return rows, doc["total"], pages


# Prometheus text exposition format 0.0.4: a sample is
# name{label="value",...} value; a metric family has one TYPE line.
_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels)): value}; fails on any line that is not
    a comment or a well-formed sample of a declared family."""
    types, samples = {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            check(name not in types, f"metrics: TYPE {name} twice")
            check(kind in ("counter", "gauge", "histogram", "summary", "untyped"),
                  f"metrics: bad TYPE line {line!r}")
            types[name] = kind
            continue
        if line.startswith("#"):
            check(line.startswith("# HELP "), f"metrics: stray comment {line!r}")
            continue
        m = _SAMPLE.match(line)
        check(m is not None, f"metrics: not a sample: {line!r}")
        name, labels = m.group(1), m.group(3) or ""
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in types or (family in types and types[family] == "histogram"),
              f"metrics: {name} has no TYPE line")
        pairs = _LABEL.findall(labels)
        check(",".join(f'{k}="{v}"' for k, v in pairs) == labels,
              f"metrics: bad labels in {line!r}")
        value = float(m.group(4))
        key = (name, frozenset(pairs))
        check(key not in samples, f"metrics: sample {line!r} twice")
        samples[key] = value
    return types, samples


def metric(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def openapi_statuses(doc):
    """{(METHOD, path): set of documented status codes}."""
    out = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            out[(method.upper(), path)] = set(op.get("responses", {}).keys())
    return out


def finish(daemon):
    """The checks every HTTP test ends with, on the daemon's own counters:
    no request was answered 500 (never right for what a test sends), and
    every status a route answered is documented for it in /openapi.json."""
    resp = daemon.get("/metrics")
    expect_status(resp, 200, "GET /metrics")
    _, samples = parse_metrics(resp.body.decode())
    documented = openapi_statuses(daemon.get("/openapi.json").json())
    for (name, labels), value in samples.items():
        if name != "wiremeter_http_requests_total" or not value:
            continue
        lab = dict(labels)
        check(lab["code"] not in ("500", "other"),
              f"{int(value)} request(s) to {lab['method']} {lab['route']} answered {lab['code']}")
        if lab["route"] == "unmatched" or lab["code"] == "0":
            continue  # 404 before routing; or closed before an answer
        key = (lab["method"], lab["route"])
        check(key in documented, f"{key} answered but not in the OpenAPI document")
        check(lab["code"] in documented[key],
              f"{lab['method']} {lab['route']} answered {lab['code']}, "
              f"which the OpenAPI document does not list ({sorted(documented[key])})")


def load(path):
    with open(path, "rb") as f:
        return f.read()


def jdump(doc):
    return json.dumps(doc, sort_keys=True)
