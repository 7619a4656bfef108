/* wm_http: see wm_http.h.
 *
 * Per request, a context is made in the URI log callback (the only place
 * libmicrohttpd shows the raw target, before it decodes %XX in the path),
 * grows with the body, and is freed in the completion callback, which is
 * also where the request is counted: it runs for every request, answered
 * or not. */
#include "wm_http.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IDLE_TIMEOUT_S 60u
#define CONNECTION_MEMORY_BYTES (64u * 1024u)

struct wm_http_daemon {
    struct MHD_Daemon *mhd;
    wm_http_options opts;
    pthread_mutex_t lock;   /* guards in_flight */
    pthread_cond_t idle;    /* in_flight fell to 0 */
    unsigned in_flight;     /* requests begun and not yet completed */
};

typedef struct http_ctx {
    wm_http_request req;
    char *raw_uri;
    char *body;
    size_t body_len, body_cap;
    bool too_large;     /* body went over the limit: discarded, 413 */
    bool seen;          /* the first call (headers only) has happened */
} http_ctx;

static const char *security_headers[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Content-Security-Policy",
     "default-src 'self'; img-src 'self' data: blob:; "
     "style-src 'self' 'unsafe-inline'; object-src 'none'; "
     "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
};

int wm_http_queue(wm_http_request *req, unsigned status,
                  struct MHD_Response *resp)
{
    if (!resp)
        return -1;
    for (size_t i = 0; i < sizeof security_headers / sizeof *security_headers;
         i++)
        MHD_add_response_header(resp, security_headers[i][0],
                                security_headers[i][1]);
    enum MHD_Result rc = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    if (rc != MHD_YES)
        return -1;
    req->status = status;
    return 0;
}

int wm_http_send_json(wm_http_request *req, unsigned status, json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII)
                     : NULL;
    json_decref(doc);
    if (!text)
        return wm_http_queue(req, 500,
                             MHD_create_response_from_buffer(
                                 0, (void *)"", MHD_RESPMEM_PERSISTENT));
    size_t len = strlen(text);
    text[len] = '\0';
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(
        len, text, free);
    if (!resp) {
        free(text);
        return -1;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return wm_http_queue(req, status, resp);
}

int wm_http_send_error(wm_http_request *req, unsigned status,
                       const char *code, const char *parameter,
                       const char *fmt, ...)
{
    char message[600];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    json_t *doc = json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", code,
                            "message", message, "parameter",
                            parameter && parameter[0] ? parameter : NULL);
    return wm_http_send_json(req, status, doc);
}

