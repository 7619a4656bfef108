/* wm_http: libmicrohttpd glue — one request in, one response out.
 *
 * libmicrohttpd calls an access handler several times per request (headers,
 * body pieces, end); this module hides that behind a wm_http_request that
 * holds the whole body, bounded by --max-body (413 beyond it), and the raw
 * request target, bounded by --max-url (414). A new connection waits at a
 * gate until its first request head is whole and sound (RFC 9112; a JSON
 * error otherwise), within --header-timeout and --max-connections-per-ip
 * (http_internal.h says why). A few threads poll every connection (poll,
 * not epoll: see http.c); a request that must wait — a POST for its run — is
 * suspended and waits on a thread of its own (wm_http_wait_then), so that
 * it never delays a GET, and a GET costs no thread of its own either.
 * Every response leaves through wm_http_queue, which
 * adds the security headers and counts the request by route and status for
 * /metrics; every error leaves as {"error": {"code", "message",
 * "parameter"}}. Routing and handlers live elsewhere (wm_router). */
#ifndef WM_HTTP_H
#define WM_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "wm_error.h"

struct wm_app;

typedef struct wm_http_request {
    struct MHD_Connection *conn;
    struct wm_app *app;
    const char *method;       /* "GET", "POST"... */
    const char *path;         /* decoded path, no query */
    const char *raw_uri;      /* as received, with the query string */
    const char *body;         /* NUL-terminated; "" when none */
    size_t body_len;
    /* An upload (wm_http_options.streams): the body is not in body but in
     * this temporary file of upload_dir, body_len bytes; NULL when the body
     * was empty. Removed once the request is done unless the handler
     * renamed it away and set upload_taken. */
    const char *upload_path;
    bool upload_taken;
    int route;                /* index in the route table, -1 when none */
    char id_text[64];         /* the {id} segment, when the route has one */
    char n_text[24];          /* the {n} segment (a connection's index) */
    const char *rest;         /* what a trailing {path} matched */
    unsigned status;          /* set by wm_http_queue */
    /* How wm_http_queue counts the answer for /metrics the moment it is
     * queued (wm_http_options.count), and whether it did. */
    void (*count)(void *ctx, int route, unsigned status);
    void *count_ctx;
    bool counted;
} wm_http_request;

typedef struct wm_http_daemon wm_http_daemon;

typedef struct wm_http_options {
    const struct sockaddr *addr;
    unsigned addr_len;
    /* A socket from wm_http_listen, made before the daemon moved into a
     * network namespace of its own (wm_userns.h), is served instead of
     * binding addr; the daemon owns it from then on. */
    bool listen_fd_given;
    int listen_fd;
    size_t max_body_bytes, max_url_bytes;
    /* Uploads: requests for which streams() says so have their body
     * written to a temporary file in upload_dir as it arrives (never held
     * in memory), bounded by max_upload_bytes instead of max_body_bytes.
     * streams NULL: no request is an upload. */
    size_t max_upload_bytes;
    const char *upload_dir;
    bool (*streams)(const char *method, size_t method_len, const char *path,
                    size_t path_len);
    unsigned max_connections;
    unsigned max_connections_per_ip; /* of max_connections, per address */
    unsigned header_timeout_s;  /* for a whole request head, not per byte */
    struct wm_app *app;
    int (*dispatch)(wm_http_request *req); /* 0, or -1 to drop */
    /* Called once per finished request, answered or not (status 0). */
    void (*count)(void *ctx, int route, unsigned status);
    void *count_ctx;
} wm_http_options;

/* A listening socket on addr (non-blocking, address reuse, IPv6 only on
 * an IPv6 address), for wm_http_options.listen_fd; -1 with err. */
int wm_http_listen(const struct sockaddr *addr, unsigned addr_len,
                   wm_error *err);

/* Binds and starts serving; the bound port (useful with port 0) is
 * returned in *port. */
int wm_http_start(const wm_http_options *opts, wm_http_daemon **out,
                  unsigned *port, wm_error *err);

/* Stops accepting new connections; those open are still served. */
void wm_http_quiesce(wm_http_daemon *daemon);

