/* The report: the JSON of docs/result.md, rendered from the synthetic
 * captures of tests/data/tshark (whose every packet tshark has vetted) and
 * from a run result assembled by hand. What is checked here is the shape
 * and the arithmetic of the summary — totals, averages, timing, nulls for
 * what cannot be known — not the per-packet fields, which
 * test_tshark_agreement compares with tshark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "wm_analyze.h"
#include "wm_report.h"
#include "wm_run.h"
#include "wm_trace.h"

typedef struct capture_doc {
    wm_trace trace;
    wm_analysis analysis;
    json_t *doc;
} capture_doc;

static void load(const char *name, unsigned flags, capture_doc *c)
{
    char path[512];
    wm_error err;
    snprintf(path, sizeof path, "%s/tshark/%s.pcap", WM_TEST_DATA, name);
    if (wm_trace_read_file(path, &c->trace, &err) != 0)
        fail_msg("%s: %s", path, err.message);
    assert_int_equal(wm_analyze_trace(&c->trace, &c->analysis, &err), 0);
    c->doc = wm_report_file(path, &c->trace, &c->analysis, flags);
    assert_non_null(c->doc);
}

static void unload(capture_doc *c)
{
    json_decref(c->doc);
    wm_analysis_free(&c->analysis);
    wm_trace_free(&c->trace);
}

/* doc at a dotted path of object keys ("totals.packets"); NULL if absent. */
static json_t *at(json_t *doc, const char *path)
{
    char copy[128];
    snprintf(copy, sizeof copy, "%s", path);
    json_t *node = doc;
    for (char *key = strtok(copy, "."); key && node; key = strtok(NULL, "."))
        node = json_object_get(node, key);
    return node;
}

static json_int_t int_at(json_t *doc, const char *path)
{
    json_t *v = at(doc, path);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", path);
    return json_integer_value(v);
}

static json_t *first_connection(const capture_doc *c)
{
    json_t *conns = json_object_get(c->doc, "connections");
    assert_int_equal(json_array_size(conns), 1);
    return json_array_get(conns, 0);
}

static void test_file_header(void **state)
{
    (void)state;
    capture_doc c;
    load("download", 0, &c);
    assert_int_equal(int_at(c.doc, "schema"), WM_REPORT_SCHEMA);
    assert_int_equal(int_at(c.doc, "frames"), 15);
    assert_int_equal(int_at(c.doc, "malformed"), 0);
    assert_int_equal(int_at(c.doc, "not_tcp"), 0);
    /* without WM_REPORT_PACKETS there is no packet list */
    assert_null(json_object_get(first_connection(&c), "packets"));
    unload(&c);
}

static void test_handshake_and_isns(void **state)
{
    (void)state;
    capture_doc c;
    load("download", 0, &c);
    json_t *conn = first_connection(&c);
    json_t *rows = at(conn, "handshake.packets");
    assert_int_equal(json_array_size(rows), 3);
    json_t *syn = json_array_get(rows, 0), *syn_ack = json_array_get(rows, 1);
    assert_string_equal(json_string_value(json_object_get(syn, "flags")),
                        "SYN");
    assert_int_equal(int_at(conn, "handshake.isn.client"),
                     int_at(syn, "raw_seq"));
    assert_int_equal(int_at(conn, "handshake.isn.server"),
                     int_at(syn_ack, "raw_seq"));
    assert_true(json_is_true(at(conn, "handshake.complete")));
    assert_int_equal(int_at(conn, "handshake.duration_ns"),
                     int_at(json_array_get(rows, 2), "time_ns") -
                         int_at(syn, "time_ns"));
    assert_int_equal(int_at(conn, "connection.mss.client"), 65495);
    assert_int_equal(int_at(conn, "connection.window_scale.server"), 7);
    assert_true(json_is_true(at(conn, "connection.sack_permitted")));
    assert_string_equal(json_string_value(json_object_get(syn, "role")),
                        "handshake");
    unload(&c);
}

/* download.pcap: 15 frames, client 51234 sends 16 bytes, the server
 * 4 x 32768 + 1000 and closes first. */
