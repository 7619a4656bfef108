/* wm_jobs: the bounded pool that executes runs, between the HTTP layer and
 * the measurement engine.
 *
 * Why a pool and a bound: a run holds a capture handle, two sockets and a
 * thread or three for a while; running every request at once would let one
 * client exhaust the machine and skew every measurement. So N workers
 * (default: the number of cores) take runs from a FIFO of at most
 * queue_max waiting runs; when it is full, a submit fails at once with
 * WM_ERR_BUSY (the HTTP layer answers 429 with Retry-After) and NOTHING is
 * stored — a rejected request leaves no half-made run behind.
 *
 * A run is stored (queued) before it is queued, so no accepted run is ever
 * lost: a worker marks it running, executes it with its capture written to
 * <data>/pcaps/<id>.pcap.tmp (renamed to <id>.pcap on success, removed on
 * failure), renders the result with wm_report_run and stores it, or stores
 * the failure with the wm_error's code and message. After each run,
 * retention prunes the store to history_max finished runs (in batches
 * from 64 on: wm_store_prune), while the run's waiters are answered.
 *
 * What lives only in memory, for runs that are queued or running in this
 * process: bytes done so far (updated by the transfer's progress callback),
 * a condition variable so that wm_jobs_wait returns the moment the run
 * ends, and the watches (wm_jobs_watch) called then, which resume a POST
 * /runs?wait= with no thread waiting for it. Once a run ended, the store
 * is the truth.
 *
 * Counters (for /metrics) cover runs that ended in this process.
 *
 * Shutdown: submit starts failing (WM_ERR_BUSY, "shutting down"); queued
 * runs are marked failed "interrupted by shutdown" at once; running runs
 * get until the deadline; those still running then are marked the same way
 * in the store (so a kill -9 after that loses nothing), then cancelled
 * (wm_cancel: the transfer and the capture stop at once), and the workers
 * are joined. A run marked failed keeps its "interrupted" state whatever
 * its worker reports after; its pcap is removed.
 *
 * A full or read-only store: a submit is refused, with nothing stored,
 * when the store cannot be written (WM_ERR_READ_ONLY, HTTP 503) or the
 * data directory's disk is below the reserve (WM_ERR_NO_SPACE, 507); a
 * run whose result or start cannot be stored fails, its failure kept in
 * memory by the store when even that cannot be written.
 *
 * Threads: every function may be called from any thread, except that
 * wm_jobs_free must be the last call. */
#ifndef WM_JOBS_H
#define WM_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_error.h"
#include "wm_params.h"
#include "wm_store.h"

#define WM_JOBS_DEFAULT_QUEUE_MAX 64u
#define WM_JOBS_DEFAULT_HISTORY_MAX 1000u

/* Upper bounds (seconds) of the run duration histogram; the last bucket,
 * +Inf, is implicit and is WM_JOBS_DURATION_BUCKETS - 1. */
#define WM_JOBS_DURATION_BUCKETS 12
extern const double wm_jobs_duration_bounds_s[WM_JOBS_DURATION_BUCKETS - 1];

typedef struct wm_jobs_options {
    unsigned workers;      /* concurrent runs; 0: number of online cores */
    unsigned queue_max;    /* runs waiting for a worker; at least 1 */
    uint64_t history_max;  /* finished runs kept; 0: keep all */
    size_t inline_max;     /* a run output (pcap, rows, series) of at most
                              this many bytes is kept in the database, not
                              in a file (wm_store_finish_run_held); 0:
                              always files */
    uint64_t here_max;     /* a loopback run of at most this many bytes may
                              run on its caller's thread (wm_jobs_run_here);
                              0: never */
} wm_jobs_options;

/* What a run looks like in memory while it is queued or running. */
typedef struct wm_jobs_progress {
    wm_store_status status;   /* queued or running */
    uint64_t bytes_done;      /* payload bytes the sender has written */
    uint64_t bytes_total;     /* the run's size */
    int64_t started_ns;       /* 0 while queued */
} wm_jobs_progress;

typedef struct wm_jobs_metrics {
    uint64_t ended[WM_STORE_STATUS_COUNT]; /* runs ended in this process,
                                              by status: only done and
                                              failed are ever non-zero */
    uint64_t duration_buckets[WM_JOBS_DURATION_BUCKETS]; /* cumulative, as
                                   Prometheus wants: [i] counts runs that
                                   took <= wm_jobs_duration_bounds_s[i];
                                   the last is +Inf (= duration_count) */
    double duration_sum_s;     /* started to ended, runs that started */
    uint64_t duration_count;
    uint64_t bytes_transferred; /* payload bytes of runs that ended done */
    uint64_t ran_here;          /* runs started by wm_jobs_run_here */
    unsigned queue_depth;       /* runs waiting now */
    unsigned running;           /* runs executing now */
    unsigned workers, queue_max;
} wm_jobs_metrics;

typedef struct wm_jobs wm_jobs;

/* workers 0 (cores), queue_max 64, history_max 1000, here_max 0. */
void wm_jobs_options_default(wm_jobs_options *opts);

/* Starts the workers. The store must outlive the pool; the pool does not
 * own it. */
int wm_jobs_start(wm_store *store, const wm_jobs_options *opts,
                  wm_jobs **out, wm_error *err);