int wm_http_send_retry(wm_http_request *req, bool closing,
                       const char *message)
{
    json_t *doc = json_pack("{s:{s:s, s:s}}", "error", "code",
                            closing ? "shutting_down" : "busy", "message",
                            closing ? "the server is shutting down; try "
                                      "again once it is back"
                                    : message);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    struct MHD_Response *resp =
        text ? MHD_create_response_from_buffer_with_free_callback(
                   strlen(text), text, free)
             : NULL;
    if (!resp) {
        free(text);
        return -1;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Retry-After", closing ? "5" : "1");
    return wm_http_queue(req, closing ? 503 : 429, resp);
}

static unsigned status_of(wm_error_kind kind)
{
    switch (kind) {
    case WM_ERR_INVALID: return 400;
    case WM_ERR_TOO_LARGE: return 413;
    case WM_ERR_NOT_FOUND: return 404;
    case WM_ERR_BUSY: return 429;
    case WM_ERR_PERMISSION: return 503;
    default: return 500;
    }
}

int wm_http_send_wm_error(wm_http_request *req, const wm_error *err)
{
    unsigned status = status_of(err->kind);
    json_t *doc = json_pack("{s:{s:s, s:s, s:s?}}", "error", "code",
                            wm_error_code(err->kind), "message", err->message,
                            "parameter",
                            err->parameter[0] ? err->parameter : NULL);
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);
    if (!text)
        return -1;
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(
        strlen(text), text, free);
    if (!resp) {
        free(text);
        return -1;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (status == 429 || status == 503)
        MHD_add_response_header(resp, "Retry-After", "1");
    return wm_http_queue(req, status, resp);
}

const char *wm_http_header(const wm_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

bool wm_http_secret_equal(const char *given, const char *expected)
{
    size_t given_len = strlen(given), expected_len = strlen(expected);
    unsigned char diff = given_len != expected_len;
    /* Always walk the expected secret's length, so the time depends on
     * neither where the first difference is nor the given length. */
    for (size_t i = 0; i < expected_len; i++) {
        unsigned char g = i < given_len ? (unsigned char)given[i] : 0;
        diff |= (unsigned char)(g ^ (unsigned char)expected[i]);
    }
    return diff == 0;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)conn;
    wm_http_daemon *d = cls;
    http_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->raw_uri = strdup(uri ? uri : "");
    ctx->req.route = -1;
    pthread_mutex_lock(&d->lock);
    d->in_flight++;
    pthread_mutex_unlock(&d->lock);
    return ctx;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    wm_http_daemon *d = cls;
    http_ctx *ctx = *con_cls;
    if (!ctx)
        return;
    if (d->opts.count)
        d->opts.count(d->opts.count_ctx, ctx->req.route, ctx->req.status);
    free(ctx->raw_uri);
    free(ctx->body);
    free(ctx);
    *con_cls = NULL;
    pthread_mutex_lock(&d->lock);
    if (--d->in_flight == 0)
        pthread_cond_broadcast(&d->idle);
    pthread_mutex_unlock(&d->lock);
}

static int append_body(http_ctx *ctx, const char *data, size_t len,
                       size_t limit)
{
    if (ctx->too_large || ctx->body_len + len > limit) {
        ctx->too_large = true;
        return 0;
    }
    if (ctx->body_len + len + 1 > ctx->body_cap) {
        size_t cap = ctx->body_cap ? ctx->body_cap * 2 : 4096;
        while (cap < ctx->body_len + len + 1)
            cap *= 2;
        char *grown = realloc(ctx->body, cap);
        if (!grown)
            return -1;
        ctx->body = grown;
        ctx->body_cap = cap;
    }
    memcpy(ctx->body + ctx->body_len, data, len);
    ctx->body_len += len;
    ctx->body[ctx->body_len] = '\0';
    return 0;
}

/* Checks that can be answered before any of the body is read. Returns 1
 * when a response was queued. */
static int early_checks(wm_http_daemon *d, http_ctx *ctx)
{
    wm_http_request *req = &ctx->req;
    if (strlen(ctx->raw_uri) > d->opts.max_url_bytes)
        return wm_http_send_error(req, 414, "uri_too_long", NULL,
                                  "the request target is %zu bytes; allowed: "
                                  "up to %zu (--max-url)",
                                  strlen(ctx->raw_uri),
                                  d->opts.max_url_bytes) == 0 ? 1 : -1;
    const char *length = wm_http_header(req, "Content-Length");
    if (length) {
        char *end = NULL;
        unsigned long long n = strtoull(length, &end, 10);
        if (*end == '\0' && n > d->opts.max_body_bytes)
            return wm_http_send_error(req, 413, "body_too_large", NULL,
                                      "the request body is %llu bytes; "
                                      "allowed: up to %zu (--max-body)", n,
                                      d->opts.max_body_bytes) == 0 ? 1 : -1;
    }
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    wm_http_daemon *d = cls;
    http_ctx *ctx = *con_cls;
    if (!ctx)
        return MHD_NO;
    wm_http_request *req = &ctx->req;
    if (!ctx->seen) {
        ctx->seen = true;
        req->conn = conn;
        req->app = d->opts.app;
        req->method = method;
        req->path = url;
        req->raw_uri = ctx->raw_uri;
        return early_checks(d, ctx) < 0 ? MHD_NO : MHD_YES;
    }
    if (req->status)
        return MHD_YES; /* answered early; the rest of the body is dropped */
    if (*upload_size) {
        if (append_body(ctx, upload, *upload_size, d->opts.max_body_bytes))
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    if (ctx->too_large)
        return wm_http_send_error(req, 413, "body_too_large", NULL,
                                  "the request body is over %zu bytes "
                                  "(--max-body)", d->opts.max_body_bytes)
                   ? MHD_NO : MHD_YES;
    req->body = ctx->body ? ctx->body : "";
    req->body_len = ctx->body_len;
    return d->opts.dispatch(req) == 0 ? MHD_YES : MHD_NO;
}

/* MHD's messages, whose format strings are MHD's own. */
__attribute__((format(printf, 2, 0)))
static void on_log(void *cls, const char *fmt, va_list args)
{
    (void)cls;
    fputs("wiremeter: http: ", stderr);
    vfprintf(stderr, fmt, args);
}

static int init_sync(wm_http_daemon *d)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    /* The drain deadline is on the monotonic clock: a wall clock step
     * must not stretch or cut it. */
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0 && (rc = pthread_mutex_init(&d->lock, NULL)) == 0 &&
        (rc = pthread_cond_init(&d->idle, &attr)) != 0)
        pthread_mutex_destroy(&d->lock);
    pthread_condattr_destroy(&attr);
    return rc == 0 ? 0 : -1;
}

static void free_sync(wm_http_daemon *d)
{
    pthread_cond_destroy(&d->idle);
    pthread_mutex_destroy(&d->lock);
}

int wm_http_start(const wm_http_options *opts, wm_http_daemon **out,
                  unsigned *port, wm_error *err)
{
    wm_http_daemon *d = calloc(1, sizeof *d);
    if (!d)
        return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    if (init_sync(d) != 0) {
        free(d);
        return wm_error_set(err, WM_ERR_INTERNAL, "http: out of resources");
    }
    d->opts = *opts;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    if (opts->addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    d->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, d,
        /* First, so that MHD's messages about the options go to it too. */
        MHD_OPTION_EXTERNAL_LOGGER, on_log, d,
        MHD_OPTION_SOCK_ADDR, opts->addr,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, d,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, d,
        MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_BYTES,
        MHD_OPTION_END);
    if (!d->mhd) {
        free_sync(d);
        free(d);
        return wm_error_set(err, WM_ERR_IO,
                            "cannot listen (address in use, or not "
                            "permitted); see the message above");
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    *out = d;
    return 0;
}

void wm_http_quiesce(wm_http_daemon *daemon)
{
    MHD_socket fd = MHD_quiesce_daemon(daemon->mhd);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

bool wm_http_drain(wm_http_daemon *daemon, unsigned timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&daemon->lock);
    int rc = 0;
    while (daemon->in_flight > 0 && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&daemon->idle, &daemon->lock, &deadline);
    bool idle = daemon->in_flight == 0;
    pthread_mutex_unlock(&daemon->lock);
    return idle;
}

void wm_http_stop(wm_http_daemon *daemon)
{
    if (!daemon)
        return;
    MHD_stop_daemon(daemon->mhd);
    free_sync(daemon);
    free(daemon);
}
