/* wm_error: an error built once, where a failure happens, in words fit for
 * the person who will read it, and carried up unchanged to the edge.
 *
 * Every fallible function takes a `wm_error *` (which may be NULL) and
 * returns -1 (or NULL) on failure after filling it. The edge decides how to
 * show it: the command line prints the message, the HTTP layer maps the kind
 * to a status and renders {"error": {"code", "message", "parameter"}}.
 * A fixed buffer keeps error paths free of allocation, so they cannot fail
 * themselves. */
#ifndef WM_ERROR_H
#define WM_ERROR_H

#include <stddef.h>

typedef enum wm_error_kind {
    WM_ERR_NONE = 0,
    WM_ERR_INVALID,    /* bad input from the user: HTTP 400 */
    WM_ERR_TOO_LARGE,  /* input over a configured limit: HTTP 413 */
    WM_ERR_NOT_FOUND,  /* no such run, file or connection: HTTP 404 */
    WM_ERR_PERMISSION, /* capture not permitted (CAP_NET_RAW missing) */
    WM_ERR_TIMEOUT,    /* a peer or step stalled past its deadline */
    WM_ERR_IO,         /* a system call, socket or file failed */
    WM_ERR_INTEGRITY,  /* bytes received differ from bytes sent */
    WM_ERR_BUSY,       /* queue full: HTTP 429/503 with Retry-After */
    WM_ERR_INTERNAL,   /* a bug or resource exhaustion */
} wm_error_kind;

typedef struct wm_error {
    wm_error_kind kind;
    char parameter[32]; /* the input at fault, "" when none */
    char message[480];
} wm_error;

/* Fills err (when not NULL) and returns -1, so that callers can write
 * `return wm_error_set(err, WM_ERR_IO, "...: %s", strerror(errno));`. */
int wm_error_set(wm_error *err, wm_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same, naming the parameter that was wrong. */
int wm_error_param(wm_error *err, wm_error_kind kind, const char *parameter,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Prefixes context to an existing message ("capture: " + message). */
int wm_error_prefix(wm_error *err, const char *prefix);

/* A stable machine-readable code for the kind: "invalid_parameter",
 * "too_large", "not_found", "capture_not_permitted", "timeout", "io_error",
 * "integrity_error", "busy", "internal_error". */
const char *wm_error_code(wm_error_kind kind);

void wm_error_clear(wm_error *err);

#endif
