/* wm_http: the gate — the listening socket, and each new connection until
 * its first request head is whole (http_internal.h says why it exists).
 *
 * One thread, one epoll set: the listening socket, an eventfd for
 * commands, and the connections held, edge-triggered with EPOLLRDHUP, so
 * that every arrival of bytes (and the peer's FIN, with or without data)
 * is seen once. Bytes are only peeked: a head found whole and sound is
 * handed to libmicrohttpd (MHD_add_connection) with all its bytes still in
 * the kernel's buffer. A head refused is answered here in JSON; one that
 * is not whole within --header-timeout gets 408; a peer that closed its
 * side before a whole head gets nothing (as nginx). The same thread cuts
 * libmicrohttpd's connections that waited too long for a later head. */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "http_internal.h"
#include "wm_clock.h"

#define SWEEP_MS 100
#define ACCEPT_BURST 256
#define EVENTS 128
#define DRAIN_BYTES 65536

enum { CMD_QUIESCE = 1, CMD_STOP = 2 };

typedef struct gate_conn {
    int fd;
    int64_t since_ns;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    struct gate_conn *prev, *next;
} gate_conn;

struct http_gate {
    wm_http_daemon *d;
    int listen_fd, epoll_fd, wake_fd;
    pthread_t thread;
    bool started;
    bool listening;         /* listen_fd is in the epoll set */
    int64_t accept_pause_until; /* out of descriptors: try again then */
    atomic_int commands;
    pthread_mutex_t lock;   /* guards quiesced */
    pthread_cond_t quiesced_cond;
    bool quiesced;
    gate_conn *held;
    char *buf;              /* max_head + 1: one byte past the limit */
    size_t buf_len;
};

/* epoll's data of the two sockets that are not connections. */
static char listen_mark, wake_mark;

static const char *reason(unsigned status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

/* The response text of a refusal: the same document and headers as
 * wm_http_send_error's, and the connection closes. NULL when out of
 * memory. */
static char *refusal_text(const wm_head_verdict *v, size_t *len)
{
    json_t *doc = json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", v->code,
                            "message", v->message, "parameter", v->parameter);
    char *body = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);
    if (!body)
        return NULL;
    char head[1536];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
                     "Cache-Control: no-store\r\nConnection: close\r\n%s",
                     v->status, reason(v->status),
                     v->status == 429 ? "Retry-After: 1\r\n" : "");
    for (size_t i = 0; i < wm_http_security_header_count && n > 0 &&
                       (size_t)n < sizeof head; i++)
        n += snprintf(head + n, sizeof head - (size_t)n, "%s: %s\r\n",
                      wm_http_security_headers[i][0],
                      wm_http_security_headers[i][1]);
    char *text = NULL;
    if (n > 0 && (size_t)n < sizeof head &&
        asprintf(&text, "%sContent-Length: %zu\r\n\r\n%s", head, strlen(body),
                 body) < 0)
        text = NULL;
    free(body);
    *len = text ? strlen(text) : 0;
    return text;
}

/* Answers a refusal (best effort: the socket's buffer is empty, so a
 * response this small fits) and closes. What the client sent is read
 * first, so that closing does not reset the connection under the answer. */
