/* wm_threads: see wm_threads.h.
 *
 * A kept helper and the thread that keeps it hand a task over through
 * one atomic word and the futex on it, not a mutex and a condition
 * variable: measured under strace, the pair cost 56 futex calls per small
 * run against 31 with a thread per task (a woken waiter found the mutex
 * still held); the word costs a wake and a wait per hand-over, and no
 * wake at all when the other side is not asleep. Only the owner chooses a
 * helper for a task (its helpers are its own, through a thread-local
 * pointer), so a helper's `busy` needs no lock. */
#include "wm_threads.h"

#include <assert.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

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
    _Atomic uint32_t state;    /* a task_state; the futex word */
    atomic_bool helper_asleep; /* the helper waits on the word for a task */
    atomic_bool owner_asleep;  /* the owner waits on it for the task's end */
    void (*fn)(void *arg);     /* written before state becomes GIVEN */
    void *arg;
};

typedef struct keeper {
    wm_thread helpers[WM_THREADS_KEPT];
    unsigned started;          /* helpers[0..started) have a thread */
} keeper;

static _Thread_local keeper *own;
static atomic_uint_fast64_t created;

/* Until the word is no longer `seen`. Each side has a flag of its own
 * saying it sleeps: with one, a helper just woken could clear the flag
 * the owner had set since, and sleep through the end of the task. */
static void wait_change(wm_thread *h, uint32_t seen, atomic_bool *asleep)
{
    while (atomic_load(&h->state) == seen) {
        atomic_store(asleep, true);
        /* The store above and the load in the kernel are ordered against
         * the other side's store of the state and its read of asleep. */
        if (syscall(SYS_futex, &h->state, FUTEX_WAIT_PRIVATE, seen, NULL,
                    NULL, 0) != 0) {
            assert(errno == EAGAIN || errno == EINTR);
        }
        atomic_store(asleep, false);
    }
}

/* The new state, and a wake when the other side (its flag: sleeper)
 * sleeps. */
static void set_state(wm_thread *h, task_state state, atomic_bool *sleeper)
{
    atomic_store(&h->state, (uint32_t)state);
    if (atomic_load(sleeper))
        syscall(SYS_futex, &h->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

uint64_t wm_threads_created(void)
{
    return atomic_load(&created);
}

static void *helper_main(void *arg)
{
    wm_thread *h = arg;
    for (;;) {
        uint32_t state;
        while ((state = atomic_load(&h->state)) == TASK_NONE ||
               state == TASK_DONE)
            wait_change(h, state, &h->helper_asleep);
        if (state == TASK_QUIT)
            break;
        assert(state == TASK_GIVEN);
        h->fn(h->arg);
        set_state(h, TASK_DONE, &h->owner_asleep);
    }
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
        assert(!h->busy && atomic_load(&h->state) == TASK_NONE);
        set_state(h, TASK_QUIT, &h->helper_asleep);
        pthread_join(h->thread, NULL);
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
    atomic_init(&h->state, TASK_NONE);
    atomic_init(&h->helper_asleep, false);
    atomic_init(&h->owner_asleep, false);
    if (pthread_create(&h->thread, NULL, helper_main, h) != 0)
        return NULL; /* the task still gets a thread of its own */
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
        assert(atomic_load(&h->state) == TASK_NONE);
        h->fn = fn;
        h->arg = arg;
        /* Publishes fn and arg (seq_cst). */
        set_state(h, TASK_GIVEN, &h->helper_asleep);
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
    uint32_t state;
    while ((state = atomic_load(&t->state)) != TASK_DONE)
        wait_change(t, state, &t->owner_asleep);
    /* The helper waits for GIVEN or QUIT: NONE needs no wake. */
    atomic_store(&t->state, TASK_NONE);
    t->busy = false;
}
