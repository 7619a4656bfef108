/* wm_jobs: the pool — queue, workers, waiting and counters. One run's
 * execution is in jobs_run.c, shutdown in jobs_shutdown.c. See wm_jobs.h.
 *
 * Lock order: the pool's lock may be held while calling the store (whose
 * own lock is then taken), never the other way round; workers call the
 * store and the engine without the pool's lock. */
#include "jobs_internal.h"
#include "jobs_sync.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wm_size.h"
#include "wm_sweep.h"
#include "wm_threads.h"

const double wm_jobs_duration_bounds_s[WM_JOBS_DURATION_BUCKETS - 1] = {
    0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
};

void wm_jobs_options_default(wm_jobs_options *opts)
{
    opts->workers = 0;
    opts->queue_max = WM_JOBS_DEFAULT_QUEUE_MAX;
    opts->history_max = WM_JOBS_DEFAULT_HISTORY_MAX;
    opts->inline_max = 0;
    opts->here_max = 0;
}

job *jobs_find_active(wm_jobs *jobs, int64_t id)
{
    for (job *j = jobs->active; j; j = j->active_next)
        if (j->id == id)
            return j;
    return NULL;
}

void jobs_unlink_active(wm_jobs *jobs, job *gone)
{
    for (job **p = &jobs->active; *p; p = &(*p)->active_next)
        if (*p == gone) {
            *p = gone->active_next;
            return;
        }
}

/* Counts a run that ended. Lock held. */
void jobs_count_end(wm_jobs *jobs, bool done, bool started,
                      double duration_s, uint64_t payload_bytes)
{
    wm_jobs_metrics *m = &jobs->metrics;
    m->ended[done ? WM_STORE_DONE : WM_STORE_FAILED]++;
    m->bytes_transferred += payload_bytes;
    if (!started)
        return;
    for (int i = 0; i < WM_JOBS_DURATION_BUCKETS - 1; i++)
        if (duration_s <= wm_jobs_duration_bounds_s[i])
            m->duration_buckets[i]++;
    m->duration_buckets[WM_JOBS_DURATION_BUCKETS - 1]++;
    m->duration_sum_s += duration_s;
    m->duration_count++;
}

/* The watches of a run that ended, the run as stored when done, and
 * the caller that ran it on its own thread (wm_jobs_run_here), if any. */
typedef struct end_call {
    jobs_watch *watches;
    const wm_jobs_stored *stored;
    wm_jobs_end_fn here;
    void *here_arg;
} end_call;

static void call_watches(void *arg)
{
    end_call *c = arg;
    jobs_watch_call(c->watches, true, c->stored);
    if (c->here)
        c->here(c->here_arg, true, c->stored);
}

static void unlink_pruned(wm_jobs *jobs, wm_store_pruned *later)
{
    wm_error err = {0};
    if (wm_store_prune_files(jobs->store, later, &err) != 0)
        jobs_log("retention", &err);
}

/* Unlinks the files t held and frees it. Lock not held. */
static void empty_trash(wm_jobs *jobs, jobs_trash *t)
{
    unlink_pruned(jobs, &t->files);
    free(t);
}

/* Leaves a pruned run's files to a worker (next_job); false when they
 * cannot be (memory short, or the workers gone): the caller unlinks
 * them. Their rows are gone and the files under their partial names
 * already, so a crash before the worker unlinks them leaves only what
 * recovery removes at the next start. */
static bool leave_to_worker(wm_jobs *jobs, wm_store_pruned *later)
{
    jobs_trash *t = malloc(sizeof *t);
    if (!t)
        return false;
    t->files = *later;
    pthread_mutex_lock(&jobs->lock);
    bool taken = !jobs->quit;
    if (taken) {
        t->next = jobs->trash;
        jobs->trash = t;
        pthread_cond_signal(&jobs->work);
    }
    pthread_mutex_unlock(&jobs->lock);
    if (!taken) {
        free(t);
        return false;
    }
    memset(later, 0, sizeof *later);
    return true;
}

