/* /runs/{id}/series: a run's time series, as JSON or one table as CSV.
 *
 * The engine wrote the document beside the run's pcap when the run ended
 * (wm_series.h); it is served as it is, with the run's id. (A CSV parses
 * it, which costs a JSON tree of the whole series: a page draws from the
 * JSON.) Why
 * a stored file rather than the series made again on demand: the kernel's
 * samples exist only during the run, and the capture's tables cost a pass
 * over the pcap, which a page that draws every graph would pay at each
 * view. Its size is bounded by the series' own bounds. */
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_handlers.h"
#include "wm_public_text.h"
#include "wm_series.h"
#include "wm_store.h"

typedef struct series_query {
    bool csv;
    const char *table; /* one of wm_series_tables, NULL: none given */
} series_query;

static int series_param(void *opaque, const char *name, const char *value,
                        wm_error *err)
{
    series_query *q = opaque;
    char shown[48];
    if (strcmp(name, "format") == 0) {
        if (strcmp(value, "json") == 0 || strcmp(value, "csv") == 0) {
            q->csv = value[0] == 'c';
            return 0;
        }
        return wm_error_param(err, WM_ERR_INVALID, "format",
                              "format: '%s' is not a format of the series; "
                              "allowed: json or csv",
                              wm_error_quote(value, 32, shown, sizeof shown));
    }
    if (strcmp(name, "table") != 0)
        return wm_param_unhandled(name, err);
    int known = wm_series_table_known(value);
    if (!known)
        return wm_error_param(err, WM_ERR_INVALID, "table",
                              "table: '%s' is not a table of the series; "
                              "allowed: " WM_SERIES_TABLE_NAMES,
                              wm_error_quote(value, 32, shown, sizeof shown));
    q->table = wm_series_tables[known - 1];
    return 0;
}

/* A CSV names its table, and only a CSV has one. */
static int check_query(const series_query *q, wm_error *err)
{
    if (q->csv && !q->table)
        return wm_error_param(err, WM_ERR_INVALID, "table",
                              "table: a CSV is one table of the series; "
                              "allowed: " WM_SERIES_TABLE_NAMES);
    if (!q->csv && q->table)
        return wm_error_param(err, WM_ERR_INVALID, "table",
                              "table: only with format=csv; the JSON holds "
                              "every table");
    return 0;
}

/* The run, which must be done. Answers the request itself (404, 409) and
 * returns 1 when it did. */
static int done_run_id(wm_http_request *req, int64_t *id, int *rc)
{
    wm_error err;
    wm_error_clear(&err);
    wm_store_run run;
    if (wm_request_id(req, id, &err) != 0 ||
        wm_store_get_run(req->app->store, *id, &run, &err) != 0) {
        *rc = wm_api_send_error(req, &err);
        return 1;
    }
    wm_store_status status = run.status;
    wm_store_run_free(&run);
    if (status == WM_STORE_DONE)
        return 0;
    *rc = status == WM_STORE_FAILED
              ? wm_http_send_error(req, 404, "not_found", "id",
                                   "run %" PRId64 " failed; it has no time "
                                   "series", *id)
              : wm_http_send_error(req, 409, "not_ready", "id",
                                   "run %" PRId64 " is %s; its time series "
                                   "is not ready yet", *id,
                                   wm_store_status_name(status));
    return 1;
}

static int send_csv(wm_http_request *req, int64_t id, const json_t *doc,
                    const char *table)
{
    wm_error err;
    wm_error_clear(&err);
    char *text = wm_series_csv(doc, table, &err);
    if (!text)
        return wm_api_send_error(req, &err);
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return -1;
    }
    char disposition[96];
    snprintf(disposition, sizeof disposition,
             "attachment; filename=\"wiremeter-run-%" PRId64 "-%s.csv\"", id,
             table);
    MHD_add_response_header(resp, "Content-Type", "text/csv; charset=utf-8");
    MHD_add_response_header(resp, "Content-Disposition", disposition);
    return wm_http_queue(req, 200, resp);
}

static int no_series(wm_http_request *req, int64_t id)
{
    return wm_http_send_error(req, 404, "not_found", "id",
                              "run %" PRId64 " has no time series (a run "
                              "stored before series were kept has none)", id);
}

/* The document's text, as the engine wrote it: kept in the database
 * with a small run (store_outputs.c), else its file. *text malloc'd with
 * room for skip bytes before it; NULL when the run has none. */
static char *series_text(wm_app *app, int64_t id, size_t skip, size_t *len)
{
    void *data = NULL;
    size_t n = 0;
    wm_error err;
    if (wm_store_read_output(app->store, id, WM_STORE_OUTPUT_SERIES, &data,
                             &n, &err) == 0) {
        char *text = malloc(skip + n + 1);
        if (text) {
            memcpy(text + skip, data, n);
            text[skip + n] = '\0';
            *len = n;
        }
        free(data);
        return text;
    }
    char path[PATH_MAX];
    if (wm_store_series_path(app->store, id, path, sizeof path, &err) != 0)
        return NULL;
    FILE *f = fopen(path, "rb");
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    char *text = size >= 0 && fseek(f, 0, SEEK_SET) == 0
                     ? malloc(skip + (size_t)size + 1)
                     : NULL;
    if (text && fread(text + skip, 1, (size_t)size, f) != (size_t)size) {
        free(text);
        text = NULL;
    }
    if (text) {
        text[skip + (size_t)size] = '\0';
        *len = (size_t)size;
    }
    if (f)
        fclose(f);
    return text;
}

/* The document as the engine wrote it, with the run's id put first: its
 * bytes are sent, not parsed, so a long run's series costs its size in
 * memory once, not a JSON tree many times that. */
static int send_document(wm_http_request *req, int64_t id)
{
    char prefix[48];
    int prefix_len = snprintf(prefix, sizeof prefix, "{\"run\":%" PRId64 ",",
                              id);
    assert(prefix_len > 0 && (size_t)prefix_len < sizeof prefix);
    /* The document's own opening brace is overwritten by the prefix's
     * last character. */
    size_t size = 0;
    char *text = series_text(req->app, id, (size_t)prefix_len - 1, &size);
    if (!text || size < 2 || text[prefix_len - 1] != '{') {
        free(text);
        return no_series(req, id);
    }
    memcpy(text, prefix, (size_t)prefix_len);
    size_t len = (size_t)prefix_len - 1 + size;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return -1;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    return wm_http_queue(req, 200, resp);
}

int wm_handle_run_series(wm_http_request *req)
{
    series_query q = {.csv = false, .table = NULL};
    unsigned status = 400;
    wm_error err;
    wm_error_clear(&err);
    if (wm_request_params(req, series_param, &q, &status, &err) != 0 ||
        check_query(&q, &err) != 0)
        return wm_http_send_error(req, status, wm_error_code(err.kind),
                                  err.parameter, "%s", err.message);
    int64_t id = 0;
    int rc = 0;
    if (done_run_id(req, &id, &rc))
        return rc;
    if (!q.csv)
        return send_document(req, id);
    size_t len = 0;
    char *text = series_text(req->app, id, 0, &len);
    json_t *doc = text ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    if (!doc)
        return no_series(req, id);
    rc = send_csv(req, id, doc, q.table);
    json_decref(doc);
    return rc;
}
