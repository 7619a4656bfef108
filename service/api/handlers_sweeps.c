/* /sweeps: the lab's tables over several sizes, each run `repeat` times.
 *
 * A sweep is a set of ordinary runs (each visible under /runs) tied by a
 * sweep id; its tables are computed on every GET from the stored results
 * with the same wm_sweep_table arithmetic as `wiremeter sweep`, so nothing
 * derived is stored that could disagree with the runs. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wm_handlers.h"
#include "wm_public_text.h"
#include "wm_clock.h"
#include "wm_jobs.h"
#include "wm_runs_doc.h"
#include "wm_size.h"
#include "wm_store.h"
#include "wm_sweep.h"
#include "wm_sweeps_doc.h"
#include "wm_sweep_report.h"

#define MAX_SIZES 32
#define MAX_REPEAT 100u
#define DEFAULT_WAIT_S 30u

typedef struct sweep_ctx {
    wm_app *app;
    wm_run_request base;
    wm_params_limits limits;
    uint64_t sizes[MAX_SIZES];
    char texts[MAX_SIZES][32];
    size_t size_count;
    uint64_t repeat, wait_s;
} sweep_ctx;

/* One item of the list; an empty one ("13B,,2kB") is refused rather
 * than skipped, since it is most likely a size that was left out. */
static int parse_size_item(sweep_ctx *c, const char *item, wm_error *err)
{
    if (c->size_count == MAX_SIZES)
        return wm_error_param(err, WM_ERR_INVALID, "sizes",
                              "sizes: allowed: up to %d sizes", MAX_SIZES);
    if (item[0] == '\0')
        return wm_error_param(err, WM_ERR_INVALID, "sizes",
                              "sizes: an empty item; allowed: sizes separated "
                              "by single commas, e.g. 13B,2kB,439kB,1MB");
    if (strlen(item) >= sizeof c->texts[0]) /* kept as written: never cut */
        return wm_error_param(err, WM_ERR_INVALID, "sizes",
                              "sizes: an item is %zu bytes long; allowed: up "
                              "to %zu bytes each", strlen(item),
                              sizeof c->texts[0] - 1);
    if (wm_size_parse(item, c->limits.max_size_bytes,
                      &c->sizes[c->size_count], err) != 0) {
        snprintf(err->parameter, sizeof err->parameter, "sizes");
        return -1;
    }
    snprintf(c->texts[c->size_count], sizeof c->texts[0], "%s", item);
    c->size_count++;
    return 0;
}

static int parse_sizes(sweep_ctx *c, const char *value, wm_error *err)
{
    char copy[1024];
    if (strlen(value) >= sizeof copy)
        return wm_error_param(err, WM_ERR_INVALID, "sizes",
                              "sizes: too long; allowed: up to %d sizes",
                              MAX_SIZES);
    snprintf(copy, sizeof copy, "%s", value);
    c->size_count = 0;
    char *rest = copy;
    while (rest)
        if (parse_size_item(c, strsep(&rest, ","), err) != 0)
            return -1;
    return 0;
}

static int sweep_param(void *opaque, const char *name, const char *value,
                       wm_error *err)
{
    sweep_ctx *c = opaque;
    if (!strcmp(name, "sizes"))
        return parse_sizes(c, value, err);
    if (!strcmp(name, "repeat"))
        return wm_param_uint(name, value, 1, MAX_REPEAT, &c->repeat, err);
    if (!strcmp(name, "wait"))
        return wm_param_uint(name, value, 0, c->app->config->max_wait_s,
                             &c->wait_s, err);
    return wm_params_set(&c->base, name, value, &c->limits, err);
}

