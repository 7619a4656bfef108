/* wm_packet_pages: see wm_packet_pages.h.
 *
 * The bound on builds is process-wide state, kept here rather than in
 * wm_app because it is this file's alone and a daemon is one per process:
 * an atomic count taken by the build's own thread (so that a client
 * leaving early can never leak it) and checked first on the connection's
 * thread (so that a flood of requests is answered at once, not one thread
 * each). */
#include "wm_packet_pages.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_engine.h"
#include "wm_public_text.h"

/* One build holds up to a whole run's trace and analysis (wm_budget.h:
 * about 190 MB at the default --max-packets); one at a time keeps that
 * the most /packets can add to the daemon's memory. */
#define MAX_BUILDS 1u

static atomic_uint builds_running;

/* A build and its outcome, one malloc'd block (wm_http_wait_then frees
 * it whole, whether or not the answer was sent). */
typedef struct build_job {
    wm_store *store;
    int64_t id;
    uint64_t offset, limit, max_packets;
    bool ran, busy;       /* the build ran / found no slot */
    int rc;
    wm_error err;
    char result_json[];   /* the run's stored result, for its ports */
} build_job;

/* A page of a small run's rows, kept in the database with it
 * (store_outputs.c); WM_ERR_NOT_FOUND when they are a file. */
static json_t *held_rows(wm_store *store, int64_t id, uint64_t offset,
                         uint64_t limit, size_t *total, wm_error *err)
{
    void *data = NULL;
    size_t len = 0;
    if (wm_store_read_output(store, id, WM_STORE_OUTPUT_ROWS, &data, &len,
                             err) != 0)
        return NULL;
    json_t *rows = wm_engine_packets_held(data, len, offset, limit, total,
                                          err);
    free(data);
    return rows;
}

/* The page document: rows from the database or the rows file, and the
 * link to the next. */
static json_t *page_doc(wm_store *store, int64_t id, uint64_t offset,
                        uint64_t limit, wm_error *err)
{
    size_t total = 0;
    json_t *rows = held_rows(store, id, offset, limit, &total, err);
    if (!rows && err->kind == WM_ERR_NOT_FOUND) {
        char rows_path[PATH_MAX];
        if (wm_store_rows_path(store, id, rows_path, sizeof rows_path,
                               err) != 0)
            return NULL;
        rows = wm_engine_packets(rows_path, offset, limit, &total, err);
    }
    if (!rows)
        return NULL;
    json_t *next = json_null();
    if (offset + limit < total) {
        char text[96];
        snprintf(text, sizeof text,
                 "/runs/%" PRId64 "/packets?offset=%" PRIu64
                 "&limit=%" PRIu64, id, offset + limit, limit);
        next = json_string(text);
    }
    json_t *doc = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}", "run",
                            (json_int_t)id, "offset", (json_int_t)offset,
                            "limit", (json_int_t)limit, "total",
                            (json_int_t)total, "packets", rows, "next", next);
    if (!doc)
        wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    return doc;
}

static int send_busy(wm_http_request *req)
{
    return wm_http_send_retry(req, false,
                              "the packet list of a run stored before this "
                              "version is being made; try again in a moment");
}

static bool take_slot(void)
{
    unsigned n = atomic_load(&builds_running);
    while (n < MAX_BUILDS)
        if (atomic_compare_exchange_weak(&builds_running, &n, n + 1))
            return true;
    return false;
}

/* Writes the rows file from the pcap under a temporary name, then moves
 * it into place; a run deleted meanwhile loses it again. */
static int build_rows(build_job *job)
{
    char pcap[PATH_MAX], tmp[PATH_MAX], rows[PATH_MAX];
    wm_error *err = &job->err;
    if (wm_store_pcap_path(job->store, job->id, pcap, sizeof pcap, err) ||
        wm_store_rows_tmp_path(job->store, job->id, tmp, sizeof tmp, err) ||
        wm_store_rows_path(job->store, job->id, rows, sizeof rows, err))
        return -1;
    json_t *result = json_loads(job->result_json, 0, NULL);
    int rc = result ? wm_engine_index_pcap(pcap, result, tmp,
                                           job->max_packets, err)
                    : wm_error_set(err, WM_ERR_INTERNAL,
                                   "run %" PRId64 ": its stored result is "
                                   "unreadable", job->id);
    json_decref(result);
    if (rc == 0 && rename(tmp, rows) != 0) {
        rc = wm_error_set(err, WM_ERR_IO, "storing the packet rows: %s",
                          strerror(errno));
        remove(tmp);
    }
    wm_store_run run;
    wm_error gone;
    if (rc == 0 && wm_store_get_run(job->store, job->id, &run, &gone) != 0) {
        remove(rows); /* deleted while its rows were made */
        return wm_error_set(err, WM_ERR_NOT_FOUND,
                            "run %" PRId64 " was deleted", job->id);
    }
    if (rc == 0)
        wm_store_run_free(&run);
    return rc;
}

/* On the build's own thread. */
static void build(void *arg)
{
    build_job *job = arg;
    job->ran = true;
    if (!take_slot()) {
        job->busy = true;
        return;
    }
    job->rc = build_rows(job);
    atomic_fetch_sub(&builds_running, 1);
}

/* Back on the connection's thread. */
static int answer(wm_http_request *req, void *arg)
{
    build_job *job = arg;
    if (!job->ran || job->busy)
        return send_busy(req);
    if (job->rc != 0 && job->err.kind == WM_ERR_TOO_LARGE)
        return wm_http_send_error(req, 409, "too_large", "id",
                                  "run %" PRId64 " was stored before the run "
                                  "budget and %s; download its pcap "
                                  "(/runs/%" PRId64 "/pcap) instead",
                                  job->id, job->err.message, job->id);
    if (job->rc != 0)
        return wm_api_send_error(req, &job->err);
    wm_error err;
    wm_error_clear(&err);
    json_t *doc = page_doc(job->store, job->id, job->offset, job->limit,
                           &err);
    return doc ? wm_http_send_json(req, 200, doc)
               : wm_api_send_error(req, &err);
}

int wm_packet_pages_respond(wm_http_request *req, const wm_store_run *run,
                            uint64_t offset, uint64_t limit)
{
    wm_app *app = req->app;
    wm_error err;
    wm_error_clear(&err);
    json_t *doc = page_doc(app->store, run->id, offset, limit, &err);
    if (doc)
        return wm_http_send_json(req, 200, doc);
    if (err.kind != WM_ERR_NOT_FOUND)
        return wm_api_send_error(req, &err);
    if (atomic_load(&builds_running) >= MAX_BUILDS)
        return send_busy(req);
    const char *result = run->result_json ? run->result_json : "";
    size_t len = strlen(result);
    build_job *job = malloc(sizeof *job + len + 1);
    if (!job)
        return wm_http_send_error(req, 500, "internal_error", NULL,
                                  "out of memory");
    *job = (build_job){.store = app->store, .id = run->id, .offset = offset,
                       .limit = limit,
                       .max_packets = app->config->max_packets};
    memcpy(job->result_json, result, len + 1);
    return wm_http_wait_then(req, build, answer, job);
}
