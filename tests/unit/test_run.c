/* Whole runs: sink, capture, transfer and analysis together, as the CLI and
 * the daemon call them. Needs capture rights: without them the program
 * exits 77 (skip) with a message saying why, or 1 when
 * WIREMETER_REQUIRE_CAPTURE=1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "skip_rule.h"

#include "json_assert.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wm_report.h"
#include "wm_run.h"
#include "wm_threads.h"

typedef struct progress_log {
    unsigned calls;
    uint64_t last;
} progress_log;

static void on_progress(void *ctx, uint64_t bytes_done)
{
    progress_log *log = ctx;
    log->calls++;
    log->last = bytes_done;
}

static void run_ok(const wm_run_config *config, wm_run_result *result)
{
    wm_error err = {0};
    progress_log log = {0};
    if (wm_run_execute(config, on_progress, &log, result, &err) != 0)
        fail_msg("run failed: %s", err.message);
    assert_true(log.calls >= 1);
    assert_int_equal(log.last, config->transfer.size_bytes);
}

/* What every clean run must show, whatever its size and direction. */
static void check_run(const wm_run_config *config, const wm_run_result *r)
{
    uint64_t size = config->transfer.size_bytes;
    bool download = config->transfer.direction == WM_DOWNLOAD;
    const wm_connection *c = r->connection;
    assert_non_null(c);
    assert_true(r->started_ns > 0);
    assert_true(r->finished_ns >= r->started_ns);
    assert_true(c->first_ts_ns >= r->started_ns);
    assert_true(c->last_ts_ns <= r->finished_ns);
    assert_true(r->transfer.integrity.verified);
    assert_int_equal(r->transfer.integrity.received_bytes, size);
    assert_true(r->capture.complete);
    assert_int_equal(r->capture.dropped, 0);
    assert_true(r->capture.received >= c->packet_count);
    assert_true(c->roles_known);
    assert_int_equal(c->side[WM_SIDE_SERVER].port, r->transfer.server_port);
    assert_int_equal(c->side[WM_SIDE_CLIENT].port, r->transfer.client_port);
    assert_true(c->handshake_complete);
    assert_true(c->closure_complete);
    assert_int_equal(c->close_kind, WM_CLOSE_FIN);
    /* the data sender closes first: the server on a download */
    assert_int_equal(c->closed_by, download ? WM_SIDE_SERVER : WM_SIDE_CLIENT);
    wm_side sender = download ? WM_SIDE_SERVER : WM_SIDE_CLIENT;
    const wm_side_info *s = &c->side[sender];
    /* the client's payload begins with the request */
    if (s->retransmissions == 0)
        assert_int_equal(s->payload_bytes,
                         size + (download ? 0 : WM_TRANSFER_REQUEST_BYTES));
    assert_int_equal(c->side[1 - sender].payload_bytes,
                     download ? WM_TRANSFER_REQUEST_BYTES : 0);
    assert_int_equal(wm_connection_packets(c), c->packet_count);
    /* The run held no packet: its rows were spooled as they came. */
    assert_int_equal(r->trace.count, 0);
    assert_null(r->trace.packets);
    assert_non_null(c->spool);
    assert_true(r->trace.frames >= c->packet_count);
    assert_true(r->transfer.sender.valid);
    assert_int_equal(r->analysis.count, 1);
}

static void check_size(uint64_t size, wm_direction direction)
{
    wm_run_config config;
    wm_run_config_default(&config);
    config.transfer.size_bytes = size;
    config.transfer.direction = direction;
    wm_run_result r;
    run_ok(&config, &r);
    check_run(&config, &r);
    wm_run_result_free(&r);
}

static void test_download(void **state)
{
    (void)state;
    check_size(0, WM_DOWNLOAD);
    check_size(13, WM_DOWNLOAD);
    check_size(1000000, WM_DOWNLOAD);
}

static void test_upload(void **state)
{
    (void)state;
    check_size(0, WM_UPLOAD);
    check_size(13, WM_UPLOAD);
    check_size(1000000, WM_UPLOAD);
}

/* Threads a run of this size starts (none kept: one per task). */
static uint64_t threads_of_run(uint64_t size)
{
    wm_run_config config;
    wm_run_config_default(&config);
    config.transfer.size_bytes = size;
    wm_run_result r;
    uint64_t before = wm_threads_created();
    run_ok(&config, &r);
    uint64_t started = wm_threads_created() - before;
    check_run(&config, &r);
    wm_run_result_free(&r);
    return started;
}

/* A small run's capture has no reader thread (its ring is read after the
 * transfer, run.c's ring_holds_run), and a 13 B one's server side runs on
 * the caller's thread too (transfer.c's one_thread); a larger run keeps
 * both helpers. */
static void test_a_small_run_reads_its_ring_after(void **state)
{
    (void)state;
    assert_int_equal(threads_of_run(13), 0);
    assert_int_equal(threads_of_run(4096), 1);      /* the server side */
    assert_int_equal(threads_of_run(1000000), 2);   /* and the reader */
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
    wm_run_config config;
    wm_run_config_default(&config);
    config.transfer.size_bytes = 439000;
    config.transfer.ipv6 = true;
    wm_run_result r;
    run_ok(&config, &r);
    check_run(&config, &r);
    assert_int_equal(r.connection->side[WM_SIDE_CLIENT].addr.family, 6);
    wm_run_result_free(&r);
}

