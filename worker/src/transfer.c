/* wm_transfer: see wm_transfer.h.
 *
 * The server side runs in a thread of its own and the client in the
 * caller's, so that one call yields one real connection with both ends
 * observed. Whoever sends the data shuts its write side first (its FIN
 * leads, as a file server's does on a download), the receiver reads to EOF
 * and closes, and the sender, having read that EOF, reads its TCP_INFO and
 * closes last. The sender writes slices of the pattern (wm_pattern.h), or
 * with sendfile hands the kernel the same slices of a file; the
 * receiver compares every byte it reads with the pattern and counts them;
 * the run compares the counts. The first side to fail cancels the
 * other through an eventfd, and its error is the one reported. The
 * options and their checks are in transfer_options.c. */
#include "wm_transfer.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transfer_socket.h"
#include "transfer_station.h"
#include "wm_cancel.h"
#include "wm_pattern.h"
#include "wm_threads.h"

/* The receiver reads and compares a block at a time, whatever the write
 * size, so that the pattern comparison finds the block still in the cache
 * the kernel's copy just wrote it to. Measured on a 1 GiB run with 1 MiB
 * writes (perf, samples of memcmp): 1 MiB reads cost a quarter more than
 * 64 KiB ones, and 16 KiB reads save little on the compare and lose it
 * again on the four times as many system calls (32 and 128 KiB: no
 * better; the same with the compare computed in registers, pattern.c).
 * The compare stays on the receiving thread: handed to a
 * verifier thread through a ring of such blocks, it left the receiving
 * thread, but the kernel's copy into blocks the other core had just read
 * cost twice as much (_copy_to_iter 239 -> 533 samples per GiB), more
 * than the compare it saved. */
#define RECV_BLOCK_BYTES (64u * 1024u)

/* The receiver of a loopback run sleeps until this much has arrived
 * (SO_RCVLOWAT), not until the first byte: woken per segment, it slept
 * and woke 4500-6300 times per GiB, each a context switch on both cores.
 * With the mark, 1 GiB runs (9 interleaved each, medians): 128 KiB
 * writes 32.1 -> 43.4 Gbit/s, 0.50 -> 0.38 CPU s/GiB, 6314 -> 1248
 * voluntary switches; 64 KiB writes 33.1 -> 36.7 Gbit/s, 0.47 -> 0.43
 * CPU s/GiB (128 and 512 KiB: alike). Reads still take a block at a
 * time, so the compare still finds each hot. Only where it cannot change
 * what the run measures: not over a link, whose window and timing a
 * receiver that reads late would change (it leaves up to the mark
 * unread in its buffer); not with --rcvbuf, which the user sets to watch
 * the window, and which caps the mark at half of it; not in writes
 * smaller than RECV_LOWAT_MIN_WRITE, whose small segments cost the
 * receive buffer far more than their bytes (a kernel buffer each), so
 * that waiting for the mark filled it, closed the window and made the
 * sender merge its writes: 12 MB in writes of 1 byte with nodelay went
 * from some 76,000 segments to 2,500; not in runs below
 * RECV_LOWAT_MIN_RUN, a lab's sizes, whose packets stay those of a
 * receiver that reads as data comes, and where it saves next to nothing.
 * The kernel wakes the reader anyway at the end (FIN), under memory
 * pressure and when the window is about to close, so the mark never
 * stalls a run. */
#define RECV_LOWAT_BYTES (256u * 1024u)
#define RECV_LOWAT_MIN_WRITE (64u * 1024u)
#define RECV_LOWAT_MIN_RUN (16u * 1024u * 1024u)

/* The sender keeps at most this much written but not yet sent in its
 * socket (TCP_NOTSENT_LOWAT). Without a bound, a sender faster than its
 * receiver (always with sendfile, often on loopback) fills its whole send
 * buffer ahead of the window and sleeps; its segments then leave from the
 * processing of the receiver's ACKs, which on loopback runs in the
 * receiving thread's softirq, so the receiving core did both ends' TCP
 * work and the capture of every data frame besides its copy and compare,
 * and was the bottleneck. Bounded, the sender wakes and sends its own.
 * 1 GiB runs, --sendfile at 128 KiB (perf samples per thread): receiving
 * thread 4563 -> 2198, sending 874 -> 1970; CPU s/GiB, medians of 6
 * interleaved runs: 0.45-0.50 -> 0.36, and 0.42-0.46 -> 0.38-0.40 for
 * copied 64 KiB, 128 KiB and 1 MiB writes. 16 and 32 KiB did no better,
 * 256 KiB kept less of the gain (bench/README.md). A write larger than
 * the bound raises it to its own size, so that one write never sleeps
 * half done: 128 KiB writes, 1 GiB runs, 8 interleaved each: 31.4 -> 32.4
 * Gbit/s, 0.53 -> 0.51 CPU s/GiB (medians); 1 MiB writes the same. */
