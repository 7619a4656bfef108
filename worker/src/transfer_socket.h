/* transfer_socket: the blocking steps of a transfer, each bounded by a
 * deadline and abortable, private to wm_transfer.
 *
 * Sockets are non-blocking and every step polls with the run's io timeout,
 * so a stalled peer becomes WM_ERR_TIMEOUT ("no progress for N ms") instead
 * of a hang. Each poll also watches a shared cancel descriptor: when one
 * side of a run fails, the other stops at once rather than waiting out its
 * own deadline on a peer that is gone. Split from transfer.c to keep both
 * files short; the prefix is wm_tsock_. */
#ifndef WM_TRANSFER_SOCKET_H
#define WM_TRANSFER_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "wm_error.h"
#include "wm_transfer.h"

/* Returned instead of -1 when a step stopped because the other side of the
 * run failed first: its error, not this one, is the cause to report. */
#define WM_TSOCK_CANCELLED (-2)

/* The sender's periodic hook (wm_transfer_options.on_sender_tick). */
typedef struct wm_tsock_tick {
    int64_t (*fn)(void *arg);  /* NULL: none */
    void *arg;
    int64_t at_ns;             /* monotonic: when fn is due next */
} wm_tsock_tick;

typedef struct wm_tsock_ctx {
    int cancel_fd;       /* eventfd, readable once the other side failed */
    int stop_fd;         /* readable once the caller cancelled the run
                            (wm_cancel_fd), -1 when it cannot */
    uint32_t timeout_ms; /* deadline of each step */
    wm_tsock_tick *tick; /* the sender's hook, called in its waits; NULL:
                            none */
} wm_tsock_ctx;

/* Calls the tick's hook if it is due (tick NULL or without one: nothing). */
void wm_tsock_tick_due(wm_tsock_tick *tick);

/* A non-blocking TCP socket of the family with the options set that must
 * precede connect or listen (buffers and MSS shape the SYN). */
int wm_tsock_open(const wm_transfer_options *opts, bool server,
                  wm_error *err);

/* Binds to the loopback address of the family, port 0, and listens. */
int wm_tsock_bind_listen(int fd, const wm_transfer_options *opts,
                         wm_error *err);

int wm_tsock_connect(int fd, const wm_transfer_options *opts, uint16_t port,
                     const wm_tsock_ctx *ctx, wm_error *err);
/* A connection from peer (NULL: from anyone); the others accepted on the
 * way are closed. */
int wm_tsock_accept(int listen_fd, const struct sockaddr_storage *peer,
                    const wm_tsock_ctx *ctx, wm_error *err);

/* The local port of a bound or connected socket. */
int wm_tsock_local_port(int fd, uint16_t *port, wm_error *err);

/* The local address and port of a bound or connected socket. */
int wm_tsock_local_addr(int fd, struct sockaddr_storage *ss, uint16_t *port,
                        wm_error *err);

int wm_tsock_write_all(int fd, const uint8_t *buf, size_t len,
                       const wm_tsock_ctx *ctx, const char *what,
                       wm_error *err);

/* All of iov, in one sendmsg when the socket takes it: one application
 * write, whatever the pieces. iov is consumed (adjusted in place). */
int wm_tsock_writev_all(int fd, struct iovec *iov, size_t count,
                        const wm_tsock_ctx *ctx, const char *what,
                        wm_error *err);

/* Bytes read (> 0), 0 at EOF, or -1 / WM_TSOCK_CANCELLED. */
/* Sends len bytes of in_fd from *offset with sendfile, advancing it. */
int wm_tsock_sendfile_all(int fd, int in_fd, off_t *offset, size_t len,
                          const wm_tsock_ctx *ctx, const char *what,
                          wm_error *err);

ssize_t wm_tsock_read_some(int fd, uint8_t *buf, size_t len,
                           const wm_tsock_ctx *ctx, const char *what,
                           wm_error *err);

/* Exactly len bytes; EOF before that is an error. */
int wm_tsock_read_exact(int fd, uint8_t *buf, size_t len,
                        const wm_tsock_ctx *ctx, const char *what,
                        wm_error *err);

/* TCP_INFO and TCP_CONGESTION of a connected socket. */
void wm_tsock_tcp_stats(int fd, wm_tcp_stats *stats);

#endif
