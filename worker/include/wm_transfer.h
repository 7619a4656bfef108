/* wm_transfer: a real TCP exchange of N bytes over loopback.
 *
 * A sink listens on 127.0.0.1 (or ::1) port 0, so the kernel picks a free
 * port and concurrent runs never collide; it is opened before the client
 * connects so that the capture can be filtered to its port first. The
 * client sends a small request naming the size and direction, then one side
 * sends a deterministic pattern (wm_pattern.h) whose every byte and count
 * the other checks, then both close in order. Every blocking step has a deadline: a
 * stalled peer fails the run with WM_ERR_TIMEOUT, it never hangs. */
#ifndef WM_TRANSFER_H
#define WM_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include "wm_error.h"

typedef enum wm_direction {
    WM_DOWNLOAD = 0, /* the server sends, like a file server */
    WM_UPLOAD = 1,   /* the client sends */
} wm_direction;

#define WM_TRANSFER_DEFAULT_CHUNK (64u * 1024u)
#define WM_TRANSFER_MAX_CHUNK (16u * 1024u * 1024u)
#define WM_TRANSFER_DEFAULT_TIMEOUT_MS 10000u
/* Limits of the options, plain numbers so that messages can quote them. */
#define WM_TRANSFER_MIN_MSS 88          /* the kernel's TCP_MIN_MSS */
#define WM_TRANSFER_MAX_MSS 32767       /* the kernel's MAX_TCP_WINDOW */
#define WM_TRANSFER_MAX_SOCKBUF 268435456 /* 256 MiB */
#define WM_TRANSFER_MAX_TIMEOUT_MS 600000
/* The largest loopback transfer whose two ends may share one thread
 * (transfer.c one_thread): the daemon's --here-max is bounded by it. */
#define WM_TRANSFER_ONE_THREAD_MAX_BYTES 1024u

typedef struct wm_transfer_options {
    uint64_t size_bytes;
    wm_direction direction;
    uint32_t chunk_bytes;   /* application write size */
    bool nodelay;           /* TCP_NODELAY on both sockets */
    uint32_t sndbuf_bytes;  /* SO_SNDBUF, 0: kernel default */
    uint32_t rcvbuf_bytes;  /* SO_RCVBUF, 0: kernel default */
    uint32_t mss_bytes;     /* TCP_MAXSEG, 0: kernel default */
    char congestion[16];    /* TCP_CONGESTION, "": kernel default */
    bool ipv6;              /* ::1 instead of 127.0.0.1 */
    uint32_t io_timeout_ms; /* deadline of each blocking step */
    bool sendfile;          /* the sender hands the kernel the pattern's
                               pages (sendfile from a file) instead of
                               copying it in with each write */
    const struct wm_cancel *cancel; /* fired: both sides stop at once
                                       (WM_ERR_CANCELLED); NULL: none */
    const struct wm_path *path; /* the link whose hosts the client and the
                                   server live on; NULL: loopback */
    /* Called with the data sender's socket once its connection is
     * established (accept or connect returned), and with -1 before that
     * socket is closed (the time series' sampler, wm_series.h); NULL:
     * none. From the sending thread. */
    void (*on_sender)(void *ctx, int fd);
    void *on_sender_ctx;
    /* With on_sender: called by the data sender, between its writes and
     * while it waits for its socket, once the time it last returned (on
     * the monotonic clock, wm_clock_monotonic_ns) has come; it returns
     * the next such time. Its first call is due at once after
     * on_sender(fd). So the sampler needs no thread of its own; NULL:
     * none. */
    int64_t (*on_sender_tick)(void *ctx);
} wm_transfer_options;

typedef struct wm_tcp_stats {
    bool valid;
    uint32_t rtt_us, rttvar_us;
    uint32_t snd_cwnd;       /* segments */
    uint32_t snd_mss, rcv_mss;
    uint32_t total_retrans;  /* segments retransmitted over the connection */
    uint32_t retransmits;    /* unrecovered at the time of reading */
    char congestion[16];     /* algorithm in use */
} wm_tcp_stats;

typedef struct wm_integrity {
    uint64_t expected_bytes, received_bytes;
    bool mismatch;            /* a byte received differs from the one sent */
    uint64_t mismatch_offset; /* stream offset of the first that does */
    bool verified;            /* counts equal, every byte as sent */
} wm_integrity;

typedef struct wm_transfer_result {
    uint16_t server_port, client_port;
    wm_tcp_stats sender;     /* the data sender's TCP_INFO after the data */
    wm_integrity integrity;
} wm_transfer_result;

/* Called from the sending thread about every chunk, never concurrently. */
typedef void (*wm_progress_fn)(void *ctx, uint64_t bytes_done);

typedef struct wm_transfer wm_transfer;

void wm_transfer_options_default(wm_transfer_options *opts);

/* Checks every option against what is allowed, naming the parameter
 * ("chunk", "mss", "congestion" checked against the kernel's
 * tcp_available_congestion_control...). */
int wm_transfer_validate(const wm_transfer_options *opts, wm_error *err);

/* Binds and listens; *server_port is the port the kernel chose. */
int wm_transfer_open(const wm_transfer_options *opts, wm_transfer **out,
                     uint16_t *server_port, wm_error *err);

/* Connects, exchanges, closes and verifies. Fails with WM_ERR_INTEGRITY
 * when the data differs, WM_ERR_TIMEOUT when a step stalls. */
int wm_transfer_run(wm_transfer *transfer, wm_progress_fn progress,
                    void *progress_ctx, wm_transfer_result *result,
                    wm_error *err);

/* Stops a wm_transfer_run under way (or about to start) from another
 * thread, at once: both sides fail (WM_ERR_CANCELLED). For the run's own
 * reasons, such as its budget (the caller's wm_cancel is for everyone's);
 * the transfer must not be closed before the call returns. */
void wm_transfer_cancel(wm_transfer *transfer);

void wm_transfer_close(wm_transfer *transfer);

/* One side alone, against a peer that is not this process's own: a test's
 * misbehaving socket, or some day a remote wiremeter. The result holds what
 * this side can know: when it receives, the integrity is checked against
 * the pattern of the requested size; when it sends, integrity.verified
 * stays false since only the receiver can tell. */
int wm_transfer_serve(wm_transfer *transfer, wm_progress_fn progress,
                      void *progress_ctx, wm_transfer_result *result,
                      wm_error *err);
int wm_transfer_run_client(const wm_transfer_options *opts,
                           uint16_t server_port, wm_progress_fn progress,
                           void *progress_ctx, wm_transfer_result *result,
                           wm_error *err);

/* The request the client sends first: "WMTR", version, direction, two
 * zero bytes, then the size as a big-endian u64. Public so that tests can
 * play a client by hand. */
#define WM_TRANSFER_REQUEST_BYTES 16u
#define WM_TRANSFER_PROTOCOL_VERSION 2u /* 2: wm_pattern's 64 x 2039 */
void wm_transfer_request_encode(wm_direction direction, uint64_t size_bytes,
                                uint8_t out[WM_TRANSFER_REQUEST_BYTES]);

#endif
