/* wm_http: see wm_http.h; the gate and why it exists: http_internal.h.
 *
 * Per request, a context is made in the URI log callback (the only place
 * libmicrohttpd shows the raw target, before it decodes %XX in the path),
 * grows with the body, and is freed in the completion callback. An answer
 * is counted when it is queued (wm_http_queue); a request the client left
 * before it was answered is counted in the completion callback, which
 * runs for every request.
 *
 * A request that must wait (wm_http_wait_then) is suspended, its wait runs
 * on a thread of its own, and libmicrohttpd calls the access handler again
 * once it is resumed; the context then says which function answers. One
 * whose wait another thread ends (wm_http_suspend) is suspended the same
 * way, with no thread of its own, until wm_http_resume. */
#include "wm_http.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_internal.h"
#include "wm_clock.h"

#define IDLE_TIMEOUT_S 60u
#define MIN_CONNECTION_MEMORY (16u * 1024u)
#define HEADER_ROOM_BYTES (8u * 1024u)
#define MIN_POLL_THREADS 4u

typedef struct http_ctx {
    wm_http_request req;    /* first: wm_http_wait_then finds the context */
    wm_http_daemon *daemon;
    char *raw_uri;
    char *body;
    size_t body_len, body_cap;
    size_t limit;       /* of the body: --max-body, or --max-upload */
    const char *limit_flag;
    int upload_fd;      /* an upload's temporary file; -1 when none */
    char *upload_path;  /* its name, removed at completion unless taken */
    bool upload_failed; /* a write of it failed: 507 */
    int upload_errno;   /* why: EROFS answers 503 as the store would */
    bool streamed;      /* an upload: the body goes to upload_fd */
    bool too_large;     /* body went over the limit: discarded, 413 */
    bool seen;          /* the first call (headers only) has happened */
    bool dispatched;    /* counted in in_flight until completed */
    wm_http_answer_fn answer; /* set while suspended: answers on resume */
    void *answer_arg;   /* freed once answered, or with the context */
    void (*answer_release)(void *arg); /* how: NULL for free() */
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
    ctx->req.count = d->opts.count;
    ctx->req.count_ctx = d->opts.count_ctx;
    ctx->raw_uri = strdup(uri ? uri : "");
    if (!ctx->raw_uri) {
        free(ctx);
        return NULL; /* on_request then drops the connection */
    }
    ctx->req.route = -1;
    ctx->upload_fd = -1;
    return ctx;
}

/* An upload's temporary file is closed, and removed unless the handler
 * renamed it away: a body never answered, refused or cut leaves nothing. */
static void upload_end(http_ctx *ctx)
{
    if (ctx->upload_fd >= 0)
        close(ctx->upload_fd);
    ctx->upload_fd = -1;
    if (ctx->upload_path && !ctx->req.upload_taken)
        unlink(ctx->upload_path);
    free(ctx->upload_path);
    ctx->upload_path = NULL;
}

/* Writes a piece of an upload to its temporary file (made at the first
 * piece, 0600, in upload_dir); a failure is remembered and answered 507
 * once the body has arrived. */
