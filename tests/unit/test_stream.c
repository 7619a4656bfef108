/* The streaming analysis (wm_stream) with its rows spooled to files, as
 * a live run keeps them, against the same analysis with its rows in
 * memory (wm_analyze_trace), as `analyze FILE` and the tshark agreement
 * test read them: every connection's document, packet list included,
 * must be the same JSON, and the committed rows file the same bytes as
 * the one written from memory.
 *
 * The crafted captures of tests/data/tshark cover the cases the summary
 * decides at the end (no handshake, a reused tuple, a simultaneous close,
 * an RST). A synthetic connection of some thousands of packets adds what
 * they are too small for: rows already written to the file when the
 * summary patches them (the client turning out to be the second sender,
 * so every row's side flips; an unfinished closure marking every row from
 * an early FIN to the end) and rows read back across the spool's
 * buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "json_assert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rows.h"
#include "wm_analyze.h"
#include "wm_report.h"
#include "wm_trace.h"

static const char *const captures[] = {
    "client_closes", "download", "fast_retransmission", "fin_retransmission",
    "half_window_scale", "ipv6_download", "keepalive_zero_window",
    "lost_segment", "no_handshake", "no_window_scale", "out_of_order",
    "quick_spurious_retransmission", "retransmission", "reused_tuple",
    "rst_close", "simultaneous_close", "spurious_retransmission",
    "syn_retransmission", "two_connections", "upload",
    /* the analysis values, Fast Open, urgent data and D-SACK in rows */
    "backwards_time", "dsack", "fastopen_experimental", "real_fastopen",
    "real_keepalive", "real_sack_loss", "real_urgent",
    "acked_unseen_twice", "window_full_after_syn",
};

static void assert_same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    assert_non_null(fa);
    assert_non_null(fb);
    int ca, cb;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        assert_int_equal(ca, cb);
    } while (ca != EOF);
    fclose(fa);
    fclose(fb);
}

static int add_packet(void *stream, const wm_packet *p, int64_t first_ts_ns,
                      wm_error *err)
{
    return wm_stream_add(stream, p, 0, first_ts_ns, err);
}

/* The rows of a spooled connection kept in memory (a small run's, for
 * the daemon's database) are the bytes of its rows file at path, and
 * read as the same pages; rows that left memory (more than the spool's
 * tail) go to the file whatever the bound. */
static void check_held(const wm_trace *trace, const wm_analysis *an,
                       const wm_connection *conn, const char *path)
{
    wm_error err = {0};
    char c[64];
    snprintf(c, sizeof c, "/tmp/wm-test-stream-%ld-c.rows", (long)getpid());
    unlink(c);
    wm_blob held = {0};
    assert_int_equal(wm_rows_write_held(c, trace, an, conn, 64u << 20,
                                        &held, &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    if (!held.held) {
        assert_true(st.st_size > 100 * 1024); /* past the spool's tail */
        assert_same_file(path, c);
        unlink(c);
        return;
    }
    assert_int_not_equal(access(c, F_OK), 0); /* no file made */
    assert_int_equal(held.len, (size_t)st.st_size);
    unsigned char *bytes = malloc(held.len);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(bytes, 1, held.len, f), held.len);
    fclose(f);
    assert_memory_equal(bytes, held.data, held.len);
    free(bytes);
    size_t total_file = 0, total_held = 0;
    json_t *from_file = wm_rows_page(path, 1, 7, &total_file, &err);
    json_t *from_held = wm_rows_page_held(held.data, held.len, 1, 7,
                                          &total_held, &err);
    assert_int_equal(total_file, total_held);
    assert_same_json(from_file, from_held);
    /* Bytes that are not a rows file are refused, not read. */
    assert_null(wm_rows_page_held(held.data, held.len - 1, 0, 7, &total_held,
                                  &err));
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
    wm_blob_free(&held);
}

/* trace analysed both ways: the same documents and rows files. */
static void check_trace(const wm_trace *trace)
{
    wm_error err = {0};
    wm_analysis mem, spooled;
    assert_int_equal(wm_analyze_trace(trace, &mem, &err), 0);
    wm_stream *stream;
    assert_int_equal(wm_stream_new(NULL, "/tmp", SIZE_MAX, &stream, &err), 0);
    for (size_t i = 0; i < trace->count; i++)
        assert_int_equal(add_packet(stream, &trace->packets[i],
                                    trace->first_ts_ns, &err), 0);
    assert_int_equal(wm_stream_finish(stream, trace->first_ts_ns, &spooled,
                                      &err), 0);
    assert_int_equal(mem.count, spooled.count);
    char a[64], b[64];
    snprintf(a, sizeof a, "/tmp/wm-test-stream-%ld-a.rows", (long)getpid());
    snprintf(b, sizeof b, "/tmp/wm-test-stream-%ld-b.rows", (long)getpid());
    for (size_t k = 0; k < mem.count; k++) {
        const wm_connection *cm = &mem.connections[k];
        const wm_connection *cs = &spooled.connections[k];
        assert_non_null(cs->spool);
        assert_null(cs->packets);
        assert_same_json(
            wm_report_connection(trace, &mem, cm, WM_REPORT_PACKETS),
            wm_report_connection(trace, &spooled, cs, WM_REPORT_PACKETS));
        assert_int_equal(wm_rows_write(a, trace, &mem, cm, &err), 0);
        check_held(trace, &spooled, cs, a);
        assert_int_equal(wm_rows_write(b, trace, &spooled, cs, &err), 0);
        assert_same_file(a, b);
    }
    unlink(a);
    unlink(b);
    wm_analysis_free(&mem);
    wm_analysis_free(&spooled);
}

static void test_captures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof captures / sizeof captures[0]; i++) {
        char pcap[512];
        wm_error err;
        wm_trace trace;
        snprintf(pcap, sizeof pcap, "%s/tshark/%s.pcap", WM_TEST_DATA,
                 captures[i]);
        assert_int_equal(wm_trace_read_file(pcap, &trace, &err), 0);
        check_trace(&trace);
        wm_trace_free(&trace);
    }
}

