/* jobs_watch: wm_jobs_watch, a call-back when a run ends, so that a POST
 * that waits for its run needs no thread of its own.
 *
 * Why: a thread started per POST to block in wm_jobs_wait cost a thread
 * start and one more wake-up on every small run. A watch is a list entry
 * instead: jobs_end calls it from the worker that ended the run, and one
 * timer thread of the pool calls those whose wait ran out. A watch is
 * taken off the list under the pool's lock before it is called, so it is
 * called exactly once, by whichever comes first. */
#include <errno.h>
#include <stdlib.h>

#include "jobs_internal.h"
#include "jobs_sync.h"

struct jobs_watch {
    int64_t id;
    struct timespec deadline;   /* CLOCK_MONOTONIC */
    wm_jobs_end_fn fn;
    void *arg;
    struct jobs_watch *next;
};

static bool before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec ||
           (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Takes the watches that match out of the list into *out. Lock held. */
static void take_locked(wm_jobs *jobs, bool (*match)(const jobs_watch *w,
                                                     const void *key),
                        const void *key, jobs_watch **out)
{
    jobs_watch **p = &jobs->watches;
    while (*p) {
        jobs_watch *w = *p;
        if (match(w, key)) {
            *p = w->next;
            w->next = *out;
            *out = w;
        } else {
            p = &w->next;
        }
    }
}

static void call_all(jobs_watch *list, bool ended,
                     const wm_jobs_stored *stored)
{
    while (list) {
        jobs_watch *next = list->next;
        list->fn(list->arg, ended, stored);
        free(list);
        list = next;
    }
}

static bool same_id(const jobs_watch *w, const void *key)
{
    return w->id == *(const int64_t *)key;
}

static bool expired(const jobs_watch *w, const void *key)
{
    return !before((const struct timespec *)key, &w->deadline);
}

static bool any(const jobs_watch *w, const void *key)
{
    (void)w;
    (void)key;
    return true;
}

void jobs_watch_ended_locked(wm_jobs *jobs, int64_t id, jobs_watch **out)
{
    take_locked(jobs, same_id, &id, out);
}

void jobs_watch_call(jobs_watch *list, bool ended,
                     const wm_jobs_stored *stored)
{
    call_all(list, ended, stored);
}

static void *timer_main(void *arg)
{
    wm_jobs *jobs = arg;
    pthread_mutex_lock(&jobs->lock);
    while (!jobs->timer_quit) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        jobs_watch *due = NULL;
        take_locked(jobs, expired, &now, &due);
        if (due) {
            pthread_mutex_unlock(&jobs->lock);
            call_all(due, false, NULL);
            pthread_mutex_lock(&jobs->lock);
            continue;
        }
        const jobs_watch *first = jobs->watches;
        for (const jobs_watch *w = jobs->watches; w; w = w->next)
            if (before(&w->deadline, &first->deadline))
                first = w;
        jobs->timer_bounded = first != NULL;
        if (first) {
            jobs->timer_until = first->deadline;
            pthread_cond_timedwait(&jobs->timer_wake, &jobs->lock,
                                   &jobs->timer_until);
        } else {
            pthread_cond_wait(&jobs->timer_wake, &jobs->lock);
        }
        jobs->timer_bounded = false; /* awake: it looks at every watch */
    }
    pthread_mutex_unlock(&jobs->lock);
    return NULL;
}

int jobs_watch_start(wm_jobs *jobs)
{
    if (jobs_sync_cond_init(&jobs->timer_wake) != 0)
        return -1;
    int rc = pthread_create(&jobs->timer, NULL, timer_main, jobs);
    if (rc != 0) {
        pthread_cond_destroy(&jobs->timer_wake);
        return -1;
    }
    jobs->timer_started = true;
    return 0;
}

void jobs_watch_stop(wm_jobs *jobs)
{
    if (!jobs->timer_started)
        return;
    pthread_mutex_lock(&jobs->lock);
    jobs->timer_quit = true;
    pthread_cond_signal(&jobs->timer_wake);
    jobs_watch *left = NULL;
    take_locked(jobs, any, NULL, &left);
    pthread_mutex_unlock(&jobs->lock);
    pthread_join(jobs->timer, NULL);
    pthread_cond_destroy(&jobs->timer_wake);
    jobs->timer_started = false;
    /* Every run has ended by now (the workers are joined): the store
     * holds each one's final state. */
    call_all(left, true, NULL);
}

bool wm_jobs_watching(const wm_jobs *jobs)
{
    return jobs->timer_started;
}

jobs_watch *jobs_watch_new(const wm_jobs *jobs, int64_t id,
                           unsigned timeout_ms, wm_jobs_end_fn fn, void *arg)
{
    if (!jobs->timer_started)
        return NULL;
    jobs_watch *w = malloc(sizeof *w);
    if (!w)
        return NULL;
    *w = (jobs_watch){.id = id, .fn = fn, .arg = arg};
    wm_clock_deadline(&w->deadline, timeout_ms);
    return w;
}

void jobs_watch_add_locked(wm_jobs *jobs, jobs_watch *w)
{
    w->next = jobs->watches;
    jobs->watches = w;
    /* Only a watch due before the timer's wake-up needs it earlier. A
     * synchronous POST's watch is due after the one before it (the same
     * wait, begun later), whose wake-up the timer still sleeps towards
     * after that run ended: no wake, no switch to the timer, per POST. */
    if (jobs->timer_bounded && !before(&w->deadline, &jobs->timer_until))
        return;
    jobs->timer_signals++;
    pthread_cond_signal(&jobs->timer_wake);
}

void jobs_watch_free(jobs_watch *w)
{
    free(w);
}
