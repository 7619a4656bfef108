/* The time series: the capture's tables from a crafted connection whose
 * every answer is known (which packet goes to which table, bytes per
 * interval, lost_on_link, the bound), the document they are written as,
 * its CSV, and the kernel's sampler on a real socket. */
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
#include <unistd.h>

#include "series.h"
#include "series_kernel.h"
#include "wm_analyze.h"
#include "wm_series.h"
#include "wm_trace.h"

#define T0 1000000000000000000ll /* the SYN's epoch ns */
#define US 1000ll
#define CLIENT_PORT 50000 /* the data sender of these tests */

static void add(wm_trace *t, int64_t at_ns, int from_client, uint8_t flags,
                uint32_t seq, uint32_t ack, uint32_t len)
{
    if (t->count == t->capacity) {
        t->capacity = t->capacity ? t->capacity * 2 : 64;
        t->packets = realloc(t->packets, t->capacity * sizeof *t->packets);
        assert_non_null(t->packets);
    }
    wm_packet *p = &t->packets[t->count++];
    memset(p, 0, sizeof *p);
    p->ts_ns = T0 + at_ns;
    p->frame_no = (uint32_t)t->count;
    p->frame_len = p->cap_len = 54 + len;
    p->src.family = p->dst.family = 4;
    p->src.bytes[0] = p->dst.bytes[0] = 10;
    p->src.bytes[3] = from_client ? 1 : 2;
    p->dst.bytes[3] = from_client ? 2 : 1;
    p->src_port = from_client ? CLIENT_PORT : 80;
    p->dst_port = from_client ? 80 : CLIENT_PORT;
    p->seq = seq;
    p->ack = ack;
    p->payload_len = len;
    p->window = from_client ? 1000 : 2000;
    p->flags = flags;
    p->header_len = 20;
    t->frames++;
}

/* The client sends 2000 bytes as two segments, the second lost and sent
 * again; the server acks each and the FIN. ISNs 100 (client), 500. */
static void crafted(wm_trace *t)
{
    const uint8_t A = WM_TCP_ACK;
    wm_trace_init(t, 1);
    add(t, 0, 1, WM_TCP_SYN, 100, 0, 0);                  /* 1 */
    add(t, 100 * US, 0, WM_TCP_SYN | A, 500, 101, 0);     /* 2 */
    add(t, 200 * US, 1, A, 101, 501, 0);                  /* 3 */
    add(t, 1000 * US, 1, A, 101, 501, 1000);              /* 4: seq 1 */
    add(t, 1100 * US, 1, A, 1101, 501, 1000);             /* 5: lost */
    add(t, 1500 * US, 0, A, 501, 1101, 0);                /* 6: acks 4 */
    add(t, 2200 * US, 1, A, 1101, 501, 1000);             /* 7: again */
    add(t, 2500 * US, 0, A, 501, 2101, 0);                /* 8: acks 7 */
    add(t, 3000 * US, 1, WM_TCP_FIN | A, 2101, 501, 0);   /* 9 */
    add(t, 3200 * US, 0, WM_TCP_FIN | A, 501, 2102, 0);   /* 10 */
    add(t, 3300 * US, 1, A, 2102, 502, 0);                /* 11 */
    t->first_ts_ns = t->packets[0].ts_ns;
}

typedef struct fixture {
    wm_trace trace;
    wm_analysis analysis;
    series_tables tables;
} fixture;

static void build(fixture *f, size_t max_points)
{
    static const uint32_t lost[] = {5};
    wm_error err = {0};
    crafted(&f->trace);
    assert_int_equal(wm_analyze_trace(&f->trace, &f->analysis, &err), 0);
    assert_int_equal(f->analysis.count, 1);
    if (series_tables_build(&f->analysis.connections[0], CLIENT_PORT, lost, 1,
                            1000 * US, max_points, &f->tables, &err) != 0)
        fail_msg("%s", err.message);
}

static void done(fixture *f)
{
    series_tables_free(&f->tables);
    wm_analysis_free(&f->analysis);
    wm_trace_free(&f->trace);
}

static const series_point *row(const fixture *f, enum series_table t,
                               size_t i)
{
    assert_true(i < f->tables.list[t].count);
    return &f->tables.list[t].rows[i];
}