static void upload_write(wm_http_daemon *d, http_ctx *ctx, const char *data,
                         size_t len)
{
    if (ctx->upload_failed)
        return;
    if (ctx->upload_fd < 0) {
        size_t n = strlen(d->opts.upload_dir) + sizeof "/upload-XXXXXX.tmp";
        ctx->upload_path = malloc(n);
        if (!ctx->upload_path) {
            ctx->upload_failed = true;
            return;
        }
        snprintf(ctx->upload_path, n, "%s/upload-XXXXXX.tmp",
                 d->opts.upload_dir);
        ctx->upload_fd = mkstemps(ctx->upload_path, 4);
        if (ctx->upload_fd < 0) {
            ctx->upload_errno = errno;
            free(ctx->upload_path);
            ctx->upload_path = NULL;
            ctx->upload_failed = true;
            return;
        }
    }
    while (len > 0) {
        ssize_t w = write(ctx->upload_fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            ctx->upload_errno = w < 0 ? errno : ENOSPC;
            ctx->upload_failed = true;
            return;
        }
        data += w, len -= (size_t)w;
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    wm_http_daemon *d = cls;
    http_ctx *ctx = *con_cls;
    /* The next request's head has --header-timeout from now. */
    http_conns_head_waiting(d->conns, conn, true);
    if (!ctx)
        return;
    /* A request never answered (the client left first) is counted here,
     * with status 0. */
    if (d->opts.count && !ctx->req.counted)
        d->opts.count(d->opts.count_ctx, ctx->req.route, ctx->req.status);
    bool dispatched = ctx->dispatched;
    /* The client left before it was answered. */
    if (ctx->answer_release)
        ctx->answer_release(ctx->answer_arg);
    else
        free(ctx->answer_arg);
    upload_end(ctx);
    free(ctx->raw_uri);
    free(ctx->body);
    free(ctx);
    *con_cls = NULL;
    if (!dispatched)
        return;
    pthread_mutex_lock(&d->lock);
    if (--d->in_flight == 0)
        pthread_cond_broadcast(&d->idle);
    pthread_mutex_unlock(&d->lock);
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    wm_http_daemon *d = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        http_conns_started(d->conns, conn, socket_context);
    else
        http_conns_closed(d->conns, socket_context);
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
    wm_http_resume(&ctx->req);
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
    wm_http_suspend(req, answer, arg, NULL);
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
        wm_http_resume(req);
    }
    return 0;
}

void wm_http_suspend(wm_http_request *req, wm_http_answer_fn answer,
                     void *arg, void (*release)(void *arg))
{
    http_ctx *ctx = (http_ctx *)req;
    ctx->answer = answer;
    ctx->answer_arg = arg;
    ctx->answer_release = release;
    wm_http_daemon *d = ctx->daemon;
    pthread_mutex_lock(&d->lock);
    d->waiters++;
    pthread_mutex_unlock(&d->lock);
    MHD_suspend_connection(req->conn);
}

void wm_http_resume(wm_http_request *req)
{
    wm_http_daemon *d = ((http_ctx *)req)->daemon;
    /* From here the request is libmicrohttpd's again: req may be gone. */
    MHD_resume_connection(req->conn);
    waiters_done(d);
}