static void test_totals_and_averages(void **state)
{
    (void)state;
    capture_doc c;
    load("download", 0, &c);
    json_t *conn = first_connection(&c);
    assert_int_equal(int_at(conn, "totals.packets"), 15);
    assert_int_equal(int_at(conn, "totals.client_to_server"), 6);
    assert_int_equal(int_at(conn, "totals.server_to_client"), 9);
    assert_int_equal(int_at(conn, "totals.data_packets"), 6);
    assert_int_equal(int_at(conn, "totals.payload_client_to_server"), 16);
    assert_int_equal(int_at(conn, "totals.payload_server_to_client"),
                     4 * 32768 + 1000);
    json_int_t wire = 74 * 2 + 66 * 7 + 82 + 4 * 32834 + 1066;
    assert_int_equal(int_at(conn, "totals.wire_bytes"), wire);
    double all = json_real_value(at(conn, "average_packet_size.all"));
    double data = json_real_value(at(conn, "average_packet_size.data"));
    assert_float_equal(all, (double)wire / 15, 1e-9);
    assert_float_equal(data, (82.0 + 4 * 32834 + 1066) / 6, 1e-9);
    assert_int_equal(int_at(conn, "totals.retransmissions"), 0);
    assert_int_equal(int_at(conn, "totals.stream_bytes.client_to_server"), 16);
    assert_int_equal(int_at(conn, "totals.stream_bytes.server_to_client"),
                     4 * 32768 + 1000);
    unload(&c);
}

static void test_timing(void **state)
{
    (void)state;
    capture_doc c;
    load("download", 0, &c);
    json_t *t = at(first_connection(&c), "timing");
    assert_int_equal(int_at(t, "total_ns"),
                     int_at(t, "last_packet_ns") - int_at(t, "first_packet_ns"));
    json_int_t transfer = int_at(t, "transfer_ns");
    assert_true(transfer > 0);
    /* the busier direction's payload bits over the transfer phase */
    json_int_t bps = int_at(t, "throughput_bps");
    double want = (4.0 * 32768 + 1000) * 8 * 1e9 / (double)transfer;
    assert_true(bps >= (json_int_t)want - 1 && bps <= (json_int_t)want + 1);
    unload(&c);
}

static void test_closure(void **state)
{
    (void)state;
    capture_doc c;
    load("download", 0, &c);
    json_t *cl = at(first_connection(&c), "closure");
    assert_string_equal(json_string_value(at(cl, "kind")), "fin");
    assert_string_equal(json_string_value(at(cl, "initiator")), "server");
    assert_true(json_is_true(at(cl, "complete")));
    assert_true(json_is_false(at(cl, "simultaneous")));
    json_t *rows = at(cl, "packets");
    assert_int_equal(json_array_size(rows), 3);
    assert_int_equal(int_at(json_array_get(rows, 0), "no"), 13);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(rows, 2), "flags")),
        "ACK");
    unload(&c);

    load("rst_close", 0, &c);
    cl = at(first_connection(&c), "closure");
    assert_string_equal(json_string_value(at(cl, "kind")), "rst");
    assert_string_equal(json_string_value(at(cl, "initiator")), "server");
    unload(&c);
}

/* No SYN captured: what the SYNs would have told is null, not 0. */
static void test_unknowns_are_null(void **state)
{
    (void)state;
    capture_doc c;
    load("no_handshake", 0, &c);
    json_t *conn = first_connection(&c);
    assert_true(json_is_false(at(conn, "connection.roles_known")));
    assert_true(json_is_false(at(conn, "handshake.complete")));
    assert_true(json_is_null(at(conn, "handshake.duration_ns")));
    assert_true(json_is_null(at(conn, "handshake.isn.client")));
    assert_true(json_is_null(at(conn, "connection.mss.client")));
    assert_true(json_is_null(at(conn, "connection.window_scale.server")));
    assert_true(json_is_null(at(conn, "connection.sack_permitted")));
    assert_true(json_is_null(at(conn, "totals.stream_bytes.client_to_server")));
    assert_true(json_is_null(at(conn, "timing.handshake_ns")));
    assert_int_equal(json_array_size(at(conn, "handshake.packets")), 0);
    unload(&c);
}

static bool has_name(json_t *array, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v)
        if (strcmp(json_string_value(v), name) == 0)
            return true;
    return false;
}

