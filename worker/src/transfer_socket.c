/* transfer_socket: see transfer_socket.h. */
#include "transfer_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wm_clock.h"
#include "wm_path.h"

void wm_tsock_tick_due(wm_tsock_tick *tick)
{
    if (!tick || !tick->fn)
        return;
    int64_t now = wm_clock_monotonic_ns();
    if (now >= tick->at_ns)
        tick->at_ns = tick->fn(tick->arg);
}

/* Waits until fd is ready for events, or ctx->timeout_ms without it. 0
 * when ready, -1 on a timeout or a poll failure, WM_TSOCK_CANCELLED when
 * the run was cancelled. A sender's tick is called when due in between:
 * the wait is cut in pieces that end at its times. */
static int wait_ready(int fd, short events, const wm_tsock_ctx *ctx,
                      const char *what, wm_error *err)
{
    /* A negative fd is ignored by poll, so absent descriptors cost
     * nothing and keep their slots. */
    struct pollfd fds[3] = {
        {.fd = fd, .events = events},
        {.fd = ctx->cancel_fd, .events = POLLIN},
        {.fd = ctx->stop_fd, .events = POLLIN},
    };
    nfds_t count = 3;
    wm_tsock_tick *tick = ctx->tick && ctx->tick->fn ? ctx->tick : NULL;
    int64_t give_up_ns = wm_clock_monotonic_ns() +
                         (int64_t)ctx->timeout_ms * 1000000;
    for (;;) {
        int64_t until_ns = give_up_ns;
        if (tick) {
            wm_tsock_tick_due(tick);
            if (tick->at_ns < until_ns)
                until_ns = tick->at_ns;
        }
        int64_t left_ns = until_ns - wm_clock_monotonic_ns();
        if (left_ns < 0)
            left_ns = 0;
        struct timespec wait = {.tv_sec = (time_t)(left_ns / 1000000000),
                                .tv_nsec = (long)(left_ns % 1000000000)};
        int ready = ppoll(fds, count, &wait, NULL);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return wm_error_set(err, WM_ERR_IO, "transfer: poll while %s: %s",
                                what, strerror(errno));
        if (ready == 0 && wm_clock_monotonic_ns() < give_up_ns)
            continue; /* the tick's time, not the step's deadline */
        if (ready == 0)
            return wm_error_set(err, WM_ERR_TIMEOUT,
                                "transfer: %s: no progress for %u ms", what,
                                ctx->timeout_ms);
        if (fds[2].revents)
            return wm_error_set(err, WM_ERR_CANCELLED,
                                "transfer: %s: the run was cancelled", what);
        if (fds[1].revents) {
            wm_error_set(err, WM_ERR_INTERNAL,
                         "transfer: %s: cancelled, the other side failed",
                         what);
            return WM_TSOCK_CANCELLED;
        }
        /* Errors and hang-ups are reported by the call that follows. */
        return 0;
    }
}

static int set_int(int fd, int level, int name, int value, const char *param,
                   wm_error *err)
{
    if (setsockopt(fd, level, name, &value, sizeof value) == 0)
        return 0;
    return wm_error_param(err, WM_ERR_IO, param,
                          "transfer: setting %s to %d: %s", param, value,
                          strerror(errno));
}

static int apply_options(int fd, const wm_transfer_options *opts,
                         wm_error *err)
{
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        return wm_error_set(err, WM_ERR_IO, "transfer: SO_REUSEADDR: %s",
                            strerror(errno));
    if (opts->nodelay &&
        set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1, "nodelay", err) != 0)
        return -1;
    if (opts->sndbuf_bytes && set_int(fd, SOL_SOCKET, SO_SNDBUF,
                                      (int)opts->sndbuf_bytes, "sndbuf",
                                      err) != 0)
        return -1;
    if (opts->rcvbuf_bytes && set_int(fd, SOL_SOCKET, SO_RCVBUF,
                                      (int)opts->rcvbuf_bytes, "rcvbuf",
                                      err) != 0)
        return -1;
    if (opts->mss_bytes && set_int(fd, IPPROTO_TCP, TCP_MAXSEG,
                                   (int)opts->mss_bytes, "mss", err) != 0)
        return -1;
    size_t name_len = strnlen(opts->congestion, sizeof opts->congestion);
    if (name_len && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION,
                               opts->congestion, (socklen_t)name_len) != 0)
        return wm_error_param(err, WM_ERR_IO, "congestion",
                              "transfer: setting congestion to '%.16s': %s",
                              opts->congestion, strerror(errno));
    return 0;
}