static void test_tables(void **state)
{
    (void)state;
    fixture f;
    build(&f, WM_SERIES_MAX_POINTS);
    const series_tables *t = &f.tables;
    assert_true(t->start_ns == T0);
    assert_false(t->truncated);
    /* The sender's data segments: relative seq, the retransmission, the
     * frame the link lost. */
    assert_int_equal(t->list[SERIES_SEGMENTS].count, 3);
    const uint32_t frames[] = {4, 5, 7}, seqs[] = {1, 1001, 1001};
    const uint32_t flags[] = {0, SERIES_LOST_ON_LINK, SERIES_RETRANSMISSION};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(row(&f, SERIES_SEGMENTS, i)->frame, frames[i]);
        assert_int_equal(row(&f, SERIES_SEGMENTS, i)->value, seqs[i]);
        assert_int_equal(row(&f, SERIES_SEGMENTS, i)->len, 1000);
        assert_int_equal(row(&f, SERIES_SEGMENTS, i)->flags, flags[i]);
    }
    assert_true(row(&f, SERIES_SEGMENTS, 0)->t_ns == 1000 * US);
    /* Bytes in flight once each was sent, as the analysis counts them. */
    assert_int_equal(t->list[SERIES_IN_FLIGHT].count, 3);
    assert_int_equal(row(&f, SERIES_IN_FLIGHT, 0)->value, 1000);
    assert_int_equal(row(&f, SERIES_IN_FLIGHT, 1)->value, 2000);
    assert_int_equal(row(&f, SERIES_IN_FLIGHT, 2)->frame, 7);
    /* Every packet of the receiver has its window; every one acks. */
    assert_int_equal(t->list[SERIES_WINDOW].count, 4);
    assert_int_equal(t->list[SERIES_ACKS].count, 4);
    const uint32_t acks[] = {1, 1001, 2001, 2002};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(row(&f, SERIES_ACKS, i)->value, acks[i]);
        assert_int_equal(row(&f, SERIES_WINDOW, i)->value, 2000);
    }
    /* A round trip per ACK that acks something: the SYN-ACK's, frame 6's
     * of frame 4 (500 us), frame 8's of frame 5 and 7, the FIN's. */
    assert_int_equal(t->list[SERIES_RTT].count, 4);
    assert_int_equal(row(&f, SERIES_RTT, 0)->frame, 2);
    assert_true(row(&f, SERIES_RTT, 0)->value == 100 * US);
    assert_int_equal(row(&f, SERIES_RTT, 1)->frame, 6);
    assert_true(row(&f, SERIES_RTT, 1)->value == 500 * US);
    assert_int_equal(row(&f, SERIES_RTT, 2)->frame, 8);
    /* As Wireshark: from the segment's first transmission, frame 5. */
    assert_true(row(&f, SERIES_RTT, 2)->value == 1400 * US);
    /* Per millisecond: sent 0, 2000 (frames 4, 5), 1000 (frame 7);
     * acked 0, 1000, 1000; the FIN and its ack add no data, so no
     * interval after them. */
    assert_int_equal(t->intervals, 3);
    const uint64_t sent[] = {0, 2000, 1000}, acked[] = {0, 1000, 1000};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(t->sent_bytes[i], sent[i]);
        assert_int_equal(t->acked_bytes[i], acked[i]);
    }
    done(&f);
}

/* At the bound a table stops growing and the series says so. */
static void test_bound(void **state)
{
    (void)state;
    fixture f;
    build(&f, 2);
    assert_true(f.tables.truncated);
    for (int i = 0; i < SERIES_TABLE_COUNT; i++)
        assert_true(f.tables.list[i].count <= 2);
    assert_int_equal(f.tables.list[SERIES_SEGMENTS].count, 2);
    assert_int_equal(f.tables.intervals, 2);
    done(&f);
}

static json_t *written(const fixture *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    wm_error err = {0};
    assert_int_equal(series_write(out, &f->tables, "sender", NULL, &err), 0);
    fclose(out);
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (!doc)
        fail_msg("not JSON: %s", jerr.text);
    free(text);
    return doc;
}

static void test_document_and_csv(void **state)
{
    (void)state;
    fixture f;
    build(&f, WM_SERIES_MAX_POINTS);
    json_t *doc = written(&f);
    assert_string_equal(json_string_value(json_object_get(doc, "source")),
                        "sender");
    assert_int_equal(json_integer_value(json_object_get(doc, "interval_ns")),
                     1000 * US);
    json_t *seg = json_array_get(json_object_get(doc, "segments"), 1);
    assert_true(json_is_true(json_object_get(seg, "lost_on_link")));
    assert_true(json_is_false(json_object_get(seg, "retransmission")));
    json_t *rate = json_array_get(json_object_get(doc, "throughput"), 1);
    assert_int_equal(json_integer_value(json_object_get(rate, "bytes")), 2000);
    /* 2000 bytes in 1 ms */
    assert_true(json_number_value(json_object_get(rate, "bits_per_second")) ==
                16e6);
    wm_error err = {0};
    char *csv = wm_series_csv(doc, "segments", &err);
    assert_non_null(csv);
    assert_string_equal(csv,
                        "t_ns,frame,seq,len,retransmission,lost_on_link\n"
                        "1000000,4,1,1000,false,false\n"
                        "1100000,5,1001,1000,false,true\n"
                        "2200000,7,1001,1000,true,false\n");
    free(csv);
    /* An infinite ssthresh is null in JSON, an empty cell in CSV. */
    json_t *k = json_pack("{s:{s:[{s:i, s:i, s:n}]}}", "kernel", "samples",
                          "t_ns", 5, "cwnd", 10, "ssthresh");
    csv = wm_series_csv(k, "kernel", &err);
    assert_non_null(strstr(csv, "\n5,10,,"));
    free(csv);
    json_decref(k);
    assert_null(wm_series_csv(doc, "cwnd", &err));
    assert_string_equal(err.parameter, "table");
    assert_non_null(strstr(err.message, WM_SERIES_TABLE_NAMES));
    json_decref(doc);
    done(&f);
}