#define SEND_NOTSENT_LOWAT_BYTES (64u * 1024u)

struct wm_transfer {
    wm_transfer_options opts;
    int listen_fd;
    bool borrowed;             /* listen_fd is the caller's: not closed */
    void (*on_connected)(void *ctx, const wm_transfer_ends *ends);
    void *on_connected_ctx;
    int cancel_fd;             /* eventfd shared by both sides */
    uint16_t server_port;
    atomic_uint failures;      /* orders the sides' failures */
    atomic_bool stopped;       /* wm_transfer_cancel was called */
};

/* One end of the exchange and what it learnt. */
typedef struct side {
    wm_transfer *transfer;     /* NULL for a lone client */
    const wm_transfer_options *opts;
    wm_tsock_ctx ctx;
    wm_progress_fn progress;
    void *progress_ctx;
    wm_direction direction;    /* as requested by the client */
    uint64_t size_bytes;       /* as requested by the client */
    bool sent;                 /* this side sent the data */
    uint64_t bytes;            /* written or received */
    bool mismatch;             /* the receiver got a byte not sent */
    uint64_t mismatch_offset;  /* stream offset of the first such byte */
    uint16_t local_port;
    wm_tcp_stats stats;        /* the sender's only */
    wm_tsock_tick tick;        /* the sender's on_sender_tick, once handed */
    int accepted_fd;           /* the server's connection, accepted for
                                  it by the client's thread; -1: accept */
    int rc;                    /* 0, -1 or WM_TSOCK_CANCELLED */
    unsigned failure_order;    /* 1 for the first side that failed */
    wm_error err;
} side;

void wm_transfer_request_encode(wm_direction direction, uint64_t size_bytes,
                                uint8_t out[WM_TRANSFER_REQUEST_BYTES])
{
    memcpy(out, "WMTR", 4);
    out[4] = WM_TRANSFER_PROTOCOL_VERSION;
    out[5] = (uint8_t)direction;
    out[6] = out[7] = 0;
    for (unsigned i = 0; i < 8; i++)
        out[8 + i] = (uint8_t)(size_bytes >> (56 - 8 * i));
}

static int request_decode(const uint8_t in[WM_TRANSFER_REQUEST_BYTES],
                          side *s, wm_error *err)
{
    if (memcmp(in, "WMTR", 4) != 0)
        return wm_error_set(err, WM_ERR_IO,
                            "transfer: the client's request is not "
                            "wiremeter's (bad magic)");
    if (in[4] != WM_TRANSFER_PROTOCOL_VERSION || in[5] > WM_UPLOAD)
        return wm_error_set(err, WM_ERR_IO,
                            "transfer: unsupported request (version %u, "
                            "direction %u)", in[4], in[5]);
    s->direction = (wm_direction)in[5];
    s->size_bytes = 0;
    for (unsigned i = 0; i < 8; i++)
        s->size_bytes = (s->size_bytes << 8) | in[8 + i];
    return 0;
}

/* A sender on loopback rarely blocks, so it would never poll the cancel:
 * both loops ask between chunks. */
static int check_cancel(side *s)
{
    if (!wm_cancel_fired(s->opts->cancel) &&
        !(s->transfer && atomic_load(&s->transfer->stopped)))
        return 0;
    return wm_error_set(&s->err, WM_ERR_CANCELLED,
                        "transfer: the run was cancelled");
}

static void fail_side(side *s, int rc)
{
    s->rc = rc;
    if (rc == -1 && s->transfer) {
        s->failure_order = atomic_fetch_add(&s->transfer->failures, 1) + 1;
        uint64_t one = 1;
        if (write(s->transfer->cancel_fd, &one, sizeof one) < 0) {
            /* An eventfd write fails only on overflow: already signalled. */
        }
    }
}