static char *sweep_params_json(const sweep_ctx *c)
{
    json_t *doc = wm_params_json(&c->base);
    json_t *sizes = json_array();
    for (size_t i = 0; i < c->size_count; i++)
        json_array_append_new(sizes, json_string(c->texts[i]));
    json_object_set_new(doc, "sizes", sizes);
    json_object_set_new(doc, "repeat", json_integer((json_int_t)c->repeat));
    json_object_del(doc, "size");
    json_object_del(doc, "size_text");
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

/* Every size within the budget, so that no run of the sweep is refused
 * after others ran; the error names the size (as "sizes"). */
static int check_budget(sweep_ctx *c, wm_error *err)
{
    for (size_t i = 0; i < c->size_count; i++) {
        wm_run_request probe = c->base;
        probe.config.transfer.size_bytes = c->sizes[i];
        snprintf(probe.size_text, sizeof probe.size_text, "%s", c->texts[i]);
        if (wm_params_check_budget(&probe, &c->limits.budget, err) != 0) {
            snprintf(err->parameter, sizeof err->parameter, "sizes");
            return -1;
        }
    }
    return 0;
}

/* Waits for every run of the sweep within wait_s in all. */
static bool wait_sweep(wm_app *app, int64_t sweep_id, uint64_t wait_s)
{
    wm_store_sweep sweep;
    if (wm_store_get_sweep(app->store, sweep_id, &sweep, NULL) != 0)
        return false;
    int64_t deadline = wm_clock_monotonic_ns() / 1000000 + (int64_t)wait_s * 1000;
    bool all = true;
    for (size_t i = 0; i < sweep.run_count && all; i++) {
        int64_t left = deadline - wm_clock_monotonic_ns() / 1000000;
        all = wm_jobs_wait(app->jobs, sweep.run_ids[i],
                           left > 0 ? (unsigned)left : 0);
    }
    wm_store_sweep_free(&sweep);
    return all;
}

static int send_sweep(wm_http_request *req, int64_t id, unsigned status);

/* A POST waiting for its sweep, off the connection's thread. */
typedef struct sweep_wait {
    wm_app *app;
    int64_t id;
    uint64_t wait_s;
    bool ended;
} sweep_wait;

static void wait_for_sweep(void *arg)
{
    sweep_wait *w = arg;
    w->ended = wait_sweep(w->app, w->id, w->wait_s);
}

static int answer_sweep(wm_http_request *req, void *arg)
{
    sweep_wait *w = arg;
    /* Asked again: when no thread could wait, the sweep may have ended. */
    bool ended = w->ended || wait_sweep(w->app, w->id, 0);
    return send_sweep(req, w->id, ended ? 201 : 202);
}

/* 201 with the tables once every run ended within wait_s, else 202. */
static int wait_then_send(wm_http_request *req, int64_t id, uint64_t wait_s)
{
    sweep_wait *w = wait_s ? malloc(sizeof *w) : NULL;
    if (!w)
        return send_sweep(req, id, wait_sweep(req->app, id, 0) ? 201 : 202);
    *w = (sweep_wait){.app = req->app, .id = id, .wait_s = wait_s};
    return wm_http_wait_then(req, wait_for_sweep, answer_sweep, w);
}

static int submit(wm_http_request *req, sweep_ctx *c)
{
    wm_app *app = req->app;
    wm_error err;
    char *params = sweep_params_json(c);
    if (!params)
        return wm_http_send_error(req, 500, "internal_error", NULL,
                                  "out of memory");
    const char *texts[MAX_SIZES];
    for (size_t i = 0; i < c->size_count; i++)
        texts[i] = c->texts[i];
    int64_t id = 0;
    int rc = wm_jobs_submit_sweep(app->jobs, &c->base, c->sizes, texts,
                                  c->size_count, (unsigned)c->repeat, params,
                                  &id, &err);
    free(params);
    if (rc != 0) {
        bool closing = !wm_jobs_accepting(app->jobs);
        if (err.kind != WM_ERR_BUSY)
            return wm_api_send_error(req, &err);
        return wm_http_send_retry(req, closing, err.message);
    }
    return wait_then_send(req, id, c->wait_s);
}

int wm_handle_sweeps_create(wm_http_request *req)
{
    wm_app *app = req->app;
    sweep_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return wm_http_send_error(req, 500, "internal_error", NULL,
                                  "out of memory");
    c->app = app;
    c->repeat = 1;
    c->wait_s = DEFAULT_WAIT_S < app->config->max_wait_s
                    ? DEFAULT_WAIT_S : app->config->max_wait_s;
    c->limits.max_size_bytes = app->config->max_size_bytes;
    wm_config_budget(app->config, &c->limits.budget);
    wm_params_init(&c->base);
    c->base.config.capture.interface = app->config->interface;
    c->base.config.capture.budget = c->limits.budget;
    unsigned status = 400;
    wm_error err;
    wm_error_clear(&err);
    int rc;
    if (wm_request_params(req, sweep_param, c, &status, &err) != 0)
        rc = wm_http_send_error(req, err.kind == WM_ERR_TOO_LARGE ? 413
                                                                   : status,
                                wm_error_code(err.kind), err.parameter, "%s",
                                err.message);
    else if (c->size_count == 0)
        rc = wm_http_send_error(req, 400, "invalid_parameter", "sizes",
                                "sizes is required, e.g. 13B,2kB,439kB,1MB");
    else if (wm_params_set(&c->base, "size", c->texts[0], &c->limits,
                           &err) != 0 ||
             wm_params_finish(&c->base, &err) != 0 ||
             check_budget(c, &err) != 0)
        rc = wm_api_send_error(req, &err);
    else if (atomic_load(&app->draining))
        rc = wm_http_send_retry(req, true, "the server is shutting down");
    else
        rc = submit(req, c);
    free(c);
    return rc;
}

/* A report in a format other than JSON, rendered from the document. */
static int send_report(wm_http_request *req, const json_t *doc,
                       const char *format)
{
    char *(*render)(const json_t *) =
        !strcmp(format, "csv") ? wm_sweep_report_csv
        : !strcmp(format, "svg") ? wm_sweep_report_svg
                                 : wm_sweep_report_html;
    const char *type = !strcmp(format, "csv") ? "text/csv; charset=utf-8"
                       : !strcmp(format, "svg") ? "image/svg+xml"
                                                : "text/html; charset=utf-8";
    char *text = render(doc);
    if (!text)
        return wm_http_send_error(req, 500, "internal_error", NULL,
                                  "out of memory");
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return -1;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    if (!strcmp(format, "csv")) {
        char disposition[96];
        snprintf(disposition, sizeof disposition,
                 "attachment; filename=\"wiremeter-sweep-%" JSON_INTEGER_FORMAT
                 ".csv\"", json_integer_value(json_object_get(doc, "id")));
        MHD_add_response_header(resp, "Content-Disposition", disposition);
    }
    return wm_http_queue(req, 200, resp);
}

static int send_sweep_as(wm_http_request *req, int64_t id, unsigned status,
                         const char *format)
{
    wm_store_sweep sweep;
    wm_error err;
    wm_error_clear(&err);
    if (wm_store_get_sweep(req->app->store, id, &sweep, &err) != 0)
        return wm_api_send_error(req, &err);
    json_t *doc = wm_sweep_document(req->app, &sweep, &err);
    wm_store_sweep_free(&sweep);
    if (!doc)
        return wm_api_send_error(req, &err);
    if (strcmp(format, "json") != 0) {
        int rc = send_report(req, doc, format);
        json_decref(doc);
        return rc;
    }
    struct MHD_Response *resp = wm_http_json_response(doc);
    if (!resp)
        return -1;
    char location[48];
    snprintf(location, sizeof location, "/sweeps/%" PRId64, id);
    if (status != 200)
        MHD_add_response_header(resp, "Location", location);
    return wm_http_queue(req, status, resp);
}

static int send_sweep(wm_http_request *req, int64_t id, unsigned status)
{
    return send_sweep_as(req, id, status, "json");
}

typedef struct get_ctx {
    const char *format; /* one of wm_sweep_formats */
} get_ctx;

static int get_param(void *opaque, const char *name, const char *value,
                     wm_error *err)
{
    get_ctx *c = opaque;
    if (strcmp(name, "format") != 0)
        return wm_param_unhandled(name, err);
    for (size_t i = 0; wm_sweep_formats[i]; i++)
        if (!strcmp(value, wm_sweep_formats[i])) {
            c->format = wm_sweep_formats[i];
            return 0;
        }
    char shown[48];
    return wm_error_param(err, WM_ERR_INVALID, "format",
                          "format: '%s' is not a format of the report; "
                          "allowed: json, csv, svg or html",
                          wm_error_quote(value, 32, shown, sizeof shown));
}

/* ?format= wins; without it, Accept: text/csv asks for the CSV (what a
 * spreadsheet's web import sends), anything else gets JSON. */
int wm_handle_sweep_get(wm_http_request *req)
{
    int64_t id = 0;
    wm_error err;
    wm_error_clear(&err);
    get_ctx c = {.format = NULL};
    unsigned status = 400;
    if (wm_request_params(req, get_param, &c, &status, &err) != 0)
        return wm_http_send_error(req, status, wm_error_code(err.kind),
                                  err.parameter, "%s", err.message);
    if (wm_request_id(req, &id, &err) != 0)
        return wm_api_send_error(req, &err);
    const char *accept = wm_http_header(req, "Accept");
    if (!c.format)
        c.format = accept && strstr(accept, "text/csv") ? "csv" : "json";
    return send_sweep_as(req, id, 200, c.format);
}

#define LIST_DEFAULT_LIMIT 20u
#define LIST_MAX_LIMIT 200u

int wm_handle_sweeps_list(wm_http_request *req)
{
    wm_list_query c;
    int rc = 0;
    if (wm_list_query_refused(req, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, &c,
                              &rc))
        return rc;
    wm_error err;
    wm_error_clear(&err);
    wm_store_sweep_list list;
    if (wm_store_list_sweeps(req->app->store, (int64_t)c.before, c.limit,
                             &list, &err) != 0)
        return wm_api_send_error(req, &err);
    json_t *doc = wm_sweeps_list_document(&list, c.limit);
    wm_store_sweep_list_free(&list);
    if (!doc)
        return wm_http_send_error(req, 500, "internal_error", NULL,
                                  "out of memory");
    return wm_http_send_json(req, 200, doc);
}
