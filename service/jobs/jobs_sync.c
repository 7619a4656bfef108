/* jobs_sync: see jobs_sync.h. */
#include "jobs_sync.h"

#include <time.h>

int jobs_sync_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc ? -1 : 0;
}

int jobs_sync_init(pthread_mutex_t *lock, pthread_cond_t *work,
                   pthread_cond_t *ended)
{
    if (pthread_mutex_init(lock, NULL) != 0)
        return -1;
    if (jobs_sync_cond_init(work) != 0) {
        pthread_mutex_destroy(lock);
        return -1;
    }
    if (jobs_sync_cond_init(ended) != 0) {
        pthread_cond_destroy(work);
        pthread_mutex_destroy(lock);
        return -1;
    }
    return 0;
}

void jobs_sync_destroy(pthread_mutex_t *lock, pthread_cond_t *work,
                       pthread_cond_t *ended)
{
    pthread_cond_destroy(ended);
    pthread_cond_destroy(work);
    pthread_mutex_destroy(lock);
}