/* Writes the data a chunk at a time, each chunk one sendmsg of pattern
 * slices (or, with sendfile, the same slices of the pattern's file), so
 * the application write size is what the user asked for. */
static int send_pattern(side *s, int fd, const wm_pattern *pattern,
                        int pattern_fd)
{
    struct iovec iov[WM_TRANSFER_MAX_CHUNK / WM_PATTERN_PERIOD + 2];
    uint32_t chunk = s->opts->chunk_bytes;
    int rc = 0;
    int lowat = chunk > SEND_NOTSENT_LOWAT_BYTES ? (int)chunk
                                                 : (int)SEND_NOTSENT_LOWAT_BYTES;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
                   sizeof lowat) != 0) {
        /* Only where the work is done changes (Linux < 3.12): go on. */
    }
    while (rc == 0 && s->bytes < s->size_bytes &&
           (rc = check_cancel(s)) == 0) {
        uint64_t left = s->size_bytes - s->bytes;
        uint32_t n = left < chunk ? (uint32_t)left : chunk;
        size_t count = wm_pattern_iov(pattern, s->bytes, n, iov,
                                      sizeof iov / sizeof iov[0]);
        if (pattern_fd < 0)
            rc = wm_tsock_writev_all(fd, iov, count, &s->ctx,
                                     "sending the data", &s->err);
        for (size_t i = 0; pattern_fd >= 0 && rc == 0 && i < count; i++) {
            off_t at = (uint8_t *)iov[i].iov_base - pattern->bytes;
            rc = wm_tsock_sendfile_all(fd, pattern_fd, &at, iov[i].iov_len,
                                       &s->ctx, "sending the data",
                                       &s->err);
        }
        if (rc == 0) {
            s->bytes += n;
            if (s->progress)
                s->progress(s->progress_ctx, s->bytes);
            wm_tsock_tick_due(s->ctx.tick);
        }
    }
    if (rc == 0 && s->size_bytes == 0 && s->progress)
        s->progress(s->progress_ctx, 0);
    return rc;
}

/* Sends and shuts the write side: the sender's FIN leads. */
static int send_data_begin(side *s, int fd)
{
    wm_pattern pattern;
    if (wm_pattern_init(&pattern, s->size_bytes, &s->err) != 0)
        return -1;
    s->sent = true;
    int pattern_fd = -1;
    if (s->opts->sendfile && pattern.len > 0 &&
        (pattern_fd = wm_pattern_file(&pattern, &s->err)) < 0) {
        wm_pattern_free(&pattern);
        return -1;
    }
    int rc = send_pattern(s, fd, &pattern, pattern_fd);
    if (pattern_fd >= 0)
        close(pattern_fd);
    wm_pattern_free(&pattern);
    if (rc == 0 && shutdown(fd, SHUT_WR) != 0)
        rc = wm_error_set(&s->err, WM_ERR_IO, "transfer: shutdown: %s",
                          strerror(errno));
    return rc;
}

/* Waits for the receiver's EOF, so that the sender's TCP_INFO is read
 * with all data acknowledged. */
static int send_data_end(side *s, int fd)
{
    uint8_t unexpected[256];
    ssize_t n = wm_tsock_read_some(fd, unexpected, sizeof unexpected,
                                   &s->ctx,
                                   "waiting for the receiver to close",
                                   &s->err);
    if (n > 0)
        return wm_error_set(&s->err, WM_ERR_IO,
                            "transfer: the receiver sent data back");
    if (n == 0)
        wm_tsock_tcp_stats(fd, &s->stats);
    return (int)n;
}

static int send_data(side *s, int fd)
{
    int rc = send_data_begin(s, fd);
    return rc == 0 ? send_data_end(s, fd) : rc;
}

/* Reads to EOF, comparing each byte with the pattern until the first that
 * differs, counting them all. */
