/* wm_handlers: the route handlers of `wiremeter serve` and the state they
 * share (wm_app).
 *
 * Each handler parses its request, calls the store or the job pool, and
 * renders; none holds state of its own. wm_app is built once by serve.c
 * and only read afterwards, except for the draining flag, which the signal
 * path sets so that new work gets 503 while running runs finish. */
#ifndef WM_HANDLERS_H
#define WM_HANDLERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "wm_config.h"
#include "wm_http.h"
#include "wm_params.h"
#include "wm_userns.h"

struct wm_store;
struct wm_jobs;
struct wm_metrics;
struct wm_run_cache;

typedef struct wm_app {
    const wm_config *config;
    struct wm_store *store;
    struct wm_jobs *jobs;
    struct wm_capture_jobs *capture_jobs; /* analyses of uploads */
    struct wm_metrics *metrics;
    struct wm_run_cache *run_cache; /* documents of ended runs */
    int64_t started_ns;          /* wall clock at start, for uptime */
    bool capture_permitted;
    char capture_reason[480];    /* why not, and how to grant it */
    wm_userns_state userns;      /* where runs live, and with what right */
    atomic_bool draining;        /* shutting down: new work gets 503 */
    atomic_bool closed;          /* draining, and no new connection is
                                    accepted any more: what /healthz
                                    calls draining, so that a client
                                    told so is not then let in */
    atomic_uint port;            /* the port bound, for the Host check */
} wm_app;

/* handlers_runs.c */
int wm_handle_runs_create(wm_http_request *req);
int wm_handle_runs_list(wm_http_request *req);
int wm_handle_run_get(wm_http_request *req);
int wm_handle_run_delete(wm_http_request *req);
int wm_handle_run_packets(wm_http_request *req);
int wm_handle_run_pcap(wm_http_request *req);
int wm_handle_run_ends(wm_http_request *req);

/* handlers_series.c */
int wm_handle_run_series(wm_http_request *req);

/* handlers_captures.c */
int wm_handle_captures_create(wm_http_request *req);
int wm_handle_captures_list(wm_http_request *req);
int wm_handle_capture_get(wm_http_request *req);
int wm_handle_capture_delete(wm_http_request *req);
int wm_handle_capture_pcap(wm_http_request *req);
int wm_handle_capture_packets(wm_http_request *req);

/* handlers_sweeps.c */
int wm_handle_sweeps_create(wm_http_request *req);
int wm_handle_sweep_get(wm_http_request *req);
int wm_handle_sweeps_list(wm_http_request *req);

/* handlers_lab.c */
int wm_handle_lab(wm_http_request *req);

/* handlers_ops.c */
int wm_handle_healthz(wm_http_request *req);
int wm_handle_metrics(wm_http_request *req);
int wm_handle_openapi(wm_http_request *req);

/* handlers_presets.c */
int wm_handle_presets(wm_http_request *req);

/* static.c */
int wm_handle_static(wm_http_request *req);
int wm_handle_chartjs(wm_http_request *req);

/* Request parsing shared by the handlers (handlers_params.c). */

/* One name=value pair of a request, from the query or the body. */
typedef int (*wm_param_fn)(void *ctx, const char *name, const char *value,
                           wm_error *err);

/* Calls fn for every query argument, then every field of a JSON object or
 * form body, each a name the route takes (wm_router_check_param refuses
 * the others first, so fn never sees an unknown name) (415 for other content types: the error has parameter
 * "Content-Type" and kind WM_ERR_INVALID; *status says 400 or 415). A name
 * given twice is an error. */
int wm_request_params(wm_http_request *req, wm_param_fn fn, void *ctx,
                      unsigned *status, wm_error *err);

/* For a wm_param_fn given a name it does not read: only a route table
 * that lists a name its handler forgot gets here (500). */
int wm_param_unhandled(const char *name, wm_error *err);

/* The query of a list route, newest first (?limit=&before=), and of a
 * page of rows (?offset=&limit=: a run's or a capture's packets, a link's
 * both-ends table). Each *_refused parses it into q; when it is wrong the
 * request is answered (400 naming the parameter) and true is returned,
 * with *rc what the handler returns. */
typedef struct wm_list_query {
    uint64_t limit, before; /* before 0: from the newest */
} wm_list_query;
typedef struct wm_page_query {
    uint64_t offset, limit;
} wm_page_query;
#define WM_PAGE_DEFAULT_LIMIT 100u
#define WM_PAGE_MAX_LIMIT 10000u
bool wm_list_query_refused(wm_http_request *req, uint64_t default_limit,
                           uint64_t max_limit, wm_list_query *q, int *rc);
bool wm_page_query_refused(wm_http_request *req, wm_page_query *q, int *rc);

/* An unsigned integer service parameter within [min, max]. */
int wm_param_uint(const char *name, const char *value, uint64_t min,
                  uint64_t max, uint64_t *out, wm_error *err);

/* The {id} of the route: a positive decimal integer, else 400. */
int wm_request_id(const wm_http_request *req, int64_t *id, wm_error *err);

#endif
