/* /runs/{id}/packets and /runs/{id}/pcap: what a run captured.
 *
 * The pcap file is the single source of truth for packets: the engine
 * makes a page of the packet list by reading it again with the same
 * dissector and analyser as `wiremeter analyze`, so the list always
 * agrees with the file a user downloads, and SQLite never holds a packet
 * list that could be megabytes of JSON per run. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wm_engine.h"
#include "wm_handlers.h"
#include "wm_store.h"

#define PACKETS_DEFAULT_LIMIT 100u
#define PACKETS_MAX_LIMIT 10000u

/* The run, which must be done (its pcap then exists). Answers the request
 * itself (404, 409) and returns 1 when it did; 0 when run was filled. */
static int done_run(wm_http_request *req, wm_store_run *run, int *rc)
{
    int64_t id = 0;
    wm_error err;
    if (wm_request_id(req, &id, &err) != 0 ||
        wm_store_get_run(req->app->store, id, run, &err) != 0) {
        *rc = wm_http_send_wm_error(req, &err);
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

typedef struct page_ctx {
    uint64_t offset, limit;
} page_ctx;

static int page_param(void *opaque, const char *name, const char *value,
                      wm_error *err)
{
    page_ctx *c = opaque;
    if (!strcmp(name, "offset"))
        return wm_param_uint(name, value, 0, UINT32_MAX, &c->offset, err);
    if (!strcmp(name, "limit"))
        return wm_param_uint(name, value, 1, PACKETS_MAX_LIMIT, &c->limit,
                             err);
    return wm_error_param(err, WM_ERR_INVALID, name,
                          "unknown parameter '%.32s'; allowed: offset, limit",
                          name);
}

/* A page of the run's packet list, from its pcap (wm_engine_packets). */
static json_t *packet_page(const wm_store_run *run, const char *path,
                           const page_ctx *page, wm_error *err)
{
    json_t *result = json_loads(run->result_json ? run->result_json : "", 0,
                                NULL);
    size_t total = 0;
    json_t *rows = result ? wm_engine_packets(path, result, page->offset,
                                              page->limit, &total, err)
                          : NULL;
    json_decref(result);
    if (!rows) {
        if (err->kind == WM_ERR_NONE)
            wm_error_set(err, WM_ERR_INTERNAL,
                         "run %" PRId64 ": its stored result is unreadable",
                         run->id);
        return NULL;
    }
    json_t *next = json_null();
    if (page->offset + page->limit < total) {
        char text[96];
        snprintf(text, sizeof text,
                 "/runs/%" PRId64 "/packets?offset=%" PRIu64
                 "&limit=%" PRIu64, run->id, page->offset + page->limit,
                 page->limit);
        next = json_string(text);
    }
    json_t *doc = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}", "run",
                            (json_int_t)run->id, "offset",
                            (json_int_t)page->offset, "limit",
                            (json_int_t)page->limit, "total",
                            (json_int_t)total, "packets", rows, "next", next);
    if (!doc)
        wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    return doc;
}

int wm_handle_run_packets(wm_http_request *req)
{
    page_ctx page = {.offset = 0, .limit = PACKETS_DEFAULT_LIMIT};
    unsigned status = 400;
    wm_error err;
    wm_error_clear(&err);
    if (wm_request_params(req, page_param, &page, &status, &err) != 0)
        return wm_http_send_error(req, status, wm_error_code(err.kind),
                                  err.parameter, "%s", err.message);
    wm_store_run run;
    int rc = 0;
    if (done_run(req, &run, &rc))
        return rc;
    char path[4096];
    json_t *doc = NULL;
    if (wm_store_pcap_path(req->app->store, run.id, path, sizeof path,
                           &err) == 0)
        doc = packet_page(&run, path, &page, &err);
    wm_store_run_free(&run);
    return doc ? wm_http_send_json(req, 200, doc)
               : wm_http_send_wm_error(req, &err);
}

int wm_handle_run_pcap(wm_http_request *req)
{
    wm_store_run run;
    int rc = 0;
    if (done_run(req, &run, &rc))
        return rc;
    int64_t id = run.id;
    wm_store_run_free(&run);
    char path[4096];
    wm_error err;
    if (wm_store_pcap_path(req->app->store, id, path, sizeof path, &err) != 0)
        return wm_http_send_wm_error(req, &err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return wm_http_send_error(req, 404, "not_found", "id",
                                  "run %" PRId64 ": its capture file is "
                                  "missing", id);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!resp) {
        close(fd);
        return -1;
    }
    char disposition[96];
    snprintf(disposition, sizeof disposition,
             "attachment; filename=\"wiremeter-run-%" PRId64 ".pcap\"", id);
    MHD_add_response_header(resp, "Content-Type",
                            "application/vnd.tcpdump.pcap");
    MHD_add_response_header(resp, "Content-Disposition", disposition);
    MHD_add_response_header(resp, "Cache-Control", "private, max-age=3600");
    return wm_http_queue(req, 200, resp);
}
