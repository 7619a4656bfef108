/* /captures: a pcap or pcapng file of the user's own, uploaded, stored
 * and analysed like a run's capture.
 *
 * The body never sits in memory: the HTTP layer streams it to a temporary
 * file of the store's captures directory (wm_http_options.streams, bounded
 * by --max-upload), and this handler only looks at its first bytes before
 * handing it to the store (wm_store_add_capture renames it). The analysis
 * (wm_engine_analyze_file_each, the code of `wiremeter analyze`) runs on
 * the request's wait thread (wm_http_wait_then), off the HTTP threads, and
 * its document is what `wiremeter analyze --json` prints for the file, with
 * "file" the stored name and "main" on each connection. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wm_captures_doc.h"
#include "wm_engine.h"
#include "wm_handlers.h"
#include "wm_metrics.h"
#include "wm_public_text.h"
#include "wm_range.h"
#include "wm_runs_doc.h"
#include "wm_store.h"

#define CAPTURES_DEFAULT_LIMIT 20u
#define CAPTURES_MAX_LIMIT 100u

/* The Content-Types a capture may come as; absent is taken too. */
static const char *const capture_types[] = {
    "application/vnd.tcpdump.pcap",
    "application/octet-stream",
};
#define CAPTURE_TYPES_TEXT \
    "application/vnd.tcpdump.pcap or application/octet-stream"

/* The first four bytes of a pcap (either byte order, micro- or
 * nanosecond) or of a pcapng (its Section Header Block type). */
static bool capture_magic(const unsigned char m[4])
{
    static const unsigned char magics[][4] = {
        {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4},
        {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d},
        {0x0a, 0x0d, 0x0d, 0x0a},
    };
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (!memcmp(m, magics[i], 4))
            return true;
    return false;
}

static bool type_allowed(const char *type)
{
    if (!type)
        return true;
    size_t n = strcspn(type, "; \t");
    for (size_t i = 0; i < sizeof capture_types / sizeof capture_types[0];
         i++)
        if (strlen(capture_types[i]) == n &&
            !strncasecmp(type, capture_types[i], n))
            return true;
    return false;
}

/* What the request says about its body, before the file is looked at:
 * 1 when it answered, 0 when the body may be a capture. */
static int check_headers(wm_http_request *req, int *rc)
{
    const char *type = wm_http_header(req, "Content-Type");
    const char *encoding = wm_http_header(req, "Content-Encoding");
    char quoted[96];
    if (encoding && strcasecmp(encoding, "identity")) {
        *rc = wm_http_send_error(
            req, 415, "unsupported_media_type", "Content-Encoding",
            "Content-Encoding %s is not supported; send the capture "
            "uncompressed", wm_http_quote(quoted, sizeof quoted, encoding,
                                          strlen(encoding)));
        return 1;
    }
    if (!type_allowed(type)) {
        *rc = wm_http_send_error(
            req, 415, "unsupported_media_type", "Content-Type",
            "Content-Type %s is not a capture; send the file's bytes as "
            CAPTURE_TYPES_TEXT " (curl --data-binary @FILE -H "
            "'Content-Type: application/vnd.tcpdump.pcap')",
            wm_http_quote(quoted, sizeof quoted, type, strlen(type)));
        return 1;
    }
    if (!req->upload_path || req->body_len == 0) {
        *rc = wm_http_send_error(req, 400, wm_error_code(WM_ERR_INVALID),
                                 "body",
                                 "the body is empty; send a pcap or pcapng "
                                 "file");
        return 1;
    }
    return 0;
}

/* The file's first bytes: 1 when it answered (not a capture). */
static int check_magic(wm_http_request *req, int *rc)
{
    unsigned char m[4] = {0};
    int fd = open(req->upload_path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, m, sizeof m) : -1;
    if (fd >= 0)
        close(fd);
    if (n == (ssize_t)sizeof m && capture_magic(m))
        return 0;
    *rc = wm_http_send_error(
        req, 415, "unsupported_media_type", "body",
        "the body is not a pcap or pcapng file: it begins with %02x %02x "
        "%02x %02x; a pcap begins with a1 b2 c3 d4 (or a1 b2 3c 4d, either "
        "byte order), a pcapng with 0a 0d 0d 0a%s", m[0], m[1], m[2], m[3],
        m[0] == 0x1f && m[1] == 0x8b ? " (this is gzip: gunzip it first)"
                                     : "");
    return 1;
}

typedef struct label_ctx {
    char label[WM_LABEL_MAX + 1];
} label_ctx;

static int label_param(void *opaque, const char *name, const char *value,
                       wm_error *err)
{
    label_ctx *c = opaque;
    if (strcmp(name, "label"))
        return wm_param_unhandled(name, err);
    if (strlen(value) > WM_LABEL_MAX ||
        !wm_http_utf8_valid(value, strlen(value)))
        return wm_error_param(err, WM_ERR_INVALID, "label",
                              "label: up to %d bytes of UTF-8",
                              WM_LABEL_MAX);
    snprintf(c->label, sizeof c->label, "%s", value);
    return 0;
}

static int query_label(wm_http_request *req, label_ctx *c, wm_error *err)
{
    const char *value = MHD_lookup_connection_value(
        req->conn, MHD_GET_ARGUMENT_KIND, "label");
    return value ? label_param(c, "label", value, err) : 0;
}

typedef struct analysis_job {
    int64_t id;
    uint64_t max_packets;
    wm_store *store;
    int rc;          /* of the analysis; -1 until it ran */
    wm_error err;    /* why it failed: the capture is gone then */
} analysis_job;

