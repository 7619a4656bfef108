/* wm_metrics: see wm_metrics.h. */
#include "wm_metrics.h"

#include <assert.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "wm_capture_jobs.h"
#include "wm_clock.h"
#include "wm_handlers.h"
#include "wm_jobs.h"
#include "wm_router.h"
#include "wm_store.h"

/* The codes this daemon answers with; anything else counts as "other". */
static const unsigned codes[] = {0,   200, 201, 202, 204, 206, 304, 400,
                                 401, 403, 404, 405, 408, 409, 411, 413,
                                 414, 415, 416, 421, 429, 431, 500, 501,
                                 503, 505, 507};
#define N_CODES (sizeof codes / sizeof codes[0])
#define OTHER N_CODES
/* A slot per error kind, then one for "not a capture" (415). */
#define REFUSED_KINDS (WM_ERR_BUDGET + 1)
#define REFUSED_SLOTS (REFUSED_KINDS + 1)

struct wm_metrics {
    unsigned routes;                 /* + 1 row for "no route" */
    atomic_uint_fast64_t *requests;  /* [(routes + 1) * (N_CODES + 1)] */
    atomic_uint_fast64_t uploads;    /* captures stored by POST /captures */
    atomic_uint_fast64_t upload_bytes;
    /* POST /captures refused, by wm_error_kind; the last: 415 */
    atomic_uint_fast64_t refused[REFUSED_SLOTS];
};

void wm_metrics_count_upload(wm_metrics *metrics, uint64_t bytes)
{
    atomic_fetch_add(&metrics->uploads, 1);
    atomic_fetch_add(&metrics->upload_bytes, bytes);
}

void wm_metrics_count_capture_refused(wm_metrics *metrics,
                                      wm_error_kind kind, bool unsupported)
{
    assert(kind >= 0 && kind < REFUSED_KINDS);
    atomic_fetch_add(&metrics->refused[unsupported ? REFUSED_KINDS
                                                   : (unsigned)kind],
                     1);
}

static void render_capture_jobs(const wm_metrics *m,
                                struct wm_capture_jobs *jobs, FILE *out)
{
    fprintf(out, "# HELP wiremeter_capture_refused_total POST /captures "
                 "refused, by reason (the error code; "
                 "unsupported_media_type: not a capture).\n"
                 "# TYPE wiremeter_capture_refused_total counter\n");
    for (unsigned i = 0; i < REFUSED_SLOTS; i++) {
        uint64_t n = atomic_load(&m->refused[i]);
        /* Only the reasons that happened: eleven zero series say nothing */
        if (n)
            fprintf(out,
                    "wiremeter_capture_refused_total{reason=\"%s\"} %" PRIu64
                    "\n",
                    i == REFUSED_KINDS ? "unsupported_media_type"
                                       : wm_error_code((wm_error_kind)i),
                    n);
    }
    if (!jobs)
        return;
    wm_capture_jobs_metrics c;
    wm_capture_jobs_metrics_get(jobs, &c);
    fprintf(out,
            "# HELP wiremeter_capture_analyses_total Analyses of uploaded "
            "captures ended in this process, by outcome.\n"
            "# TYPE wiremeter_capture_analyses_total counter\n"
            "wiremeter_capture_analyses_total{outcome=\"done\"} %" PRIu64 "\n"
            "wiremeter_capture_analyses_total{outcome=\"failed\"} %" PRIu64
            "\n"
            "# HELP wiremeter_capture_analysis_seconds_total Time those "
            "analyses took (queue excluded).\n"
            "# TYPE wiremeter_capture_analysis_seconds_total counter\n"
            "wiremeter_capture_analysis_seconds_total %.6f\n"
            "# HELP wiremeter_capture_analyses_queued Captures waiting to be "
            "analysed.\n"
            "# TYPE wiremeter_capture_analyses_queued gauge\n"
            "wiremeter_capture_analyses_queued %u\n"
            "# HELP wiremeter_capture_analyses_running Captures being "
            "analysed now.\n"
            "# TYPE wiremeter_capture_analyses_running gauge\n"
            "wiremeter_capture_analyses_running %u\n",
            c.done, c.failed, c.seconds_sum, c.queued, c.running);
}

