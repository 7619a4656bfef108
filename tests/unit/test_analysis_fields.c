/* What the analysis keeps per connection beyond the per-packet fields the
 * tshark agreement compares: the handshake and stream length of a Fast
 * Open connection, a stream longer than the 32-bit sequence space, the
 * bound on segments awaiting their ACK, and the RTT summary and its
 * histogram's precision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_rtt.h"
#include "wm_analyze.h"
#include "wm_report.h"
#include "wm_trace.h"

#define DATA_DIR WM_TEST_DATA "/tshark"

static void analyze_capture(const char *name, wm_trace *trace,
                            wm_analysis *analysis)
{
    char path[512];
    wm_error err;
    snprintf(path, sizeof path, "%s/%s.pcap", DATA_DIR, name);
    if (wm_trace_read_file(path, trace, &err) < 0)
        fail_msg("%s: %s", path, err.message);
    assert_int_equal(wm_analyze_trace(trace, analysis, &err), 0);
}

static uint64_t stream_bytes(const wm_connection *c, wm_side side)
{
    return c->side[side].stream_end - 1;
}

/* The SYN carries 18 bytes and the SYN-ACK acks ISN + 19: the handshake
 * is complete, and the stream is the 18 bytes. */
static void test_fast_open_handshake(void **state)
{
    (void)state;
    wm_trace trace;
    wm_analysis a;
    analyze_capture("real_fastopen", &trace, &a);
    assert_int_equal(a.count, 2);
    const wm_connection *c = &a.connections[1];
    assert_int_equal(c->side[WM_SIDE_CLIENT].syn_data, 18);
    assert_true(c->handshake_complete);
    assert_int_equal(c->syn_ack, 1);
    assert_int_equal(stream_bytes(c, WM_SIDE_CLIENT), 18);
    assert_int_equal(c->mark_count[__builtin_ctz(WM_MARK_TFO_SYN)], 1);
    assert_int_equal(c->mark_count[__builtin_ctz(WM_MARK_TFO_ACK)], 1);
    wm_analysis_free(&a);
    wm_trace_free(&trace);

    /* The server ignored the SYN's data: its SYN-ACK acks ISN + 1, the
     * client sends the 10 bytes again; still one handshake, 10 bytes. */
    analyze_capture("fastopen_experimental", &trace, &a);
    assert_int_equal(a.count, 2);
    c = &a.connections[1];
    assert_true(c->handshake_complete);
    assert_int_equal(stream_bytes(c, WM_SIDE_CLIENT), 10);
    wm_analysis_free(&a);
    wm_trace_free(&trace);
}

static wm_packet segment(uint32_t frame, int from_client, uint8_t flags,
                         uint32_t seq, uint32_t ack, uint32_t len)
{
    wm_packet p;
    memset(&p, 0, sizeof p);
    p.ts_ns = 1000000000 + (int64_t)frame * 1000;
    p.frame_no = frame;
    p.frame_len = 54 + len;
    p.cap_len = p.frame_len;
    p.src.family = p.dst.family = 4;
    p.src.bytes[0] = p.dst.bytes[0] = 10;
    p.src.bytes[3] = from_client ? 1 : 2;
    p.dst.bytes[3] = from_client ? 2 : 1;
    p.src_port = from_client ? 50000 : 80;
    p.dst_port = from_client ? 80 : 50000;
    p.seq = seq;
    p.ack = ack;
    p.payload_len = len;
    p.window = 65535;
    p.flags = flags;
    p.header_len = 20;
    return p;
}

typedef struct synthetic {
    wm_trace trace;
    uint32_t client_seq, server_seq;
} synthetic;

static void add(synthetic *s, wm_packet p)
{
    wm_trace *t = &s->trace;
    if (t->count == t->capacity) {
        t->capacity = t->capacity ? t->capacity * 2 : 64;
        t->packets = realloc(t->packets, t->capacity * sizeof *t->packets);
        assert_non_null(t->packets);
    }
    t->packets[t->count++] = p;
    t->frames++;
}

static void handshake(synthetic *s)
{
    wm_trace_init(&s->trace, 1);
    s->client_seq = 0xF0000000u; /* wraps soon */
    s->server_seq = 77;
    add(s, segment(1, 1, WM_TCP_SYN, s->client_seq, 0, 0));
    add(s, segment(2, 0, WM_TCP_SYN | WM_TCP_ACK, s->server_seq,
                   s->client_seq + 1, 0));
    s->client_seq++;
    s->server_seq++;
    add(s, segment(3, 1, WM_TCP_ACK, s->client_seq, s->server_seq, 0));
    s->trace.first_ts_ns = s->trace.packets[0].ts_ns;
}

/* Five segments, each 1 GiB past the last (the capture kept one packet
 * in a million), each acked: the sequence numbers wrap more than once,
 * and the stream is 5 GiB and 1000 bytes long, not that modulo 4 GiB. */