static void analyse_wait(void *arg)
{
    analysis_job *job = arg;
    job->rc = wm_captures_analyse(job->store, job->id, job->max_packets,
                                  &job->err);
}

static int answer_created(wm_http_request *req, void *arg)
{
    analysis_job *job = arg;
    if (job->rc != 0)
        return wm_api_send_error(req, &job->err);
    return wm_captures_respond(req, job->id, 201);
}

int wm_handle_captures_create(wm_http_request *req)
{
    int rc = 0;
    if (check_headers(req, &rc) || check_magic(req, &rc))
        return rc;
    label_ctx label = {{0}};
    wm_error err;
    wm_error_clear(&err);
    if (query_label(req, &label, &err) != 0 ||
        wm_store_check_room(req->app->store, &err) != 0)
        return wm_api_send_error(req, &err);
    analysis_job *job = calloc(1, sizeof *job);
    if (!job)
        return wm_http_send_error(req, 500, "internal", NULL,
                                  "out of memory");
    *job = (analysis_job){.store = req->app->store, .rc = -1,
                          .max_packets = req->app->config->max_packets};
    wm_error_set(&job->err, WM_ERR_INTERNAL,
                 "the capture could not be analysed (no thread)");
    if (wm_store_add_capture(req->app->store, req->upload_path, label.label,
                             req->body_len, &job->id, &err) != 0) {
        free(job);
        return wm_api_send_error(req, &err);
    }
    req->upload_taken = true;
    wm_metrics_count_upload(req->app->metrics, req->body_len);
    return wm_http_wait_then(req, analyse_wait, answer_created, job);
}

static int capture_id(wm_http_request *req, int64_t *id, int *rc)
{
    wm_error err;
    if (wm_request_id(req, id, &err) == 0)
        return 0;
    *rc = wm_api_send_error(req, &err);
    return 1;
}

int wm_handle_capture_get(wm_http_request *req)
{
    int64_t id = 0;
    int rc = 0;
    if (capture_id(req, &id, &rc))
        return rc;
    return wm_captures_respond(req, id, 200);
}

int wm_handle_capture_delete(wm_http_request *req)
{
    int64_t id = 0;
    int rc = 0;
    if (capture_id(req, &id, &rc))
        return rc;
    wm_error err;
    if (wm_store_delete_capture(req->app->store, id, &err) != 0)
        return wm_api_send_error(req, &err);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    return resp ? wm_http_queue(req, 204, resp) : -1;
}

typedef struct list_ctx {
    uint64_t limit, before;
} list_ctx;

static int list_param(void *opaque, const char *name, const char *value,
                      wm_error *err)
{
    list_ctx *c = opaque;
    if (!strcmp(name, "limit"))
        return wm_param_uint(name, value, 1, CAPTURES_MAX_LIMIT, &c->limit,
                             err);
    if (!strcmp(name, "before"))
        return wm_param_uint(name, value, 1, INT64_MAX, &c->before, err);
    return wm_param_unhandled(name, err);
}

int wm_handle_captures_list(wm_http_request *req)
{
    list_ctx c = {.limit = CAPTURES_DEFAULT_LIMIT};
    unsigned status = 400;
    wm_error err;
    wm_error_clear(&err);
    if (wm_request_params(req, list_param, &c, &status, &err) != 0)
        return wm_http_send_error(req, status, wm_error_code(err.kind),
                                  err.parameter, "%s", err.message);
    wm_store_capture_list list;
    if (wm_store_list_captures(req->app->store, (int64_t)c.before,
                               (size_t)c.limit, &list, &err) != 0)
        return wm_api_send_error(req, &err);
    json_t *doc = wm_captures_list_doc(&list, c.limit);
    wm_store_capture_list_free(&list);
    return doc ? wm_http_send_json(req, 200, doc) : -1;
}

int wm_handle_capture_pcap(wm_http_request *req)
{
    int64_t id = 0;
    int rc = 0;
    if (capture_id(req, &id, &rc))
        return rc;
    wm_store_capture c;
    wm_error err;
    if (wm_store_get_capture(req->app->store, id, &c, &err) != 0)
        return wm_api_send_error(req, &err);
    wm_store_capture_free(&c);
    char path[4096];
    if (wm_store_capture_path(req->app->store, id, path, sizeof path,
                              &err) != 0)
        return wm_api_send_error(req, &err);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return wm_http_send_error(req, 404, "not_found", "id",
                                  "capture %" PRId64 ": its file is missing",
                                  id);
    }
    char modified[64];
    struct tm tm;
    gmtime_r(&st.st_mtim.tv_sec, &tm);
    strftime(modified, sizeof modified, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    unsigned status = 200;
    struct MHD_Response *resp =
        wm_range_response(req, fd, (uint64_t)st.st_size, modified, &status);
    if (!resp)
        return -1;
    if (status == 416)
        return wm_http_queue(req, status, resp);
    char disposition[96];
    snprintf(disposition, sizeof disposition,
             "attachment; filename=\"wiremeter-capture-%" PRId64 ".pcap\"",
             id);
    MHD_add_response_header(resp, "Content-Type",
                            "application/vnd.tcpdump.pcap");
    MHD_add_response_header(resp, "Content-Disposition", disposition);
    MHD_add_response_header(resp, "Cache-Control", "private, max-age=3600");
    return wm_http_queue(req, status, resp);
}