static void refuse_fd(http_gate *g, int fd, const wm_head_verdict *v)
{
    size_t len = 0;
    char *text = refusal_text(v, &len);
    if (text && send(fd, text, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        (void)0; /* the client left: nothing to tell it */
    free(text);
    shutdown(fd, SHUT_WR);
    for (size_t got = 0; got < DRAIN_BYTES;) {
        ssize_t n = recv(fd, g->buf, g->buf_len, MSG_DONTWAIT);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (g->d->opts.count)
        g->d->opts.count(g->d->opts.count_ctx, -1, v->status);
}

/* Lets go of a held connection: off the list and the epoll set, its slot
 * given back. The caller closes or hands over the socket. */
static void release(http_gate *g, gate_conn *c)
{
    epoll_ctl(g->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->held = c->next;
    if (c->next)
        c->next->prev = c->prev;
    http_conns_give(g->d->conns, (struct sockaddr *)&c->addr);
}

static void drop(http_gate *g, gate_conn *c, const wm_head_verdict *v)
{
    release(g, c);
    if (v)
        refuse_fd(g, c->fd, v);
    else
        close(c->fd);
    free(c);
}

static void hand_over(http_gate *g, gate_conn *c)
{
    release(g, c);
    /* libmicrohttpd closes the socket itself when it cannot take it. */
    if (MHD_add_connection(g->d->mhd, c->fd, (struct sockaddr *)&c->addr,
                           c->addr_len) != MHD_YES)
        fprintf(stderr, "wiremeter: http: a connection could not be "
                        "handed over: %s\n", strerror(errno));
    free(c);
}

static void on_bytes(http_gate *g, gate_conn *c, uint32_t events)
{
    if (events & EPOLLERR) {
        drop(g, c, NULL);
        return;
    }
    ssize_t n = recv(c->fd, g->buf, g->buf_len, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        drop(g, c, NULL); /* closed, or reset, before a request */
        return;
    }
    wm_head_verdict v = {0};
    size_t head_len = 0;
    int rc = wm_http_head_scan(g->buf, (size_t)n, &g->d->opts,
                               g->d->max_head, &head_len, &v);
    if (rc > 0)
        hand_over(g, c);
    else if (rc < 0)
        drop(g, c, &v);
    else if (events & (EPOLLRDHUP | EPOLLHUP))
        drop(g, c, NULL); /* half a head, and no more will come */
}

static void admit(http_gate *g, int fd, const struct sockaddr_storage *addr,
                  socklen_t addr_len)
{
    wm_head_verdict v = {0};
    if (http_conns_take(g->d->conns, (const struct sockaddr *)addr, true)) {
        snprintf(v.message, sizeof v.message,
                 "this address has %u connections open, the most allowed "
                 "(--max-connections-per-ip); close some and try again",
                 g->d->opts.max_connections_per_ip);
        v.status = 429, v.code = "too_many_connections";
        refuse_fd(g, fd, &v);
        return;
    }
    gate_conn *c = calloc(1, sizeof *c);
    if (!c) {
        http_conns_give(g->d->conns, (const struct sockaddr *)addr);
        close(fd);
        return;
    }
    *c = (gate_conn){.fd = fd, .since_ns = wm_clock_monotonic_ns(),
                     .addr = *addr, .addr_len = addr_len, .next = g->held};
    if (g->held)
        g->held->prev = c;
    g->held = c;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET,
                             .data.ptr = c};
    if (epoll_ctl(g->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0)
        drop(g, c, NULL);
}

static void set_listening(http_gate *g, bool on)
{
    if (on == g->listening || g->listen_fd < 0)
        return;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listen_mark};
    if (epoll_ctl(g->epoll_fd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
                  g->listen_fd, &ev) == 0)
        g->listening = on;
}

static void accept_some(http_gate *g)
{
    for (int i = 0; i < ACCEPT_BURST && !http_conns_full(g->d->conns); i++) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int fd = accept4(g->listen_fd, (struct sockaddr *)&addr, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            admit(g, fd, &addr, len);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
            errno == ENOMEM) {
            /* The connection stays in the backlog; the listening socket
             * would wake this thread at once again: rest a moment. */
            g->accept_pause_until = wm_clock_monotonic_ns() +
                                    SWEEP_MS * INT64_C(1000000);
            set_listening(g, false);
        }
        return;
    }
}

/* The heads that are late: 408 to the gate's, shutdown for
 * libmicrohttpd's (a later request on a kept-alive connection). */
static void sweep(http_gate *g, int64_t now)
{
    int64_t timeout = (int64_t)g->d->opts.header_timeout_s * 1000000000;
    wm_head_verdict v = {.status = 408, .code = "request_timeout"};
    snprintf(v.message, sizeof v.message,
             "the request head did not arrive whole within %u s "
             "(--header-timeout)", g->d->opts.header_timeout_s);
    for (gate_conn *c = g->held, *next; c; c = next) {
        next = c->next;
        if (now - c->since_ns > timeout)
            drop(g, c, &v);
    }
    http_conns_cut_stale(g->d->conns, now, timeout);
}

static void quiesce_now(http_gate *g)
{
    set_listening(g, false);
    if (g->listen_fd >= 0)
        close(g->listen_fd);
    g->listen_fd = -1;
    pthread_mutex_lock(&g->lock);
    g->quiesced = true;
    pthread_cond_broadcast(&g->quiesced_cond);
    pthread_mutex_unlock(&g->lock);
}

static void *gate_main(void *arg)
{
    http_gate *g = arg;
    struct epoll_event events[EVENTS];
    int64_t next_sweep = 0;
    for (;;) {
        int n = epoll_wait(g->epoll_fd, events, EVENTS, SWEEP_MS);
        int cmd = atomic_exchange(&g->commands, 0);
        if (cmd & CMD_QUIESCE)
            quiesce_now(g);
        if (cmd & CMD_STOP)
            break;
        for (int i = 0; i < n; i++) {
            void *p = events[i].data.ptr;
            if (p == &wake_mark) {
                uint64_t count;
                if (read(g->wake_fd, &count, sizeof count) < 0)
                    (void)0; /* already read: the commands are taken */
            } else if (p == &listen_mark) {
                accept_some(g);
            } else {
                on_bytes(g, p, events[i].events);
            }
        }
        int64_t now = wm_clock_monotonic_ns();
        if (now >= next_sweep) {
            sweep(g, now);
            next_sweep = now + SWEEP_MS * INT64_C(1000000);
        }
        set_listening(g, now >= g->accept_pause_until &&
                             !http_conns_full(g->d->conns));
    }
    return NULL;
}

/* The listening socket, as libmicrohttpd would make it: address reuse,
 * IPv6 only on an IPv6 address, non-blocking. */
int wm_http_listen(const struct sockaddr *addr, unsigned addr_len,
                   wm_error *err)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
                                         SOCK_CLOEXEC, 0);
    if (fd < 0)
        return wm_error_set(err, WM_ERR_IO, "cannot listen: %s",
                            strerror(errno));
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (addr->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(fd, addr, addr_len) != 0 || listen(fd, SOMAXCONN) != 0) {
        int saved = errno;
        close(fd);
        return wm_error_set(err, WM_ERR_IO, "cannot listen: %s",
                            strerror(saved));
    }
    return fd;
}