void jobs_end(wm_jobs *jobs, job *j, bool done, bool started,
              double duration_s, uint64_t payload_bytes,
              wm_jobs_end_fn here, void *here_arg)
{
    wm_error err = {0};
    if (j->sweep_id > 0 &&
        wm_store_settle_sweep(jobs->store, j->sweep_id, NULL, &err) != 0)
        jobs_log("ending a sweep", &err);
    jobs_watch *watches = NULL;
    pthread_mutex_lock(&jobs->lock);
    jobs_unlink_active(jobs, j);
    if (started)
        jobs->running--;
    jobs_count_end(jobs, done, started, duration_s, payload_bytes);
    pthread_cond_broadcast(&jobs->ended);
    jobs_watch_ended_locked(jobs, j->id, &watches);
    /* The sweep's next run may start now; and a slot freed while runs
     * wait may have been all that kept a worker from them (next_job). */
    if (j->sweep_id > 0 || (started && jobs->queue_head))
        pthread_cond_signal(&jobs->work);
    pthread_mutex_unlock(&jobs->lock);
    /* The row as the worker stored it: the run's answer is rendered from
     * it, and never waits for the store's lock. */
    wm_store_run run = {
        .id = j->id, .status = WM_STORE_DONE,
        .size_bytes = j->request.config.transfer.size_bytes,
        .params_json = j->params_json, .result_json = j->result_json,
        .created_ns = j->created_ns, .started_ns = j->finished.started_ns,
        .finished_ns = j->finished.finished_ns, .sweep_id = j->sweep_id,
    };
    snprintf(run.label, sizeof run.label, "%s", j->request.label);
    wm_jobs_stored stored = {.run = &run, .has_series = j->has_series,
                             .deletions = j->finished.deletions};
    end_call call = {watches, done && j->result_json ? &stored : NULL,
                     here, here_arg};
    /* Retention wakes the waiters once it holds the store's lock: their
     * answer does not wait for it, and a client's next read finds the
     * history bounded. A pruned run's files are unlinked after (freeing
     * a GiB takes 0.3 s), and not on a request's thread, whose answer
     * leaves only once this returns. */
    wm_store_pruned later = {0};
    if (jobs->opts.history_max == 0) {
        call_watches(&call);
    } else {
        if (wm_store_prune_rows(jobs->store, jobs->opts.history_max,
                                call_watches, &call, &later, &err) != 0 &&
            err.kind != WM_ERR_READ_ONLY) /* said once by the store */
            jobs_log("retention", &err);
        if (later.count > 0 && !(here && leave_to_worker(jobs, &later)))
            unlink_pruned(jobs, &later);
    }
    wm_cancel_free(j->cancel);
    free(j->params_json);
    free(j->result_json);
    free(j);
}

void jobs_cancel_running(wm_jobs *jobs)
{
    pthread_mutex_lock(&jobs->lock);
    for (job *a = jobs->active; a; a = a->active_next)
        if (a->status == WM_STORE_RUNNING)
            wm_cancel_fire(a->cancel);
    pthread_mutex_unlock(&jobs->lock);
}

/* Whether a run of this sweep is executing. Lock held. */
static bool sweep_running_locked(wm_jobs *jobs, int64_t sweep_id)
{
    if (sweep_id <= 0)
        return false;
    for (job *a = jobs->active; a; a = a->active_next)
        if (a->sweep_id == sweep_id && a->status == WM_STORE_RUNNING)
            return true;
    return false;
}

/* The first queued job that may start, taken out of the queue, or NULL.
 * A sweep's runs go one at a time, as `wiremeter sweep` runs them: run
 * side by side on the workers they would share the CPUs and skew each
 * other's times, and a sweep is there to compare sizes. Lock held. */
static job *take_startable_locked(wm_jobs *jobs)
{
    job *prev = NULL;
    for (job *j = jobs->queue_head; j; prev = j, j = j->next) {
        if (sweep_running_locked(jobs, j->sweep_id))
            continue;
        if (prev)
            prev->next = j->next;
        else
            jobs->queue_head = j->next;
        if (jobs->queue_tail == j)
            jobs->queue_tail = prev;
        j->next = NULL;
        return j;
    }
    return NULL;
}

/* Takes one of the --workers slots for j: it is running from now on.
 * Lock held. */
static void start_locked(wm_jobs *jobs, job *j)
{
    assert(jobs->running < jobs->opts.workers);
    jobs->running++;
    j->status = WM_STORE_RUNNING;
    j->started_ns = wm_clock_wall_ns();
    /* Without one the run still runs; only a drain cannot cut it. */
    wm_error err;
    if (!(j->cancel = wm_cancel_new(&err)))
        jobs_log("a run's cancel", &err);
}