static int open_on_path(const wm_transfer_options *opts, bool server,
                        wm_error *err);
static socklen_t loopback_addr(bool ipv6, uint16_t port,
                               struct sockaddr_storage *ss);

int wm_tsock_open(const wm_transfer_options *opts, bool server,
                  wm_error *err)
{
    int family = opts->ipv6 ? AF_INET6 : AF_INET;
    if (opts->path)
        return open_on_path(opts, server, err);
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return wm_error_set(err, WM_ERR_IO, "transfer: socket(%s): %s",
                            opts->ipv6 ? "IPv6" : "IPv4", strerror(errno));
    if (apply_options(fd, opts, err) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A socket on the server's or the client's host of the run's link. */
static int open_on_path(const wm_transfer_options *opts, bool server,
                        wm_error *err)
{
    int fd = wm_path_socket(opts->path,
                            server ? WM_PATH_SERVER : WM_PATH_CLIENT,
                            opts->ipv6 ? AF_INET6 : AF_INET,
                            SOCK_STREAM | SOCK_NONBLOCK, err);
    if (fd >= 0 && apply_options(fd, opts, err) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The server's address: on the link when there is one, else the loopback
 * address of the run's family; port 0 (the kernel's pick) or the given
 * one. */
static socklen_t server_addr(const wm_transfer_options *opts, uint16_t port,
                             struct sockaddr_storage *ss)
{
    if (opts->path)
        return wm_path_address(opts->path, WM_PATH_SERVER, port, ss);
    return loopback_addr(opts->ipv6, port, ss);
}

static socklen_t loopback_addr(bool ipv6, uint16_t port,
                               struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (ipv6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = in6addr_loopback;
        sin6->sin6_port = htons(port);
        return sizeof *sin6;
    }
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin->sin_port = htons(port);
    return sizeof *sin;
}

int wm_tsock_bind_listen(int fd, const wm_transfer_options *opts,
                         wm_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len = server_addr(opts, 0, &ss);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0)
        return wm_error_set(err, WM_ERR_IO, "transfer: bind to %s port 0: %s",
                            opts->ipv6 ? "::1" : "127.0.0.1",
                            strerror(errno));
    if (listen(fd, 4) != 0)
        return wm_error_set(err, WM_ERR_IO, "transfer: listen: %s",
                            strerror(errno));
    return 0;
}

int wm_tsock_connect(int fd, const wm_transfer_options *opts, uint16_t port,
                     const wm_tsock_ctx *ctx, wm_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len = server_addr(opts, port, &ss);
    if (connect(fd, (struct sockaddr *)&ss, len) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return wm_error_set(err, WM_ERR_IO, "transfer: connect to port %u: %s",
                            port, strerror(errno));
    int rc = wait_ready(fd, POLLOUT, ctx, "connecting", err);
    if (rc != 0)
        return rc;
    int so_error = 0;
    socklen_t so_len = sizeof so_error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) != 0)
        so_error = errno;
    if (so_error != 0)
        return wm_error_set(err, WM_ERR_IO, "transfer: connect to port %u: %s",
                            port, strerror(so_error));
    return 0;
}

/* Whether a and b are one address and port (IPv4 or IPv6). */
static bool same_endpoint(const struct sockaddr_storage *a,
                          const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port &&
           x->sin_addr.s_addr == y->sin_addr.s_addr;
}

int wm_tsock_accept(int listen_fd, const struct sockaddr_storage *peer,
                    const wm_tsock_ctx *ctx, wm_error *err)
{
    for (;;) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        int fd = accept4(listen_fd, (struct sockaddr *)&from, &from_len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0 && peer && !same_endpoint(peer, &from)) {
            close(fd); /* a stranger's: not the run's connection */
            continue;
        }
        if (fd >= 0)
            return fd;
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return wm_error_set(err, WM_ERR_IO, "transfer: accept: %s",
                                strerror(errno));
        int rc = wait_ready(listen_fd, POLLIN, ctx,
                            "waiting for the client to connect", err);
        if (rc != 0)
            return rc;
    }
}

