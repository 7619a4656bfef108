/* /captures: a pcap or pcapng file of the user's own, uploaded, stored
 * and analysed like a run's capture.
 *
 * The body never sits in memory: the HTTP layer streams it to a temporary
 * file of the store's captures directory (wm_http_options.streams, bounded
 * by --max-upload). The handler checks only the headers; everything that
 * reads the file — taking it out of a form, gunzipping it, its first bytes
 * (wm_upload.h) and storing it (wm_store_add_capture renames it) — runs
 * on the request's wait thread (wm_http_wait_then), off the HTTP threads;
 * the analysis (wm_engine_analyze_file_each, the code of `wiremeter
 * analyze`) runs on the analysis pool (wm_capture_jobs.h), which the
 * request waits for up to --capture-wait: 201 with the analysis when it
 * ended by then, else 202 and the client reads /captures/{id} until it is
 * done or failed. The document is what `wiremeter analyze --json` prints
 * for the file, with "file" the stored name and "main" on each
 * connection. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wm_capture_jobs.h"
#include "wm_captures_doc.h"
#include "wm_upload.h"
#include "wm_engine.h"
#include "wm_handlers.h"
#include "wm_metrics.h"
#include "wm_public_text.h"
#include "wm_range.h"
#include "wm_runs_doc.h"
#include "wm_store.h"

#define CAPTURES_DEFAULT_LIMIT 20u
#define CAPTURES_MAX_LIMIT 100u
/* A page of packets: as /runs/{id}/packets. */

/* What the request says about its body, before the file is looked at:
 * 1 when it answered, 0 when the body may be a capture. */
