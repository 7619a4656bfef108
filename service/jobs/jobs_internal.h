/* jobs_internal: what jobs.c (the pool: queue, submit, wait, shutdown)
 * and jobs_run.c (one run, executed by a worker) share. */
#ifndef WM_JOBS_INTERNAL_H
#define WM_JOBS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "wm_cancel.h"
#include "wm_clock.h"
#include "wm_jobs.h"

/* A run queued or running in this pool. Lives from submit until its
 * worker (or shutdown, for a queued one) ended it. */
typedef struct job {
    int64_t id;                /* 0 while not stored: a run on a request's
                                  thread is stored once it ended */
    int64_t file_id;           /* names its temporary files: id, or a
                                  scratch id (wm_store_scratch_id) */
    int64_t sweep_id;          /* 0: none */
    wm_run_request request;
    char *params_json;         /* the request's params as stored */
    int64_t created_ns;        /* as stored; wall clock */
    char *result_json;         /* as stored once done, else NULL */
    wm_store_finished finished; /* what the store wrote when it was done */
    wm_error store_err;        /* why a run not stored yet could not be */
    bool has_series;           /* its time series was stored */
    wm_store_status status;    /* queued or running; guarded by the lock */
    _Atomic uint64_t bytes_done; /* written by the sending thread */
    int64_t started_ns;        /* wall clock; 0 while queued */
    wm_cancel *cancel;         /* while running (NULL if none could be
                                  made): shutdown fires it; guarded by the
                                  lock, freed with the job */
    struct job *next;          /* FIFO link while queued */
    struct job *active_next;   /* link in the pool's list of live runs */
} job;

typedef struct jobs_watch jobs_watch; /* jobs_watch.c */

/* The files of runs retention dropped, which a run on a request's thread
 * left to a worker to unlink (jobs_end): a GiB of pcap takes 0.3 s to
 * free, which the request's answer must not wait for. */
typedef struct jobs_trash {
    wm_store_pruned files;
    struct jobs_trash *next;
} jobs_trash;

struct wm_jobs {
    wm_store *store;
    wm_jobs_options opts;
    pthread_mutex_t lock;      /* guards everything below */
    pthread_cond_t work;       /* a run was queued, or workers must quit */
    pthread_cond_t ended;      /* some run ended (waiters re-check) */
    job *queue_head, *queue_tail;
    job *active;               /* every queued or running job */
    jobs_trash *trash;         /* pruned files a worker is to unlink,
                                  before any run it takes */
    unsigned queue_depth, running;
    bool stopping;             /* submit refuses */
    bool quit;                 /* idle workers exit */
    bool shut_down;            /* wm_jobs_shutdown completed */
    pthread_t *threads;
    unsigned thread_count;
    wm_jobs_metrics metrics;   /* counters only; gauges filled on read */
    wm_capture_pool *captures; /* capture handles reused by the runs */
    jobs_watch *watches;       /* wm_jobs_watch's, not yet called */
    pthread_t timer;           /* calls the watches whose wait ran out */
    pthread_cond_t timer_wake; /* a watch due sooner, or the timer quits */
    bool timer_started, timer_quit;
    bool timer_bounded;        /* the timer sleeps until timer_until, */
    struct timespec timer_until; /* else forever (or it is awake) */
    uint64_t timer_signals;    /* timer_wake signalled for a new watch */
};

/* Executes one job end to end and records its outcome in the store; the
 * job stays owned by the caller. duration_s gets the time it ran and
 * *done whether it ended done. A job not stored yet (id 0: a run on a
 * request's thread) is stored as it ends; j->id stays 0 only when even
 * that failed (*done false). */
void jobs_execute(wm_jobs *jobs, job *j, double *duration_s, bool *done,
                  uint64_t *payload_bytes);

/* The live job of this id, or NULL. Lock held. */
job *jobs_find_active(wm_jobs *jobs, int64_t id);

/* Drops a job from the live list (waiters then see it ended). Lock held. */
void jobs_unlink_active(wm_jobs *jobs, job *gone);

/* Counts a run that ended in the metrics; started says whether it ran
 * (and so has a duration). Lock held. */
void jobs_count_end(wm_jobs *jobs, bool done, bool started,
                    double duration_s, uint64_t payload_bytes);

/* A run whose final state is stored has ended: settles its sweep, then
 * drops it from the live list, counts it, and calls its watches (and
 * here(here_arg, ...) when not NULL: wm_jobs_run_here's caller) with the
 * run as stored from inside retention, once that holds the store's lock
 * (wm_store_prune_rows): the answer does not wait for retention, and a
 * read after it finds the history bounded. Then a pruned run's files
 * are unlinked — by a worker, when here is set, so that the request's
 * answer does not wait for it — and the job freed. The sweep first, so
 * that a POST that waited for a sweep's last run reads the sweep already
 * done. Lock not held. */
void jobs_end(wm_jobs *jobs, job *j, bool done, bool started,
              double duration_s, uint64_t payload_bytes,
              wm_jobs_end_fn here, void *here_arg);

/* The watches of run id, taken off the list into *out (a list), to be
 * called with jobs_watch_call once the lock is released. Lock held. */
void jobs_watch_ended_locked(wm_jobs *jobs, int64_t id, jobs_watch **out);

/* Calls and frees a list of watches. Lock not held. */
void jobs_watch_call(jobs_watch *list, bool ended,
                     const wm_jobs_stored *stored);

/* A watch of run id not yet on the list, or NULL when the timer thread
 * is not running or memory is short. */
jobs_watch *jobs_watch_new(const wm_jobs *jobs, int64_t id,
                           unsigned timeout_ms, wm_jobs_end_fn fn, void *arg);

/* Puts w on the list, where jobs_end or the timer will call it. Lock
 * held. */
void jobs_watch_add_locked(wm_jobs *jobs, jobs_watch *w);

/* Frees a watch never put on the list. */
void jobs_watch_free(jobs_watch *w);

/* Starts the timer thread of the watches; -1 when it could not start
 * (wm_jobs_watch then refuses, and callers wait the old way). */
int jobs_watch_start(wm_jobs *jobs);

/* Stops the timer thread and calls what watches are left (ended). Once
 * the workers are joined. */
void jobs_watch_stop(wm_jobs *jobs);

/* Fires the cancel of every running run: the end of a drain. */
void jobs_cancel_running(wm_jobs *jobs);

/* Tells the workers to quit once the queue is empty, and joins them;
 * then unlinks what files are left to unlink (jobs_trash). */
void jobs_stop_workers(wm_jobs *jobs);

/* Frees the pool's memory and capture handles once its workers are
 * joined: the end of wm_jobs_free, and of a start that failed. */
void jobs_release(wm_jobs *jobs);

/* Prints a failure no caller can receive (a worker's) on stderr. */
void jobs_log(const char *what, const wm_error *err);

#endif
