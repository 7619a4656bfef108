#!/usr/bin/env python3
"""/runs end to end on a real daemon: POST in its three forms (query
string, JSON body, form body) answering 201 with Location and the full
result, or 202 with wait=0; GET /runs/{id} while queued, while running
(with the bytes done so far), done and failed (with the reason); the list,
newest first, with limit and the before cursor; the packet list page by
page; the pcap, whose re-analysis by `wiremeter analyze` equals the run's
JSON; DELETE, which removes the run and its pcap (409 while it runs).

usage: test_runs.py WIREMETER
"""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpcommon as hc  # noqa: E402
from httpcommon import check, wmtest  # noqa: E402



def test_forms(d):
    """The same parameters reach the run whichever way they are given."""
    doc = hc.done_run(hc.post_run(d, "size=13B&label=query"), "query string")
    check(doc["params"]["size"] == 13 and doc["label"] == "query", f"query: {doc['params']}")
    check(doc["progress"] == {"bytes_done": 13, "bytes_total": 13}, f"query: {doc['progress']}")
    check(doc["error"] is None and doc["finished_ns"] >= doc["started_ns"] >= doc["created_ns"],
          f"query: times or error: {doc}")
    hc.check_payload(doc, 13, "download", "query")
    check(doc["links"] == {"self": f"/runs/{doc['id']}", "packets": f"/runs/{doc['id']}/packets",
                           "pcap": f"/runs/{doc['id']}/pcap", "series": f"/runs/{doc['id']}/series"},
          f"links {doc['links']}")

    body = {"size": "2kB", "direction": "upload", "nodelay": True, "label": "json body"}
    doc = hc.done_run(d.post("/runs", body), "JSON body")
    p = doc["params"]
    check(p["size"] == 2000 and p["direction"] == "upload" and p["nodelay"] is True
          and doc["label"] == "json body", f"JSON body: params {p}")
    hc.check_payload(doc, 2000, "upload", "JSON body")

    doc = hc.done_run(d.post("/runs", {"size": 1500, "chunk": 100}), "JSON numbers")
    check(doc["params"]["size"] == 1500 and doc["params"]["chunk"] == 100,
          f"JSON numbers: {doc['params']}")

    form = "size=439kB&label=form+body%21&snaplen=full"
    doc = hc.done_run(d.post("/runs", form, headers={
        "Content-Type": "application/x-www-form-urlencoded"}), "form body")
    check(doc["params"]["size"] == 439000 and doc["label"] == "form body!"
          and doc["params"]["snaplen"] == 262144, f"form body: {doc['params']} {doc['label']}")
    hc.check_payload(doc, 439000, "download", "form body")

    # The query string and a body together, each naming different things.
    doc = hc.done_run(d.post("/runs?direction=upload", {"size": "1kB"}), "query + body")
    check(doc["params"]["direction"] == "upload" and doc["params"]["size"] == 1000,
          f"query + body: {doc['params']}")


def test_accepted(d):
    """wait=0 answers 202 at once with the run's status and Location; the
    run goes on and ends done."""
    resp = hc.post_run(d, "size=1MB&wait=0")
    hc.expect_status(resp, 202, "POST wait=0")
    doc = resp.json()
    check(resp.header("Location") == f"/runs/{doc['id']}", f"202 Location {resp.header('Location')}")
    check(doc["status"] in ("queued", "running") and doc.get("result") is None,
          f"202 body: status {doc['status']}, result {doc.get('result')!r}")
    done = hc.wait_run(d, doc["id"])
    check(done["status"] == "done", f"run {doc['id']} after 202: {done['status']} {done['error']}")
    hc.check_payload(done, 1000000, "download", "after 202")


def poll_running(d, run_id):
    """GET /runs/{id} until it shows the run part-way: running, with some
    but not all of its bytes done."""
    seen = []
    while True:
        doc = d.get(f"/runs/{run_id}").json()
        seen.append((doc["status"], doc["progress"]["bytes_done"]))
        if doc["status"] in ("done", "failed"):
            hc.fail(f"run {run_id} never seen part-way running: {seen[-10:]}")
        prog = doc["progress"]
        if doc["status"] == "running" and 0 < prog["bytes_done"] < prog["bytes_total"]:
            check(doc["started_ns"] is not None and doc["finished_ns"] is None
                  and doc["result"] is None, f"running run: {doc}")
            return doc


