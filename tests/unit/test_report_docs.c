/* The documents, byte for byte: `analyze`'s (wm_report_file, with and
 * without the packet list) and a run's (wm_report_run) of every
 * connection of every capture of tests/data/tshark, rendered by today's
 * builders and by the frozen json_pack ones they replaced
 * (report_json_pack.inc), both dumped as the service dumps them
 * (wm_json_text) and compared. A run's document is made around each
 * connection in several shapes, so that every branch of it is drawn:
 * TCP_INFO read or not, a byte that differs or none, a link with its two
 * ends and the sender's capture, or loopback. The documents are the
 * API's bytes (docs/result.md, the runs already stored): building them
 * faster must not change one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_analyze.h"
#include "wm_json_text.h"
#include "wm_params.h"
#include "wm_report.h"
#include "wm_trace.h"

#include "report_json_pack.inc"

#define DATA_DIR WM_TEST_DATA "/tshark"
#define SHAPES 4

/* 1 when they differ (printed, the first few), 0 when the same bytes. */
static size_t differ(const char *what, json_t *now, json_t *was,
                     size_t *shown)
{
    assert_non_null(now);
    assert_non_null(was);
    char *a = wm_json_text(now, NULL);
    char *b = wm_json_text(was, NULL);
    assert_non_null(a);
    assert_non_null(b);
    size_t bad = strcmp(a, b) != 0;
    if (bad && (*shown)++ < 3)
        print_error("%s:\n now %s\n was %s\n", what, a, b);
    free(a);
    free(b);
    json_decref(now);
    json_decref(was);
    return bad;
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
    wm_error err;
    snprintf(path, sizeof path, "%s/%s", DATA_DIR, file);
    if (wm_trace_read_file(path, &trace, &err) < 0)
        fail_msg("%s: %s", path, err.message);
    assert_int_equal(wm_analyze_trace(&trace, &analysis, &err), 0);
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
            (*docs)++;
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
    DIR *dir = opendir(DATA_DIR);
    assert_non_null(dir);
    size_t captures = 0, docs = 0, bad = 0, shown = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".pcap") != 0)
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documents_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