static void test_marks_in_rows(void **state)
{
    (void)state;
    capture_doc c;
    load("fast_retransmission", WM_REPORT_PACKETS, &c);
    json_t *rows = json_object_get(first_connection(&c), "packets");
    assert_int_equal(json_array_size(rows), 17);
    json_t *fast = json_array_get(rows, 12); /* frame 13 */
    json_t *names = json_object_get(fast, "analysis");
    assert_true(has_name(names, "retransmission"));
    assert_true(has_name(names, "fast_retransmission"));
    assert_string_equal(json_string_value(json_object_get(fast, "role")),
                        "data");
    json_t *dup = json_array_get(rows, 7); /* frame 8: dup ACK 3#2 */
    assert_int_equal(int_at(dup, "dup_ack.num"), 2);
    assert_int_equal(int_at(dup, "dup_ack.of"), 3);
    assert_true(has_name(json_object_get(dup, "analysis"), "duplicate_ack"));
    assert_int_equal(int_at(first_connection(&c), "totals.retransmissions"), 1);
    /* the retransmitted 1000 bytes count twice as payload, once as stream */
    assert_int_equal(int_at(first_connection(&c), "totals.stream_bytes."
                                                  "server_to_client"), 5000);
    assert_int_equal(int_at(first_connection(&c),
                            "totals.payload_server_to_client"), 6000);
    assert_int_equal(int_at(first_connection(&c), "totals.duplicate_acks"), 4);
    unload(&c);
}

static void test_packet_pages(void **state)
{
    (void)state;
    capture_doc c;
    load("download", 0, &c);
    const wm_connection *conn = &c.analysis.connections[0];
    json_t *page = wm_report_packets(&c.trace, &c.analysis, conn, 10, 4);
    assert_int_equal(json_array_size(page), 4);
    assert_int_equal(int_at(json_array_get(page, 0), "no"), 11);
    json_decref(page);
    page = wm_report_packets(&c.trace, &c.analysis, conn, 12, 100);
    assert_int_equal(json_array_size(page), 3);
    json_decref(page);
    page = wm_report_packets(&c.trace, &c.analysis, conn, 15, 10);
    assert_int_equal(json_array_size(page), 0);
    json_decref(page);
    unload(&c);
}

/* A run result put together by hand around a real trace: what only a
 * live run knows is rendered around the connection fragment. */
static void test_run_document(void **state)
{
    (void)state;
    capture_doc c;
    load("download", 0, &c);
    wm_run_request request;
    wm_params_init(&request);
    request.config.transfer.size_bytes = 132072;
    wm_run_result result;
    memset(&result, 0, sizeof result);
    result.trace = c.trace;
    result.analysis = c.analysis;
    result.connection = &c.analysis.connections[0];
    result.transfer.integrity = (wm_integrity){
        .expected_bytes = 132072, .received_bytes = 132072,
        .mismatch = true, .mismatch_offset = 4097, .verified = false};
    snprintf(result.capture.interface, sizeof result.capture.interface, "lo");
    result.started_ns = 5;
    result.finished_ns = 9;
    json_t *run = wm_report_run(&request, &result, 0);
    assert_non_null(run);
    assert_int_equal(int_at(run, "schema"), WM_REPORT_SCHEMA);
    assert_int_equal(int_at(run, "params.size"), 132072);
    assert_string_equal(json_string_value(at(run, "params.size_text")),
                        "132072B");
    assert_string_equal(json_string_value(at(run, "params.direction")),
                        "download");
    assert_true(json_is_null(at(run, "tcp_info"))); /* not read */
    assert_int_equal(int_at(run, "integrity.first_mismatch"), 4097);
    assert_true(json_is_false(at(run, "integrity.verified")));
    assert_int_equal(int_at(run, "capture.frames"), 15);
    assert_int_equal(int_at(run, "started_ns"), 5);
    /* the fragment is the one analyze renders */
    json_t *conn = first_connection(&c);
    const char *keys[] = {"connection", "handshake", "closure", "totals",
                          "timing", "average_packet_size"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_true(json_equal(json_object_get(run, keys[i]),
                               json_object_get(conn, keys[i])));
    json_decref(run);
    unload(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_header),
        cmocka_unit_test(test_handshake_and_isns),
        cmocka_unit_test(test_totals_and_averages),
        cmocka_unit_test(test_timing),
        cmocka_unit_test(test_closure),
        cmocka_unit_test(test_unknowns_are_null),
        cmocka_unit_test(test_marks_in_rows),
        cmocka_unit_test(test_packet_pages),
        cmocka_unit_test(test_run_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
