/* jobs_sync: the lock and the two conditions every pool of this folder
 * is built on (wm_jobs's and wm_capture_jobs's: "work" wakes a worker,
 * "ended" wakes who waits for a job), set up in one place.
 *
 * Why a module for a dozen lines: the conditions must wait on the
 * monotonic clock, because their deadlines come from wm_clock_deadline
 * (a wall clock step must not stretch or cut a POST's wait). Written
 * once, a new pool or a new condition cannot forget it. */
#ifndef JOBS_SYNC_H
#define JOBS_SYNC_H

#include <pthread.h>

/* Initialises *cond to wait on CLOCK_MONOTONIC. 0, or -1 (nothing to
 * destroy). */
int jobs_sync_cond_init(pthread_cond_t *cond);

/* Initialises *lock and, on the monotonic clock, *work and *ended. 0, or
 * -1 with none of the three left to destroy. */
int jobs_sync_init(pthread_mutex_t *lock, pthread_cond_t *work,
                   pthread_cond_t *ended);

/* Destroys what jobs_sync_init made; no thread may use them any more. */
void jobs_sync_destroy(pthread_mutex_t *lock, pthread_cond_t *work,
                       pthread_cond_t *ended);

#endif
