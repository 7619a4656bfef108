/* wm_threads: the helper threads of a run, kept between runs by a thread
 * that runs many of them.
 *
 * Why: a run needs up to three threads beside its caller's (the
 * transfer's server side, the capture's reader, the sender's capture
 * reader on a link with both ends captured; the TCP_INFO sampler runs in
 * the sender's). Creating and joining each costs a clone, a stack and
 * its madvise, 11-13 us here, several times per small run. A caller that runs runs one after another (the
 * daemon's job workers) calls wm_threads_keep() once: its runs' helpers
 * are then started once and handed their next task with a condition
 * variable. Without it (the CLI, the tests) each task gets a thread of
 * its own, as before.
 *
 * A helper holds no state between tasks: a task that enters a network
 * namespace (wm_path_socket) leaves it before returning. Tasks run with
 * the signal mask of the thread that kept them. */
#ifndef WM_THREADS_H
#define WM_THREADS_H

#include <stdint.h>

#include "wm_error.h"

/* Helpers kept per calling thread: the most a run uses at once, and one
 * spare. A run needing more gets a thread of its own for each task
 * beyond. */
#define WM_THREADS_KEPT 4u

typedef struct wm_thread wm_thread;

/* From now until wm_threads_release(), the calling thread's tasks run on
 * helpers kept for it. 0, or -1 with err filled (out of memory). */
int wm_threads_keep(wm_error *err);

/* Ends and joins the calling thread's helpers; no task may be running.
 * Does nothing when the thread keeps none. */
void wm_threads_release(void);

/* Runs fn(arg) beside the caller until wm_threads_join(*out). 0, or -1
 * with err filled (no thread could be started; fn did not run). */
int wm_threads_start(void (*fn)(void *arg), void *arg, wm_thread **out,
                     wm_error *err);

/* Waits for the task to return; the handle is then gone. Called by the
 * thread that started it. */
void wm_threads_join(wm_thread *thread);

/* Threads created by wm_threads_start since the process began (helpers
 * kept and threads of their own alike): how the tests see the keeping. */
uint64_t wm_threads_created(void);

#endif
