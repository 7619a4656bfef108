/* The rows file (rows.h) and the run budget (wm_budget.h).
 *
 * Rows: for every capture of tests/data/tshark (retransmissions, SACK
 * blocks, dup ACKs, IPv6, several connections, no handshake...), every
 * row read back from the file, in pages of several sizes, must be the
 * very JSON the analysis renders live (wm_report_packets) — the promise
 * /runs/{id}/packets makes. A file cut short or of another layout reads as
 * "not found", so the daemon makes it again.
 *
 * Budget: the up-front check refuses exactly what must exceed (its bound
 * is a frame's 65535 bytes), and a live run over a small budget fails
 * with WM_ERR_BUDGET, soon, leaving nothing to free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "skip_rule.h"

#include "json_assert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rows.h"
#include "wm_analyze.h"
#include "wm_clock.h"
#include "wm_engine.h"
#include "wm_report.h"
#include "wm_run.h"
#include "wm_trace.h"

static const char *const captures[] = {
    "client_closes", "download", "fast_retransmission", "fin_retransmission",
    "half_window_scale", "ipv6_download", "keepalive_zero_window",
    "lost_segment", "no_handshake", "no_window_scale", "out_of_order",
    "quick_spurious_retransmission", "retransmission", "reused_tuple",
    "rst_close", "simultaneous_close", "spurious_retransmission",
    "syn_retransmission", "two_connections", "upload",
    /* what the dissector flags: reassembled, cut, alone, malformed */
    "ipv4_fragments", "ipv4_fragments_s54", "ipv6_fragments",
    "tcp_option_len0", "tcp_data_offset3", "tcp_syn_data_offset3",
};

static void temp_path(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/wm-test-rows-%ld.rows", (long)getpid());
}

/* Every page of conn's rows, read back, equals the live rendering. */
static void check_connection(const wm_trace *trace, const wm_analysis *an,
                             const wm_connection *conn, const char *path)
{
    wm_error err;
    assert_int_equal(wm_rows_write(path, trace, an, conn, &err), 0);
    static const size_t limits[] = {1, 3, 50, 10000};
    for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++)
        for (size_t off = 0; off <= conn->packet_count; off += limits[l]) {
            size_t total = 0;
            json_t *got = wm_rows_page(path, off, limits[l], &total, &err);
            assert_non_null(got);
            assert_int_equal(total, conn->packet_count);
            json_t *want = wm_report_packets(trace, an, conn, off, limits[l]);
            assert_same_json(got, want);
        }
}

static void test_rows_equal_live_rows(void **state)
{
    (void)state;
    char path[128];
    temp_path(path, sizeof path);
    for (size_t i = 0; i < sizeof captures / sizeof captures[0]; i++) {
        char pcap[512];
        wm_error err;
        wm_trace trace;
        wm_analysis an;
        snprintf(pcap, sizeof pcap, "%s/tshark/%s.pcap", WM_TEST_DATA,
                 captures[i]);
        assert_int_equal(wm_trace_read_file(pcap, &trace, &err), 0);
        assert_int_equal(wm_analyze_trace(&trace, &an, &err), 0);
        for (size_t k = 0; k < an.count; k++)
            check_connection(&trace, &an, &an.connections[k], path);
        wm_analysis_free(&an);
        wm_trace_free(&trace);
    }
    unlink(path);
}

static void test_rows_missing_or_stale(void **state)
{
    (void)state;
    char path[128], pcap[512];
    temp_path(path, sizeof path);
    unlink(path);
    size_t total = 0;
    wm_error err;
    assert_null(wm_rows_page(path, 0, 10, &total, &err));
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
    snprintf(pcap, sizeof pcap, "%s/tshark/download.pcap", WM_TEST_DATA);
    wm_trace trace;
    wm_analysis an;
    assert_int_equal(wm_trace_read_file(pcap, &trace, &err), 0);
    assert_int_equal(wm_analyze_trace(&trace, &an, &err), 0);
    assert_int_equal(wm_rows_write(path, &trace, &an, &an.connections[0],
                                   &err), 0);
    /* Past the end: an empty page, the total still said. */
    json_t *rows = wm_rows_page(path, an.connections[0].packet_count + 5, 10,
                                &total, &err);
    assert_non_null(rows);
    assert_int_equal(json_array_size(rows), 0);
    assert_int_equal(total, an.connections[0].packet_count);
    json_decref(rows);
    assert_int_equal(truncate(path, 100), 0); /* cut short by a crash */
    assert_null(wm_rows_page(path, 0, 10, &total, &err));
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
    wm_analysis_free(&an);
    wm_trace_free(&trace);
    unlink(path);
}