int wm_tsock_local_addr(int fd, struct sockaddr_storage *ss, uint16_t *port,
                        wm_error *err)
{
    socklen_t len = sizeof *ss;
    if (getsockname(fd, (struct sockaddr *)ss, &len) != 0)
        return wm_error_set(err, WM_ERR_IO, "transfer: getsockname: %s",
                            strerror(errno));
    if (ss->ss_family == AF_INET6)
        *port = ntohs(((struct sockaddr_in6 *)ss)->sin6_port);
    else
        *port = ntohs(((struct sockaddr_in *)ss)->sin_port);
    return 0;
}

int wm_tsock_local_port(int fd, uint16_t *port, wm_error *err)
{
    struct sockaddr_storage ss;
    return wm_tsock_local_addr(fd, &ss, port, err);
}

/* Drops the first done bytes of iov; returns the entries left. */
static size_t iov_advance(struct iovec **iov, size_t count, size_t done)
{
    while (count > 0 && done >= (*iov)->iov_len) {
        done -= (*iov)->iov_len;
        (*iov)++;
        count--;
    }
    if (count > 0) {
        (*iov)->iov_base = (uint8_t *)(*iov)->iov_base + done;
        (*iov)->iov_len -= done;
    }
    return count;
}

int wm_tsock_writev_all(int fd, struct iovec *iov, size_t count,
                        const wm_tsock_ctx *ctx, const char *what,
                        wm_error *err)
{
    count = iov_advance(&iov, count, 0); /* skips empty leading entries */
    while (count > 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = count};
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n > 0) {
            count = iov_advance(&iov, count, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return wm_error_set(err, WM_ERR_IO, "transfer: %s: %s", what,
                                strerror(errno));
        int rc = wait_ready(fd, POLLOUT, ctx, what, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int wm_tsock_write_all(int fd, const uint8_t *buf, size_t len,
                       const wm_tsock_ctx *ctx, const char *what,
                       wm_error *err)
{
    struct iovec one = {.iov_base = (void *)buf, .iov_len = len};
    return wm_tsock_writev_all(fd, &one, 1, ctx, what, err);
}

int wm_tsock_sendfile_all(int fd, int in_fd, off_t *offset, size_t len,
                          const wm_tsock_ctx *ctx, const char *what,
                          wm_error *err)
{
    while (len > 0) {
        ssize_t n = sendfile(fd, in_fd, offset, len);
        if (n > 0) {
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) /* the file is shorter than the caller thought */
            return wm_error_set(err, WM_ERR_INTERNAL,
                                "transfer: %s: sendfile sent nothing", what);
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return wm_error_set(err, WM_ERR_IO, "transfer: %s: %s", what,
                                strerror(errno));
        int rc = wait_ready(fd, POLLOUT, ctx, what, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

ssize_t wm_tsock_read_some(int fd, uint8_t *buf, size_t len,
                           const wm_tsock_ctx *ctx, const char *what,
                           wm_error *err)
{
    for (;;) {
        ssize_t n = recv(fd, buf, len, 0);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return wm_error_set(err, WM_ERR_IO, "transfer: %s: %s", what,
                                strerror(errno));
        int rc = wait_ready(fd, POLLIN, ctx, what, err);
        if (rc != 0)
            return rc;
    }
}

int wm_tsock_read_exact(int fd, uint8_t *buf, size_t len,
                        const wm_tsock_ctx *ctx, const char *what,
                        wm_error *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = wm_tsock_read_some(fd, buf + done, len - done, ctx, what,
                                       err);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return wm_error_set(err, WM_ERR_IO,
                                "transfer: %s: the peer closed after %zu of "
                                "%zu bytes", what, done, len);
        done += (size_t)n;
    }
    return 0;
}

void wm_tsock_tcp_stats(int fd, wm_tcp_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    struct tcp_info info;
    socklen_t len = sizeof info;
    memset(&info, 0, sizeof info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
        return;
    stats->valid = true;
    stats->rtt_us = info.tcpi_rtt;
    stats->rttvar_us = info.tcpi_rttvar;
    stats->snd_cwnd = info.tcpi_snd_cwnd;
    stats->snd_mss = info.tcpi_snd_mss;
    stats->rcv_mss = info.tcpi_rcv_mss;
    stats->total_retrans = info.tcpi_total_retrans;
    stats->retransmits = info.tcpi_retransmits;
    char name[sizeof stats->congestion + 1] = {0};
    socklen_t name_len = sizeof stats->congestion;
    if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &name_len) == 0)
        memcpy(stats->congestion, name, sizeof stats->congestion - 1);
}