static void render_uploads(const wm_metrics *m, FILE *out)
{
    fprintf(out,
            "# HELP wiremeter_capture_uploads_total Captures uploaded and "
            "stored (POST /captures) in this process.\n"
            "# TYPE wiremeter_capture_uploads_total counter\n"
            "wiremeter_capture_uploads_total %" PRIuFAST64 "\n"
            "# HELP wiremeter_capture_upload_bytes_total Bytes of those "
            "captures.\n"
            "# TYPE wiremeter_capture_upload_bytes_total counter\n"
            "wiremeter_capture_upload_bytes_total %" PRIuFAST64 "\n",
            atomic_load(&m->uploads), atomic_load(&m->upload_bytes));
}

wm_metrics *wm_metrics_new(unsigned route_count)
{
    wm_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->routes = route_count;
    m->requests = calloc((size_t)(route_count + 1) * (N_CODES + 1),
                         sizeof *m->requests);
    if (!m->requests) {
        free(m);
        return NULL;
    }
    return m;
}

void wm_metrics_free(wm_metrics *metrics)
{
    if (!metrics)
        return;
    free(metrics->requests);
    free(metrics);
}

void wm_metrics_count_http(void *opaque, int route, unsigned status)
{
    wm_metrics *m = opaque;
    size_t row = route >= 0 && (unsigned)route < m->routes ? (size_t)route
                                                          : m->routes;
    size_t col = OTHER;
    for (size_t i = 0; i < N_CODES; i++)
        if (codes[i] == status)
            col = i;
    atomic_fetch_add_explicit(&m->requests[row * (N_CODES + 1) + col], 1,
                              memory_order_relaxed);
}

static void render_http(const wm_metrics *m, FILE *out)
{
    size_t count = 0;
    const wm_route *routes = wm_router_routes(&count);
    fputs("# HELP wiremeter_http_requests_total HTTP requests by route and "
          "status code (code 0: closed before an answer).\n"
          "# TYPE wiremeter_http_requests_total counter\n", out);
    for (size_t row = 0; row <= m->routes; row++) {
        for (size_t col = 0; col <= N_CODES; col++) {
            uint64_t n = atomic_load_explicit(
                &m->requests[row * (N_CODES + 1) + col], memory_order_relaxed);
            if (!n)
                continue;
            bool known = row < m->routes && row < count;
            char code[16];
            if (col == OTHER)
                snprintf(code, sizeof code, "other");
            else
                snprintf(code, sizeof code, "%u", codes[col]);
            fprintf(out,
                    "wiremeter_http_requests_total{method=\"%s\","
                    "route=\"%s\",code=\"%s\"} %" PRIu64 "\n",
                    known ? routes[row].method : "",
                    known ? routes[row].pattern : "unmatched", code, n);
        }
    }
}

