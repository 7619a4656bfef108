/* wm_capture_jobs: the bounded pool that analyses uploaded captures, off
 * the HTTP threads, as wm_jobs executes runs.
 *
 * Why its own pool and not the runs' queue: an analysis needs no capture
 * handle and must not wait behind a long run, and a run must not wait
 * behind a 256 MiB analysis; yet both are bounded the same way. So N
 * workers (--workers: each analysis holds about 130 KiB per connection
 * whose rows it keeps while it reads) take captures from a FIFO of at
 * most queue_max (--queue) waiting ones. A place in the queue is reserved
 * BEFORE the upload is stored (wm_capture_jobs_reserve), so that a full
 * queue refuses with WM_ERR_BUSY (HTTP 429) and stores nothing.
 *
 * The store is the truth: a capture is stored running before it is
 * queued, and its worker stores the analysis (done) or why there is none
 * (failed). What lives only in memory is which ids are queued or being
 * analysed in this process, so that wm_capture_jobs_wait returns the
 * moment one ends (POST /captures waits --capture-wait for it).
 *
 * A crash or kill -9 loses no upload: the captures the store still has
 * running at start-up (a whole file, fsynced before its row pointed at
 * it: wm_store_add_capture) are queued again by wm_capture_jobs_resume,
 * beyond queue_max, and analysed from the start; the analysis reads only
 * the file, so it is the one a fresh upload gets. Shutdown is the same
 * without the crash: queued captures stay running in the store for the
 * next start; analyses under way finish first (each is bounded by
 * --max-upload and --max-packets, and the engine has no way to stop one
 * half-way that would keep it whole).
 *
 * After each analysis, retention keeps the history_max newest finished
 * captures (--history, counted apart from runs).
 *
 * Threads: every function may be called from any thread, except that
 * wm_capture_jobs_free must be the last call. */
#ifndef WM_CAPTURE_JOBS_H
#define WM_CAPTURE_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "wm_error.h"
#include "wm_store.h"

/* Analyses stored capture id (running) and stores the outcome, done or
 * failed; nonzero when it failed. Called on a worker of the pool. */
typedef int (*wm_capture_jobs_analyse_fn)(void *ctx, int64_t id,
                                          wm_error *err);

typedef struct wm_capture_jobs_options {
    unsigned workers;        /* analyses at once; at least 1 */
    unsigned queue_max;      /* captures waiting (or reserved); at least 1 */
    uint64_t history_max;    /* finished captures kept; 0: keep all */
    wm_capture_jobs_analyse_fn analyse;
    void *ctx;               /* analyse's */
} wm_capture_jobs_options;

typedef struct wm_capture_jobs_metrics {
    uint64_t done, failed;      /* analyses ended in this process */
    double seconds_sum;         /* their time, queue excluded */
    unsigned queued, running;   /* now */
} wm_capture_jobs_metrics;

typedef struct wm_capture_jobs wm_capture_jobs;

/* A place in the queue, reserved before the capture is stored. */
typedef struct wm_capture_ticket wm_capture_ticket;

int wm_capture_jobs_start(wm_store *store,
                          const wm_capture_jobs_options *opts,
                          wm_capture_jobs **out, wm_error *err);

/* Queues every capture the store has running (left by the last process),
 * whatever queue_max says: each is an upload already accepted. *count
 * (may be NULL) gets how many. */
int wm_capture_jobs_resume(wm_capture_jobs *jobs, uint64_t *count,
                           wm_error *err);

/* A place for one capture, or NULL with WM_ERR_BUSY (the queue is full,
 * or the pool is stopping) or WM_ERR_INTERNAL. */
wm_capture_ticket *wm_capture_jobs_reserve(wm_capture_jobs *jobs,
                                           wm_error *err);

/* Queues stored capture id (running) in the place reserved; the ticket
 * is used up. Never fails: the place was taken at reserve. */
void wm_capture_jobs_submit(wm_capture_jobs *jobs, wm_capture_ticket *ticket,
                            int64_t id);

/* Gives a place back unused (the upload was not stored). NULL is fine. */
void wm_capture_jobs_release(wm_capture_jobs *jobs,
                             wm_capture_ticket *ticket);

/* Waits up to timeout_ms (0: not at all) for capture id's analysis to
 * end. true when it is not queued or being analysed in this pool (it
 * ended, or never was), so the store holds its outcome; false on
 * timeout. */
bool wm_capture_jobs_wait(wm_capture_jobs *jobs, int64_t id,
                          unsigned timeout_ms);

void wm_capture_jobs_metrics_get(wm_capture_jobs *jobs,
                                 wm_capture_jobs_metrics *out);

/* Stops taking captures, lets the analyses under way end, joins the
 * workers and frees; what was queued stays running in the store. NULL is
 * fine. */
void wm_capture_jobs_free(wm_capture_jobs *jobs);

#endif
