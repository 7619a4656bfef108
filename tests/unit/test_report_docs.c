/* The documents, byte for byte: `analyze`'s (wm_report_file, with and
 * without the packet list) and a run's (wm_report_run) of every
 * connection of every capture of tests/data/tshark, rendered by today's
 * builders and by the frozen json_pack ones they replaced
 * (report_json_pack.inc), both dumped as the service dumps them
 * (wm_json_text) and compared; a run's also as the text the daemon
 * stores (wm_report_run_text, no tree). A run's document is made around each
 * connection in several shapes, so that every branch of it is drawn:
 * TCP_INFO read or not, a byte that differs or none, a link with its two
 * ends and the sender's capture, or loopback. The documents are the
 * API's bytes (docs/result.md, the runs already stored): building them
 * faster must not change one. Then the same of live runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_assert.h"
#include "skip_rule.h"

#include "wm_analyze.h"
#include "wm_json_text.h"
#include "wm_params.h"
#include "wm_report.h"
#include "wm_run.h"
#include "wm_trace.h"

#include "report_json_pack.inc"
#include "tshark_samples.h"

#define SHAPES 4

/* 1 when they differ (printed, the first few), 0 when the same bytes. */
static size_t differ(const char *what, json_t *now, json_t *was,
                     size_t *shown)
{
    assert_non_null(now);
    assert_non_null(was);
    char *a = wm_json_text(now, NULL);
    char *b = wm_json_text(was, NULL);
    json_decref(now);
    json_decref(was);
    return json_texts_differ(what, a, b, shown);
}

/* The text the daemon stores, written without the tree, against the
 * frozen builder's tree written by wm_json_text. */
static size_t text_differs(const char *what, const wm_run_request *request,
                           const wm_run_result *r, unsigned flags,
                           size_t *shown)
{
    size_t len = 0;
    char *now = wm_report_run_text(request, r, flags, &len);
    json_t *was = old_report_run(request, r, flags);
    char *b = wm_json_text(was, NULL);
    json_decref(was);
    assert_non_null(now);
    assert_int_equal(len, strlen(now));
    char as_text[700];
    snprintf(as_text, sizeof as_text, "%s, as text", what);
    return json_texts_differ(as_text, now, b, shown);
}

/* The run of shape k around conn: each shape sets what the others leave
 * out, with figures unlike each other so that a field read from the
 * wrong place shows. */
static void shape_result(wm_run_result *r, const wm_trace *trace,
                         const wm_analysis *analysis,
                         const wm_connection *conn, unsigned k)
{
    memset(r, 0, sizeof *r);
    r->trace = *trace;
    r->analysis = *analysis;
    r->connection = conn;
    r->started_ns = 1700000000123456789 + k;
    r->finished_ns = 1700000000987654321 + k;
    r->capture = (wm_capture_stats){.received = 11 + k, .dropped = k,
                                    .if_dropped = 2 * k, .snaplen = 96,
                                    .complete = k != 1};
    snprintf(r->capture.interface, sizeof r->capture.interface, "lo%u", k);
    r->transfer.integrity = (wm_integrity){
        .expected_bytes = 13 + k, .received_bytes = 13 + 2 * k,
        .mismatch = k == 2, .mismatch_offset = 7, .verified = k != 2};
    if (k != 0)
        r->transfer.sender = (wm_tcp_stats){
            .valid = true, .rtt_us = 31, .rttvar_us = 15, .snd_cwnd = 10,
            .snd_mss = 32768, .rcv_mss = 536, .total_retrans = k,
            .retransmits = k - 1, .congestion = "cubic"};
    if (k >= 2) {
        r->has_link = true;
        r->link_setup_ns = 4500000 + k;
        r->link_loss[0] = (wm_path_loss){.tcp_frames = 9, .dropped_frames = 1};
        r->link_loss[1] = (wm_path_loss){.tcp_frames = 8, .dropped_frames = 0};
        r->has_ends = true;
        r->ends.dir[0] = (wm_ends_direction){
            .sent_frames = 9, .sent_bytes = 900, .received_frames = 8,
            .received_bytes = 800, .lost_frames = 1, .lost_bytes = 100,
            .unmatched_frames = 0, .matched_frames = 8,
            .transit_min_ns = 1000, .transit_max_ns = 3000,
            .transit_sum_ns = 17000};
        /* The other direction matched nothing: its transit is null. */
        r->ends.dir[1] = (wm_ends_direction){.sent_frames = 3,
                                             .unmatched_frames = 2};
    }
    if (k == 3) {
        r->has_sender_capture = true;
        r->sender_capture = (wm_capture_stats){
            .interface = "wm-veth1", .received = 21, .dropped = 1,
            .snaplen = 128, .complete = true};
        r->sender_trace = *trace;
        r->sender_trace.frames = trace->frames + 5;
    }
}

