/* Real transfers over loopback, without capture (no privileges needed):
 * every size in both directions, the socket options, validation, and peers
 * that stall or lie, which must end in a timeout or an integrity error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "skip_rule.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wm_pattern.h"
#include "wm_transfer.h"

#define MIB (1024u * 1024u)

typedef struct progress_log {
    unsigned calls;
    uint64_t last;
    int monotonic;
} progress_log;

static void on_progress(void *ctx, uint64_t bytes_done)
{
    progress_log *log = ctx;
    if (log->calls > 0 && bytes_done < log->last)
        log->monotonic = 0;
    log->calls++;
    log->last = bytes_done;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One full run; returns its rc and leaves the outputs for checks. */
static int run_transfer(const wm_transfer_options *opts,
                        wm_transfer_result *result, progress_log *log,
                        wm_error *err)
{
    wm_transfer *t = NULL;
    uint16_t port = 0;
    if (wm_transfer_open(opts, &t, &port, err) != 0)
        return -1;
    assert_true(port > 0);
    *log = (progress_log){.monotonic = 1};
    int rc = wm_transfer_run(t, on_progress, log, result, err);
    assert_int_equal(result->server_port, port);
    wm_transfer_close(t);
    return rc;
}

static void check_transfer(uint64_t size, wm_direction direction)
{
    wm_transfer_options opts;
    wm_transfer_options_default(&opts);
    opts.size_bytes = size;
    opts.direction = direction;
    wm_transfer_result result;
    progress_log log;
    wm_error err = {0};
    int rc = run_transfer(&opts, &result, &log, &err);
    if (rc != 0)
        fail_msg("transfer of %llu bytes failed: %s",
                 (unsigned long long)size, err.message);
    assert_true(result.integrity.verified);
    assert_int_equal(result.integrity.expected_bytes, size);
    assert_int_equal(result.integrity.received_bytes, size);
    assert_true(result.client_port > 0);
    assert_int_not_equal(result.client_port, result.server_port);
    assert_true(result.sender.valid);
    assert_true(result.sender.snd_mss > 0);
    assert_true(log.calls >= 1);
    assert_true(log.monotonic);
    assert_int_equal(log.last, size);
}

static const uint64_t sizes[] = {0, 13, 2000, 439000, 1000000, 64u * MIB};

static void test_download_sizes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check_transfer(sizes[i], WM_DOWNLOAD);
}

static void test_upload_sizes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check_transfer(sizes[i], WM_UPLOAD);
}

/* The real sender at each write size, either way, copying or with
 * sendfile: every byte arrives and checks out across the receiver's
 * blocks and the pattern's period, and the last chunk is the short one. */
static void test_write_sizes_verified(void **state)
{
    (void)state;
    const uint32_t writes[] = {1000, 64u * 1024u, 128u * 1024u, MIB};
    const uint64_t size = 2ull * WM_PATTERN_PERIOD + 1000;
    for (size_t i = 0; i < 2 * sizeof writes / sizeof writes[0]; i++) {
        size_t w = i / 2;
        for (int dir = WM_DOWNLOAD; dir <= WM_UPLOAD; dir++) {
            wm_transfer_options opts;
            wm_transfer_options_default(&opts);
            opts.size_bytes = size;
            opts.chunk_bytes = writes[w];
            opts.direction = (wm_direction)dir;
            opts.sendfile = i % 2 == 1;
            wm_transfer_result result;
            progress_log log;
            wm_error err = {0};
            if (run_transfer(&opts, &result, &log, &err) != 0)
                fail_msg("%u-byte writes: %s", writes[w], err.message);
            assert_true(result.integrity.verified);
            assert_false(result.integrity.mismatch);
            assert_int_equal(result.integrity.received_bytes, size);
            assert_int_equal(log.calls, (size + writes[w] - 1) / writes[w]);
            assert_int_equal(log.last, size);
        }
    }
}

/* sendfile with a stream shorter than the period (a file of 13 bytes)
 * and with none at all (no file). */
