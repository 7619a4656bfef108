/* /runs/{id}/packets and /runs/{id}/pcap: what a run captured.
 *
 * The pcap file is the single source of truth for packets. The packet
 * list is the engine's analysis of it, kept by the run in a rows file
 * beside it (wm_packet_pages.h), so that a page costs a page and SQLite
 * never holds a packet list that could be megabytes of JSON per run. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wm_engine.h"
#include "wm_handlers.h"
#include "wm_packet_pages.h"
#include "wm_public_text.h"
#include "wm_range.h"
#include "wm_store.h"


/* The run, which must be done (its pcap then exists). Answers the request
 * itself (404, 409) and returns 1 when it did; 0 when run was filled. */
static int done_run(wm_http_request *req, wm_store_run *run, int *rc)
{
    int64_t id = 0;
    wm_error err;
    if (wm_request_id(req, &id, &err) != 0 ||
        wm_store_get_run(req->app->store, id, run, &err) != 0) {
        *rc = wm_api_send_error(req, &err);
        return 1;
    }
    if (run->status == WM_STORE_DONE)
        return 0;
    const char *status = wm_store_status_name(run->status);
    *rc = run->status == WM_STORE_FAILED
              ? wm_http_send_error(req, 404, "not_found", "id",
                                   "run %" PRId64 " failed; it has no capture",
                                   id)
              : wm_http_send_error(req, 409, "not_ready", "id",
                                   "run %" PRId64 " is %s; its capture is not "
                                   "ready yet", id, status);
    wm_store_run_free(run);
    return 1;
}

_Static_assert(WM_PAGE_MAX_LIMIT <= WM_ENGINE_ENDS_PAGE_MAX,
               "a page of the both-ends table is read at once");

/* The both-ends table's page, as the packet list's: offset, limit, the
 * link to the next page. */
static json_t *ends_doc(wm_store *store, int64_t id, uint64_t offset,
                        uint64_t limit, wm_error *err)
{
    char path[PATH_MAX];
    if (wm_store_ends_path(store, id, path, sizeof path, err) != 0)
        return NULL;
    size_t total = 0;
    json_t *rows = wm_engine_ends(path, offset, limit, &total, err);
    if (!rows)
        return NULL;
    json_t *next = json_null();
    if (offset + limit < total) {
        char text[96];
        snprintf(text, sizeof text,
                 "/runs/%" PRId64 "/ends?offset=%" PRIu64 "&limit=%" PRIu64,
                 id, offset + limit, limit);
        next = json_string(text);
    }
    json_t *doc = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}", "run",
                            (json_int_t)id, "offset", (json_int_t)offset,
                            "limit", (json_int_t)limit, "total",
                            (json_int_t)total, "frames", rows, "next", next);
    if (!doc)
        wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    return doc;
}

int wm_handle_run_ends(wm_http_request *req)
{
    wm_page_query page;
    int rc = 0;
    if (wm_page_query_refused(req, &page, &rc))
        return rc;
    wm_store_run run;
    if (done_run(req, &run, &rc))
        return rc;
    int64_t id = run.id;
    wm_store_run_free(&run);
    wm_error err;
    wm_error_clear(&err);
    json_t *doc = ends_doc(req->app->store, id, page.offset, page.limit, &err);
    if (!doc && err.kind == WM_ERR_NOT_FOUND)
        return wm_http_send_error(req, 404, "not_found", "id",
                                  "run %" PRId64 " has no both-ends table "
                                  "(only a link run has two ends)", id);
    if (!doc)
        return wm_api_send_error(req, &err);
    return wm_http_send_json(req, 200, doc);
}

int wm_handle_run_packets(wm_http_request *req)
{
    wm_page_query page;
    int rc = 0;
    if (wm_page_query_refused(req, &page, &rc))
        return rc;
    wm_store_run run;
    if (done_run(req, &run, &rc))
        return rc;
    rc = wm_packet_pages_respond(req, &run, page.offset, page.limit);
    wm_store_run_free(&run);
    return rc;
}

/* ?end=: which end of a link the pcap was captured at. */
typedef struct end_ctx {
    bool sender;
} end_ctx;