static size_t check_capture(const char *file, const wm_run_request *request,
                            size_t *docs, size_t *shown)
{
    char path[512];
    wm_trace trace;
    wm_analysis analysis;
    snprintf(path, sizeof path, "%s/%s", TSHARK_SAMPLES_DIR, file);
    sample_read(path, &trace, &analysis);
    size_t bad = 0;
    for (unsigned flags = 0; flags <= WM_REPORT_PACKETS; flags++) {
        bad += differ(file, wm_report_file(path, &trace, &analysis, flags),
                      old_report_file(path, &trace, &analysis, flags), shown);
        (*docs)++;
    }
    for (size_t c = 0; c < analysis.count; c++)
        for (unsigned k = 0; k < SHAPES; k++) {
            wm_run_result r;
            shape_result(&r, &trace, &analysis, &analysis.connections[c], k);
            char what[600];
            snprintf(what, sizeof what, "%s connection %zu shape %u", file,
                     c, k);
            bad += differ(what, wm_report_run(request, &r, k % 2),
                          old_report_run(request, &r, k % 2), shown);
            bad += text_differs(what, request, &r, k % 2, shown);
            (*docs) += 2;
        }
    wm_analysis_free(&analysis);
    wm_trace_free(&trace);
    return bad;
}

static void test_documents_unchanged(void **state)
{
    (void)state;
    wm_run_request request;
    wm_error err;
    wm_params_init(&request);
    assert_int_equal(wm_params_set(&request, "size", "13B", NULL, &err), 0);
    assert_int_equal(wm_params_finish(&request, &err), 0);
    DIR *dir = opendir(TSHARK_SAMPLES_DIR);
    assert_non_null(dir);
    size_t captures = 0, docs = 0, bad = 0, shown = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!sample_stem(e->d_name))
            continue;
        bad += check_capture(e->d_name, &request, &docs, &shown);
        captures++;
    }
    closedir(dir);
    print_message("%zu captures, %zu documents compared\n", captures, docs);
    assert_true(captures >= 40);
    assert_true(docs >= 200);
    assert_int_equal(bad, 0);
}

/* Live runs on loopback (their rows read back from the run's spool, as
 * the daemon renders them): each way, a small and a larger size, with
 * and without the packet list. Needs capture rights (skip_rule.h). */
static void test_live_runs_unchanged(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {0, 13, 300000};
    wm_run_request request;
    wm_error err = {0};
    wm_params_init(&request);
    assert_int_equal(wm_params_set(&request, "size", "13B", NULL, &err), 0);
    assert_int_equal(wm_params_finish(&request, &err), 0);
    size_t bad = 0, shown = 0, docs = 0;
    for (int way = 0; way < 2; way++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            wm_run_config config;
            wm_run_config_default(&config);
            config.transfer.size_bytes = sizes[k];
            config.transfer.direction = way ? WM_UPLOAD : WM_DOWNLOAD;
            wm_run_result r;
            if (wm_run_execute(&config, NULL, NULL, &r, &err) != 0) {
                if (err.kind == WM_ERR_PERMISSION)
                    WM_TEST_SKIP_OR_FAIL("capture is not permitted here");
                fail_msg("run failed: %s", err.message);
            }
            for (unsigned flags = 0; flags <= WM_REPORT_PACKETS; flags++) {
                char what[96];
                snprintf(what, sizeof what, "live %s of %llu B, flags %u",
                         way ? "upload" : "download",
                         (unsigned long long)sizes[k], flags);
                bad += differ(what, wm_report_run(&request, &r, flags),
                              old_report_run(&request, &r, flags), &shown);
                bad += text_differs(what, &request, &r, flags, &shown);
                docs += 2;
            }
            wm_run_result_free(&r);
        }
    print_message("%zu live documents compared\n", docs);
    assert_int_equal(bad, 0);
}

/* Every row writes its two addresses with wm_addr_format, which writes
 * IPv4 itself (not inet_ntop, whose sprintf was a tenth of a document):
 * every byte value in every position, and a buffer too short, as
 * inet_ntop and snprintf would. */
static void test_ipv4_text(void **state)
{
    (void)state;
    for (unsigned v = 0; v < 256; v++)
        for (int at = 0; at < 4; at++) {
            wm_addr a = {.family = 4, .bytes = {10, 200, 3, 45}};
            a.bytes[at] = (uint8_t)v;
            char want[INET_ADDRSTRLEN], got[64];
            assert_non_null(inet_ntop(AF_INET, a.bytes, want, sizeof want));
            wm_addr_format(&a, got, sizeof got);
            assert_string_equal(got, want);
            char cut[6];
            wm_addr_format(&a, cut, sizeof cut);
            assert_int_equal(strncmp(cut, want, sizeof cut - 1), 0);
            assert_int_equal(strlen(cut), sizeof cut - 1);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documents_unchanged),
        cmocka_unit_test(test_live_runs_unchanged),
        cmocka_unit_test(test_ipv4_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
