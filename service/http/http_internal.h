/* wm_http internals shared by the module's files, not part of its
 * interface (wm_http.h).
 *
 * Why the module is more than libmicrohttpd glue: libmicrohttpd 0.9.75
 * accepts what RFC 9112 says to refuse (obs-fold, two Content-Lengths, no
 * Host), answers its own errors with HTML bodies, and lets one client take
 * every connection slot with heads that never end. So the daemon owns the
 * listening socket: a gate (http_gate.c) holds each new connection until
 * its first request head has arrived whole (peeked, not read), refuses it
 * in JSON when unsound (http_head.c), cuts it when it is too slow, and only
 * then hands the socket to libmicrohttpd. http_conns.c counts connections
 * per client address and gives later requests on a kept-alive connection
 * the same head deadline. */
#ifndef WM_HTTP_INTERNAL_H
#define WM_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wm_http.h"

typedef struct http_gate http_gate;
typedef struct http_conns http_conns;

struct wm_http_daemon {
    struct MHD_Daemon *mhd;
    wm_http_options opts;
    size_t max_head;        /* bytes of a request head, target included */
    http_conns *conns;
    http_gate *gate;
    pthread_mutex_t lock;   /* guards in_flight and waiters */
    pthread_cond_t idle;    /* in_flight or waiters fell to 0 */
    unsigned in_flight;     /* requests dispatched and not yet completed */
    unsigned waiters;       /* wait threads not yet done with a request */
};

/* http_send.c: the headers every response carries. */
extern const char *const wm_http_security_headers[][2];
extern const size_t wm_http_security_header_count;

/* http_text.c: text for a message, made safe (wm_http_quote); truncated
 * says vsnprintf cut it, so that a character it split is dropped. */
void wm_http_clean_message(char *dst, size_t dst_size, const char *text,
                           size_t len, bool truncated);

/* http_head.c: the request head's rules. */
typedef struct wm_head_facts {
    bool http11;              /* HTTP/1.1, else HTTP/1.0 */
    unsigned hosts, lengths, encodings;
    const char *length;       /* the first Content-Length value */
    size_t length_len;
    const char *encoding;     /* the first Transfer-Encoding value */
    size_t encoding_len;
    const char *method;       /* of the request line (the gate's scan) */
    size_t method_len;
    const char *target;       /* the raw target, query included */
    size_t target_len;
} wm_head_facts;

typedef struct wm_head_verdict {
    unsigned status;          /* 0 while acceptable */
    const char *code;
    const char *parameter;    /* NULL or the header at fault */
    char message[300];
} wm_head_verdict;

/* Notes one header line (value without surrounding whitespace). */
void wm_http_head_note(wm_head_facts *f, const char *name, size_t name_len,
                       const char *value, size_t value_len);

/* The rules on Host and on the body's framing, for the gate's raw head and
 * for libmicrohttpd's parsed headers of a later request on a kept-alive
 * connection; max_body is the request's limit and flag the option that
 * sets it (wm_http_body_limit). 0, or -1 with v saying what to answer. */
int wm_http_head_rules(const wm_head_facts *f, size_t max_body,
                       const char *flag, wm_head_verdict *v);

/* The body limit of a request to path (no query) and the flag setting it:
 * --max-upload for an upload (wm_http_options.streams), else --max-body. */
size_t wm_http_body_limit(const wm_http_options *o, const char *method,
                          size_t method_len, const char *path,
                          size_t path_len, const char **flag);

/* Raw bytes of a connection's first request, as peeked. 0 while the head
 * is incomplete (and within limits), 1 when it is complete and sound
 * (*head_len its length), -1 when it is refused (v). */
int wm_http_head_scan(const char *buf, size_t len, const wm_http_options *o,
                      size_t max_head, size_t *head_len, wm_head_verdict *v);

/* http_conns.c */
http_conns *http_conns_new(unsigned max_total, unsigned max_per_address);
void http_conns_free(http_conns *c);
/* Raises RLIMIT_NOFILE's soft limit when max_total connections need it;
 * -1 with err when even the hard limit is too low. */
int http_conns_fd_budget(unsigned max_total, wm_error *err);
/* A slot for a connection from addr: 0, or -1 when the address has all
 * its slots (enforce) — nothing is taken then. */
int http_conns_take(http_conns *c, const struct sockaddr *addr, bool enforce);
void http_conns_give(http_conns *c, const struct sockaddr *addr);
bool http_conns_full(http_conns *c);
/* libmicrohttpd's connections: started/closed from its notifications,
 * waiting for a head (between requests) or not (a request is on). */
void http_conns_started(http_conns *c, struct MHD_Connection *conn,
                        void **socket_context);
void http_conns_closed(http_conns *c, void **socket_context);
void http_conns_head_waiting(http_conns *c, struct MHD_Connection *conn,
                             bool waiting);
/* Cuts libmicrohttpd's connections that have waited for a head longer
 * than timeout_ns (shutdown: libmicrohttpd then sees the end and closes). */
void http_conns_cut_stale(http_conns *c, int64_t now_ns, int64_t timeout_ns);

/* http_gate.c */
int http_gate_open(wm_http_daemon *d, http_gate **out, unsigned *port,
                   wm_error *err);
int http_gate_start(http_gate *g, wm_error *err);
/* Stops accepting; returns once the listening socket is closed. */
void http_gate_quiesce(http_gate *g);
/* Stops the thread, closes the connections it holds, frees. */
void http_gate_free(http_gate *g);

#endif