/* The next queued job that may start, taken out of the queue, when a
 * slot is free: a run on a request's own thread (wm_jobs_run_here) holds
 * one, so there are more worker threads than free slots then. Lock
 * held. */
static job *take_next_locked(wm_jobs *jobs)
{
    if (jobs->running >= jobs->opts.workers)
        return NULL;
    return take_startable_locked(jobs);
}

/* The next run to execute, after unlinking what files were left to the
 * workers (the disk space first: a run may need it); NULL once the
 * workers must quit. */
static job *next_job(wm_jobs *jobs)
{
    pthread_mutex_lock(&jobs->lock);
    job *j;
    for (;;) {
        jobs_trash *t = jobs->trash;
        if (t) {
            jobs->trash = t->next;
            pthread_mutex_unlock(&jobs->lock);
            empty_trash(jobs, t);
            pthread_mutex_lock(&jobs->lock);
            continue;
        }
        if ((j = take_next_locked(jobs)) || jobs->quit)
            break;
        pthread_cond_wait(&jobs->work, &jobs->lock);
    }
    if (j) {
        jobs->queue_depth--;
        start_locked(jobs, j);
    }
    pthread_mutex_unlock(&jobs->lock);
    return j;
}

static void *worker_main(void *arg)
{
    wm_jobs *jobs = arg;
    /* Its runs' helper threads live as long as it does (wm_threads.h);
     * without them each run starts its own, slower, still right. */
    wm_error err = {0};
    if (wm_threads_keep(&err) != 0)
        jobs_log("a worker's helper threads", &err);
    job *j;
    while ((j = next_job(jobs)) != NULL) {
        double duration_s = 0;
        bool done = false;
        uint64_t payload_bytes = 0;
        jobs_execute(jobs, j, &duration_s, &done, &payload_bytes);
        jobs_end(jobs, j, done, true, duration_s, payload_bytes, NULL,
                 NULL);
    }
    wm_threads_release();
    return NULL;
}

static unsigned default_workers(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (unsigned)cores : 1;
}

/* Stops and joins the workers started so far. */
void jobs_stop_workers(wm_jobs *jobs)
{
    pthread_mutex_lock(&jobs->lock);
    jobs->quit = true;
    pthread_cond_broadcast(&jobs->work);
    pthread_mutex_unlock(&jobs->lock);
    for (unsigned i = 0; i < jobs->thread_count; i++)
        pthread_join(jobs->threads[i], NULL);
    jobs->thread_count = 0;
    /* Left after the last worker looked (leave_to_worker refuses once
     * quit is set, so only if no worker ever started). */
    while (jobs->trash) {
        jobs_trash *t = jobs->trash;
        jobs->trash = t->next;
        empty_trash(jobs, t);
    }
    jobs_watch_stop(jobs);
}

void jobs_release(wm_jobs *jobs)
{
    jobs_sync_destroy(&jobs->lock, &jobs->work, &jobs->ended);
    wm_capture_pool_free(jobs->captures); /* the workers are joined */
    free(jobs->threads);
    free(jobs);
}

int wm_jobs_start(wm_store *store, const wm_jobs_options *opts,
                  wm_jobs **out, wm_error *err)
{
    *out = NULL;
    if (opts->queue_max == 0)
        return wm_error_param(err, WM_ERR_INVALID, "queue_length",
                              "the queue must hold at least one run");
    wm_jobs *jobs = calloc(1, sizeof *jobs);
    if (!jobs)
        return wm_error_set(err, WM_ERR_INTERNAL, "jobs: out of memory");
    jobs->store = store;
    jobs->opts = *opts;
    if (jobs->opts.workers == 0)
        jobs->opts.workers = default_workers();
    jobs->threads = calloc(jobs->opts.workers, sizeof *jobs->threads);
    if (!jobs->threads ||
        jobs_sync_init(&jobs->lock, &jobs->work, &jobs->ended) != 0) {
        free(jobs->threads);
        free(jobs);
        return wm_error_set(err, WM_ERR_INTERNAL, "jobs: out of resources");
    }
    /* Without a pool each run opens its own handle: slower, still right. */
    wm_error pool_err = {0};
    if (wm_capture_pool_new(WM_CAPTURE_POOL_DEFAULT_BYTES, &jobs->captures,
                            &pool_err) != 0)
        jobs_log("capture handle pool", &pool_err);
    if (jobs_watch_start(jobs) != 0) /* POSTs then wait on threads */
        fprintf(stderr, "wiremeter: jobs: no timer thread for waits\n");
    for (unsigned i = 0; i < jobs->opts.workers; i++) {
        int rc = pthread_create(&jobs->threads[i], NULL, worker_main, jobs);
        if (rc != 0) {
            jobs_stop_workers(jobs);
            jobs_release(jobs);
            return wm_error_set(err, WM_ERR_INTERNAL,
                                "jobs: starting worker %u: %s", i,
                                strerror(rc));
        }
        jobs->thread_count++;
    }
    *out = jobs;
    return 0;
}