/* Stores the run as queued (label from request->label, params as
 * wm_params_json renders them: the same object the engine puts in its
 * result) and queues it; *id gets its id. request is copied.
 * WM_ERR_BUSY when the queue is full or the pool is shutting down: then
 * nothing was stored. */
int wm_jobs_submit(wm_jobs *jobs, const wm_run_request *request,
                   int64_t *id, wm_error *err);

/* A sweep: size_count sizes, each run repeat times, in the engine's
 * sweep order (wm_sweep_size_index: round by round). Stores the sweep
 * (params_json, NULL: "{}") and all its runs with their sweep id, each
 * run being base with its own size (sizes[i]; size_texts[i] as written,
 * may be NULL). All or nothing: when the queue cannot take every run now,
 * WM_ERR_BUSY and nothing is stored; when it never could (more runs than
 * queue_max), WM_ERR_INVALID naming "repeat". Its runs execute one at a
 * time, in that order, so that no run of a sweep skews another's times
 * (other runs may execute beside them). The sweep ends (status done) when
 * its last run ends. Run ids: wm_store_get_sweep. */
int wm_jobs_submit_sweep(wm_jobs *jobs, const wm_run_request *base,
                         const uint64_t *sizes,
                         const char *const *size_texts, size_t size_count,
                         unsigned repeat, const char *params_json,
                         int64_t *sweep_id, wm_error *err);

/* Waits up to timeout_ms (0: not at all) for the run to end. true when
 * it is not queued or running in this pool (it ended, or never was), so
 * the store holds its final state; false on timeout. */
bool wm_jobs_wait(wm_jobs *jobs, int64_t id, unsigned timeout_ms);

/* A run as its worker stored it when it ended done: the row GET
 * /runs/{id} reads, handed to the run's watches so that a POST that
 * waited answers without reading it back under the store's lock. */
typedef struct wm_jobs_stored {
    const wm_store_run *run;  /* status done, result_json set */
    bool has_series;          /* its time series is stored */
    uint64_t deletions;       /* wm_store_finished's */
} wm_jobs_stored;

/* Called once, on a thread of the pool, lock not held: ended true when
 * the run ended (the store holds its final state), false when the wait
 * ran out first. stored: the run as stored when it ended done, else
 * NULL; valid during the call only. It must not block, nor call the
 * store: retention may hold the store's lock around the call, so that
 * whoever it wakes finds the history already bounded. */
typedef void (*wm_jobs_end_fn)(void *arg, bool ended,
                               const wm_jobs_stored *stored);

/* Calls fn(arg, ...) when the run ends or timeout_ms passed, whichever
 * is first, with no thread of the caller's waiting. 1: it will be
 * called; 0: the run is not active (it ended: the store holds its final
 * state) and fn is never called; -1: no watch could be made, fn is never
 * called (use wm_jobs_wait). */
int wm_jobs_watch(wm_jobs *jobs, int64_t id, unsigned timeout_ms,
                  wm_jobs_end_fn fn, void *arg);

/* false when the pool has no timer thread for wm_jobs_watch (it could
 * not start): wm_jobs_watch then always returns -1. */
bool wm_jobs_watching(const wm_jobs *jobs);

/* A submit that the caller's thread executes at once, when it may: a
 * loopback run of at most here_max bytes, a slot of the workers free,
 * no run queued, the pool not shutting down. Why: a small run takes
 * less time than handing it to a worker and back (two wakes of a
 * sleeping thread), and the caller waits for it anyway. The run takes
 * one of the workers' slots as a worker's run does (the workers then
 * leave a queued run until a slot is free), is started, run, ended,
 * counted and retained as one from the queue, and a shutdown drains and
 * cancels it the same way; but it is stored only as it ends, its row,
 * result and outputs in one commit (wm_store_insert_done_run), since
 * nobody can ask for it before its caller learns its id (a run that
 * wrote files, or failed, is stored as a worker's is, late). The caller's thread is held for
 * the run: its transfer, bounded by the run's timeout and --max-duration,
 * its capture's closure grace and the store's commits, and the unlink
 * of the files of the runs retention pruned (after fn).
 * 1: it ran; *id is its id and fn(arg, true, stored) was called, as a
 * watch's, before the return. 0: not here; nothing stored: use
 * wm_jobs_submit. -1: refused as wm_jobs_submit refuses, or run but not
 * storable (a full disk since the check); nothing stored. */
int wm_jobs_run_here(wm_jobs *jobs, const wm_run_request *request,
                     int64_t *id, wm_jobs_end_fn fn, void *arg,
                     wm_error *err);

/* Progress of a queued or running run; false (out untouched) when the
 * run is not active in this pool: read the store. */
bool wm_jobs_progress_get(wm_jobs *jobs, int64_t id, wm_jobs_progress *out);

/* A snapshot of the counters and gauges. */
void wm_jobs_metrics_get(wm_jobs *jobs, wm_jobs_metrics *out);

/* false once shutdown started. */
bool wm_jobs_accepting(wm_jobs *jobs);

/* See the header comment. *interrupted (may be NULL) gets the runs marked
 * "interrupted by shutdown". Idempotent. */
int wm_jobs_shutdown(wm_jobs *jobs, unsigned deadline_ms,
                     uint64_t *interrupted, wm_error *err);

/* Shuts down with a zero deadline when that was not done, then frees.
 * NULL is fine. */
void wm_jobs_free(wm_jobs *jobs);

#endif