def test_states(wiremeter):
    """One worker: a long run is seen running with its bytes so far, the
    next one queued behind it, and a running run cannot be deleted; a POST
    whose wait runs out while its run is queued answers 202."""
    with hc.Daemon(wiremeter, ["--workers", "1"] + hc.LONG_ARGS) as d:
        first = hc.post_run(d, f"{hc.LONG}&wait=0").json()["id"]
        second = hc.post_run(d, "size=13B&wait=0").json()["id"]
        queued = d.get(f"/runs/{second}").json()
        check(queued["status"] == "queued" and queued["started_ns"] is None
              and queued["progress"] == {"bytes_done": 0, "bytes_total": 13}
              and queued["result"] is None, f"queued run: {queued}")
        poll_running(d, first)
        hc.expect_error(d.delete(f"/runs/{first}"), 409, "DELETE a running run", parameter="id")
        hc.expect_error(d.get(f"/runs/{first}/pcap"), 409, "pcap of a running run", parameter="id")
        hc.expect_error(d.get(f"/runs/{second}/packets"), 409, "packets of a queued run")
        # A wait that runs out before the run starts answers 202: the
        # pool's timer resumes the POST (no thread waits for it). Two more
        # long runs ahead of it (8 GiB) outlast its 1 s on any machine.
        longs = [hc.post_run(d, f"{hc.LONG}&wait=0").json()["id"] for _ in range(2)]
        resp = hc.post_run(d, "size=13B&wait=1")
        hc.expect_status(resp, 202, "POST wait=1 behind two long runs")
        late = resp.json()
        check(late["status"] == "queued" and late.get("result") is None
              and resp.header("Location") == f"/runs/{late['id']}",
              f"202 after the wait ran out: {late}")
        for run_id, size in ((first, hc.LONG_SIZE), (second, 13), (longs[0], hc.LONG_SIZE),
                             (longs[1], hc.LONG_SIZE), (late["id"], 13)):
            doc = hc.wait_run(d, run_id, timeout=300)
            check(doc["status"] == "done", f"run {run_id}: {doc['error']}")
            check(doc["progress"] == {"bytes_done": size, "bytes_total": size},
                  f"run {run_id} done: progress {doc['progress']}")
        hc.finish(d)


def test_failed(wiremeter):
    """A run that cannot capture ends failed, with the reason, and has
    neither packets nor pcap."""
    with hc.Daemon(wiremeter, ["--interface", "wmnosuch0"]) as d:
        doc = hc.created_run(hc.post_run(d, "size=13B"), "POST on a missing interface")
        check(doc["status"] == "failed" and doc["result"] is None, f"failed run: {doc}")
        err = doc["error"]
        check(err["code"] and "wmnosuch0" in err["message"], f"failed run's reason: {err}")
        got = d.get(f"/runs/{doc['id']}").json()
        check(got["status"] == "failed" and got["error"] == err, f"GET failed run: {got}")
        hc.expect_error(d.get(f"/runs/{doc['id']}/pcap"), 404, "pcap of a failed run")
        hc.expect_error(d.get(f"/runs/{doc['id']}/packets"), 404, "packets of a failed run")
        check([r["id"] for r in hc.all_runs(d)] == [doc["id"]], "failed run not listed")
        hc.expect_status(d.delete(f"/runs/{doc['id']}"), 204, "DELETE a failed run")
        hc.finish(d)


