/* wm_metrics: what /metrics says, in Prometheus text format.
 *
 * HTTP requests are counted here, by route (the pattern of the route table,
 * so that /runs/1 and /runs/2 are one series, not one per id) and status
 * code, with lock-free atomic counters: counting must never make a request
 * wait. Everything else (runs by status, run durations, bytes, the queue)
 * is read at scrape time from the store and the job pool, which own it. */
#ifndef WM_METRICS_H
#define WM_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "wm_error.h"

struct wm_app;

typedef struct wm_metrics wm_metrics;

/* Counters for route_count routes; NULL when memory runs out. */
wm_metrics *wm_metrics_new(unsigned route_count);

void wm_metrics_free(wm_metrics *metrics);

/* Counts one finished request (route -1: none matched; status 0: the
 * connection went before an answer). Signature of wm_http_options.count. */
void wm_metrics_count_http(void *metrics, int route, unsigned status);

/* Counts one capture stored by POST /captures, of bytes bytes. */
void wm_metrics_count_upload(wm_metrics *metrics, uint64_t bytes);

/* Counts one POST /captures refused: kind the error's (WM_ERR_BUSY for a
 * full queue), unsupported for "not a capture" (415). */
void wm_metrics_count_capture_refused(wm_metrics *metrics,
                                      wm_error_kind kind, bool unsupported);

/* The whole exposition. Returns 0, or -1 when the store could not be read
 * (what could be read is still written). */
int wm_metrics_render(const wm_metrics *metrics, struct wm_app *app,
                      FILE *out);

#endif