/* Waits up to timeout_ms for every request begun to be answered and
 * completed; true when none is left. For shutdown: a POST that waited for
 * its run must get its answer before wm_http_stop closes its connection.
 * Idle keep-alive connections do not count. */
bool wm_http_drain(wm_http_daemon *daemon, unsigned timeout_ms);

/* Closes every connection, answered or not, and frees the daemon. Waits
 * first for the wait threads of wm_http_wait_then to be done and for
 * every wm_http_suspend to be resumed, so it must
 * come after what they wait on has ended (the job pool shut down). */
void wm_http_stop(wm_http_daemon *daemon);

/* Answers a request that waited; 0, or -1 to drop the connection. */
typedef int (*wm_http_answer_fn)(wm_http_request *req, void *arg);

/* For a handler that must wait before it can answer: suspends the
 * request, runs wait(arg) on a thread of its own, then answer(req, arg)
 * on the connection's thread once the wait returned (at once, without
 * waiting, when no thread can be had). arg is a malloc'd block that this
 * module frees after answer (or when the client left before). Returns
 * what the handler returns: 0, or -1 to drop the connection. */
int wm_http_wait_then(wm_http_request *req, void (*wait)(void *arg),
                      wm_http_answer_fn answer, void *arg);

/* For a handler whose wait another thread ends: suspends the request
 * until wm_http_resume, then calls answer(req, arg) on the connection's
 * thread. No thread is started. arg is freed as with wm_http_wait_then,
 * by release(arg) (NULL: it is a malloc'd block, free()d): it may carry
 * what the waking thread made for the answer. wm_http_resume must follow
 * exactly once, from any thread (at once when the wait turned out not
 * to be needed). */
void wm_http_suspend(wm_http_request *req, wm_http_answer_fn answer,
                     void *arg, void (*release)(void *arg));

/* Ends the suspension of wm_http_suspend; req may be gone on return. */
void wm_http_resume(wm_http_request *req);

/* Sends resp with status (security headers added, request counted) and
 * releases it. Returns 0, or -1 when the connection is gone. */
int wm_http_queue(wm_http_request *req, unsigned status,
                  struct MHD_Response *resp);

/* A response carrying a JSON text (malloc'd, taken over, len bytes) as
 * application/json, not to be cached; NULL (the text freed) when out of
 * memory. For handlers that add headers before queueing it. */
struct MHD_Response *wm_http_json_text_response(char *text, size_t len);

/* The same from a document (the reference is stolen). */
struct MHD_Response *wm_http_json_response(json_t *doc);

/* A JSON document (the reference is stolen), as application/json. */
int wm_http_send_json(wm_http_request *req, unsigned status, json_t *doc);

/* {"error": {"code", "message", "parameter"}}; parameter may be NULL. */
int wm_http_send_error(wm_http_request *req, unsigned status,
                       const char *code, const char *parameter,
                       const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The same from a wm_error, its kind mapped to a status (400, 413, 404,
 * 429 with Retry-After for busy, 500 for the rest). */
int wm_http_send_wm_error(wm_http_request *req, const wm_error *err);

/* 429 "busy" (the queue is full: Retry-After 1) or, when closing, 503
 * "shutting_down" (Retry-After 5). */
int wm_http_send_retry(wm_http_request *req, bool closing,
                       const char *message);

/* Copies src (src_len bytes of anything a client sent) into dst
 * (dst_size >= 4 bytes, NUL-terminated) to be quoted in a message: each
 * control byte and each byte that is not part of valid UTF-8 becomes
 * \xHH, and a text too long is cut on a character boundary and ends in
 * "...". Returns dst. */
const char *wm_http_quote(char *dst, size_t dst_size, const char *src,
                          size_t src_len);

/* Whether text (len bytes) is valid UTF-8 with no NUL byte. */
bool wm_http_utf8_valid(const char *text, size_t len);

/* A request header, or NULL. */
const char *wm_http_header(const wm_http_request *req, const char *name);

/* Constant-time comparison of a secret, so that response timing does not
 * reveal how much of a guessed token was right. */
bool wm_http_secret_equal(const char *given, const char *expected);

#endif