static int receive_data(side *s, int fd)
{
    const size_t len = RECV_BLOCK_BYTES;
    /* Aligned like the sender's table: a read that starts at a stream
     * offset that is a multiple of 64 compares whole cache lines. */
    void *block = NULL;
    if (posix_memalign(&block, WM_PATTERN_ALIGN, len) != 0)
        block = NULL;
    uint8_t *buf = block;
    if (!buf)
        return wm_error_set(&s->err, WM_ERR_INTERNAL,
                            "transfer: out of memory for a read buffer");
    int lowat = (int)RECV_LOWAT_BYTES;
    if (!s->opts->path && s->opts->rcvbuf_bytes == 0 &&
        s->opts->chunk_bytes >= RECV_LOWAT_MIN_WRITE &&
        s->size_bytes >= RECV_LOWAT_MIN_RUN &&
        setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat) != 0) {
        /* Only the number of wakes changes: go on. */
    }
    ssize_t n;
    while ((n = wm_tsock_read_some(fd, buf, len, &s->ctx,
                                   "receiving the data", &s->err)) > 0) {
        size_t same = s->mismatch ? (size_t)n
                                  : wm_pattern_match(s->size_bytes, s->bytes,
                                                     buf, (size_t)n);
        if (same < (size_t)n) {
            s->mismatch = true;
            s->mismatch_offset = s->bytes + same;
        }
        s->bytes += (uint64_t)n;
        if (check_cancel(s) != 0) {
            n = -1;
            break;
        }
    }
    free(buf);
    return (int)n;
}

/* The side that sends is the server on a download, the client on an
 * upload. */
static bool sends_data(const side *s, bool is_server)
{
    return (s->direction == WM_DOWNLOAD) == is_server;
}

static int exchange(side *s, int fd, bool is_server)
{
    return sends_data(s, is_server) ? send_data(s, fd) : receive_data(s, fd);
}

/* The sender's socket goes to on_sender as soon as the connection is
 * established (accept or connect returned), so that the time series'
 * first kernel sample is the handshake's state, not the first write's:
 * on a link with delay the request's trip lies between them. Whether it
 * went is decided once, from the options (the server reads the request's
 * direction only later), and it is taken back on every way out, before
 * the close. */
static bool hand_over(side *s, int fd, bool is_server)
{
    if (!s->opts->on_sender || !sends_data(s, is_server))
        return false;
    s->opts->on_sender(s->opts->on_sender_ctx, fd);
    if (s->opts->on_sender_tick) {
        /* Due at once: the hook itself says when it wants the next. */
        s->tick = (wm_tsock_tick){.fn = s->opts->on_sender_tick,
                                  .arg = s->opts->on_sender_ctx,
                                  .at_ns = INT64_MIN};
        s->ctx.tick = &s->tick;
    }
    return true;
}

static void hand_back(side *s, bool handed)
{
    s->ctx.tick = NULL;
    if (handed)
        s->opts->on_sender(s->opts->on_sender_ctx, -1);
}

static void serve_side(side *s)
{
    wm_transfer *t = s->transfer;
    uint8_t request[WM_TRANSFER_REQUEST_BYTES];
    int fd = s->accepted_fd >= 0
                 ? s->accepted_fd
                 : wm_tsock_accept(t->listen_fd, NULL, &s->ctx, &s->err);
    if (fd < 0) {
        fail_side(s, fd);
        return;
    }
    bool handed = hand_over(s, fd, true);
    int rc = wm_tsock_read_exact(fd, request, sizeof request, &s->ctx,
                                 "reading the client's request", &s->err);
    if (rc == 0)
        rc = request_decode(request, s, &s->err);
    if (rc == 0)
        rc = exchange(s, fd, true);
    hand_back(s, handed);
    close(fd);
    if (rc != 0)
        fail_side(s, rc);
}

static void server_thread(void *arg)
{
    serve_side(arg);
}

/* The client's socket, connected: -1 (the side failed) or its fd, with
 * *local its address. */
static int client_connect(side *s, uint16_t server_port,
                          struct sockaddr_storage *local)
{
    int fd = wm_tsock_open(s->opts, false, &s->err);
    if (fd < 0) {
        fail_side(s, -1);
        return -1;
    }
    int rc = wm_tsock_connect(fd, s->opts, server_port, &s->ctx, &s->err);
    if (rc == 0)
        rc = wm_tsock_local_addr(fd, local, &s->local_port, &s->err);
    if (rc != 0) {
        close(fd);
        fail_side(s, rc);
        return -1;
    }
    wm_transfer *t = s->transfer;
    if (t && t->on_connected) {
        wm_transfer_ends ends = {.client = *local};
        socklen_t len = sizeof ends.server;
        if (getpeername(fd, (struct sockaddr *)&ends.server, &len) != 0) {
            wm_error_set(&s->err, WM_ERR_IO, "transfer: getpeername: %s",
                         strerror(errno));
            close(fd);
            fail_side(s, -1);
            return -1;
        }
        t->on_connected(t->on_connected_ctx, &ends);
    }
    return fd;
}

