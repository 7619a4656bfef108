/* /runs: create, list, show and delete runs.
 *
 * The run document (docs/result.md, "The daemon wraps it") is assembled as
 * text: the stored params and result are JSON texts this daemon wrote, so
 * they are spliced in as they are instead of being parsed and printed
 * again on every GET — the hot path of the API. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_handlers.h"
#include "wm_public_text.h"
#include "wm_jobs.h"
#include "wm_run_cache.h"
#include "wm_runs_doc.h"
#include "wm_store.h"

#define LIST_DEFAULT_LIMIT 20u
#define LIST_MAX_LIMIT 200u
#define DEFAULT_WAIT_S 30u

typedef struct create_ctx {
    wm_app *app;
    wm_run_request request;
    wm_params_limits limits;
    uint64_t wait_s;
} create_ctx;

static int create_param(void *opaque, const char *name, const char *value,
                        wm_error *err)
{
    create_ctx *c = opaque;
    if (!strcmp(name, "wait"))
        return wm_param_uint("wait", value, 0, c->app->config->max_wait_s,
                             &c->wait_s, err);
    return wm_params_set(&c->request, name, value, &c->limits, err);
}

/* 429 while the queue is full, 503 while shutting down. */
static int send_busy(wm_http_request *req, const wm_error *err)
{
    wm_app *app = req->app;
    bool closing = atomic_load(&app->draining) || !wm_jobs_accepting(app->jobs);
    return wm_http_send_retry(req, closing, err->message);
}

/* Sends a run document (text, which is taken over) with status, and a
 * Location header for 201 and 202. */
static int send_text(wm_http_request *req, unsigned status, int64_t id,
                     char *text, size_t len)
{
    struct MHD_Response *resp = wm_http_json_text_response(text, len);
    if (!resp)
        return -1;
    char location[64];
    snprintf(location, sizeof location, "/runs/%" PRId64, id);
    if (status == 201 || status == 202)
        MHD_add_response_header(resp, "Location", location);
    return wm_http_queue(req, status, resp);
}

/* Renders and sends the run document; an ended run's whole document is
 * kept in the cache, under the deletion count read before the run was. */
static int send_run(wm_http_request *req, unsigned status,
                    const wm_store_run *run, bool with_result,
                    uint64_t deletions)
{
    char *text = wm_runs_document(req->app, run, with_result);
    if (!text)
        return wm_http_send_error(req, 500, "internal_error", NULL,
                                  "out of memory rendering run %" PRId64,
                                  run->id);
    size_t len = strlen(text);
    if (with_result && wm_store_status_final(run->status))
        wm_run_cache_put(req->app->run_cache, run->id, deletions, text, len);
    return send_text(req, status, run->id, text, len);
}

static int respond_created(wm_http_request *req, int64_t id, bool ended)
{
    wm_store_run run;
    wm_error err;
    uint64_t deletions = wm_store_deletions(req->app->store);
    if (wm_store_get_run(req->app->store, id, &run, &err) != 0)
        return wm_api_send_error(req, &err);
    int rc = send_run(req, ended ? 201 : 202, &run, ended, deletions);
    wm_store_run_free(&run);
    return rc;
}

/* A POST waiting for its run, off the connection's thread. */
typedef struct run_wait {
    struct wm_jobs *jobs;
    wm_http_request *req;  /* while suspended by wm_http_suspend */
    wm_app *app;
    int64_t id;
    unsigned timeout_ms;
    bool ended;
    char *text;            /* the run's document, rendered by its worker
                              from the row it stored; NULL: read it */
    uint64_t deletions;    /* the store's count the row is valid under */
} run_wait;

static void run_wait_free(void *arg)
{
    run_wait *w = arg;
    free(w->text);
    free(w);
}

static void wait_for_run(void *arg)
{
    run_wait *w = arg;
    w->ended = wm_jobs_wait(w->jobs, w->id, w->timeout_ms);
}

/* The pool's call when the run ended or the wait ran out: the worker
 * renders the document of a run that ended done from the row it stored,
 * so that the answer neither reads it back nor waits for the store's
 * lock (retention may be holding it). Without memory for it, the answer
 * reads the row as a GET would. */
static void run_watched(void *arg, bool ended, const wm_jobs_stored *stored)
{
    run_wait *w = arg;
    w->ended = ended;
    if (stored) {
        w->text = wm_runs_document_done(w->app, stored->run,
                                        stored->has_series);
        w->deletions = stored->deletions;
    }
    if (w->req) /* NULL: the run ran on the request's thread (run_here) */
        wm_http_resume(w->req);
}

static int answer_run(wm_http_request *req, void *arg)
{
    run_wait *w = arg;
    if (w->text) {
        size_t len = strlen(w->text);
        wm_run_cache_put(req->app->run_cache, w->id, w->deletions, w->text,
                         len);
        char *text = w->text;
        w->text = NULL; /* send_text takes it over */
        return send_text(req, 201, w->id, text, len);
    }
    /* Asked again: when no thread could wait, the run may have ended. */
    bool ended = w->ended || wm_jobs_wait(w->jobs, w->id, 0);
    return respond_created(req, w->id, ended);
}

/* 201 with the result once the run ended within timeout_ms, else 202.
 * The request is suspended and the pool resumes it when the run ends
 * (wm_jobs_watch): no thread waits; a thread does only when no watch
 * could be made. */
