/* wm_jobs: the end of the pool — shutdown and free. Queued runs are
 * marked interrupted at once, running ones get until the deadline, then
 * the workers are joined. See wm_jobs.h. */
#include "jobs_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Takes every queued job out of the queue (workers will not see them).
 * Lock held. */
static job *detach_queue_locked(wm_jobs *jobs)
{
    job *head = jobs->queue_head;
    jobs->queue_head = jobs->queue_tail = NULL;
    jobs->queue_depth = 0;
    return head;
}

/* Marks the queued runs failed, "interrupted by shutdown", and forgets
 * them. Returns how many there were. */
static uint64_t fail_queued(wm_jobs *jobs, job *head)
{
    uint64_t count = 0;
    while (head) {
        job *j = head;
        head = j->next;
        wm_error err = {0};
        if (wm_store_fail_run(jobs->store, j->id,
                              WM_STORE_CODE_INTERRUPTED,
                              WM_STORE_MSG_SHUTDOWN, &err) != 0)
            jobs_log("marking a queued run interrupted", &err);
        else
            count++;
        jobs_end(jobs, j, false, false, 0, 0, NULL, NULL);
    }
    return count;
}

/* Waits until no run executes or the deadline passes; true when none
 * runs. */
static bool drain_running(wm_jobs *jobs, unsigned deadline_ms)
{
    struct timespec deadline;
    wm_clock_deadline(&deadline, deadline_ms);
    pthread_mutex_lock(&jobs->lock);
    while (jobs->running > 0 &&
           pthread_cond_timedwait(&jobs->ended, &jobs->lock, &deadline) !=
               ETIMEDOUT)
        ;
    bool idle = jobs->running == 0;
    pthread_mutex_unlock(&jobs->lock);
    return idle;
}

int wm_jobs_shutdown(wm_jobs *jobs, unsigned deadline_ms,
                     uint64_t *interrupted, wm_error *err)
{
    if (interrupted)
        *interrupted = 0;
    pthread_mutex_lock(&jobs->lock);
    bool already = jobs->shut_down || jobs->stopping;
    jobs->stopping = true;
    job *queued = already ? NULL : detach_queue_locked(jobs);
    pthread_mutex_unlock(&jobs->lock);
    if (already)
        return 0;
    uint64_t count = fail_queued(jobs, queued);
    int rc = 0;
    if (!drain_running(jobs, deadline_ms)) {
        /* Stored as interrupted now, so that a kill -9 from here on loses
         * nothing; their workers' late results are refused by the store. */
        uint64_t marked = 0;
        rc = wm_store_fail_unfinished(jobs->store, WM_STORE_CODE_INTERRUPTED,
                                      WM_STORE_MSG_SHUTDOWN, &marked, err);
        count += marked;
        /* The drain is a bound: what still runs stops now, so that the
         * workers join at once instead of when their transfers end. */
        jobs_cancel_running(jobs);
    }
    jobs_stop_workers(jobs);
    jobs->shut_down = true;
    if (interrupted)
        *interrupted = count;
    return rc;
}

void wm_jobs_free(wm_jobs *jobs)
{
    if (!jobs)
        return;
    if (!jobs->shut_down && wm_jobs_shutdown(jobs, 0, NULL, NULL) != 0)
        fprintf(stderr, "wiremeter: jobs: shutdown did not store every "
                        "interrupted run\n");
    jobs_release(jobs);
}
