/* Live capture of real loopback transfers. Needs capture rights: without
 * them the program exits 77 (skip) with a message saying why, or 1 when
 * WIREMETER_REQUIRE_CAPTURE=1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "skip_rule.h"
#include "wm_capture.h"
#include "wm_transfer.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct captured {
    wm_transfer_result transfer;
    wm_trace trace;
    wm_capture_stats stats;
} captured;

/* A transfer of size bytes with the capture around it, as wm_run does. */
static void capture_pooled(uint64_t size, wm_direction direction,
                           const char *pcap_path, wm_capture_pool *pool,
                           captured *out)
{
    wm_transfer_options topts;
    wm_transfer_options_default(&topts);
    topts.size_bytes = size;
    topts.direction = direction;
    wm_transfer *t = NULL;
    uint16_t port = 0;
    wm_error err = {0};
    assert_int_equal(wm_transfer_open(&topts, &t, &port, &err), 0);
    wm_capture_options copts;
    wm_capture_options_default(&copts);
    copts.port = port;
    copts.pcap_path = pcap_path;
    copts.pool = pool;
    wm_capture *cap = NULL;
    if (wm_capture_start(&copts, &cap, &err) != 0)
        fail_msg("capture start: %s", err.message);
    if (wm_transfer_run(t, NULL, NULL, &out->transfer, &err) != 0)
        fail_msg("transfer: %s", err.message);
    wm_transfer_close(t);
    if (wm_capture_finish(cap, &out->trace, &out->stats, &err) != 0)
        fail_msg("capture finish: %s", err.message);
    wm_capture_free(cap);
}

static void capture_transfer(uint64_t size, wm_direction direction,
                             const char *pcap_path, captured *out)
{
    capture_pooled(size, direction, pcap_path, NULL, out);
}

static size_t count_flag(const wm_trace *trace, uint8_t flag)
{
    size_t n = 0;
    for (size_t i = 0; i < trace->count; i++)
        n += (trace->packets[i].flags & flag) != 0;
    return n;
}

static void test_captures_whole_connection(void **state)
{
    (void)state;
    captured c;
    int64_t start = now_ms();
    capture_transfer(13, WM_DOWNLOAD, NULL, &c);
    /* complete: finishing did not wait for the grace period */
    assert_true(c.stats.complete);
    assert_true(now_ms() - start < 5000);
    assert_string_equal(c.stats.interface, "lo");
    assert_int_equal(c.stats.snaplen, WM_CAPTURE_DEFAULT_SNAPLEN);
    assert_int_equal(c.stats.dropped, 0);
    assert_true(c.stats.received >= c.trace.count);
    /* SYN, SYN-ACK, ACK, request, its ACK, data, FIN..., at least 8 */
    assert_true(c.trace.count >= 8);
    const wm_packet *first = &c.trace.packets[0];
    assert_int_equal(first->flags, WM_TCP_SYN);
    assert_int_equal(first->dst_port, c.transfer.server_port);
    assert_int_equal(first->src_port, c.transfer.client_port);
    assert_int_equal(count_flag(&c.trace, WM_TCP_FIN), 2);
    assert_int_equal(count_flag(&c.trace, WM_TCP_RST), 0);
    uint64_t payload = 0;
    for (size_t i = 0; i < c.trace.count; i++) {
        const wm_packet *p = &c.trace.packets[i];
        assert_true(p->src_port == c.transfer.server_port ||
                    p->dst_port == c.transfer.server_port);
        assert_true(p->ts_ns >= first->ts_ns);
        payload += p->payload_len;
    }
    assert_int_equal(payload, 13 + WM_TRANSFER_REQUEST_BYTES);
    wm_trace_free(&c.trace);
}

/* Traffic nobody captures: a transfer with no capture around it. */
static void uncaptured_transfer(uint64_t size)
{
    wm_transfer_options topts;
    wm_transfer_options_default(&topts);
    topts.size_bytes = size;
    wm_transfer *t = NULL;
    uint16_t port = 0;
    wm_error err = {0};
    wm_transfer_result result;
    assert_int_equal(wm_transfer_open(&topts, &t, &port, &err), 0);
    assert_int_equal(wm_transfer_run(t, NULL, NULL, &result, &err), 0);
    wm_transfer_close(t);
}

