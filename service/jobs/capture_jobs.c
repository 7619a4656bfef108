/* wm_capture_jobs: see wm_capture_jobs.h.
 *
 * Lock order: the pool's lock is never held while calling the store or
 * the analysis; the store takes its own. */
#include "wm_capture_jobs.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs_sync.h"
#include "wm_clock.h"

struct wm_capture_ticket {
    int64_t id;                      /* 0 until submitted */
    struct wm_capture_ticket *next;  /* FIFO link while queued */
};

/* Ids being analysed now: as many as workers, one slot each. */
struct wm_capture_jobs {
    wm_store *store;
    wm_capture_jobs_options opts;
    pthread_mutex_t lock;        /* guards everything below */
    pthread_cond_t work;         /* a capture was queued, or quit */
    pthread_cond_t ended;        /* an analysis ended (waiters re-check) */
    wm_capture_ticket *head, *tail;
    unsigned reserved;           /* tickets out, queued or not yet */
    int64_t *analysing;          /* [workers]: the id, 0 when idle */
    bool quit;
    wm_capture_jobs_metrics metrics;
    pthread_t *threads;
    unsigned thread_count;
};

static void log_failure(const char *what, const wm_error *err)
{
    fprintf(stderr, "wiremeter: captures: %s: %s\n", what, err->message);
}

/* Lock held. */
static bool queued_locked(const wm_capture_jobs *jobs, int64_t id)
{
    for (const wm_capture_ticket *t = jobs->head; t; t = t->next)
        if (t->id == id)
            return true;
    for (unsigned i = 0; i < jobs->opts.workers; i++)
        if (jobs->analysing[i] == id)
            return true;
    return false;
}

/* The next capture for worker slot, or NULL when the worker must exit. */
static wm_capture_ticket *next_ticket(wm_capture_jobs *jobs, unsigned slot)
{
    pthread_mutex_lock(&jobs->lock);
    while (!jobs->head && !jobs->quit)
        pthread_cond_wait(&jobs->work, &jobs->lock);
    /* Quit wins over the queue: what is queued stays running in the
     * store, for the next start. */
    wm_capture_ticket *t = jobs->quit ? NULL : jobs->head;
    if (t) {
        jobs->head = t->next;
        if (!jobs->head)
            jobs->tail = NULL;
        jobs->reserved--;
        jobs->analysing[slot] = t->id;
        jobs->metrics.running++;
    }
    pthread_mutex_unlock(&jobs->lock);
    return t;
}

static void analyse_one(wm_capture_jobs *jobs, unsigned slot, int64_t id)
{
    wm_error err;
    wm_error_clear(&err);
    int64_t start = wm_clock_monotonic_ns();
    int rc = jobs->opts.analyse(jobs->opts.ctx, id, &err);
    double seconds = (double)(wm_clock_monotonic_ns() - start) / 1e9;
    pthread_mutex_lock(&jobs->lock);
    jobs->analysing[slot] = 0;
    jobs->metrics.running--;
    if (rc == 0)
        jobs->metrics.done++;
    else
        jobs->metrics.failed++;
    jobs->metrics.seconds_sum += seconds;
    pthread_cond_broadcast(&jobs->ended);
    pthread_mutex_unlock(&jobs->lock);
    /* After the waiters are woken: retention is not theirs to wait on. */
    wm_error prune_err;
    if (jobs->opts.history_max > 0 &&
        wm_store_prune_captures(jobs->store, jobs->opts.history_max, NULL,
                                &prune_err) != 0 &&
        prune_err.kind != WM_ERR_READ_ONLY) /* said once by the store */
        log_failure("retention", &prune_err);
}

typedef struct worker_arg {
    wm_capture_jobs *jobs;
    unsigned slot;
} worker_arg;

static void *worker_main(void *arg)
{
    worker_arg w = *(worker_arg *)arg;
    free(arg);
    wm_capture_ticket *t;
    while ((t = next_ticket(w.jobs, w.slot)) != NULL) {
        int64_t id = t->id;
        free(t);
        analyse_one(w.jobs, w.slot, id);
    }
    return NULL;
}

static void stop_workers(wm_capture_jobs *jobs)
{
    pthread_mutex_lock(&jobs->lock);
    jobs->quit = true;
    pthread_cond_broadcast(&jobs->work);
    pthread_mutex_unlock(&jobs->lock);
    for (unsigned i = 0; i < jobs->thread_count; i++)
        pthread_join(jobs->threads[i], NULL);
    jobs->thread_count = 0;
}

static void release_all(wm_capture_jobs *jobs)
{
    for (wm_capture_ticket *t = jobs->head, *next; t; t = next) {
        next = t->next;
        free(t);
    }
    jobs_sync_destroy(&jobs->lock, &jobs->work, &jobs->ended);
    free(jobs->analysing);
    free(jobs->threads);
    free(jobs);
}