/* The request, the exchange, the close, on a connected socket. */
static void client_exchange(side *s, int fd)
{
    uint8_t request[WM_TRANSFER_REQUEST_BYTES];
    bool handed = hand_over(s, fd, false);
    wm_transfer_request_encode(s->direction, s->size_bytes, request);
    int rc = wm_tsock_write_all(fd, request, sizeof request, &s->ctx,
                                "sending the request", &s->err);
    if (rc == 0)
        rc = exchange(s, fd, false);
    hand_back(s, handed);
    close(fd);
    if (rc != 0)
        fail_side(s, rc);
}

static void client_side(side *s, uint16_t server_port)
{
    struct sockaddr_storage local;
    int fd = client_connect(s, server_port, &local);
    if (fd >= 0)
        client_exchange(s, fd);
}

static void side_init(side *s, wm_transfer *t, const wm_transfer_options *o,
                      wm_progress_fn progress, void *progress_ctx)
{
    memset(s, 0, sizeof *s);
    s->transfer = t;
    s->opts = o;
    s->ctx.cancel_fd = t ? t->cancel_fd : -1;
    s->ctx.stop_fd = wm_cancel_fd(o->cancel);
    s->ctx.timeout_ms = o->io_timeout_ms;
    s->accepted_fd = -1;
    s->direction = o->direction;
    s->size_bytes = o->size_bytes;
    s->progress = progress;
    s->progress_ctx = progress_ctx;
}

/* The transfer and its eventfd, without a listener yet. */
static wm_transfer *transfer_new(const wm_transfer_options *opts,
                                 wm_error *err)
{
    wm_transfer *t = calloc(1, sizeof *t);
    if (!t) {
        wm_error_set(err, WM_ERR_INTERNAL, "transfer: out of memory");
        return NULL;
    }
    t->opts = *opts;
    t->listen_fd = -1;
    t->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (t->cancel_fd < 0) {
        wm_error_set(err, WM_ERR_IO, "transfer: eventfd: %s",
                     strerror(errno));
        free(t);
        return NULL;
    }
    return t;
}

int wm_transfer_open(const wm_transfer_options *opts, wm_transfer **out,
                     uint16_t *server_port, wm_error *err)
{
    *out = NULL;
    if (wm_transfer_validate(opts, err) != 0)
        return -1;
    wm_transfer *t = transfer_new(opts, err);
    if (!t)
        return -1;
    t->listen_fd = wm_tsock_open(opts, true, err);
    int rc = t->listen_fd < 0 ? -1 : wm_tsock_bind_listen(t->listen_fd, opts,
                                                         err);
    if (rc == 0)
        rc = wm_tsock_local_port(t->listen_fd, &t->server_port, err);
    if (rc != 0) {
        wm_transfer_close(t);
        return -1;
    }
    *server_port = t->server_port;
    *out = t;
    return 0;
}

int wm_transfer_open_on(const wm_transfer_options *opts, int listen_fd,
                        uint16_t port, wm_transfer **out, wm_error *err)
{
    assert(listen_fd >= 0 && port != 0);
    *out = NULL;
    if (wm_transfer_validate(opts, err) != 0)
        return -1;
    wm_transfer *t = transfer_new(opts, err);
    if (!t)
        return -1;
    t->listen_fd = listen_fd;
    t->borrowed = true;
    t->server_port = port;
    *out = t;
    return 0;
}

int wm_transfer_detach_listener(wm_transfer *transfer)
{
    if (transfer->borrowed)
        return -1;
    int fd = transfer->listen_fd;
    transfer->listen_fd = -1;
    return fd;
}

void wm_transfer_on_connected(wm_transfer *transfer,
                              void (*fn)(void *ctx,
                                         const wm_transfer_ends *ends),
                              void *ctx)
{
    transfer->on_connected = fn;
    transfer->on_connected_ctx = ctx;
}

void wm_transfer_cancel(wm_transfer *transfer)
{
    atomic_store(&transfer->stopped, true);
    uint64_t one = 1; /* the sides' polls wake on it, as on a failure */
    if (write(transfer->cancel_fd, &one, sizeof one) < 0) {
        /* An eventfd write fails only on overflow: already signalled. */
    }
}