/* The second half of a request that waited. */
static enum MHD_Result answer_resumed(http_ctx *ctx)
{
    wm_http_answer_fn answer = ctx->answer;
    void *arg = ctx->answer_arg;
    void (*release)(void *) = ctx->answer_release;
    ctx->answer = NULL;
    ctx->answer_arg = NULL;
    ctx->answer_release = NULL;
    int rc = answer(&ctx->req, arg);
    if (release)
        release(arg);
    else
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

static enum MHD_Result note_header(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    (void)kind;
    wm_http_head_note(cls, key, strlen(key), value ? value : "",
                      value ? strlen(value) : 0);
    return MHD_YES;
}

/* A path that decodes to a NUL byte (libmicrohttpd's decoded path would
 * silently end there) or to bytes that are not UTF-8 names nothing here,
 * and could not be quoted back in a JSON message as it is. */
static int path_checks(wm_http_request *req)
{
    size_t raw_len = strcspn(req->raw_uri, "?");
    char quoted[160];
    wm_http_quote(quoted, sizeof quoted, req->raw_uri, raw_len);
    for (size_t i = 0; i + 2 < raw_len; i++)
        if (req->raw_uri[i] == '%' && req->raw_uri[i + 1] == '0' &&
            req->raw_uri[i + 2] == '0')
            return wm_http_send_error(req, 400, "invalid_path", "path",
                                      "the path %s has a NUL byte (%%00)",
                                      quoted) == 0 ? 1 : -1;
    if (!wm_http_utf8_valid(req->path, strlen(req->path)))
        return wm_http_send_error(req, 400, "invalid_path", "path",
                                  "the path %s is not UTF-8 once its "
                                  "%%-escapes are decoded", quoted) == 0
                   ? 1 : -1;
    return 0;
}

/* Checks that can be answered before any of the body is read: the gate's
 * rules again for a later request on a kept-alive connection (the gate
 * saw only the first), then the target. Returns 1 when a response was
 * queued, -1 to drop the connection. */
static int early_checks(wm_http_daemon *d, http_ctx *ctx, const char *version)
{
    wm_http_request *req = &ctx->req;
    wm_head_facts facts = {.http11 = !strcmp(version, "HTTP/1.1")};
    wm_head_verdict v = {0};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, note_header,
                              &facts);
    ctx->streamed = d->opts.streams &&
                    d->opts.streams(req->method, strlen(req->method),
                                    req->path, strlen(req->path));
    ctx->limit = wm_http_body_limit(&d->opts, req->method,
                                    strlen(req->method), req->path,
                                    strlen(req->path), &ctx->limit_flag);
    if (wm_http_head_rules(&facts, ctx->limit, ctx->limit_flag, &v) != 0)
        return wm_http_send_error(req, v.status, v.code, v.parameter, "%s",
                                  v.message) == 0 ? 1 : -1;
    if (strlen(ctx->raw_uri) > d->opts.max_url_bytes)
        return wm_http_send_error(req, 414, "uri_too_long", NULL,
                                  "the request target is %zu bytes; allowed: "
                                  "up to %zu (--max-url)",
                                  strlen(ctx->raw_uri),
                                  d->opts.max_url_bytes) == 0 ? 1 : -1;
    return path_checks(req);
}