static void test_sendfile_small(void **state)
{
    (void)state;
    const uint64_t small[] = {0, 1, 13, 70000};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        wm_transfer_options opts;
        wm_transfer_options_default(&opts);
        opts.size_bytes = small[i];
        opts.chunk_bytes = 4096;
        opts.sendfile = true;
        wm_transfer_result result;
        progress_log log;
        wm_error err = {0};
        if (run_transfer(&opts, &result, &log, &err) != 0)
            fail_msg("%llu bytes: %s", (unsigned long long)small[i],
                     err.message);
        assert_true(result.integrity.verified);
        assert_int_equal(result.integrity.received_bytes, small[i]);
    }
}

static bool congestion_offered(const char *name)
{
    char line[256] = "";
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_congestion_control",
                    "r");
    if (!f)
        return false;
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    for (char *tok = strtok(line, " \n"); tok; tok = strtok(NULL, " \n"))
        if (strcmp(tok, name) == 0)
            return true;
    return false;
}

static void test_options_applied(void **state)
{
    (void)state;
    for (int dir = WM_DOWNLOAD; dir <= WM_UPLOAD; dir++) {
        wm_transfer_options opts;
        wm_transfer_options_default(&opts);
        opts.size_bytes = 300000;
        opts.direction = (wm_direction)dir;
        opts.nodelay = true;
        opts.sndbuf_bytes = 16384;
        opts.rcvbuf_bytes = 16384;
        opts.mss_bytes = 1000;
        opts.chunk_bytes = 1500;
        bool reno = congestion_offered("reno");
        if (reno)
            strcpy(opts.congestion, "reno");
        wm_transfer_result result;
        progress_log log;
        wm_error err = {0};
        if (run_transfer(&opts, &result, &log, &err) != 0)
            fail_msg("transfer with options failed: %s", err.message);
        assert_true(result.integrity.verified);
        assert_true(result.sender.snd_mss <= 1000);
        assert_true(result.sender.snd_mss > 0);
        if (reno)
            assert_string_equal(result.sender.congestion, "reno");
        /* About one progress call per chunk. */
        assert_true(log.calls >= 300000 / 1500);
    }
}

static void test_tiny_chunks(void **state)
{
    (void)state;
    wm_transfer_options opts;
    wm_transfer_options_default(&opts);
    opts.size_bytes = 5003;
    opts.chunk_bytes = 7; /* does not divide the size */
    wm_transfer_result result;
    progress_log log;
    wm_error err = {0};
    if (run_transfer(&opts, &result, &log, &err) != 0)
        fail_msg("transfer failed: %s", err.message);
    assert_true(result.integrity.verified);
    assert_int_equal(log.calls, (5003 + 6) / 7);
}

static bool ipv6_loopback(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
                                .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool ok = bind(fd, (struct sockaddr *)&sin6, sizeof sin6) == 0;
    close(fd);
    return ok;
}

static void test_ipv6(void **state)
{
    (void)state;
    if (!ipv6_loopback()) {
        WM_TEST_SKIP_OR_FAIL("::1 is not available here");
    }
    for (int dir = WM_DOWNLOAD; dir <= WM_UPLOAD; dir++) {
        wm_transfer_options opts;
        wm_transfer_options_default(&opts);
        opts.size_bytes = 1000000;
        opts.direction = (wm_direction)dir;
        opts.ipv6 = true;
        wm_transfer_result result;
        progress_log log;
        wm_error err = {0};
        if (run_transfer(&opts, &result, &log, &err) != 0)
            fail_msg("IPv6 transfer failed: %s", err.message);
        assert_true(result.integrity.verified);
    }
}