def test_list(d, ids):
    """Newest first; limit pages; before is a cursor; next links chain."""
    every = [r["id"] for r in hc.all_runs(d)]
    check(every == sorted(every, reverse=True), f"not newest first: {every}")
    check(set(ids) <= set(every), f"created runs {ids} missing from {every}")
    page = d.get("/runs?limit=2").json()
    check([r["id"] for r in page["runs"]] == every[:2], f"limit=2: {page['runs']}")
    check(page["next_before"] == every[1] and page["next"] == f"/runs?limit=2&before={every[1]}",
          f"cursor of the first page: {page['next_before']} {page['next']}")
    chained = []
    path = "/runs?limit=3"
    while path:
        page = d.get(path).json()
        check(len(page["runs"]) <= 3, f"{path}: {len(page['runs'])} rows")
        chained += [r["id"] for r in page["runs"]]
        path = page["next"]
    check(chained == every, f"pages of 3 give {chained}, expected {every}")
    middle = every[len(every) // 2]
    below = [r["id"] for r in d.get(f"/runs?before={middle}&limit=200").json()["runs"]]
    check(below == [i for i in every if i < middle], f"before={middle}: {below}")
    check(d.get(f"/runs?before={min(every)}").json()["runs"] == [], "before the oldest: not empty")
    row = d.get(f"/runs?limit=1&before={ids[0] + 1}").json()["runs"][0]
    check(row["id"] == ids[0] and "result" not in row and row["summary"]["packets"] > 0,
          f"list row carries a summary, not the result: {row}")


def test_packets(d, run):
    """Pages of every size put back together give the whole list, in
    order, each row of this run's connection."""
    total = run["result"]["totals"]["packets"]
    whole, reported, pages = hc.packet_list(d, run["id"], 10000)
    check(reported == total and len(whole) == total and pages == 1,
          f"packet list: {len(whole)} rows, total {reported}, result says {total}")
    check([p["no"] for p in whole] == list(range(1, total + 1)), "packet numbers not 1..N")
    conn = run["result"]["connection"]
    ports = {conn["client"]["port"], conn["server"]["port"]}
    for p in whole:
        check({p["source_port"], p["destination_port"]} == ports, f"foreign packet {p}")
    check(whole[:3] == run["result"]["handshake"]["packets"], "first rows are not the handshake")
    for limit in (1, 7, total - 1):
        paged, reported, pages = hc.packet_list(d, run["id"], limit)
        check(paged == whole and pages == -(-total // limit),
              f"limit={limit}: {pages} pages differ from the whole list")
    page = d.get(f"/runs/{run['id']}/packets?offset=5&limit=3").json()
    check(page["packets"] == whole[5:8] and page["offset"] == 5, "offset=5&limit=3")
    page = d.get(f"/runs/{run['id']}/packets?offset={total}").json()
    check(page["packets"] == [] and page["next"] is None and page["total"] == total,
          f"offset past the end: {page}")
    page = d.get(f"/runs/{run['id']}/packets").json()
    check(page["limit"] == 100 and page["packets"] == whole[:100], "default page")


def test_pcap(wiremeter, d, run):
    """The capture as a download; `wiremeter analyze` of it gives back the
    run's connection, handshake, closure, totals, timing and averages."""
    resp, path = hc.fetch_pcap(d, run["id"])
    try:
        hc.expect_status(resp, 200, "GET pcap")
        check(resp.header("Content-Type") == "application/vnd.tcpdump.pcap",
              f"pcap Content-Type {resp.header('Content-Type')!r}")
        disp = resp.header("Content-Disposition") or ""
        check(disp == f'attachment; filename="wiremeter-run-{run["id"]}.pcap"',
              f"pcap Content-Disposition {disp!r}")
        check(resp.body[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1",
                                b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"),
              f"not a pcap file: {resp.body[:4]!r}")
        stored = wmtest.run_output(d.data_dir, run["id"], "pcap")
        check(resp.body == stored, "the download differs from the stored pcap")
        offline = hc.analyze(wiremeter, path)
        check(len(offline["connections"]) == 1,
              f"the pcap holds {len(offline['connections'])} connections")
        conn = offline["connections"][0]
        for key in hc.FRAGMENTS:
            check(hc.jdump(conn[key]) == hc.jdump(run["result"][key]),
                  f"analyze of the pcap: {key} differs from the run's JSON:\n"
                  f"  analyze: {hc.jdump(conn[key])[:400]}\n  run:     {hc.jdump(run['result'][key])[:400]}")
        head = hc.raw(d, "HEAD", f"/runs/{run['id']}/pcap")
        check(head.status == 200 and head.body == b""
              and head.header("Content-Length") == str(len(stored)), "HEAD of the pcap")
    finally:
        os.unlink(path)


def test_delete(d, run_id):
    pcap = os.path.join(d.data_dir, "pcaps", f"{run_id}.pcap")
    rows = os.path.join(d.data_dir, "pcaps", f"{run_id}.rows")
    for kind in ("pcap", "rows"):
        check(wmtest.run_output(d.data_dir, run_id, kind) is not None,
              f"run {run_id}'s {kind} missing before DELETE")
    before = [r["id"] for r in hc.all_runs(d)]
    resp = d.delete(f"/runs/{run_id}")
    hc.expect_status(resp, 204, "DELETE")
    check(resp.body == b"", "204 with a body")
    check(not os.path.exists(pcap), f"{pcap} still there after DELETE")
    check(not os.path.exists(rows), f"{rows} still there after DELETE")
    for kind in ("pcap", "rows", "series"):
        check(wmtest.run_output(d.data_dir, run_id, kind) is None,
              f"run {run_id}'s {kind} still stored after DELETE")
    hc.expect_error(d.get(f"/runs/{run_id}"), 404, "GET after DELETE")
    hc.expect_error(d.get(f"/runs/{run_id}/pcap"), 404, "pcap after DELETE")
    hc.expect_error(d.get(f"/runs/{run_id}/packets"), 404, "packets after DELETE")
    hc.expect_error(d.delete(f"/runs/{run_id}"), 404, "DELETE twice")
    after = [r["id"] for r in hc.all_runs(d)]
    check(after == [i for i in before if i != run_id], f"list after DELETE: {after}")


def test_retention(wiremeter):
    """--history 3: the oldest ended runs go, with their pcaps, as new ones
    end — also those a GET has just read (and the daemon may have kept)."""
    with hc.Daemon(wiremeter, ["--history", "3"]) as d:
        ids = []
        for i in range(5):
            run = hc.created_run(hc.post_run(d, "size=13B"), f"run {i}")
            ids.append(run["id"])
            hc.expect_status(d.get(f"/runs/{run['id']}"), 200, f"GET run {i}")
        # The run's worker wakes the POST from inside retention, once that
        # holds the store's lock (jobs_end): the answer does not wait for
        # it, and the list read after the answer waits for the lock, so it
        # is already bounded. A run seen gone has its files gone: the store
        # retires them first.
        listed = [r["id"] for r in hc.all_runs(d)]
        check(listed == ids[:1:-1], f"--history 3 keeps {listed}, expected {ids[:1:-1]}")
        for gone in ids[:2]:
            hc.expect_error(d.get(f"/runs/{gone}"), 404, f"GET pruned run {gone}")
            hc.expect_error(d.get(f"/runs/{gone}/pcap"), 404, f"pcap of pruned run {gone}")
            # The names a reader opens; a partial (.tmp) one may linger
            # while the disk is freed.
            for ext in ("pcap", "rows", "sender.pcap", "ends", "series.json"):
                check(not os.path.exists(os.path.join(d.data_dir, "pcaps", f"{gone}.{ext}")),
                      f"the {ext} file of pruned run {gone} is still there")
            for kind in ("pcap", "rows", "series"):
                check(gone not in wmtest.held_outputs(d.data_dir, kind),
                      f"the {kind} of pruned run {gone} is still in the database")
        for kept in ids[2:]:
            hc.expect_status(d.get(f"/runs/{kept}/pcap"), 200, f"pcap of kept run {kept}")
        hc.finish(d)


def test_answer_is_the_stored_run(d):
    """A POST's 201 body is rendered by the run's worker from the row it
    has just stored, not read back: it is byte for byte what GET
    /runs/{id} renders from the store. A DELETE in between empties the
    daemon's cache of documents, which the POST's answer filled, so the
    GET reads the row. A small run (outputs in the database) and a 1MB
    one (outputs in files) link their series each its own way."""
    gone = hc.done_run(hc.post_run(d, "size=13B"), "a run to delete")
    answers = []
    for query in ("size=13B&label=stored+%22as%22+is", "size=1MB&direction=upload"):
        resp = hc.post_run(d, query)
        answers.append((query, resp, hc.done_run(resp, query)))
    hc.expect_status(d.delete(f"/runs/{gone['id']}"), 204, "DELETE")
    for query, resp, doc in answers:
        got = d.get(f"/runs/{doc['id']}")
        hc.expect_status(got, 200, f"GET after {query}")
        check(got.body == resp.body,
              f"{query}: the 201 body differs from GET /runs/{doc['id']}:\n"
              f"{resp.body[:400]!r}\n{got.body[:400]!r}")


def test_get_while_waiting(d):
    """A POST waiting for its run does not hold up GETs on other
    connections: they are answered while it is still pending."""
    holder = {}
    post = threading.Thread(target=lambda: holder.update(resp=hc.post_run(d, hc.LONG)))
    post.start()
    answered = 0
    while post.is_alive() and answered < 20:
        hc.expect_status(d.get("/runs?limit=1"), 200, "GET /runs during a POST")
        hc.expect_status(d.get("/healthz"), 200, "GET /healthz during a POST")
        answered += 1
    check(answered == 20, f"the long POST ended after only {answered} GET pairs")
    post.join()
    hc.done_run(holder["resp"], "the POST that waited")


def test():
    wiremeter = wmtest.binary()
    wmtest.require_capture(wiremeter)
    with hc.Daemon(wiremeter, hc.LONG_ARGS) as d:
        test_forms(d)
        test_accepted(d)
        big = hc.done_run(hc.post_run(d, "size=1MB&label=big"), "1MB")
        hc.check_payload(big, 1000000, "download", "1MB")
        check(d.get(f"/runs/{big['id']}").json() == big, "GET differs from the 201 body")
        ids = [hc.done_run(hc.post_run(d, "size=0"), "size 0")["id"] for _ in range(3)]
        test_list(d, ids)
        test_packets(d, big)
        test_pcap(wiremeter, d, big)
        test_delete(d, big["id"])
        test_answer_is_the_stored_run(d)
        test_get_while_waiting(d)
        hc.finish(d)
    test_states(wiremeter)
    test_failed(wiremeter)
    test_retention(wiremeter)


if __name__ == "__main__":
    wmtest.main(test)