static int check_headers(wm_http_request *req, int *rc)
{
    wm_error err;
    wm_error_clear(&err);
    if (wm_upload_check_headers(wm_http_header(req, "Content-Type"),
                                wm_http_header(req, "Content-Encoding"),
                                &err) != 0) {
        wm_metrics_count_capture_refused(req->app->metrics, err.kind, true);
        *rc = wm_http_send_error(req, 415, "unsupported_media_type",
                                 err.parameter, "%s", err.message);
        return 1;
    }
    if (!req->upload_path || req->body_len == 0) {
        wm_metrics_count_capture_refused(req->app->metrics, WM_ERR_INVALID,
                                         false);
        *rc = wm_http_send_error(req, 400, wm_error_code(WM_ERR_INVALID),
                                 "body",
                                 "the body is empty; send a pcap or pcapng "
                                 "file");
        return 1;
    }
    return 0;
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

/* An upload on its way to the store, on the request's wait thread: the
 * temporary file is the job's from the handler on (the HTTP layer no
 * longer removes it), and it is gone when the job ends, renamed into the
 * store or removed. */
typedef struct analysis_job {
    wm_store *store;
    wm_capture_jobs *pool;
    char *upload_path;       /* the body as received */
    char *content_type, *encoding; /* copies; NULL when absent */
    uint64_t upload_bytes, max_upload;
    unsigned wait_ms;        /* --capture-wait */
    char label[WM_LABEL_MAX + 1];
    wm_metrics *metrics;
    bool ran;                /* the wait ran (else: no thread to run it) */
    bool busy;               /* no place in the analysis queue: 429 */
    bool ended;              /* the analysis ended within the wait */
    int rc;                  /* 0, or -1 with err */
    int unsupported;         /* err is "not a capture": 415 */
    wm_error err;
    int64_t id;              /* the capture, once stored */
} analysis_job;

static void job_free(analysis_job *job)
{
    if (job->upload_path)
        unlink(job->upload_path);
    free(job->upload_path);
    free(job->content_type);
    free(job->encoding);
    job->upload_path = job->content_type = job->encoding = NULL;
}

/* Unwrap (form, gzip), check, store: every step that reads the whole
 * upload before it is a capture. */
static void store_upload(analysis_job *job)
{
    char *capture = NULL;
    uint64_t bytes = 0;
    job->rc = wm_upload_unwrap(wm_store_capture_dir(job->store),
                               job->upload_path, job->upload_bytes,
                               job->content_type, job->encoding,
                               job->max_upload, &capture, &bytes,
                               &job->unsupported, &job->err);
    if (job->rc != 0)
        return;
    bool unwrapped = capture != job->upload_path; /* a file of its own */
    job->rc = wm_store_add_capture(job->store, capture, job->label, bytes,
                                   &job->id, &job->err);
    if (unwrapped) {
        if (job->rc != 0)
            unlink(capture); /* when added, it is renamed away */
        free(capture);
    } else if (job->rc == 0) {
        free(job->upload_path); /* renamed into the store */
        job->upload_path = NULL;
    }
}

/* The kind whose code the store kept for a failed analysis. */
static wm_error_kind kind_of_code(const char *code)
{
    for (int k = WM_ERR_INVALID; k <= WM_ERR_BUDGET; k++)
        if (!strcmp(wm_error_code((wm_error_kind)k), code))
            return (wm_error_kind)k;
    return WM_ERR_INTERNAL;
}

/* An analysis that failed while the client still waits is answered as
 * the refusal it is (400, 413...), and the store is left as it was
 * before the upload: the row goes. */
static void take_failure(analysis_job *job)
{
    wm_store_capture c;
    wm_error local;
    if (wm_store_get_capture(job->store, job->id, &c, &local) != 0)
        return; /* answered from the store, whatever it holds */
    if (c.status == WM_STORE_FAILED &&
        wm_store_delete_capture(job->store, job->id, &local) == 0) {
        job->rc = wm_error_param(&job->err, kind_of_code(c.error_code),
                                 "body", "%s", c.error_message);
    }
    wm_store_capture_free(&c);
}

/* On the request's wait thread, off the HTTP threads: the upload is
 * stored and queued, then waited for up to --capture-wait. */
static void analyse_wait(void *arg)
{
    analysis_job *job = arg;
    job->ran = true;
    /* The place first: a full queue refuses before anything is stored. */
    wm_capture_ticket *ticket = wm_capture_jobs_reserve(job->pool, &job->err);
    if (!ticket) {
        job->busy = job->err.kind == WM_ERR_BUSY;
        job->rc = -1;
    } else {
        store_upload(job);
        if (job->rc == 0)
            wm_capture_jobs_submit(job->pool, ticket, job->id);
        else
            wm_capture_jobs_release(job->pool, ticket);
    }
    if (job->rc == 0) {
        wm_metrics_count_upload(job->metrics, job->upload_bytes);
        /* --capture-wait 0: always 202, even for an analysis that was
         * quicker than this line, so that a client sees one behaviour. */
        job->ended = job->wait_ms > 0 &&
                     wm_capture_jobs_wait(job->pool, job->id, job->wait_ms);
        if (job->ended)
            take_failure(job);
    }
    job_free(job);
}

static int answer_created(wm_http_request *req, void *arg)
{
    analysis_job *job = arg;
    if (!job->ran) {
        job_free(job);
        wm_metrics_count_capture_refused(job->metrics, WM_ERR_BUSY, false);
        return wm_http_send_error(req, 503, "busy", NULL,
                                  "no thread to analyse the capture now; "
                                  "try again");
    }
    if (job->rc != 0)
        wm_metrics_count_capture_refused(job->metrics, job->err.kind,
                                         job->unsupported);
    if (job->busy)
        return wm_http_send_retry(req, false, job->err.message);
    if (job->rc != 0 && job->unsupported)
        return wm_http_send_error(req, 415, "unsupported_media_type",
                                  job->err.parameter, "%s",
                                  job->err.message);
    if (job->rc != 0)
        return wm_api_send_error(req, &job->err);
    return wm_captures_respond(req, job->id, job->ended ? 201 : 202);
}

static char *dup_or_null(const char *text)
{
    return text ? strdup(text) : NULL;
}

int wm_handle_captures_create(wm_http_request *req)
{
    int rc = 0;
    if (check_headers(req, &rc))
        return rc;
    label_ctx label = {{0}};
    wm_error err;
    wm_error_clear(&err);
    if (query_label(req, &label, &err) != 0 ||
        wm_store_check_room(req->app->store, &err) != 0) {
        wm_metrics_count_capture_refused(req->app->metrics, err.kind, false);
        return wm_api_send_error(req, &err);
    }
    analysis_job *job = calloc(1, sizeof *job);
    const char *type = wm_http_header(req, "Content-Type");
    const char *encoding = wm_http_header(req, "Content-Encoding");
    if (job) {
        *job = (analysis_job){
            .store = req->app->store,
            .pool = req->app->capture_jobs,
            .upload_path = strdup(req->upload_path),
            .content_type = dup_or_null(type),
            .encoding = dup_or_null(encoding),
            .upload_bytes = req->body_len,
            .max_upload = req->app->config->max_upload_bytes,
            .wait_ms = req->app->config->capture_wait_s * 1000u,
            .metrics = req->app->metrics,
            .rc = -1,
        };
        memcpy(job->label, label.label, sizeof job->label);
    }
    if (!job || !job->upload_path || (type && !job->content_type) ||
        (encoding && !job->encoding)) {
        if (job)
            job_free(job);
        free(job);
        return wm_http_send_error(req, 500, "internal", NULL,
                                  "out of memory");
    }
    req->upload_taken = true; /* the job's now */
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

int wm_handle_captures_list(wm_http_request *req)
{
    wm_list_query c;
    int rc = 0;
    if (wm_list_query_refused(req, CAPTURES_DEFAULT_LIMIT, CAPTURES_MAX_LIMIT,
                              &c, &rc))
        return rc;
    wm_error err;
    wm_error_clear(&err);
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

int wm_handle_capture_packets(wm_http_request *req)
{
    int64_t id = 0;
    int rc = 0;
    if (capture_id(req, &id, &rc))
        return rc;
    uint64_t n = 0;
    wm_error err;
    wm_error_clear(&err);
    if (wm_param_uint("n", req->n_text, 0, UINT32_MAX, &n, &err) != 0)
        return wm_api_send_error(req, &err);
    wm_page_query page;
    if (wm_page_query_refused(req, &page, &rc))
        return rc;
    return wm_captures_packets_respond(req, id, (size_t)n, page.offset,
                                       page.limit);
}