void wm_transfer_close(wm_transfer *transfer)
{
    if (!transfer)
        return;
    if (transfer->listen_fd >= 0 && !transfer->borrowed)
        close(transfer->listen_fd);
    if (transfer->cancel_fd >= 0)
        close(transfer->cancel_fd);
    free(transfer);
}

/* The sender's count is the expected one; a lone receiver expects the
 * size its client asked for. */
static int fill_result(const side *sender, const side *receiver,
                       wm_transfer_result *result, wm_error *err)
{
    wm_integrity *in = &result->integrity;
    if (sender)
        result->sender = sender->stats;
    in->expected_bytes = sender ? sender->bytes : receiver->size_bytes;
    if (!receiver)
        return 0;
    in->received_bytes = receiver->bytes;
    in->mismatch = receiver->mismatch;
    in->mismatch_offset = receiver->mismatch_offset;
    in->verified = in->received_bytes == in->expected_bytes && !in->mismatch;
    if (in->verified)
        return 0;
    if (in->mismatch)
        return wm_error_set(err, WM_ERR_INTEGRITY,
                            "transfer: integrity: byte %llu received differs "
                            "from the byte sent (%llu of %llu bytes "
                            "received)",
                            (unsigned long long)in->mismatch_offset,
                            (unsigned long long)in->received_bytes,
                            (unsigned long long)in->expected_bytes);
    return wm_error_set(err, WM_ERR_INTEGRITY,
                        "transfer: integrity: received %llu of %llu bytes",
                        (unsigned long long)in->received_bytes,
                        (unsigned long long)in->expected_bytes);
}

/* The first real failure is the cause; a cancellation is its echo. */
static int first_failure(const side *a, const side *b, wm_error *err)
{
    const side *cause = NULL;
    if (a->rc == -1)
        cause = a;
    if (b->rc == -1 && (!cause || b->failure_order < cause->failure_order))
        cause = b;
    if (!cause)
        cause = a->rc != 0 ? a : b;
    if (err)
        *err = cause->err;
    return -1;
}

/* A small loopback run's two ends on the caller's thread, one step of
 * each at a time, in the order the wire sees them with a thread per end:
 * the request, the data and the sender's FIN, the receiver's close, the
 * sender's. None of these steps waits for a later one of the other end,
 * since the whole exchange fits the sockets' buffers (one_thread), so
 * no step blocks for long; a side that fails closes at once, so that the
 * other's next read sees it (its failure also fires the cancel). Spared:
 * the server side's hand-over to a helper and back, a futex wake of a
 * sleeping thread each way. */
#define ONE_THREAD_MAX_WRITES 16u

static bool one_thread(const wm_transfer *t)
{
    const wm_transfer_options *o = &t->opts;
    assert(o->chunk_bytes > 0);
    /* Default buffers are 16 KiB and more: a KiB in segments of the
     * smallest MSS (12 of them, with their overhead) fits both. Not in
     * tiny writes, though: with nodelay each is a segment of its own,
     * whose overhead a receiver that does not read yet would pile up
     * until its window closed, and the sender would wait on it. */
    return !o->path && o->size_bytes <= WM_TRANSFER_ONE_THREAD_MAX_BYTES &&
           o->size_bytes / o->chunk_bytes < ONE_THREAD_MAX_WRITES &&
           o->sndbuf_bytes == 0 && o->rcvbuf_bytes == 0;
}

/* The end of one side: its sender's socket taken back, closed, its
 * failure recorded. */
static void end_side(side *s, int *fd, bool handed, int rc)
{
    if (*fd < 0)
        return;
    hand_back(s, handed);
    close(*fd);
    *fd = -1;
    if (rc != 0)
        fail_side(s, rc);
}

