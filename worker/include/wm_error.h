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

#include <stdbool.h>
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
    WM_ERR_NO_SPACE,   /* the disk is full, or below its reserve: 507 */
    WM_ERR_READ_ONLY,  /* the store cannot be written now: HTTP 503 */
    WM_ERR_CANCELLED,  /* the run was cancelled (shutdown): "interrupted" */
    WM_ERR_BUDGET,     /* a run went over its budget (wm_budget.h) */
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
 * "integrity_error", "busy", "internal_error", "budget_exceeded". */
const char *wm_error_code(wm_error_kind kind);

void wm_error_clear(wm_error *err);

/* The length of the longest prefix of text that is valid UTF-8 (no
 * overlong forms, surrogates or code points past U+10FFFF) and holds no
 * control character (C0, DEL, C1): strlen(text) when all of it is. */
size_t wm_text_valid_prefix(const char *text);

/* Input quoted in a message may be anything, and a message goes to
 * terminals and into JSON, which must be UTF-8. Writes into buf (len
 * bytes, NUL-terminated) at most max bytes made from text: whole UTF-8
 * characters only, each control byte and each byte that is not valid
 * UTF-8 as the four characters \xNN, and "..." after it when text was
 * cut. Returns buf. */
const char *wm_error_quote(const char *text, size_t max, char *buf,
                           size_t len);

/* The same for text_len bytes that may hold NUL bytes (a raw request
 * target, a header). */
const char *wm_text_quote(const char *text, size_t text_len, size_t max,
                          char *buf, size_t len);

/* Whether text (len bytes) is valid UTF-8 with no NUL byte. */
bool wm_utf8_valid(const char *text, size_t len);

#endif