static int dispatch(wm_http_daemon *d, http_ctx *ctx)
{
    pthread_mutex_lock(&d->lock);
    d->in_flight++;
    pthread_mutex_unlock(&d->lock);
    ctx->dispatched = true;
    return d->opts.dispatch(&ctx->req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
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
        http_conns_head_waiting(d->conns, conn, false);
        return early_checks(d, ctx, version) < 0 ? MHD_NO : MHD_YES;
    }
    if (ctx->answer)
        return answer_resumed(ctx);
    if (req->status)
        return MHD_YES; /* answered early; the rest of the body is dropped */
    bool streamed = ctx->streamed;
    if (*upload_size) {
        if (streamed && !ctx->too_large &&
            ctx->body_len + *upload_size <= ctx->limit) {
            upload_write(d, ctx, upload, *upload_size);
            ctx->body_len += *upload_size;
        } else if (streamed) {
            ctx->too_large = true;
        } else if (append_body(ctx, upload, *upload_size,
                               ctx->limit)) {
            return MHD_NO;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (ctx->too_large)
        return wm_http_send_error(req, 413, "body_too_large", NULL,
                                  "the request body is over %zu bytes "
                                  "(%s)", ctx->limit, ctx->limit_flag)
                   ? MHD_NO : MHD_YES;
    if (ctx->upload_failed && ctx->upload_errno == EROFS)
        return wm_http_send_error(req, 503, "read_only", NULL,
                                  "the data directory is read-only: the "
                                  "upload cannot be stored (%zu bytes "
                                  "received)", ctx->body_len)
                   ? MHD_NO : MHD_YES;
    if (ctx->upload_failed)
        return wm_http_send_error(req, 507, "insufficient_storage", NULL,
                                  "the upload could not be written to the "
                                  "data directory: %s (%zu bytes received)",
                                  strerror(ctx->upload_errno
                                               ? ctx->upload_errno
                                               : ENOMEM),
                                  ctx->body_len) ? MHD_NO : MHD_YES;
    req->body = ctx->body ? ctx->body : "";
    req->body_len = ctx->body_len;
    req->upload_path = ctx->upload_path;
    return dispatch(d, ctx) == 0 ? MHD_YES : MHD_NO;
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
 * headers, at most max_head: the gate refuses more) and the response's
 * headers, and libmicrohttpd zeroes all of it for every request: twice the
 * longest head, so that a later request on a kept-alive connection that is
 * a little over still reaches early_checks and gets the JSON 414, not
 * libmicrohttpd's own; and no more. */
static size_t connection_memory(const wm_http_daemon *d)
{
    size_t bytes = 2 * d->max_head;
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

/* MHD_USE_POLL, not MHD_USE_EPOLL: with epoll, libmicrohttpd 0.9.75
 * misses a FIN that arrives with data (half a head, or half a body, then
 * close), and such connections sat in CLOSE-WAIT holding their slots for
 * the 60 s idle timeout; 600 of them made the daemon answer nothing, and
 * SIGTERM waited 10 s for them. With poll each is closed at once (measured:
 * 0 left in CLOSE-WAIT of 600, exit at once). poll, not select: no
 * FD_SETSIZE bound on descriptors. No listening socket: the gate has it. */
static struct MHD_Daemon *start_mhd(wm_http_daemon *d)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                     MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ITC | MHD_USE_ERROR_LOG;
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, d,
        /* First, so that MHD's messages about the options go to it too. */
        MHD_OPTION_EXTERNAL_LOGGER, on_log, d,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, d,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, d,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, d,
        MHD_OPTION_CONNECTION_LIMIT, d->opts.max_connections,
        MHD_OPTION_THREAD_POOL_SIZE, poll_threads(),
        MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory(d),
        MHD_OPTION_END);
}

static void free_daemon(wm_http_daemon *d)
{
    http_gate_free(d->gate);
    if (d->mhd)
        MHD_stop_daemon(d->mhd);
    http_conns_free(d->conns);
    free_sync(d);
    free(d);
}

int wm_http_start(const wm_http_options *opts, wm_http_daemon **out,
                  unsigned *port, wm_error *err)
{
    assert(opts->max_connections_per_ip > 0 && opts->header_timeout_s > 0);
    /* A socket given is ours whatever happens: closed on every failure
     * before the gate takes it, by the gate after. */
    int given = opts->listen_fd_given ? opts->listen_fd : -1;
    if (http_conns_fd_budget(opts->max_connections, err) != 0)
        return given >= 0 ? close(given), -1 : -1;
    wm_http_daemon *d = calloc(1, sizeof *d);
    if (!d) {
        if (given >= 0)
            close(given);
        return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    }
    if (init_sync(d) != 0) {
        free(d);
        if (given >= 0)
            close(given);
        return wm_error_set(err, WM_ERR_INTERNAL, "http: out of resources");
    }
    d->opts = *opts;
    d->max_head = opts->max_url_bytes + HEADER_ROOM_BYTES;
    d->conns = http_conns_new(opts->max_connections,
                              opts->max_connections_per_ip);
    if (!d->conns) {
        free_daemon(d);
        if (given >= 0)
            close(given);
        return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    }
    if (http_gate_open(d, &d->gate, port, err) != 0) {
        free_daemon(d);
        return -1;
    }
    d->mhd = start_mhd(d);
    if (!d->mhd || http_gate_start(d->gate, err) != 0) {
        if (!d->mhd)
            wm_error_set(err, WM_ERR_INTERNAL, "http: cannot start; see "
                                               "the message above");
        free_daemon(d);
        return -1;
    }
    *out = d;
    return 0;
}

void wm_http_quiesce(wm_http_daemon *daemon)
{
    http_gate_quiesce(daemon->gate);
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
    /* No new connection, and the held ones closed, before the rest. */
    http_gate_free(daemon->gate);
    daemon->gate = NULL;
    /* A wait thread still holds a suspended connection, which
     * libmicrohttpd must not free under it. */
    pthread_mutex_lock(&daemon->lock);
    while (daemon->waiters > 0)
        pthread_cond_wait(&daemon->idle, &daemon->lock);
    pthread_mutex_unlock(&daemon->lock);
    free_daemon(daemon);
}