/* Why a submit of n runs cannot be taken now, or 0. Lock held. */
static int refuse_locked(wm_jobs *jobs, size_t n, wm_error *err)
{
    if (jobs->stopping)
        return wm_error_set(err, WM_ERR_BUSY,
                            "the service is shutting down; no new runs");
    if (n > jobs->opts.queue_max - jobs->queue_depth)
        return wm_error_set(err, WM_ERR_BUSY,
                            "the run queue is full (%u waiting, at most %u);"
                            " retry later",
                            jobs->queue_depth, jobs->opts.queue_max);
    /* A run the store could not keep, or whose pcap would meet a full
     * disk, is refused before anything is stored. */
    return wm_store_check_room(jobs->store, err);
}

/* A job with its params rendered as the engine renders them into its
 * result (wm_params_text): here, before the pool's lock is taken, since
 * nothing in it needs the lock and every worker ending a run waits on it. */
static job *new_job(const wm_run_request *request, int64_t sweep_id)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->params_json = wm_params_text(request, NULL);
    if (!j->params_json) {
        free(j);
        return NULL;
    }
    j->request = *request;
    j->sweep_id = sweep_id;
    j->status = WM_STORE_QUEUED;
    atomic_init(&j->bytes_done, 0);
    return j;
}

static void free_job(job *j)
{
    if (!j)
        return;
    free(j->params_json);
    free(j);
}

/* Makes j live: a drain's end cancels it, waiters see it. Lock held. */
static void activate_locked(wm_jobs *jobs, job *j)
{
    j->active_next = jobs->active;
    jobs->active = j;
}

/* Stores j as queued, with its params, and makes it live. Lock held. */
static int insert_locked(wm_jobs *jobs, job *j, wm_error *err)
{
    assert(j->params_json);
    j->created_ns = wm_clock_wall_ns();
    int rc = wm_store_insert_run_at(jobs->store, j->request.label,
                                    j->request.config.transfer.size_bytes,
                                    j->params_json, j->sweep_id,
                                    j->created_ns, &j->id, err);
    if (rc != 0)
        return -1;
    j->file_id = j->id;
    activate_locked(jobs, j);
    return 0;
}

/* Stores j as queued, with its params, and appends it to the queue. Lock
 * held. */
static int enqueue_locked(wm_jobs *jobs, job *j, wm_error *err)
{
    if (insert_locked(jobs, j, err) != 0)
        return -1;
    if (jobs->queue_tail)
        jobs->queue_tail->next = j;
    else
        jobs->queue_head = j;
    jobs->queue_tail = j;
    jobs->queue_depth++;
    pthread_cond_signal(&jobs->work);
    return 0;
}

int wm_jobs_submit(wm_jobs *jobs, const wm_run_request *request,
                   int64_t *id, wm_error *err)
{
    job *j = new_job(request, 0);
    if (!j)
        return wm_error_set(err, WM_ERR_INTERNAL, "jobs: out of memory");
    /* The store is written under the pool's lock, so that the check for
     * room and the insert are one step: a rejected run is never stored. */
    pthread_mutex_lock(&jobs->lock);
    int rc = refuse_locked(jobs, 1, err);
    if (rc == 0)
        rc = enqueue_locked(jobs, j, err);
    if (rc == 0)
        *id = j->id;
    pthread_mutex_unlock(&jobs->lock);
    if (rc != 0)
        free_job(j);
    return rc;
}

/* Whether the pool lets a run go on the caller's thread now: no run
 * queued, so that it does not overtake one, and a slot free. Lock held. */
static bool may_run_here_locked(const wm_jobs *jobs)
{
    return !jobs->stopping && jobs->queue_depth == 0 &&
           jobs->running < jobs->opts.workers;
}