/* Captures one after another reuse the parked handle (capture_pool.h):
 * each must still see and count only its own connection, not the last
 * capture's frames nor what crossed lo while the handle was parked. */
static void test_reused_handle_sees_only_its_run(void **state)
{
    (void)state;
    wm_capture_pool *pool = NULL;
    assert_int_equal(wm_capture_pool_new(WM_CAPTURE_POOL_DEFAULT_BYTES, &pool,
                                         NULL), 0);
    captured first, second;
    capture_pooled(13, WM_DOWNLOAD, NULL, pool, &first);
    uncaptured_transfer(1000000);
    capture_pooled(13, WM_DOWNLOAD, NULL, pool, &second);
    wm_capture_pool_free(pool);
    for (size_t i = 0; i < second.trace.count; i++) {
        const wm_packet *p = &second.trace.packets[i];
        assert_true(p->src_port == second.transfer.server_port ||
                    p->dst_port == second.transfer.server_port);
    }
    assert_true(second.stats.complete);
    assert_int_equal(second.trace.packets[0].flags, WM_TCP_SYN);
    /* Each frame once (twice on a kernel before 4.20, which cannot skip
     * lo's outgoing copy) at most: counters from before this capture, or
     * from the parked time, would show. */
    assert_true(second.stats.received >= second.trace.count);
    assert_true(second.stats.received <= 2 * second.trace.count + 8);
    assert_int_equal(second.stats.dropped, 0);
    wm_trace_free(&first.trace);
    wm_trace_free(&second.trace);
}

/* Read after the transfer, without a reader thread, a small run's capture
 * is as complete as the reader's: a threaded capture and one read after,
 * both on the same connection, hold the same frames with the same flags
 * and numbers (each handle stamps its own copy: times differ by ns). Two connections could not be compared: TCP
 * itself may merge a FIN with an ACK in one and not in the other. */
static void expect_same_capture(wm_direction direction, wm_capture_pool *pool)
{
    wm_transfer_options topts;
    wm_transfer_options_default(&topts);
    topts.size_bytes = 13;
    topts.direction = direction;
    wm_transfer *t = NULL;
    uint16_t port = 0;
    wm_error err = {0};
    assert_int_equal(wm_transfer_open(&topts, &t, &port, &err), 0);
    wm_capture *cap[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        wm_capture_options copts;
        wm_capture_options_default(&copts);
        copts.port = port;
        copts.read_after = i == 1;
        copts.pool = copts.read_after ? pool : NULL;
        if (wm_capture_start(&copts, &cap[i], &err) != 0)
            fail_msg("capture start: %s", err.message);
    }
    wm_transfer_result result;
    if (wm_transfer_run(t, NULL, NULL, &result, &err) != 0)
        fail_msg("transfer: %s", err.message);
    wm_transfer_close(t);
    wm_trace trace[2];
    wm_capture_stats stats[2];
    for (int i = 0; i < 2; i++) {
        if (wm_capture_finish(cap[i], &trace[i], &stats[i], &err) != 0)
            fail_msg("capture finish: %s", err.message);
        wm_capture_free(cap[i]);
        assert_true(stats[i].complete);
        assert_int_equal(stats[i].dropped, 0);
    }
    assert_int_equal(trace[1].frames, trace[0].frames);
    assert_int_equal(trace[1].count, trace[0].count);
    assert_true(trace[1].count >= 8);
    for (size_t i = 0; i < trace[1].count; i++) {
        const wm_packet *a = &trace[1].packets[i], *b = &trace[0].packets[i];
        assert_int_equal(a->flags, b->flags);
        assert_int_equal(a->src_port, b->src_port);
        assert_int_equal(a->seq, b->seq);
        assert_int_equal(a->ack, b->ack);
        assert_int_equal(a->payload_len, b->payload_len);
    }
    assert_int_equal(count_flag(&trace[1], WM_TCP_FIN), 2);
    wm_trace_free(&trace[0]);
    wm_trace_free(&trace[1]);
}