/* The streamed analysis of the run (rows spooled) and the whole-trace
 * analysis of its pcap (rows in memory) say the same, row for row. */
static void same_analysis(const wm_trace *back, const wm_run_result *r)
{
    wm_analysis an;
    wm_error err = {0};
    assert_int_equal(wm_analyze_trace(back, &an, &err), 0);
    assert_int_equal(an.count, 1);
    const wm_connection *c = &an.connections[0];
    assert_same_json(
        wm_report_connection(back, &an, c, WM_REPORT_PACKETS),
        wm_report_connection(&r->trace, &r->analysis, r->connection,
                             WM_REPORT_PACKETS));
    wm_analysis_free(&an);
}

static void test_pcap_matches_live(void **state)
{
    (void)state;
    char path[] = "/tmp/wm_test_run_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    wm_run_config config;
    wm_run_config_default(&config);
    config.transfer.size_bytes = 1000000;
    config.capture.pcap_path = path;
    wm_run_result r;
    run_ok(&config, &r);
    wm_trace back;
    wm_error err = {0};
    if (wm_trace_read_file(path, &back, &err) != 0)
        fail_msg("reading back %s: %s", path, err.message);
    assert_int_equal(back.count, r.connection->packet_count);
    assert_int_equal(back.frames, r.trace.frames);
    assert_int_equal(back.first_ts_ns, r.trace.first_ts_ns);
    same_analysis(&back, &r);
    wm_trace_free(&back);
    wm_run_result_free(&r);
    unlink(path);
}

typedef struct concurrent {
    uint64_t size;
    wm_run_result result;
    int rc;
    wm_error err;
} concurrent;

static void *run_thread(void *arg)
{
    concurrent *job = arg;
    wm_run_config config;
    wm_run_config_default(&config);
    config.transfer.size_bytes = job->size;
    job->rc = wm_run_execute(&config, NULL, NULL, &job->result, &job->err);
    return NULL;
}

static void test_concurrent_runs_see_only_their_own(void **state)
{
    (void)state;
    concurrent jobs[2] = {{.size = 2000000}, {.size = 3000000}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, run_thread,
                                        &jobs[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < 2; i++) {
        if (jobs[i].rc != 0)
            fail_msg("run %d: %s", i, jobs[i].err.message);
        const wm_run_result *r = &jobs[i].result;
        uint16_t port = r->transfer.server_port;
        for (size_t k = 0; k < r->connection->packet_count; k++) {
            wm_packet p;
            wm_packet_info info;
            assert_int_equal(wm_connection_row(r->connection, k, &p, &info,
                                               NULL), 0);
            assert_true(p.src_port == port || p.dst_port == port);
        }
        assert_int_equal(r->analysis.count, 1);
        assert_true(r->connection->closure_complete);
    }
    assert_int_not_equal(jobs[0].result.transfer.server_port,
                         jobs[1].result.transfer.server_port);
    for (int i = 0; i < 2; i++)
        wm_run_result_free(&jobs[i].result);
}

static void test_errors_leave_nothing(void **state)
{
    (void)state;
    wm_run_config config;
    wm_run_config_default(&config);
    config.transfer.chunk_bytes = 0;
    wm_run_result r;
    wm_error err = {0};
    assert_int_equal(wm_run_execute(&config, NULL, NULL, &r, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_string_equal(err.parameter, "chunk");
    assert_null(r.trace.packets);
    assert_null(r.connection);

    wm_run_config_default(&config);
    config.capture.interface = "nosuchif0";
    assert_int_equal(wm_run_execute(&config, NULL, NULL, &r, &err), -1);
    assert_int_equal(err.kind, WM_ERR_IO);
    assert_non_null(strstr(err.message, "nosuchif0"));

    wm_run_config_default(&config);
    config.capture.pcap_path = "/nonexistent-dir/run.pcap";
    assert_int_equal(wm_run_execute(&config, NULL, NULL, &r, &err), -1);
    assert_string_equal(err.parameter, "pcap");

    /* freeing a failed or zeroed result is harmless */
    wm_run_result_free(&r);
}

static void test_defaults(void **state)
{
    (void)state;
    wm_run_config config;
    wm_run_config_default(&config);
    assert_string_equal(config.capture.interface, "lo");
    assert_int_equal(config.capture.snaplen, WM_CAPTURE_DEFAULT_SNAPLEN);
    assert_int_equal(config.capture.grace_ms, WM_CAPTURE_DEFAULT_GRACE_MS);
    assert_int_equal(config.capture.buffer_bytes, WM_CAPTURE_DEFAULT_BUFFER);
    assert_int_equal(config.transfer.chunk_bytes, WM_TRANSFER_DEFAULT_CHUNK);
    assert_int_equal(config.transfer.direction, WM_DOWNLOAD);
    assert_null(config.capture.pcap_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_download),
        cmocka_unit_test(test_upload),
        cmocka_unit_test(test_a_small_run_reads_its_ring_after),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_pcap_matches_live),
        cmocka_unit_test(test_concurrent_runs_see_only_their_own),
        cmocka_unit_test(test_errors_leave_nothing),
    };
    WM_TEST_EXIT_UNLESS_CAPTURE();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