static void test_stream_past_4_gib(void **state)
{
    (void)state;
    synthetic s;
    handshake(&s);
    uint32_t frame = 4;
    const uint32_t gib = 1u << 30;
    for (int k = 1; k <= 5; k++) {
        uint32_t seq = s.client_seq + (uint32_t)k * gib;
        add(&s, segment(frame++, 1, WM_TCP_ACK | WM_TCP_PSH, seq,
                        s.server_seq, 1000));
        add(&s, segment(frame++, 0, WM_TCP_ACK, s.server_seq, seq + 1000, 0));
    }
    wm_analysis a;
    wm_error err;
    assert_int_equal(wm_analyze_trace(&s.trace, &a, &err), 0);
    assert_int_equal(a.count, 1);
    assert_int_equal(stream_bytes(&a.connections[0], WM_SIDE_CLIENT),
                     5ull * gib + 1000);
    json_t *doc = wm_report_connection(&s.trace, &a, &a.connections[0], 0);
    json_t *bytes = json_object_get(
        json_object_get(json_object_get(doc, "totals"), "stream_bytes"),
        "client_to_server");
    assert_int_equal(json_integer_value(bytes), 5ll * gib + 1000);
    json_decref(doc);
    wm_analysis_free(&a);
    wm_trace_free(&s.trace);
}

/* WM_MAX_UNACKED_SEGMENTS segments await their ACK: the next ones are
 * not tracked (counted), so the ACK of the last one measures no RTT,
 * while the ACK of a tracked one does. */
static void test_unacked_bound(void **state)
{
    (void)state;
    synthetic s;
    handshake(&s);
    uint32_t frame = 4;
    for (uint32_t i = 0; i < WM_MAX_UNACKED_SEGMENTS + 5; i++) {
        add(&s, segment(frame++, 1, WM_TCP_ACK, s.client_seq, s.server_seq,
                        100));
        s.client_seq += 100;
    }
    uint32_t tracked_end = s.client_seq - 100 * 5;
    add(&s, segment(frame++, 0, WM_TCP_ACK, s.server_seq, tracked_end, 0));
    add(&s, segment(frame++, 0, WM_TCP_ACK, s.server_seq, s.client_seq, 0));
    wm_analysis a;
    wm_error err;
    assert_int_equal(wm_analyze_trace(&s.trace, &a, &err), 0);
    const wm_connection *c = &a.connections[0];
    assert_int_equal(c->untracked_segments, 5);
    const wm_packet_info *rows = c->packets;
    size_t n = c->packet_count;
    assert_int_equal(rows[n - 2].acks_frame,
                     3 + WM_MAX_UNACKED_SEGMENTS); /* the last tracked */
    assert_true(rows[n - 2].ack_rtt_ns > 0);
    assert_int_equal(rows[n - 1].acks_frame, 0);
    /* the SYN-ACK, the handshake's ACK and the one data ACK */
    assert_int_equal(c->rtt.count, 3);
    wm_analysis_free(&a);
    wm_trace_free(&s.trace);
}

/* Percentiles from the histogram are within 1/32 of the exact ones;
 * count, min, mean and max are exact. */
static void test_rtt_histogram(void **state)
{
    (void)state;
    wm_rtt_hist h;
    memset(&h, 0, sizeof h);
    /* 1 us .. 100 ms, one each, in an order that is not sorted */
    const int64_t n = 100000;
    for (int64_t i = 0; i < n; i++)
        wm_rtt_add(&h, ((i * 7919) % n + 1) * 1000);
    wm_rtt_summary r;
    wm_rtt_summarize(&h, &r);
    assert_int_equal(r.count, n);
    assert_int_equal(r.min_ns, 1000);
    assert_int_equal(r.max_ns, n * 1000);
    assert_int_equal(r.mean_ns, (n + 1) * 1000 / 2);
    assert_true(r.percentiles_known);
    int64_t p50 = n / 2 * 1000, p99 = n * 99 / 100 * 1000;
    assert_true(llabs(r.p50_ns - p50) * 32 <= p50);
    assert_true(llabs(r.p99_ns - p99) * 32 <= p99);
    wm_rtt_free(&h);

    /* few samples: clamped to what was seen; a negative one counts */
    memset(&h, 0, sizeof h);
    wm_rtt_add(&h, 5);
    wm_rtt_add(&h, -200000);
    wm_rtt_add(&h, 123456789);
    wm_rtt_summarize(&h, &r);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.min_ns, -200000);
    assert_int_equal(r.p50_ns, 5);
    assert_true(llabs(r.p99_ns - 123456789) * 32 <= 123456789);
    wm_rtt_free(&h);
}

/* The connection's RTT summary counts every ack_rtt its rows show. */
static void test_rtt_of_connection(void **state)
{
    (void)state;
    wm_trace trace;
    wm_analysis a;
    analyze_capture("real_sack_loss", &trace, &a);
    const wm_connection *c = &a.connections[0];
    uint64_t count = 0;
    int64_t min = INT64_MAX, max = INT64_MIN;
    for (size_t i = 0; i < c->packet_count; i++) {
        const wm_packet_info *info = &c->packets[i];
        if (!info->acks_frame || !info->ack_rtt_ns)
            continue;
        count++;
        min = info->ack_rtt_ns < min ? info->ack_rtt_ns : min;
        max = info->ack_rtt_ns > max ? info->ack_rtt_ns : max;
    }
    assert_true(count > 50);
    assert_int_equal(c->rtt.count, count);
    assert_int_equal(c->rtt.min_ns, min);
    assert_int_equal(c->rtt.max_ns, max);
    assert_true(c->initial_rtt_ns > 0);
    assert_true(c->side[WM_SIDE_SERVER].bytes_in_flight_max > 0);
    wm_analysis_free(&a);
    wm_trace_free(&trace);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_open_handshake),
        cmocka_unit_test(test_stream_past_4_gib),
        cmocka_unit_test(test_unacked_bound),
        cmocka_unit_test(test_rtt_histogram),
        cmocka_unit_test(test_rtt_of_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