static void test_read_after_sees_what_the_reader_sees(void **state)
{
    (void)state;
    expect_same_capture(WM_DOWNLOAD, NULL);
    expect_same_capture(WM_UPLOAD, NULL);
    wm_capture_pool *pool = NULL;
    assert_int_equal(wm_capture_pool_new(WM_CAPTURE_POOL_DEFAULT_BYTES, &pool,
                                         NULL), 0);
    expect_same_capture(WM_DOWNLOAD, pool); /* a new handle, then parked */
    expect_same_capture(WM_DOWNLOAD, pool); /* the parked one */
    wm_capture_pool_free(pool);
}

/* What a 13 B exchange puts on the wire, in order: each end's SYN, the
 * request's last byte, the data's last byte, each end's FIN, each noted
 * once, at the frame that first carries it. Not the segments themselves:
 * TCP may merge a FIN with the data, or the request with an upload's
 * data, in one connection and not the next. */
enum { EV_SYN_C, EV_SYN_S, EV_REQUEST, EV_DATA, EV_FIN_C, EV_FIN_S,
       EV_COUNT };

static size_t exchange_events(wm_direction direction, uint32_t sndbuf,
                              int events[EV_COUNT])
{
    wm_transfer_options topts;
    wm_transfer_options_default(&topts);
    topts.size_bytes = 13;
    topts.direction = direction;
    topts.sndbuf_bytes = sndbuf;
    wm_transfer *t = NULL;
    uint16_t port = 0;
    wm_error err = {0};
    assert_int_equal(wm_transfer_open(&topts, &t, &port, &err), 0);
    wm_capture_options copts;
    wm_capture_options_default(&copts);
    copts.port = port;
    wm_capture *cap = NULL;
    if (wm_capture_start(&copts, &cap, &err) != 0)
        fail_msg("capture start: %s", err.message);
    wm_transfer_result result;
    if (wm_transfer_run(t, NULL, NULL, &result, &err) != 0)
        fail_msg("transfer: %s", err.message);
    wm_transfer_close(t);
    assert_true(result.integrity.verified);
    wm_trace trace;
    wm_capture_stats stats;
    if (wm_capture_finish(cap, &trace, &stats, &err) != 0)
        fail_msg("capture finish: %s", err.message);
    wm_capture_free(cap);
    assert_true(stats.complete);
    bool download = direction == WM_DOWNLOAD;
    /* Stream offsets (from each end's SYN) just past each last byte. */
    uint32_t request_end = 1 + WM_TRANSFER_REQUEST_BYTES;
    uint32_t data_end = download ? 1 + 13 : request_end + 13;
    uint32_t isn[2] = {0, 0};
    bool seen[EV_COUNT] = {false};
    size_t n = 0;
    for (size_t i = 0; i < trace.count; i++) {
        const wm_packet *p = &trace.packets[i];
        int from_server = p->src_port == port;
        if (p->flags & WM_TCP_SYN)
            isn[from_server] = p->seq;
        uint32_t end = p->seq - isn[from_server] + p->payload_len;
        bool is[EV_COUNT] = {
            [EV_SYN_C] = !from_server && (p->flags & WM_TCP_SYN),
            [EV_SYN_S] = from_server && (p->flags & WM_TCP_SYN),
            [EV_REQUEST] = !from_server && p->payload_len > 0 &&
                           end >= request_end,
            [EV_DATA] = from_server == download && p->payload_len > 0 &&
                        end >= data_end,
            [EV_FIN_C] = !from_server && (p->flags & WM_TCP_FIN),
            [EV_FIN_S] = from_server && (p->flags & WM_TCP_FIN),
        };
        for (int e = 0; e < EV_COUNT; e++)
            if (is[e] && !seen[e]) {
                seen[e] = true;
                events[n++] = e;
            }
    }
    wm_trace_free(&trace);
    return n;
}

/* A 13 B exchange on one thread (transfer.c's one_thread) puts on the
 * wire what its two ends on two threads do (a send buffer set keeps the
 * helper): handshake, request, data, the sender's FIN, the receiver's. */