/* The engine's lazy index of a stored pcap refuses a file over the
 * packet bound and writes nothing then. */
static void test_index_bound(void **state)
{
    (void)state;
    char path[128], pcap[512];
    temp_path(path, sizeof path);
    snprintf(pcap, sizeof pcap, "%s/tshark/download.pcap", WM_TEST_DATA);
    json_t *doc = json_pack("{s:{s:{s:i}, s:{s:i}}}", "connection", "client",
                            "port", 40000, "server", "port", 5001);
    wm_error err;
    assert_int_equal(wm_engine_index_pcap(pcap, doc, path, 3, &err), -1);
    assert_int_equal(err.kind, WM_ERR_TOO_LARGE);
    assert_int_equal(access(path, F_OK), -1);
    json_decref(doc);
}

static void test_budget_check(void **state)
{
    (void)state;
    wm_run_request r;
    wm_params_init(&r);
    wm_error err;
    assert_int_equal(wm_params_set(&r, "size", "1MB", NULL, &err), 0);
    wm_budget b = {.max_packets = 18};
    /* 1000016 bytes need 16 frames of 65535 bytes, plus SYN and SYN-ACK */
    assert_int_equal(wm_params_check_budget(&r, &b, &err), 0);
    b.max_packets = 17;
    assert_int_equal(wm_params_check_budget(&r, &b, &err), -1);
    assert_int_equal(err.kind, WM_ERR_TOO_LARGE);
    assert_string_equal(err.parameter, "size");
    assert_non_null(strstr(err.message, "--max-packets"));
    assert_non_null(strstr(err.message, "size=1MB"));
    /* chunk=1B with nodelay is not refused: the kernel coalesces writes */
    assert_int_equal(wm_params_set(&r, "chunk", "1B", NULL, &err), 0);
    assert_int_equal(wm_params_set(&r, "nodelay", "true", NULL, &err), 0);
    b.max_packets = 18;
    assert_int_equal(wm_params_check_budget(&r, &b, &err), 0);
    b = (wm_budget){.max_pcap_bytes = 24 + 18 * 56 - 1};
    assert_int_equal(wm_params_check_budget(&r, &b, &err), -1);
    assert_non_null(strstr(err.message, "--max-pcap"));
    assert_int_equal(wm_params_check_budget(&r, NULL, &err), 0);
}

static void test_run_over_budget(void **state)
{
    (void)state;
    wm_error err;
    if (!wm_capture_permitted("lo", &err)) {
        WM_TEST_SKIP_OR_FAIL(err.message);
    }
    wm_run_config config;
    wm_run_config_default(&config);
    config.transfer.size_bytes = 100u << 20;
    config.transfer.chunk_bytes = 1;
    config.transfer.nodelay = true;
    config.capture.budget.max_packets = 500;
    int64_t start = wm_clock_monotonic_ns();
    wm_run_result r;
    assert_int_equal(wm_run_execute(&config, NULL, NULL, &r, &err), -1);
    assert_int_equal(err.kind, WM_ERR_BUDGET);
    assert_non_null(strstr(err.message, "--max-packets"));
    /* Stopped at once, not after 100 MB a byte at a time (minutes). */
    assert_true(wm_clock_monotonic_ns() - start < 5000000000);
    config.capture.budget = (wm_budget){.max_duration_ms = 300};
    assert_int_equal(wm_run_execute(&config, NULL, NULL, &r, &err), -1);
    assert_int_equal(err.kind, WM_ERR_BUDGET);
    assert_non_null(strstr(err.message, "--max-duration"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_equal_live_rows),
        cmocka_unit_test(test_rows_missing_or_stale),
        cmocka_unit_test(test_index_bound),
        cmocka_unit_test(test_budget_check),
        cmocka_unit_test(test_run_over_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