static int end_param(void *opaque, const char *name, const char *value,
                     wm_error *err)
{
    end_ctx *c = opaque;
    if (strcmp(name, "end") != 0)
        return wm_param_unhandled(name, err);
    if (strcmp(value, "receiver") == 0 || strcmp(value, "sender") == 0) {
        c->sender = value[0] == 's';
        return 0;
    }
    char shown[48];
    return wm_error_param(err, WM_ERR_INVALID, "end",
                          "end: '%s' is not an end of the link; allowed: "
                          "receiver or sender",
                          wm_error_quote(value, 32, shown, sizeof shown));
}

/* A small run's pcap, kept in the database with it (store_outputs.c),
 * as a file of memory (memfd): the ranges and the streaming of a pcap on
 * disk apply unchanged, and no disk is touched. Its mtime is the run's
 * end, the Last-Modified of its file. -1 with WM_ERR_NOT_FOUND when the
 * pcap is a file. */
static int held_pcap(wm_store *store, int64_t id, int64_t finished_ns,
                     struct stat *st, wm_error *err)
{
    void *data = NULL;
    size_t len = 0;
    if (wm_store_read_output(store, id, WM_STORE_OUTPUT_PCAP, &data, &len,
                             err) != 0)
        return -1;
    int fd = memfd_create("wiremeter-pcap", MFD_CLOEXEC);
    bool ok = fd >= 0;
    for (size_t done = 0; ok && done < len;) {
        ssize_t n = write(fd, (const char *)data + done, len - done);
        ok = n > 0 || (n < 0 && errno == EINTR);
        done += n > 0 ? (size_t)n : 0;
    }
    struct timespec end = {.tv_sec = finished_ns / 1000000000,
                           .tv_nsec = finished_ns % 1000000000};
    struct timespec times[2] = {end, end};
    ok = ok && futimens(fd, times) == 0 && fstat(fd, st) == 0;
    free(data);
    if (!ok) {
        int errnum = errno;
        if (fd >= 0)
            close(fd);
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "run %" PRId64 ": serving its pcap: %s", id,
                            strerror(errnum));
    }
    return fd;
}

int wm_handle_run_pcap(wm_http_request *req)
{
    end_ctx end = {.sender = false};
    unsigned status = 400;
    wm_error err;
    wm_error_clear(&err);
    if (wm_request_params(req, end_param, &end, &status, &err) != 0)
        return wm_http_send_error(req, status, wm_error_code(err.kind),
                                  err.parameter, "%s", err.message);
    wm_store_run run;
    int rc = 0;
    if (done_run(req, &run, &rc))
        return rc;
    int64_t id = run.id;
    int64_t finished_ns = run.finished_ns;
    wm_store_run_free(&run);
    struct stat st;
    int fd = end.sender ? -1 : held_pcap(req->app->store, id, finished_ns,
                                         &st, &err);
    if (fd < 0 && err.kind != WM_ERR_NOT_FOUND && !end.sender)
        return wm_api_send_error(req, &err);
    char path[4096];
    if (fd < 0 &&
        (end.sender ? wm_store_sender_pcap_path(req->app->store, id, path,
                                                sizeof path, &err)
                    : wm_store_pcap_path(req->app->store, id, path,
                                         sizeof path, &err)) != 0)
        return wm_api_send_error(req, &err);
    if (fd < 0)
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return end.sender
                   ? wm_http_send_error(req, 404, "not_found", "end",
                                        "run %" PRId64 " has no capture at "
                                        "the sender's end (only a link run "
                                        "has one)", id)
                   : wm_http_send_error(req, 404, "not_found", "id",
                                        "run %" PRId64 ": its capture file "
                                        "is missing", id);
    }
    char modified[64];
    struct tm tm;
    gmtime_r(&st.st_mtim.tv_sec, &tm);
    strftime(modified, sizeof modified, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    status = 200;
    struct MHD_Response *resp =
        wm_range_response(req, fd, (uint64_t)st.st_size, modified, &status);
    if (!resp)
        return -1;
    if (status == 416)
        return wm_http_queue(req, status, resp);
    char disposition[96];
    snprintf(disposition, sizeof disposition,
             "attachment; filename=\"wiremeter-run-%" PRId64 "%s.pcap\"", id,
             end.sender ? "-sender" : "");
    MHD_add_response_header(resp, "Content-Type",
                            "application/vnd.tcpdump.pcap");
    MHD_add_response_header(resp, "Content-Disposition", disposition);
    MHD_add_response_header(resp, "Cache-Control", "private, max-age=3600");
    return wm_http_queue(req, status, resp);
}