int wm_capture_jobs_start(wm_store *store,
                          const wm_capture_jobs_options *opts,
                          wm_capture_jobs **out, wm_error *err)
{
    *out = NULL;
    assert(opts->analyse);
    if (opts->workers == 0 || opts->queue_max == 0)
        return wm_error_param(err, WM_ERR_INVALID,
                              opts->workers ? "queue_length" : "workers",
                              "captures need at least one worker and one "
                              "place in the queue");
    wm_capture_jobs *jobs = calloc(1, sizeof *jobs);
    if (!jobs)
        return wm_error_set(err, WM_ERR_INTERNAL, "captures: out of memory");
    jobs->store = store;
    jobs->opts = *opts;
    jobs->threads = calloc(opts->workers, sizeof *jobs->threads);
    jobs->analysing = calloc(opts->workers, sizeof *jobs->analysing);
    if (!jobs->threads || !jobs->analysing ||
        jobs_sync_init(&jobs->lock, &jobs->work, &jobs->ended) != 0) {
        free(jobs->threads);
        free(jobs->analysing);
        free(jobs);
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "captures: out of resources");
    }
    for (unsigned i = 0; i < opts->workers; i++) {
        worker_arg *arg = malloc(sizeof *arg);
        int rc = arg ? 0 : ENOMEM;
        if (arg) {
            *arg = (worker_arg){.jobs = jobs, .slot = i};
            rc = pthread_create(&jobs->threads[i], NULL, worker_main, arg);
            if (rc != 0)
                free(arg);
        }
        if (rc != 0) {
            stop_workers(jobs);
            release_all(jobs);
            return wm_error_set(err, WM_ERR_INTERNAL,
                                "captures: starting worker %u: %s", i,
                                strerror(rc));
        }
        jobs->thread_count++;
    }
    *out = jobs;
    return 0;
}

/* Appends t (its id set) to the queue. Lock held. */
static void enqueue_locked(wm_capture_jobs *jobs, wm_capture_ticket *t)
{
    assert(t->id > 0);
    t->next = NULL;
    if (jobs->tail)
        jobs->tail->next = t;
    else
        jobs->head = t;
    jobs->tail = t;
    pthread_cond_signal(&jobs->work);
}

int wm_capture_jobs_resume(wm_capture_jobs *jobs, uint64_t *count,
                           wm_error *err)
{
    int64_t *ids = NULL;
    size_t n = 0;
    if (count)
        *count = 0;
    if (wm_store_unfinished_captures(jobs->store, &ids, &n, err) != 0)
        return -1;
    int rc = 0;
    pthread_mutex_lock(&jobs->lock);
    for (size_t i = 0; i < n; i++) {
        wm_capture_ticket *t = calloc(1, sizeof *t);
        if (!t) {
            rc = wm_error_set(err, WM_ERR_INTERNAL, "captures: out of memory");
            break;
        }
        t->id = ids[i];
        jobs->reserved++;
        enqueue_locked(jobs, t);
        if (count)
            (*count)++;
    }
    pthread_mutex_unlock(&jobs->lock);
    free(ids);
    return rc;
}

wm_capture_ticket *wm_capture_jobs_reserve(wm_capture_jobs *jobs,
                                           wm_error *err)
{
    wm_capture_ticket *t = calloc(1, sizeof *t);
    if (!t) {
        wm_error_set(err, WM_ERR_INTERNAL, "captures: out of memory");
        return NULL;
    }
    pthread_mutex_lock(&jobs->lock);
    bool full = jobs->reserved >= jobs->opts.queue_max;
    if (jobs->quit)
        wm_error_set(err, WM_ERR_BUSY,
                     "the service is shutting down; no new captures");
    else if (full)
        wm_error_set(err, WM_ERR_BUSY,
                     "the analysis queue is full (%u captures waiting, at "
                     "most %u: --queue); retry later", jobs->reserved,
                     jobs->opts.queue_max);
    else
        jobs->reserved++;
    bool taken = !jobs->quit && !full;
    pthread_mutex_unlock(&jobs->lock);
    if (!taken) {
        free(t);
        return NULL;
    }
    return t;
}

void wm_capture_jobs_submit(wm_capture_jobs *jobs, wm_capture_ticket *ticket,
                            int64_t id)
{
    assert(ticket && id > 0);
    ticket->id = id;
    pthread_mutex_lock(&jobs->lock);
    enqueue_locked(jobs, ticket);
    pthread_mutex_unlock(&jobs->lock);
}

void wm_capture_jobs_release(wm_capture_jobs *jobs,
                             wm_capture_ticket *ticket)
{
    if (!ticket)
        return;
    pthread_mutex_lock(&jobs->lock);
    assert(jobs->reserved > 0);
    jobs->reserved--;
    pthread_mutex_unlock(&jobs->lock);
    free(ticket);
}

bool wm_capture_jobs_wait(wm_capture_jobs *jobs, int64_t id,
                          unsigned timeout_ms)
{
    struct timespec deadline;
    wm_clock_deadline(&deadline, timeout_ms);
    pthread_mutex_lock(&jobs->lock);
    bool ended = !queued_locked(jobs, id);
    while (!ended && timeout_ms > 0 && !jobs->quit) {
        int rc = pthread_cond_timedwait(&jobs->ended, &jobs->lock,
                                        &deadline);
        ended = !queued_locked(jobs, id);
        if (rc == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&jobs->lock);
    return ended;
}

void wm_capture_jobs_metrics_get(wm_capture_jobs *jobs,
                                 wm_capture_jobs_metrics *out)
{
    pthread_mutex_lock(&jobs->lock);
    *out = jobs->metrics;
    unsigned queued = 0;
    for (const wm_capture_ticket *t = jobs->head; t; t = t->next)
        queued++;
    out->queued = queued;
    pthread_mutex_unlock(&jobs->lock);
}

void wm_capture_jobs_free(wm_capture_jobs *jobs)
{
    if (!jobs)
        return;
    stop_workers(jobs);
    release_all(jobs);
}