static void expect_invalid(const wm_transfer_options *opts,
                           const char *parameter, const char *needle)
{
    wm_error err = {0};
    assert_int_equal(wm_transfer_validate(opts, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_string_equal(err.parameter, parameter);
    if (!strstr(err.message, needle))
        fail_msg("message '%s' lacks '%s'", err.message, needle);
    /* open validates too, and leaves nothing behind */
    wm_transfer *t = (wm_transfer *)1;
    uint16_t port = 0;
    assert_int_equal(wm_transfer_open(opts, &t, &port, &err), -1);
    assert_null(t);
}

static void test_validation(void **state)
{
    (void)state;
    wm_transfer_options opts;
    wm_transfer_options_default(&opts);
    wm_error err = {0};
    assert_int_equal(wm_transfer_validate(&opts, &err), 0);

    opts.chunk_bytes = 0;
    expect_invalid(&opts, "chunk", "chunk");
    opts.chunk_bytes = WM_TRANSFER_MAX_CHUNK + 1;
    expect_invalid(&opts, "chunk", "allowed");
    wm_transfer_options_default(&opts);
    opts.mss_bytes = 50;
    expect_invalid(&opts, "mss", "88");
    wm_transfer_options_default(&opts);
    opts.io_timeout_ms = 0;
    expect_invalid(&opts, "timeout", "timeout");
    wm_transfer_options_default(&opts);
    opts.direction = (wm_direction)7;
    expect_invalid(&opts, "direction", "upload");
    wm_transfer_options_default(&opts);
    opts.sndbuf_bytes = 512u * MIB;
    expect_invalid(&opts, "sndbuf", "sndbuf");
    wm_transfer_options_default(&opts);
    strcpy(opts.congestion, "nosuchalgo");
    expect_invalid(&opts, "congestion", "available: ");
    /* the message lists what the kernel offers */
    assert_int_equal(wm_transfer_validate(&opts, &err), -1);
    if (congestion_offered("reno"))
        assert_non_null(strstr(err.message, "reno"));
    /* a prefix of an offered name is not that name */
    strcpy(opts.congestion, "ren");
    if (congestion_offered("reno"))
        expect_invalid(&opts, "congestion", "congestion");
}

/* A raw socket the tests play with by hand. */
static int raw_listener(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t len = sizeof sin;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    *port = ntohs(sin.sin_port);
    return fd;
}

static int raw_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                              .sin_port = htons(port)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    return fd;
}

static void expect_timeout_client(wm_direction direction, uint64_t size)
{
    uint16_t port;
    int lfd = raw_listener(&port); /* accepts nothing, reads nothing */
    wm_transfer_options opts;
    wm_transfer_options_default(&opts);
    opts.size_bytes = size;
    opts.direction = direction;
    opts.io_timeout_ms = 200;
    opts.sndbuf_bytes = 4096;
    wm_transfer_result result;
    wm_error err = {0};
    int64_t start = now_ms();
    int rc = wm_transfer_run_client(&opts, port, NULL, NULL, &result, &err);
    int64_t elapsed = now_ms() - start;
    close(lfd);
    assert_int_equal(rc, -1);
    assert_int_equal(err.kind, WM_ERR_TIMEOUT);
    if (!strstr(err.message, "no progress for 200 ms"))
        fail_msg("unexpected message: %s", err.message);
    assert_true(elapsed >= 150 && elapsed < 5000);
}

static void test_client_times_out_on_stalled_server(void **state)
{
    (void)state;
    expect_timeout_client(WM_DOWNLOAD, 1000);    /* waits for data */
    expect_timeout_client(WM_UPLOAD, 64u * MIB); /* the send stalls */
}

typedef struct serve_job {
    wm_transfer *transfer;
    wm_transfer_result result;
    wm_error err;
    int rc;
} serve_job;

static void *serve_thread(void *arg)
{
    serve_job *job = arg;
    job->rc = wm_transfer_serve(job->transfer, NULL, NULL, &job->result,
                                &job->err);
    return NULL;
}

/* Starts wm_transfer_serve in a thread; the caller plays the client. */
static void serve_start(serve_job *job, pthread_t *thread, uint16_t *port,
                        uint32_t timeout_ms)
{
    wm_transfer_options opts;
    wm_transfer_options_default(&opts);
    opts.io_timeout_ms = timeout_ms;
    opts.sndbuf_bytes = 4096;
    memset(job, 0, sizeof *job);
    wm_error err = {0};
    assert_int_equal(wm_transfer_open(&opts, &job->transfer, port, &err), 0);
    assert_int_equal(pthread_create(thread, NULL, serve_thread, job), 0);
}

static void serve_finish(serve_job *job, pthread_t thread)
{
    pthread_join(thread, NULL);
    wm_transfer_close(job->transfer);
}

static void test_server_times_out_on_stalled_client(void **state)
{
    (void)state;
    serve_job job;
    pthread_t thread;
    uint16_t port;

    /* A client that connects and says nothing. */
    serve_start(&job, &thread, &port, 200);
    int fd = raw_connect(port);
    serve_finish(&job, thread);
    close(fd);
    assert_int_equal(job.rc, -1);
    assert_int_equal(job.err.kind, WM_ERR_TIMEOUT);
    assert_non_null(strstr(job.err.message, "request"));

    /* A client that asks for 64 MiB and never reads. */
    serve_start(&job, &thread, &port, 200);
    fd = raw_connect(port);
    uint8_t request[WM_TRANSFER_REQUEST_BYTES];
    wm_transfer_request_encode(WM_DOWNLOAD, 64u * MIB, request);
    assert_int_equal(send(fd, request, sizeof request, 0), sizeof request);
    serve_finish(&job, thread);
    close(fd);
    assert_int_equal(job.rc, -1);
    assert_int_equal(job.err.kind, WM_ERR_TIMEOUT);
    assert_non_null(strstr(job.err.message, "no progress for 200 ms"));

    /* Nobody connects at all. */
    serve_start(&job, &thread, &port, 200);
    serve_finish(&job, thread);
    assert_int_equal(job.err.kind, WM_ERR_TIMEOUT);
}

static void test_server_rejects_foreign_request(void **state)
{
    (void)state;
    serve_job job;
    pthread_t thread;
    uint16_t port;
    serve_start(&job, &thread, &port, 2000);
    int fd = raw_connect(port);
    const char junk[] = "GET / HTTP/1.0\r\n";
    assert_int_equal(send(fd, junk, 16, 0), 16);
    serve_finish(&job, thread);
    close(fd);
    assert_int_equal(job.rc, -1);
    assert_int_equal(job.err.kind, WM_ERR_IO);
    assert_non_null(strstr(job.err.message, "magic"));
}

/* A server that answers a download with the given bytes instead of the
 * pattern. */
typedef struct liar {
    int listen_fd;
    const uint8_t *data;
    size_t len;
    size_t write_bytes;  /* send() size; 0: all at once */
} liar;

static void *liar_thread(void *arg)
{
    liar *l = arg;
    int fd = accept(l->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    uint8_t request[WM_TRANSFER_REQUEST_BYTES];
    size_t got = 0;
    while (got < sizeof request) {
        ssize_t n = recv(fd, request + got, sizeof request - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    size_t step = l->write_bytes ? l->write_bytes : l->len;
    for (size_t at = 0; at < l->len; at += step) {
        size_t n = l->len - at < step ? l->len - at : step;
        if (send(fd, l->data + at, n, MSG_NOSIGNAL) != (ssize_t)n) {
            perror("liar send");
            break;
        }
    }
    shutdown(fd, SHUT_WR);
    char sink[16];
    while (recv(fd, sink, sizeof sink, 0) > 0) {
    }
    close(fd);
    return NULL;
}

/* The liar sends len bytes of data, write_bytes at a time, to a client
 * that asked for size; mismatch_at: the offset the receiver must name, or
 * -1 for none. */
static void expect_integrity_error_of(const uint8_t *data, size_t len,
                                      size_t write_bytes, uint64_t size,
                                      int64_t mismatch_at)
{
    liar l = {.data = data, .len = len, .write_bytes = write_bytes};
    uint16_t port;
    l.listen_fd = raw_listener(&port);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, liar_thread, &l), 0);
    wm_transfer_options opts;
    wm_transfer_options_default(&opts);
    opts.size_bytes = size;
    opts.io_timeout_ms = 2000;
    wm_transfer_result result;
    wm_error err = {0};
    int rc = wm_transfer_run_client(&opts, port, NULL, NULL, &result, &err);
    pthread_join(thread, NULL);
    close(l.listen_fd);
    assert_int_equal(rc, -1);
    assert_int_equal(err.kind, WM_ERR_INTEGRITY);
    assert_false(result.integrity.verified);
    assert_int_equal(result.integrity.expected_bytes, size);
    assert_int_equal(result.integrity.received_bytes, len);
    assert_int_equal(result.integrity.mismatch, mismatch_at >= 0);
    if (mismatch_at >= 0)
        assert_int_equal(result.integrity.mismatch_offset, mismatch_at);
}

static void expect_integrity_error(const uint8_t *data, size_t len,
                                   int64_t mismatch_at)
{
    expect_integrity_error_of(data, len, 0, 13, mismatch_at);
}

static void test_integrity_errors(void **state)
{
    (void)state;
    uint8_t good[13], bad[13], longer[14];
    wm_pattern_fill(0, good, sizeof good);
    memcpy(bad, good, sizeof bad);
    bad[9] ^= 1;
    expect_integrity_error(bad, sizeof bad, 9);   /* one bit flipped */
    expect_integrity_error(good, 10, -1);         /* short */
    wm_pattern_fill(0, longer, sizeof longer);
    expect_integrity_error(longer, 14, 13);       /* one byte too many */
    uint8_t swapped[16];
    wm_pattern_fill(8, swapped, 8);               /* blocks out of order */
    wm_pattern_fill(0, swapped + 8, 8);
    expect_integrity_error(swapped, 13, 0);
    /* and the honest answer passes through the same path */
    liar l = {.data = good, .len = sizeof good};
    uint16_t port;
    l.listen_fd = raw_listener(&port);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, liar_thread, &l), 0);
    wm_transfer_options opts;
    wm_transfer_options_default(&opts);
    opts.size_bytes = 13;
    wm_transfer_result result;
    wm_error err = {0};
    int rc = wm_transfer_run_client(&opts, port, NULL, NULL, &result, &err);
    pthread_join(thread, NULL);
    close(l.listen_fd);
    assert_int_equal(rc, 0);
    assert_true(result.integrity.verified);
}

