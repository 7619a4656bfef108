/* wm_guard: who may ask what, decided before any handler runs.
 *
 * Three checks, in this order, each answering with a JSON error:
 * - Host (421): the daemon answers only to the names it serves
 *   (wm_config_host_allowed), so that a DNS-rebinding page, whose
 *   requests still carry its own name, reads nothing; /healthz aside,
 *   which holds nothing private and which probes ask by any name (a
 *   container's health check, a pod's address);
 * - Origin (403) on a request that changes something (any method but
 *   GET and HEAD): a browser names the page that sent it, and a page of
 *   another site must not start runs on a token-less loopback daemon — a
 *   form POST needs no CORS preflight, so CORS alone does not stop it;
 * - the bearer token (401 without, 403 wrong), for POST and DELETE when
 *   one is set, and for every route but /healthz and the page's files
 *   with --protect-reads. */
#ifndef WM_GUARD_H
#define WM_GUARD_H

#include "wm_http.h"

typedef enum wm_guard_class {
    WM_GUARD_API,     /* every check */
    WM_GUARD_PAGE,    /* the page's files: open even with --protect-reads */
    WM_GUARD_HEALTH,  /* /healthz: that, and any Host */
} wm_guard_class;

/* 1 when the request may go on; else the answer is queued and this
 * returns 0, or -1 when the connection is to be dropped. */
int wm_guard_request(wm_http_request *req, wm_guard_class cls);

#endif