static void both_sides(side *server, side *client, int client_fd)
{
    int fds[2] = {server->accepted_fd, client_fd};
    assert(fds[0] >= 0 && fds[1] >= 0);
    server->accepted_fd = -1;
    bool handed[2] = {hand_over(server, fds[0], true),
                      hand_over(client, fds[1], false)};
    uint8_t request[WM_TRANSFER_REQUEST_BYTES];
    wm_transfer_request_encode(client->direction, client->size_bytes,
                               request);
    int rc = wm_tsock_write_all(fds[1], request, sizeof request,
                                &client->ctx, "sending the request",
                                &client->err);
    if (rc != 0)
        end_side(client, &fds[1], handed[1], rc);
    rc = wm_tsock_read_exact(fds[0], request, sizeof request, &server->ctx,
                             "reading the client's request", &server->err);
    if (rc == 0)
        rc = request_decode(request, server, &server->err);
    if (rc != 0)
        end_side(server, &fds[0], handed[0], rc);
    /* [0]: the server, [1]: the client; who sends, who receives. */
    side *sides[2] = {server, client};
    int x = client->direction == WM_DOWNLOAD ? 0 : 1, y = 1 - x;
    if (fds[x] >= 0 && (rc = send_data_begin(sides[x], fds[x])) != 0)
        end_side(sides[x], &fds[x], handed[x], rc);
    if (fds[y] >= 0)
        end_side(sides[y], &fds[y], handed[y],
                 receive_data(sides[y], fds[y]));
    if (fds[x] >= 0)
        end_side(sides[x], &fds[x], handed[x],
                 send_data_end(sides[x], fds[x]));
}

int wm_transfer_run(wm_transfer *transfer, wm_progress_fn progress,
                    void *progress_ctx, wm_transfer_result *result,
                    wm_error *err)
{
    memset(result, 0, sizeof *result);
    side server, client;
    side_init(&server, transfer, &transfer->opts, progress, progress_ctx);
    side_init(&client, transfer, &transfer->opts, progress, progress_ctx);
    /* The client's thread accepts, once its connect returned, so that it
     * knows which connection is its own (transfer_station.h); the server
     * side starts on the accepted connection. */
    struct sockaddr_storage local;
    if (transfer->borrowed)
        wm_tsock_drain_backlog(transfer->listen_fd);
    int fd = client_connect(&client, transfer->server_port, &local);
    if (fd >= 0) {
        server.accepted_fd = wm_tsock_accept(transfer->listen_fd, &local,
                                             &server.ctx, &server.err);
        if (server.accepted_fd < 0) {
            fail_side(&server, server.accepted_fd);
            close(fd);
            fd = -1;
        }
    }
    wm_thread *thread = NULL;
    if (fd >= 0 && one_thread(transfer)) {
        both_sides(&server, &client, fd);
        fd = -1;
    }
    if (fd >= 0 &&
        wm_threads_start(server_thread, &server, &thread, err) != 0) {
        close(server.accepted_fd);
        close(fd);
        return -1;
    }
    if (fd >= 0)
        client_exchange(&client, fd);
    if (thread)
        wm_threads_join(thread);
    result->server_port = transfer->server_port;
    result->client_port = client.local_port;
    if (server.rc != 0 || client.rc != 0)
        return first_failure(&server, &client, err);
    bool download = transfer->opts.direction == WM_DOWNLOAD;
    return fill_result(download ? &server : &client,
                       download ? &client : &server, result, err);
}

int wm_transfer_serve(wm_transfer *transfer, wm_progress_fn progress,
                      void *progress_ctx, wm_transfer_result *result,
                      wm_error *err)
{
    memset(result, 0, sizeof *result);
    side s;
    side_init(&s, NULL, &transfer->opts, progress, progress_ctx);
    s.transfer = transfer;
    s.ctx.cancel_fd = -1; /* nobody else to cancel it */
    serve_side(&s);
    result->server_port = transfer->server_port;
    if (s.rc != 0) {
        if (err)
            *err = s.err;
        return -1;
    }
    return fill_result(s.sent ? &s : NULL, s.sent ? NULL : &s, result, err);
}

int wm_transfer_run_client(const wm_transfer_options *opts,
                           uint16_t server_port, wm_progress_fn progress,
                           void *progress_ctx, wm_transfer_result *result,
                           wm_error *err)
{
    memset(result, 0, sizeof *result);
    if (wm_transfer_validate(opts, err) != 0)
        return -1;
    side s;
    side_init(&s, NULL, opts, progress, progress_ctx);
    client_side(&s, server_port);
    result->server_port = server_port;
    result->client_port = s.local_port;
    if (s.rc != 0) {
        if (err)
            *err = s.err;
        return -1;
    }
    return fill_result(s.sent ? &s : NULL, s.sent ? NULL : &s, result, err);
}
