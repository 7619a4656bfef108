/* wm_http: see wm_http.h.
 *
 * Per request, a context is made in the URI log callback (the only place
 * libmicrohttpd shows the raw target, before it decodes %XX in the path),
 * grows with the body, and is freed in the completion callback, which is
 * also where the request is counted: it runs for every request, answered
 * or not.
 *
 * A request that must wait (wm_http_wait_then) is suspended, its wait runs
 * on a thread of its own, and libmicrohttpd calls the access handler again
 * once it is resumed; the context then says which function answers. */
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

#include "wm_clock.h"

#define IDLE_TIMEOUT_S 60u
#define MIN_CONNECTION_MEMORY (16u * 1024u)
#define HEADER_ROOM_BYTES (8u * 1024u)
#define MIN_POLL_THREADS 4u

struct wm_http_daemon {
    struct MHD_Daemon *mhd;
    wm_http_options opts;
    pthread_mutex_t lock;   /* guards in_flight and waiters */
    pthread_cond_t idle;    /* in_flight or waiters fell to 0 */
    unsigned in_flight;     /* requests begun and not yet completed */
    unsigned waiters;       /* wait threads not yet done with a request */
};

typedef struct http_ctx {
    wm_http_request req;    /* first: wm_http_wait_then finds the context */
    wm_http_daemon *daemon;
    char *raw_uri;
    char *body;
    size_t body_len, body_cap;
    bool too_large;     /* body went over the limit: discarded, 413 */
    bool seen;          /* the first call (headers only) has happened */
    wm_http_answer_fn answer; /* set while suspended: answers on resume */
    void *answer_arg;   /* freed once answered, or with the context */
} http_ctx;

typedef struct wait_job {
    http_ctx *ctx;
    void (*wait)(void *arg);
} wait_job;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)conn;
    wm_http_daemon *d = cls;
    http_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->daemon = d;
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
    free(ctx->answer_arg); /* the client left before it was answered */
    free(ctx->raw_uri);
    free(ctx->body);
    free(ctx);
    *con_cls = NULL;
    pthread_mutex_lock(&d->lock);
    if (--d->in_flight == 0)
        pthread_cond_broadcast(&d->idle);
    pthread_mutex_unlock(&d->lock);
}

static void waiters_done(wm_http_daemon *d)
{
    pthread_mutex_lock(&d->lock);
    if (--d->waiters == 0)
        pthread_cond_broadcast(&d->idle);
    pthread_mutex_unlock(&d->lock);
}

static void *wait_main(void *arg)
{
    wait_job *job = arg;
    http_ctx *ctx = job->ctx;
    job->wait(ctx->answer_arg);
    free(job);
    wm_http_daemon *d = ctx->daemon;
    /* From here the request is libmicrohttpd's again: ctx may be gone. */
    MHD_resume_connection(ctx->req.conn);
    waiters_done(d);
    return NULL;
}

int wm_http_wait_then(wm_http_request *req, void (*wait)(void *arg),
                      wm_http_answer_fn answer, void *arg)
{
    http_ctx *ctx = (http_ctx *)req;
    wait_job *job = malloc(sizeof *job);
    if (!job) {
        /* No memory to wait with: answer at once, with what there is. */
        int rc = answer(req, arg);
        free(arg);
        return rc;
    }
    *job = (wait_job){.ctx = ctx, .wait = wait};
    ctx->answer = answer;
    ctx->answer_arg = arg;
    wm_http_daemon *d = ctx->daemon;
    pthread_mutex_lock(&d->lock);
    d->waiters++;
    pthread_mutex_unlock(&d->lock);
    MHD_suspend_connection(req->conn);
    pthread_attr_t attr;
    pthread_t thread;
    int rc = pthread_attr_init(&attr);
    if (rc == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&thread, &attr, wait_main, job);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0) {
        /* No thread to wait on: resumed at once, answer() will answer
         * with what there is. */
        free(job);
        MHD_resume_connection(req->conn);
        waiters_done(d);
    }
    return 0;
}

/* The second half of a request that waited. */
static enum MHD_Result answer_resumed(http_ctx *ctx)
{
    wm_http_answer_fn answer = ctx->answer;
    void *arg = ctx->answer_arg;
    ctx->answer = NULL;
    ctx->answer_arg = NULL;
    int rc = answer(&ctx->req, arg);
    free(arg);
    return rc == 0 ? MHD_YES : MHD_NO;
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
    if (ctx->answer)
        return answer_resumed(ctx);
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

/* Each connection's memory holds the request's head (target and
 * headers) and the response's headers, and libmicrohttpd zeroes all of it
 * for every request: room for twice the longest target this daemon
 * accepts (so that a longer one still reaches early_checks and gets the
 * JSON 414, not libmicrohttpd's own) and the headers, and no more. */
static size_t connection_memory(const wm_http_options *opts)
{
    size_t bytes = 2 * opts->max_url_bytes + HEADER_ROOM_BYTES;
    return bytes < MIN_CONNECTION_MEMORY ? MIN_CONNECTION_MEMORY : bytes;
}

/* Twice the cores, at least MIN_POLL_THREADS: a handler that computes
 * (a page of a large run's packet list) holds up only the connections of
 * its own thread, and never all of them. */
static unsigned poll_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned n = cores > 0 ? 2u * (unsigned)cores : MIN_POLL_THREADS;
    return n < MIN_POLL_THREADS ? MIN_POLL_THREADS : n;
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
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
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
        MHD_OPTION_THREAD_POOL_SIZE, poll_threads(),
        MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory(opts),
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
    wm_clock_deadline(&deadline, timeout_ms);
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
    /* A wait thread still holds a suspended connection, which
     * libmicrohttpd must not free under it. */
    pthread_mutex_lock(&daemon->lock);
    while (daemon->waiters > 0)
        pthread_cond_wait(&daemon->idle, &daemon->lock);
    pthread_mutex_unlock(&daemon->lock);
    MHD_stop_daemon(daemon->mhd);
    free_sync(daemon);
    free(daemon);
}