static int wait_then_respond(wm_http_request *req, int64_t id,
                             unsigned timeout_ms)
{
    struct wm_jobs *jobs = req->app->jobs;
    run_wait *w = timeout_ms ? malloc(sizeof *w) : NULL;
    if (!w)
        return respond_created(req, id, wm_jobs_wait(jobs, id, 0));
    *w = (run_wait){.jobs = jobs, .req = req, .app = req->app, .id = id,
                    .timeout_ms = timeout_ms};
    if (!wm_jobs_watching(jobs))
        return wm_http_wait_then(req, wait_for_run, answer_run, w);
    wm_http_suspend(req, answer_run, w, run_wait_free);
    int watched = wm_jobs_watch(jobs, id, timeout_ms, run_watched, w);
    if (watched == 1)
        return 0;
    /* Ended already (0), or no memory for a watch (-1): answered now,
     * 201 or, with the run still going, 202 (the client polls). */
    w->ended = watched == 0;
    wm_http_resume(req);
    return 0;
}

/* A small run on this connection's thread (wm_jobs_run_here): the
 * answer is the one a worker's run gets, with no thread hand-over either
 * way. The poll thread's other connections wait meanwhile, as they wait
 * for any handler, a small run's time (the bounds are wm_jobs_run_here's).
 * 1: answered (rc set); 0: not run here; -1: refused (err). */
static int run_here(wm_http_request *req, const wm_run_request *request,
                    int *rc, wm_error *err)
{
    /* No req: it is not suspended, so run_watched must not resume it. */
    run_wait w = {.jobs = req->app->jobs, .app = req->app, .ended = true};
    int here = wm_jobs_run_here(req->app->jobs, request, &w.id, run_watched,
                                &w, err);
    if (here == 1) {
        *rc = answer_run(req, &w);
        free(w.text);
    }
    return here;
}

int wm_handle_runs_create(wm_http_request *req)
{
    wm_app *app = req->app;
    create_ctx c = {.app = app, .wait_s = DEFAULT_WAIT_S};
    if (c.wait_s > app->config->max_wait_s)
        c.wait_s = app->config->max_wait_s;
    wm_params_init(&c.request);
    c.limits.max_size_bytes = app->config->max_size_bytes;
    wm_config_budget(app->config, &c.limits.budget);
    unsigned status = 400;
    wm_error err;
    wm_error_clear(&err);
    if (wm_request_params(req, create_param, &c, &status, &err) != 0 ||
        wm_params_finish(&c.request, &err) != 0 ||
        wm_params_check_budget(&c.request, &c.limits.budget, &err) != 0)
        return err.kind == WM_ERR_INVALID
                   ? wm_http_send_error(req, status, wm_error_code(err.kind),
                                        err.parameter, "%s", err.message)
                   : wm_api_send_error(req, &err);
    if (atomic_load(&app->draining))
        return send_busy(req, &err);
    c.request.config.capture.interface = app->config->interface;
    c.request.config.capture.budget = c.limits.budget;
    int answered = 0;
    int here = c.wait_s > 0 ? run_here(req, &c.request, &answered, &err) : 0;
    if (here == 1)
        return answered;
    if (here < 0)
        return err.kind == WM_ERR_BUSY ? send_busy(req, &err)
                                       : wm_api_send_error(req, &err);
    int64_t id = 0;
    int rc = wm_jobs_submit(app->jobs, &c.request, &id, &err);
    if (rc != 0)
        return err.kind == WM_ERR_BUSY ? send_busy(req, &err)
                                       : wm_api_send_error(req, &err);
    return wait_then_respond(req, id, (unsigned)c.wait_s * 1000u);
}

int wm_handle_run_get(wm_http_request *req)
{
    int64_t id = 0;
    wm_store_run run;
    wm_error err;
    if (wm_request_id(req, &id, &err) != 0)
        return wm_api_send_error(req, &err);
    uint64_t deletions = wm_store_deletions(req->app->store);
    size_t len = 0;
    char *text = wm_run_cache_get(req->app->run_cache, id, deletions, &len);
    if (text)
        return send_text(req, 200, id, text, len);
    if (wm_store_get_run(req->app->store, id, &run, &err) != 0)
        return wm_api_send_error(req, &err);
    int rc = send_run(req, 200, &run, true, deletions);
    wm_store_run_free(&run);
    return rc;
}

int wm_handle_run_delete(wm_http_request *req)
{
    int64_t id = 0;
    wm_error err;
    if (wm_request_id(req, &id, &err) != 0)
        return wm_api_send_error(req, &err);
    if (wm_store_delete_run(req->app->store, id, &err) != 0)
        return err.kind == WM_ERR_INVALID
                   ? wm_http_send_error(req, 409, "conflict", "id",
                                        "run %" PRId64 " is still queued or "
                                        "running; delete it once it ended",
                                        id)
                   : wm_api_send_error(req, &err);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    return wm_http_queue(req, 204, resp);
}

int wm_handle_runs_list(wm_http_request *req)
{
    wm_list_query c;
    int rc = 0;
    if (wm_list_query_refused(req, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, &c,
                              &rc))
        return rc;
    wm_error err;
    wm_store_run_list list;
    if (wm_store_list_runs(req->app->store, (int64_t)c.before, c.limit,
                           WM_STORE_LIST_RESULTS, &list, &err) != 0)
        return wm_api_send_error(req, &err);
    char *text = wm_runs_list_document(req->app, &list, c.limit);
    wm_store_run_list_free(&list);
    if (!text)
        return wm_http_send_error(req, 500, "internal_error", NULL,
                                  "out of memory");
    struct MHD_Response *resp = wm_http_json_text_response(text,
                                                           strlen(text));
    return resp ? wm_http_queue(req, 200, resp) : -1;
}