static void test_one_thread_exchange_same_wire(void **state)
{
    (void)state;
    for (int d = 0; d < 2; d++) {
        wm_direction direction = d == 0 ? WM_DOWNLOAD : WM_UPLOAD;
        int sender_fin = d == 0 ? EV_FIN_S : EV_FIN_C;
        int want[EV_COUNT] = {EV_SYN_C, EV_SYN_S, EV_REQUEST, EV_DATA,
                              sender_fin, EV_FIN_C + EV_FIN_S - sender_fin};
        int one[EV_COUNT], two[EV_COUNT];
        assert_int_equal(exchange_events(direction, 0, one), EV_COUNT);
        assert_int_equal(exchange_events(direction, 1u << 20, two),
                         EV_COUNT);
        for (int e = 0; e < EV_COUNT; e++) {
            assert_int_equal(one[e], want[e]);
            assert_int_equal(two[e], want[e]);
        }
    }
}

static void test_large_upload_no_drops(void **state)
{
    (void)state;
    captured c;
    capture_transfer(8u * 1024 * 1024, WM_UPLOAD, NULL, &c);
    assert_true(c.stats.complete);
    assert_int_equal(c.stats.dropped, 0);
    uint64_t payload = 0;
    for (size_t i = 0; i < c.trace.count; i++)
        payload += c.trace.packets[i].payload_len;
    assert_true(payload >= 8u * 1024 * 1024 + WM_TRANSFER_REQUEST_BYTES);
    assert_int_equal(c.trace.malformed, 0);
    wm_trace_free(&c.trace);
}

/* Whether the running kernel is at least major.minor. */
static bool kernel_at_least(int major, int minor)
{
    struct utsname u;
    int got_major = 0, got_minor = 0;
    if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &got_major,
                                 &got_minor) != 2)
        return false;
    return got_major > major || (got_major == major && got_minor >= minor);
}

/* On loopback every frame passes the capture twice, leaving and coming
 * back in; the kernel is told to skip the outgoing copy (capture_open.c,
 * PACKET_IGNORE_OUTGOING, Linux 4.20), so its count is the frames handed
 * over, once each, on a small run and on a large one (where the ring is
 * read as the frames come) alike. */
static void test_loopback_counts_each_frame_once(void **state)
{
    (void)state;
    if (!kernel_at_least(4, 20))
        skip(); /* libpcap drops the outgoing copy itself: twice */
    const uint64_t sizes[] = {13, 4u * 1024 * 1024};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        captured c;
        capture_transfer(sizes[i], WM_DOWNLOAD, NULL, &c);
        assert_true(c.stats.complete);
        assert_int_equal(c.stats.dropped, 0);
        assert_int_equal(c.stats.received, c.trace.count);
        wm_trace_free(&c.trace);
    }
}

static void test_pcap_written_and_readable(void **state)
{
    (void)state;
    char path[] = "/tmp/wm_test_capture_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    captured c;
    capture_transfer(439000, WM_DOWNLOAD, path, &c);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t magic[4];
    assert_int_equal(fread(magic, 1, 4, f), 4);
    fclose(f);
    /* the nanosecond pcap magic, 0xa1b23c4d, in host order */
    uint32_t m;
    memcpy(&m, magic, 4);
    assert_int_equal(m, 0xa1b23c4du);
    wm_trace back;
    wm_error err = {0};
    if (wm_trace_read_file(path, &back, &err) != 0)
        fail_msg("reading back: %s", err.message);
    assert_int_equal(back.count, c.trace.count);
    assert_int_equal(back.frames, c.trace.frames);
    for (size_t i = 0; i < back.count; i++) {
        assert_int_equal(back.packets[i].ts_ns, c.trace.packets[i].ts_ns);
        assert_int_equal(back.packets[i].seq, c.trace.packets[i].seq);
    }
    wm_trace_free(&back);
    wm_trace_free(&c.trace);
    unlink(path);
}