/* A connected pair on loopback; *server the accepted end. */
static int connected(int *server)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    *server = accept(l, NULL, NULL);
    assert_true(*server >= 0);
    close(l);
    return c;
}

/* The sampler takes the first and the last state itself, reads a
 * connection's cwnd, and an untouched one's ssthresh is infinite. */
static void test_kernel_sampler(void **state)
{
    (void)state;
    int server;
    int fd = connected(&server);
    series_kernel *k = NULL;
    wm_error err = {0};
    assert_int_equal(series_kernel_start(0, WM_SERIES_MAX_SAMPLES, &k, &err), 0);
    series_kernel_on_sender(k, fd);
    char data[4096] = {0};
    for (int i = 0; i < 16; i++)
        assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
    series_kernel_on_sender(k, -1);
    series_kernel_stop(k);
    size_t count = 0;
    const series_sample *s = series_kernel_samples(k, &count);
    assert_true(count >= 2 && count <= 2 * WM_SERIES_AUTO_SAMPLES);
    assert_true(s[0].cwnd > 0);
    assert_int_equal(s[0].ssthresh, SERIES_NO_SSTHRESH);
    /* The peer reads nothing: its window, not the writes, bounds what
     * was sent. */
    assert_true(s[count - 1].bytes_sent > 0);
    assert_true(s[count - 1].t_ns >= s[0].t_ns);
    assert_int_equal(series_kernel_dropped(k), 0);
    assert_true(series_kernel_interval_ns(k) >=
                WM_SERIES_MIN_INTERVAL_US * 1000ll);
    assert_true(series_kernel_congestion(k)[0] != '\0');
    series_kernel_free(k);
    close(fd);
    close(server);
}

/* A bound smaller than auto's mark is kept: the samples past it are
 * dropped (counted, so the document says truncated). The 10 s interval
 * leaves the thread asleep: the three samples are the hook's own. */
static void test_kernel_bound(void **state)
{
    (void)state;
    int server;
    int fd = connected(&server);
    series_kernel *k = NULL;
    wm_error err = {0};
    assert_int_equal(series_kernel_start(WM_SERIES_MAX_INTERVAL_US,
                                         WM_SERIES_MIN_BOUND, &k, &err), 0);
    series_kernel_on_sender(k, fd);
    series_kernel_on_sender(k, fd);
    series_kernel_on_sender(k, -1);
    series_kernel_stop(k);
    size_t count = 0;
    series_kernel_samples(k, &count);
    assert_int_equal(count, WM_SERIES_MIN_BOUND);
    assert_int_equal(series_kernel_bound(k), WM_SERIES_MIN_BOUND);
    assert_int_equal(series_kernel_dropped(k), 1);
    series_kernel_free(k);
    close(fd);
    close(server);
}

/* The samples' room grows as they come (it starts small, for a small
 * run's two): every sample up to the bound is kept, in order, and only
 * those past it are dropped. */
static void test_kernel_room_grows(void **state)
{
    (void)state;
    int server;
    int fd = connected(&server);
    series_kernel *k = NULL;
    wm_error err = {0};
    const unsigned bound = 100, calls = 150;
    assert_int_equal(series_kernel_start(WM_SERIES_MAX_INTERVAL_US, bound,
                                         &k, &err), 0);
    for (unsigned i = 0; i < calls; i++)
        series_kernel_on_sender(k, fd);
    series_kernel_stop(k);
    size_t count = 0;
    const series_sample *s = series_kernel_samples(k, &count);
    assert_int_equal(count, bound);
    assert_int_equal(series_kernel_dropped(k), calls - bound);
    for (size_t i = 1; i < count; i++)
        assert_true(s[i].t_ns >= s[i - 1].t_ns && s[i].cwnd > 0);
    series_kernel_free(k);
    close(fd);
    close(server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_document_and_csv),
        cmocka_unit_test(test_kernel_sampler),
        cmocka_unit_test(test_kernel_bound),
        cmocka_unit_test(test_kernel_room_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