/* One wrong byte is found wherever it sits: first, in the middle of a
 * receive block, on either side of a block's and of the period's end,
 * last; whatever the sender's write size, so whichever way the bytes are
 * cut into reads. The receiver reads in blocks of its own (64 KiB,
 * transfer.c), so the offsets name both sides of those too. */
static void test_corrupt_byte_found_anywhere(void **state)
{
    (void)state;
    const uint64_t size = 2ull * WM_PATTERN_PERIOD + 1000;
    const size_t block = 64u * 1024u;
    const uint64_t at[] = {
        0,                          /* first */
        2 * block + block / 2 + 3,  /* the middle of a block */
        block - 1, block,           /* a block's last, the next's first */
        WM_PATTERN_PERIOD - 1,      /* the period's last byte */
        WM_PATTERN_PERIOD,          /* its first, again */
        size - 1,                   /* last */
    };
    const size_t writes[] = {1000, 64u * 1024u, 128u * 1024u, MIB};
    uint8_t *data = malloc(size);
    assert_non_null(data);
    wm_pattern_fill(0, data, size);
    for (size_t w = 0; w < sizeof writes / sizeof writes[0]; w++) {
        for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
            assert_true(at[i] < size);
            data[at[i]] ^= 0x10;
            expect_integrity_error_of(data, size, writes[w], size,
                                      (int64_t)at[i]);
            data[at[i]] ^= 0x10;
        }
    }
    free(data);
}