static void render_runs(const wm_jobs_metrics *j, const uint64_t *stored,
                        FILE *out)
{
    fputs("# HELP wiremeter_runs Stored runs by status.\n"
          "# TYPE wiremeter_runs gauge\n", out);
    for (int s = 0; stored && s < WM_STORE_STATUS_COUNT; s++)
        fprintf(out, "wiremeter_runs{status=\"%s\"} %" PRIu64 "\n",
                wm_store_status_name((wm_store_status)s), stored[s]);
    fputs("# HELP wiremeter_runs_ended_total Runs that ended in this process, "
          "by status.\n# TYPE wiremeter_runs_ended_total counter\n", out);
    for (int s = WM_STORE_DONE; s <= WM_STORE_FAILED; s++)
        fprintf(out, "wiremeter_runs_ended_total{status=\"%s\"} %" PRIu64 "\n",
                wm_store_status_name((wm_store_status)s), j->ended[s]);
    fputs("# HELP wiremeter_run_duration_seconds From start to end of a run.\n"
          "# TYPE wiremeter_run_duration_seconds histogram\n", out);
    for (int b = 0; b < WM_JOBS_DURATION_BUCKETS - 1; b++)
        fprintf(out, "wiremeter_run_duration_seconds_bucket{le=\"%g\"} %"
                PRIu64 "\n", wm_jobs_duration_bounds_s[b],
                j->duration_buckets[b]);
    fprintf(out, "wiremeter_run_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64
            "\nwiremeter_run_duration_seconds_sum %.9f\n"
            "wiremeter_run_duration_seconds_count %" PRIu64 "\n",
            j->duration_buckets[WM_JOBS_DURATION_BUCKETS - 1],
            j->duration_sum_s, j->duration_count);
    fprintf(out,
            "# HELP wiremeter_bytes_transferred_total Payload bytes of runs "
            "that ended done.\n# TYPE wiremeter_bytes_transferred_total "
            "counter\nwiremeter_bytes_transferred_total %" PRIu64 "\n",
            j->bytes_transferred);
    fprintf(out,
            "# HELP wiremeter_runs_here_total Runs a waiting POST ran on its "
            "own thread, not a worker's (--here-max).\n"
            "# TYPE wiremeter_runs_here_total counter\n"
            "wiremeter_runs_here_total %" PRIu64 "\n", j->ran_here);
}

static void render_pool(const wm_jobs_metrics *j, const wm_app *app,
                        FILE *out)
{
    int64_t uptime_ns = wm_clock_wall_ns() - app->started_ns;
    fprintf(out,
            "# HELP wiremeter_queue_depth Runs waiting for a worker.\n"
            "# TYPE wiremeter_queue_depth gauge\nwiremeter_queue_depth %u\n"
            "# HELP wiremeter_queue_capacity Runs the queue may hold.\n"
            "# TYPE wiremeter_queue_capacity gauge\n"
            "wiremeter_queue_capacity %u\n"
            "# HELP wiremeter_runs_running Runs executing now.\n"
            "# TYPE wiremeter_runs_running gauge\nwiremeter_runs_running %u\n"
            "# HELP wiremeter_workers Concurrent runs allowed.\n"
            "# TYPE wiremeter_workers gauge\nwiremeter_workers %u\n"
            "# HELP wiremeter_capture_permitted 1 when runs can capture.\n"
            "# TYPE wiremeter_capture_permitted gauge\n"
            "wiremeter_capture_permitted %d\n"
            "# HELP wiremeter_uptime_seconds Since the daemon started.\n"
            "# TYPE wiremeter_uptime_seconds gauge\n"
            "wiremeter_uptime_seconds %.3f\n"
            "# HELP wiremeter_build_info The running version.\n"
            "# TYPE wiremeter_build_info gauge\n"
            "wiremeter_build_info{version=\"%s\"} 1\n",
            j->queue_depth, j->queue_max, j->running, j->workers,
            app->capture_permitted ? 1 : 0, (double)uptime_ns / 1e9,
            WM_VERSION);
}

int wm_metrics_render(const wm_metrics *metrics, struct wm_app *app,
                      FILE *out)
{
    wm_jobs_metrics j;
    wm_jobs_metrics_get(app->jobs, &j);
    uint64_t stored[WM_STORE_STATUS_COUNT];
    int rc = wm_store_count_by_status(app->store, stored, NULL);
    render_runs(&j, rc == 0 ? stored : NULL, out);
    render_pool(&j, app, out);
    render_http(metrics, out);
    render_uploads(metrics, out);
    render_capture_jobs(metrics, app->capture_jobs, out);
    return rc;
}
