/* wm_threads: see wm_threads.h.
 *
 * A kept helper and the thread that keeps it talk through one mutex and
 * one condition variable: the owner sets a task and waits for it to be
 * done; the helper waits for a task or the word to quit. Only the owner
 * chooses a helper for a task (its helpers are its own, through a
 * thread-local pointer), so a helper's `busy` needs no lock. */
#include "wm_threads.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    TASK_NONE,  /* idle, waiting for a task */
    TASK_GIVEN, /* set by the owner, running or about to */
    TASK_DONE,  /* returned, not yet joined */
    TASK_QUIT,  /* the owner released its helpers */
} task_state;

struct wm_thread {
    pthread_t thread;
    bool kept;                 /* one of a keeper's helpers */
    bool busy;                 /* the owner's: between start and join */
    pthread_mutex_t lock;      /* guards state, fn, arg */
    pthread_cond_t changed;
    task_state state;
    void (*fn)(void *arg);
    void *arg;
};

typedef struct keeper {
    wm_thread helpers[WM_THREADS_KEPT];
    unsigned started;          /* helpers[0..started) have a thread */
} keeper;

static _Thread_local keeper *own;
static atomic_uint_fast64_t created;

uint64_t wm_threads_created(void)
{
    return atomic_load(&created);
}

static void *helper_main(void *arg)
{
    wm_thread *h = arg;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        while (h->state != TASK_GIVEN && h->state != TASK_QUIT)
            pthread_cond_wait(&h->changed, &h->lock);
        if (h->state == TASK_QUIT)
            break;
        pthread_mutex_unlock(&h->lock);
        h->fn(h->arg);
        pthread_mutex_lock(&h->lock);
        assert(h->state == TASK_GIVEN);
        h->state = TASK_DONE;
        pthread_cond_signal(&h->changed);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* A one-off task's thread: the task, then its end. */
static void *alone_main(void *arg)
{
    wm_thread *t = arg;
    t->fn(t->arg);
    return NULL;
}

int wm_threads_keep(wm_error *err)
{
    if (own)
        return 0;
    own = calloc(1, sizeof *own);
    if (!own)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "out of memory for the run's helper threads");
    return 0;
}

void wm_threads_release(void)
{
    if (!own)
        return;
    for (unsigned i = 0; i < own->started; i++) {
        wm_thread *h = &own->helpers[i];
        assert(!h->busy);
        pthread_mutex_lock(&h->lock);
        h->state = TASK_QUIT;
        pthread_cond_signal(&h->changed);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->thread, NULL);
        pthread_cond_destroy(&h->changed);
        pthread_mutex_destroy(&h->lock);
    }
    free(own);
    own = NULL;
}

/* An idle helper of the calling thread's, started if need be; NULL when
 * it keeps none or all are busy. */
static wm_thread *idle_helper(void)
{
    if (!own)
        return NULL;
    for (unsigned i = 0; i < own->started; i++)
        if (!own->helpers[i].busy)
            return &own->helpers[i];
    if (own->started == WM_THREADS_KEPT)
        return NULL;
    wm_thread *h = &own->helpers[own->started];
    memset(h, 0, sizeof *h);
    h->kept = true;
    h->state = TASK_NONE;
    if (pthread_mutex_init(&h->lock, NULL) != 0)
        return NULL;
    if (pthread_cond_init(&h->changed, NULL) != 0) {
        pthread_mutex_destroy(&h->lock);
        return NULL;
    }
    if (pthread_create(&h->thread, NULL, helper_main, h) != 0) {
        pthread_cond_destroy(&h->changed);
        pthread_mutex_destroy(&h->lock);
        return NULL; /* the task still gets a thread of its own */
    }
    atomic_fetch_add(&created, 1);
    own->started++;
    return h;
}

int wm_threads_start(void (*fn)(void *arg), void *arg, wm_thread **out,
                     wm_error *err)
{
    *out = NULL;
    wm_thread *h = idle_helper();
    if (h) {
        assert(h->kept && !h->busy);
        h->busy = true;
        pthread_mutex_lock(&h->lock);
        assert(h->state == TASK_NONE);
        h->fn = fn;
        h->arg = arg;
        h->state = TASK_GIVEN;
        pthread_cond_signal(&h->changed);
        pthread_mutex_unlock(&h->lock);
        *out = h;
        return 0;
    }
    wm_thread *t = calloc(1, sizeof *t);
    if (!t)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "out of memory for a thread");
    t->fn = fn;
    t->arg = arg;
    int rc = pthread_create(&t->thread, NULL, alone_main, t);
    if (rc != 0) {
        free(t);
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "cannot start a thread: %s", strerror(rc));
    }
    atomic_fetch_add(&created, 1);
    *out = t;
    return 0;
}

void wm_threads_join(wm_thread *t)
{
    assert(t);
    if (!t->kept) {
        pthread_join(t->thread, NULL);
        free(t);
        return;
    }
    assert(t->busy);
    pthread_mutex_lock(&t->lock);
    while (t->state != TASK_DONE)
        pthread_cond_wait(&t->changed, &t->lock);
    t->state = TASK_NONE;
    pthread_mutex_unlock(&t->lock);
    t->busy = false;
}