static void test_grace_bounds_the_wait(void **state)
{
    (void)state;
    wm_capture_options copts;
    wm_capture_options_default(&copts);
    copts.port = 9; /* nothing talks on it here */
    copts.grace_ms = 200;
    wm_capture *cap = NULL;
    wm_error err = {0};
    assert_int_equal(wm_capture_start(&copts, &cap, &err), 0);
    int64_t start = now_ms();
    wm_trace trace;
    wm_capture_stats stats;
    assert_int_equal(wm_capture_finish(cap, &trace, &stats, &err), 0);
    int64_t elapsed = now_ms() - start;
    wm_capture_free(cap);
    assert_false(stats.complete);
    assert_int_equal(trace.count, 0);
    assert_true(elapsed >= 190 && elapsed < 3000);
    wm_trace_free(&trace);
}

static void test_rst_completes(void **state)
{
    (void)state;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(lfd, 1), 0);
    socklen_t len = sizeof sin;
    getsockname(lfd, (struct sockaddr *)&sin, &len);
    wm_capture_options copts;
    wm_capture_options_default(&copts);
    copts.port = ntohs(sin.sin_port);
    copts.grace_ms = 5000;
    wm_capture *cap = NULL;
    wm_error err = {0};
    assert_int_equal(wm_capture_start(&copts, &cap, &err), 0);
    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(cfd, (struct sockaddr *)&sin, sizeof sin), 0);
    struct linger hard = {.l_onoff = 1, .l_linger = 0};
    setsockopt(cfd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    close(cfd); /* an abortive close: RST */
    int64_t start = now_ms();
    wm_trace trace;
    wm_capture_stats stats;
    assert_int_equal(wm_capture_finish(cap, &trace, &stats, &err), 0);
    wm_capture_free(cap);
    close(lfd);
    assert_true(stats.complete);
    assert_true(now_ms() - start < 2500); /* well before the 5 s grace */
    assert_int_equal(count_flag(&trace, WM_TCP_RST), 1);
    wm_trace_free(&trace);
}

static void expect_start_error(const wm_capture_options *opts,
                               wm_error_kind kind, const char *parameter)
{
    wm_capture *cap = (wm_capture *)1;
    wm_error err = {0};
    assert_int_equal(wm_capture_start(opts, &cap, &err), -1);
    assert_null(cap);
    assert_int_equal(err.kind, kind);
    assert_string_equal(err.parameter, parameter);
    assert_true(strlen(err.message) > 0);
}

static void test_start_errors(void **state)
{
    (void)state;
    wm_capture_options o;
    wm_capture_options_default(&o);
    expect_start_error(&o, WM_ERR_INVALID, "port"); /* port 0 */
    o.port = 5000;
    o.snaplen = 10;
    expect_start_error(&o, WM_ERR_INVALID, "snaplen");
    wm_capture_options_default(&o);
    o.port = 5000;
    o.interface = "";
    expect_start_error(&o, WM_ERR_INVALID, "interface");
    o.interface = "nosuchif0";
    expect_start_error(&o, WM_ERR_IO, "");
    o.interface = "lo";
    o.pcap_path = "/nonexistent-dir/x.pcap";
    expect_start_error(&o, WM_ERR_IO, "pcap");
    /* an unknown interface is not reported as a permission problem */
    wm_error err = {0};
    assert_false(wm_capture_permitted("nosuchif0", &err));
    assert_int_equal(err.kind, WM_ERR_IO);
    assert_true(wm_capture_permitted("lo", &err));
}

int main(void)
{
    WM_TEST_EXIT_UNLESS_CAPTURE();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captures_whole_connection),
        cmocka_unit_test(test_reused_handle_sees_only_its_run),
        cmocka_unit_test(test_read_after_sees_what_the_reader_sees),
        cmocka_unit_test(test_one_thread_exchange_same_wire),
        cmocka_unit_test(test_large_upload_no_drops),
        cmocka_unit_test(test_loopback_counts_each_frame_once),
        cmocka_unit_test(test_pcap_written_and_readable),
        cmocka_unit_test(test_grace_bounds_the_wait),
        cmocka_unit_test(test_rst_completes),
        cmocka_unit_test(test_start_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