static void test_lone_sides_interoperate(void **state)
{
    (void)state;
    serve_job job;
    pthread_t thread;
    uint16_t port;
    serve_start(&job, &thread, &port, 5000);
    wm_transfer_options opts;
    wm_transfer_options_default(&opts);
    opts.size_bytes = 123457;
    opts.direction = WM_UPLOAD;
    wm_transfer_result result;
    wm_error err = {0};
    int rc = wm_transfer_run_client(&opts, port, NULL, NULL, &result, &err);
    serve_finish(&job, thread);
    if (rc != 0 || job.rc != 0)
        fail_msg("client: %s / server: %s", err.message, job.err.message);
    /* the uploading client sent; the serving side received and verified */
    assert_true(result.sender.valid);
    assert_false(result.integrity.verified);
    assert_true(job.result.integrity.verified);
    assert_int_equal(job.result.integrity.received_bytes, 123457);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_download_sizes),
        cmocka_unit_test(test_upload_sizes),
        cmocka_unit_test(test_write_sizes_verified),
        cmocka_unit_test(test_sendfile_small),
        cmocka_unit_test(test_options_applied),
        cmocka_unit_test(test_tiny_chunks),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_client_times_out_on_stalled_server),
        cmocka_unit_test(test_server_times_out_on_stalled_client),
        cmocka_unit_test(test_server_rejects_foreign_request),
        cmocka_unit_test(test_integrity_errors),
        cmocka_unit_test(test_corrupt_byte_found_anywhere),
        cmocka_unit_test(test_lone_sides_interoperate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