int wm_jobs_run_here(wm_jobs *jobs, const wm_run_request *request,
                     int64_t *id, wm_jobs_end_fn fn, void *arg,
                     wm_error *err)
{
    /* A loopback run no larger than here_max, so that the thread is held
     * for a small run's time only; told before a job is made: the common
     * case of a large run. */
    if (request->config.path.kind != WM_PATH_LOOPBACK ||
        request->config.transfer.size_bytes > jobs->opts.here_max)
        return 0;
    job *j = new_job(request, 0);
    if (!j)
        return wm_error_set(err, WM_ERR_INTERNAL, "jobs: out of memory");
    pthread_mutex_lock(&jobs->lock);
    int rc = 0;
    if (may_run_here_locked(jobs)) {
        /* Refused as a submit would be; stored only once it ended
         * (jobs_execute), in the commit that says done: nobody can ask
         * for it before, since its client learns its id with its end.
         * Its row and document are those of a run that went through the
         * queue. */
        rc = refuse_locked(jobs, 1, err);
        if (rc == 0) {
            j->created_ns = wm_clock_wall_ns();
            j->file_id = wm_store_scratch_id(jobs->store);
            activate_locked(jobs, j);
            start_locked(jobs, j);
            jobs->metrics.ran_here++;
            rc = 1;
        }
    }
    pthread_mutex_unlock(&jobs->lock);
    if (rc != 1) {
        free_job(j);
        return rc;
    }
    double duration_s = 0;
    bool done = false;
    uint64_t payload_bytes = 0;
    jobs_execute(jobs, j, &duration_s, &done, &payload_bytes);
    *id = j->id;
    bool stored = j->id != 0;
    if (!stored)
        *err = j->store_err;
    jobs_end(jobs, j, done, true, duration_s, payload_bytes,
             stored ? fn : NULL, arg);
    return stored ? 1 : -1;
}

typedef struct sweep_plan {
    job **jobs;
    size_t count;
} sweep_plan;

static void sweep_plan_free(sweep_plan *plan)
{
    for (size_t i = 0; i < plan->count; i++)
        free_job(plan->jobs[i]);
    free(plan->jobs);
}

/* The runs of a sweep, in the engine's sweep order (wm_sweep.h). */
static int plan_sweep(const wm_run_request *base, const uint64_t *sizes,
                      const char *const *size_texts, size_t size_count,
                      unsigned repeat, sweep_plan *plan, wm_error *err)
{
    size_t n = size_count * repeat;
    plan->jobs = calloc(n, sizeof *plan->jobs);
    plan->count = 0;
    if (!plan->jobs)
        return wm_error_set(err, WM_ERR_INTERNAL, "jobs: out of memory");
    for (size_t k = 0; k < n; k++) {
        size_t s = wm_sweep_size_index(k, size_count);
        wm_run_request request = *base;
        request.config.transfer.size_bytes = sizes[s];
        request.size_given = true;
        if (size_texts && size_texts[s])
            snprintf(request.size_text, sizeof request.size_text, "%s",
                     size_texts[s]);
        else
            wm_size_format(sizes[s], request.size_text,
                           sizeof request.size_text);
        if (!(plan->jobs[plan->count++] = new_job(&request, 0)))
            return wm_error_set(err, WM_ERR_INTERNAL, "jobs: out of memory");
    }
    return 0;
}

/* Stores the sweep and queues its runs; on a failure half-way, the runs
 * already stored are failed and the sweep with them. Lock held. */
static int enqueue_sweep_locked(wm_jobs *jobs, sweep_plan *plan,
                                const char *params_json, int64_t *sweep_id,
                                size_t *queued, wm_error *err)
{
    *queued = 0;
    if (wm_store_insert_sweep(jobs->store, params_json, sweep_id, err) != 0)
        return -1;
    for (size_t i = 0; i < plan->count; i++) {
        plan->jobs[i]->sweep_id = *sweep_id;
        if (enqueue_locked(jobs, plan->jobs[i], err) != 0)
            break;
        (*queued)++;
    }
    if (*queued == plan->count)
        return 0;
    /* Rare (the store failed): the queued runs will run and fail on their
     * own merits; the sweep is marked failed now so nobody waits on it. */
    wm_store_finish_sweep(jobs->store, *sweep_id, WM_STORE_FAILED, NULL);
    return -1;
}