#define SYNTH_DATA 5000u

static wm_packet synth(const wm_trace *t, int from_server, uint8_t flags,
                       uint32_t seq, uint32_t ack, uint32_t len)
{
    wm_packet p = {.ts_ns = 1000000000 + (int64_t)t->count * 1000,
                   .frame_no = (uint32_t)t->count + 1, .seq = seq,
                   .ack = ack, .payload_len = len, .window = 512,
                   .flags = flags, .header_len = 20};
    p.frame_len = p.cap_len = 54 + len;
    wm_addr lo = {.family = 4, .bytes = {127, 0, 0, 1}};
    p.src = p.dst = lo;
    p.src_port = from_server ? 5001 : 40000;
    p.dst_port = from_server ? 40000 : 5001;
    return p;
}

/* A capture that starts mid-stream with the server's data and the
 * client's FIN, the server going on for thousands of rows (a closure
 * never finished: every row from the FIN on is marked); then the client's
 * SYN, its seq what the server acks (so not a new connection), which
 * makes the second sender the client. */
static void test_rows_patched_in_the_file(void **state)
{
    (void)state;
    wm_trace t;
    wm_trace_init(&t, 1);
    t.packets = calloc(2 * SYNTH_DATA + 2, sizeof *t.packets);
    assert_non_null(t.packets);
    const uint32_t cseq = 7000, sseq = 90000;
    t.packets[t.count] = synth(&t, 1, WM_TCP_ACK | WM_TCP_PSH, sseq,
                               cseq + 1, 100);
    t.count++;
    /* The client half-closes at once; the server goes on sending. */
    t.packets[t.count] = synth(&t, 0, WM_TCP_FIN | WM_TCP_ACK, cseq + 1,
                               sseq + 100, 0);
    t.count++;
    for (uint32_t i = 1; i < SYNTH_DATA; i++) {
        t.packets[t.count] = synth(&t, 1, WM_TCP_ACK | WM_TCP_PSH,
                                   sseq + 100 * i, cseq + 2, 100);
        t.count++;
        t.packets[t.count] = synth(&t, 0, WM_TCP_ACK, cseq + 2,
                                   sseq + 100 * (i + 1), 0);
        t.count++;
    }
    t.packets[t.count] = synth(&t, 0, WM_TCP_SYN, cseq, 0, 0);
    t.count++;
    t.first_ts_ns = t.packets[0].ts_ns;
    t.frames = t.count;
    check_trace(&t);
    wm_analysis an;
    wm_error err;
    assert_int_equal(wm_analyze_trace(&t, &an, &err), 0);
    assert_int_equal(an.count, 1);
    assert_int_equal(an.connections[0].side[WM_SIDE_CLIENT].port, 40000);
    const wm_connection *c = &an.connections[0];
    assert_int_equal(c->packets[0].from, WM_SIDE_SERVER);
    assert_true(c->roles_known);
    assert_int_equal(c->closure_first, 1);
    assert_false(c->closure_complete);
    assert_true(c->packets[c->packet_count - 1].marks & WM_MARK_CLOSURE);
    wm_analysis_free(&an);
    wm_trace_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captures),
        cmocka_unit_test(test_rows_patched_in_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