/* The port fd is bound to. */
static int port_of(int fd, unsigned *port)
{
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &len) != 0)
        return -1;
    *port = ntohs(bound.ss_family == AF_INET6
                      ? ((struct sockaddr_in6 *)&bound)->sin6_port
                      : ((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

static void free_gate(http_gate *g)
{
    for (gate_conn *c = g->held, *next; c; c = next) {
        next = c->next;
        close(c->fd);
        http_conns_give(g->d->conns, (struct sockaddr *)&c->addr);
        free(c);
    }
    if (g->listen_fd >= 0)
        close(g->listen_fd);
    if (g->epoll_fd >= 0)
        close(g->epoll_fd);
    if (g->wake_fd >= 0)
        close(g->wake_fd);
    pthread_cond_destroy(&g->quiesced_cond);
    pthread_mutex_destroy(&g->lock);
    free(g->buf);
    free(g);
}

int http_gate_open(wm_http_daemon *d, http_gate **out, unsigned *port,
                   wm_error *err)
{
    http_gate *g = calloc(1, sizeof *g);
    if (!g) {
        if (d->opts.listen_fd_given)
            close(d->opts.listen_fd);
        return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    }
    g->d = d;
    g->epoll_fd = g->wake_fd = -1;
    /* A socket given is the gate's from now on, closed with it. */
    g->listen_fd = d->opts.listen_fd_given ? d->opts.listen_fd : -1;
    g->buf_len = d->max_head + 1;
    g->buf = malloc(g->buf_len);
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->quiesced_cond, NULL);
    g->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    g->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &wake_mark};
    if (!g->buf || g->epoll_fd < 0 || g->wake_fd < 0 ||
        epoll_ctl(g->epoll_fd, EPOLL_CTL_ADD, g->wake_fd, &ev) != 0) {
        free_gate(g);
        return wm_error_set(err, WM_ERR_INTERNAL, "http: out of resources");
    }
    if (g->listen_fd < 0)
        g->listen_fd = wm_http_listen(d->opts.addr, d->opts.addr_len, err);
    if (g->listen_fd < 0) {
        free_gate(g);
        return -1;
    }
    if (port_of(g->listen_fd, port) != 0) {
        int saved = errno;
        free_gate(g);
        return wm_error_set(err, WM_ERR_IO, "cannot listen: getsockname: "
                            "%s", strerror(saved));
    }
    *out = g;
    return 0;
}

int http_gate_start(http_gate *g, wm_error *err)
{
    set_listening(g, true);
    if (!g->listening || pthread_create(&g->thread, NULL, gate_main, g) != 0)
        return wm_error_set(err, WM_ERR_INTERNAL, "http: cannot start the "
                                                  "accepting thread");
    g->started = true;
    return 0;
}

static void command(http_gate *g, int cmd)
{
    atomic_fetch_or(&g->commands, cmd);
    uint64_t one = 1;
    if (write(g->wake_fd, &one, sizeof one) < 0)
        (void)0; /* the counter is full: the thread is awake anyway */
}

void http_gate_quiesce(http_gate *g)
{
    if (!g->started) {
        quiesce_now(g);
        return;
    }
    command(g, CMD_QUIESCE);
    pthread_mutex_lock(&g->lock);
    while (!g->quiesced)
        pthread_cond_wait(&g->quiesced_cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

void http_gate_free(http_gate *g)
{
    if (!g)
        return;
    if (g->started) {
        command(g, CMD_STOP);
        pthread_join(g->thread, NULL);
    }
    free_gate(g);
}
