/* wm_cancel: a way to stop a run from outside it, at once.
 *
 * Why: a run's steps each have a deadline, but a 64 GiB transfer makes
 * progress all along and so never meets one; a daemon shutting down must
 * still be able to end it when its drain runs out. A cancel is an eventfd
 * that becomes (and stays) readable once fired, so the transfer's and the
 * capture's polls wake on it, plus a flag that the busy loops (a sender
 * that never blocks) read between chunks. Fired from any thread, any number
 * of times; the run then fails with WM_ERR_CANCELLED. */
#ifndef WM_CANCEL_H
#define WM_CANCEL_H

#include <stdbool.h>

#include "wm_error.h"

typedef struct wm_cancel wm_cancel;

/* A cancel not yet fired; NULL with err filled when no eventfd is left. */
wm_cancel *wm_cancel_new(wm_error *err);

/* Stops every run that was given it. Idempotent, thread-safe. */
void wm_cancel_fire(wm_cancel *cancel);

/* Whether it was fired; false for NULL. */
bool wm_cancel_fired(const wm_cancel *cancel);

/* The descriptor to poll for POLLIN (readable once fired); -1 for NULL. */
int wm_cancel_fd(const wm_cancel *cancel);

/* NULL is fine. No run may still be using it. */
void wm_cancel_free(wm_cancel *cancel);

#endif