int wm_jobs_submit_sweep(wm_jobs *jobs, const wm_run_request *base,
                         const uint64_t *sizes,
                         const char *const *size_texts, size_t size_count,
                         unsigned repeat, const char *params_json,
                         int64_t *sweep_id, wm_error *err)
{
    if (size_count == 0 || repeat == 0)
        return wm_error_param(err, WM_ERR_INVALID,
                              size_count ? "repeat" : "sizes",
                              "a sweep needs at least one size and one run");
    /* Not WM_ERR_BUSY: such a sweep would never fit, so "retry later"
     * would be a lie; it is the request that must change. */
    if (size_count > jobs->opts.queue_max ||
        repeat > jobs->opts.queue_max / size_count)
        return wm_error_param(err, WM_ERR_INVALID, "repeat",
                              "a sweep of %zu runs (sizes x repeat) is more "
                              "than the run queue holds; allowed: up to %u "
                              "runs (--queue)",
                              size_count * (size_t)repeat,
                              jobs->opts.queue_max);
    sweep_plan plan = {0};
    if (plan_sweep(base, sizes, size_texts, size_count, repeat, &plan,
                   err) != 0) {
        sweep_plan_free(&plan);
        return -1;
    }
    size_t queued = 0;
    pthread_mutex_lock(&jobs->lock);
    int rc = refuse_locked(jobs, plan.count, err);
    if (rc == 0)
        rc = enqueue_sweep_locked(jobs, &plan, params_json, sweep_id,
                                  &queued, err);
    pthread_mutex_unlock(&jobs->lock);
    /* Queued jobs now belong to the workers; free only the rest. */
    for (size_t i = 0; i < queued; i++)
        plan.jobs[i] = NULL;
    sweep_plan_free(&plan);
    return rc;
}

bool wm_jobs_wait(wm_jobs *jobs, int64_t id, unsigned timeout_ms)
{
    struct timespec deadline;
    wm_clock_deadline(&deadline, timeout_ms);
    pthread_mutex_lock(&jobs->lock);
    bool ended = jobs_find_active(jobs, id) == NULL;
    while (!ended && timeout_ms > 0) {
        int rc = pthread_cond_timedwait(&jobs->ended, &jobs->lock, &deadline);
        ended = jobs_find_active(jobs, id) == NULL;
        if (rc == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&jobs->lock);
    return ended;
}

bool wm_jobs_progress_get(wm_jobs *jobs, int64_t id, wm_jobs_progress *out)
{
    pthread_mutex_lock(&jobs->lock);
    job *j = jobs_find_active(jobs, id);
    if (j) {
        out->status = j->status;
        out->bytes_done = atomic_load_explicit(&j->bytes_done,
                                               memory_order_relaxed);
        out->bytes_total = j->request.config.transfer.size_bytes;
        out->started_ns = j->started_ns;
    }
    pthread_mutex_unlock(&jobs->lock);
    return j != NULL;
}

void wm_jobs_metrics_get(wm_jobs *jobs, wm_jobs_metrics *out)
{
    pthread_mutex_lock(&jobs->lock);
    *out = jobs->metrics;
    out->queue_depth = jobs->queue_depth;
    out->running = jobs->running;
    out->workers = jobs->opts.workers;
    out->queue_max = jobs->opts.queue_max;
    pthread_mutex_unlock(&jobs->lock);
}

bool wm_jobs_accepting(wm_jobs *jobs)
{
    pthread_mutex_lock(&jobs->lock);
    bool accepting = !jobs->stopping;
    pthread_mutex_unlock(&jobs->lock);
    return accepting;
}

int wm_jobs_watch(wm_jobs *jobs, int64_t id, unsigned timeout_ms,
                  wm_jobs_end_fn fn, void *arg)
{
    jobs_watch *w = jobs_watch_new(jobs, id, timeout_ms, fn, arg);
    if (!w)
        return -1;
    pthread_mutex_lock(&jobs->lock);
    /* Checked under the lock that jobs_end takes to call the watches:
     * a run that ended before this line is never watched, one that ends
     * after it finds its watch. */
    if (!jobs_find_active(jobs, id)) {
        pthread_mutex_unlock(&jobs->lock);
        jobs_watch_free(w);
        return 0;
    }
    jobs_watch_add_locked(jobs, w);
    pthread_mutex_unlock(&jobs->lock);
    return 1;
}
