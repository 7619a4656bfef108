/* Agreement with tshark, data-driven: every tests/data/tshark/NAME.pcap
 * comes with NAME.fields (tshark -T fields, one row per packet, a header
 * naming the columns) and NAME.conv (tshark -z conv,tcp), both written by
 * tests/data/tshark/regen.sh. For every packet and every column we print
 * what tshark printed and compare (the Info column through the report's
 * packet row, so that its text is Wireshark's); the frame counts of each conversation
 * must equal tshark's too (those its tap counts: not the frames whose
 * header the snaplen cut). A row where tshark sees no TCP (an IP fragment
 * whose datagram completes in another frame) must not be TCP to us
 * either. Adding a case is adding a scenario to gen_pcaps.py or
 * gen_packets.py, or a real capture, and running regen.sh: this file
 * does not change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_analyze.h"
#include "wm_report.h"
#include "wm_trace.h"

#include "tshark_samples.h"

#define MAX_COLUMNS 64
#define MAX_LINE 4096

typedef struct row_ctx {
    const wm_packet *p;
    const wm_packet_info *info;
    size_t stream;
    const wm_trace *trace;        /* for the report's packet row */
    const wm_analysis *analysis;
    size_t index;                 /* of info in its connection */
    json_t *row;                  /* the report's packet row */
} row_ctx;

/* Our value of tshark's column `name`, as tshark prints it. */
typedef void (*column_fn)(const row_ctx *r, char *buf, size_t len);

static void flag(char *buf, size_t len, bool set)
{
    snprintf(buf, len, "%s", set ? "1" : "");
}

#define MARK_COLUMN(fname, mask)                                        \
    static void fname(const row_ctx *r, char *buf, size_t len)          \
    {                                                                   \
        flag(buf, len, (r->info->marks & (mask)) != 0);                 \
    }
MARK_COLUMN(col_retrans, WM_MARK_ANY_RETRANSMISSION)
MARK_COLUMN(col_fast, WM_MARK_FAST_RETRANSMISSION)
MARK_COLUMN(col_spurious, WM_MARK_SPURIOUS_RETRANSMISSION)
MARK_COLUMN(col_ooo, WM_MARK_OUT_OF_ORDER)
MARK_COLUMN(col_dup, WM_MARK_DUP_ACK)
MARK_COLUMN(col_lost, WM_MARK_LOST_SEGMENT)
MARK_COLUMN(col_acked_unseen, WM_MARK_ACKED_UNSEEN)
MARK_COLUMN(col_keep_alive, WM_MARK_KEEP_ALIVE)
MARK_COLUMN(col_keep_alive_ack, WM_MARK_KEEP_ALIVE_ACK)
MARK_COLUMN(col_window_update, WM_MARK_WINDOW_UPDATE)
MARK_COLUMN(col_window_full, WM_MARK_WINDOW_FULL)
MARK_COLUMN(col_zero_window, WM_MARK_ZERO_WINDOW)
MARK_COLUMN(col_zwp, WM_MARK_ZERO_WINDOW_PROBE)
MARK_COLUMN(col_zwp_ack, WM_MARK_ZERO_WINDOW_PROBE_ACK)

static void col_frame(const row_ctx *r, char *buf, size_t len)
{
    snprintf(buf, len, "%" PRIu32, r->p->frame_no);
}

static void col_time(const row_ctx *r, char *buf, size_t len)
{
    int64_t ns = r->info->rel_time_ns; /* below 0 if the clock stepped back */
    uint64_t mag = ns < 0 ? (uint64_t)-ns : (uint64_t)ns;
    snprintf(buf, len, "%s%" PRIu64 ".%09" PRIu64, ns < 0 ? "-" : "",
             mag / 1000000000u, mag % 1000000000u);
}

static void addr_of(const wm_addr *a, int family, char *buf, size_t len)
{
    if (a->family == family)
        wm_addr_format(a, buf, (unsigned)len);
    else
        buf[0] = '\0';
}

static void col_ip_src(const row_ctx *r, char *b, size_t n)
{
    addr_of(&r->p->src, 4, b, n);
}
static void col_ip_dst(const row_ctx *r, char *b, size_t n)
{
    addr_of(&r->p->dst, 4, b, n);
}
static void col_ip6_src(const row_ctx *r, char *b, size_t n)
{
    addr_of(&r->p->src, 6, b, n);
}
static void col_ip6_dst(const row_ctx *r, char *b, size_t n)
{
    addr_of(&r->p->dst, 6, b, n);
}

#define UINT_COLUMN(fname, expr)                                        \
    static void fname(const row_ctx *r, char *buf, size_t len)          \
    {                                                                   \
        snprintf(buf, len, "%" PRIu64, (uint64_t)(expr));               \
    }
UINT_COLUMN(col_sport, r->p->src_port)
UINT_COLUMN(col_dport, r->p->dst_port)
UINT_COLUMN(col_stream, r->stream)
UINT_COLUMN(col_frame_len, r->p->frame_len)
UINT_COLUMN(col_seq, r->info->rel_seq)

/* A first fragment shown alone has no segment length in tshark. */
static void col_len(const row_ctx *r, char *buf, size_t len)
{
    if (r->p->anomalies & WM_PKT_NO_SEGLEN)
        buf[0] = '\0';
    else
        snprintf(buf, len, "%" PRIu32, r->p->payload_len);
}

/* tshark shows no flags, ack or window field of a bogus header. */
static bool bogus(const row_ctx *r, char *buf)
{
    buf[0] = '\0';
    return r->p->anomalies & WM_PKT_BAD_HEADER_LEN;
}

static void col_flags(const row_ctx *r, char *buf, size_t len)
{
    if (!bogus(r, buf))
        snprintf(buf, len, "0x%04x", r->p->flags);
}

static void col_window(const row_ctx *r, char *buf, size_t len)
{
    if (!bogus(r, buf))
        snprintf(buf, len, "%" PRIu64, r->info->window);
}

static void col_ack(const row_ctx *r, char *buf, size_t len)
{
    if (bogus(r, buf))
        return;
    /* Without the ACK flag tshark shows the raw field (our rel_ack is 0
     * then, as docs/result.md says). */
    uint32_t ack = (r->p->flags & WM_TCP_ACK) ? r->info->rel_ack : r->p->ack;
    snprintf(buf, len, "%" PRIu32, ack);
}

static void col_dup_num(const row_ctx *r, char *buf, size_t len)
{
    if (r->info->marks & WM_MARK_DUP_ACK)
        snprintf(buf, len, "%" PRIu32, r->info->dup_ack_num);
    else
        buf[0] = '\0';
}

static void col_dup_frame(const row_ctx *r, char *buf, size_t len)
{
    if (r->info->marks & WM_MARK_DUP_ACK)
        snprintf(buf, len, "%" PRIu32, r->info->dup_ack_frame);
    else
        buf[0] = '\0';
}

/* The Info column, as the report's packet row writes it. */
static void col_info(const row_ctx *r, char *buf, size_t len)
{
    const char *info = json_string_value(json_object_get(r->row, "info"));
    snprintf(buf, len, "%s", info ? info : "(none)");
}

/* The new fields are read from the report's packet row, so that what a
 * user gets is what is compared: null there is an empty tshark field. */
static const json_t *row_value(const row_ctx *r, const char *key)
{
    const json_t *v = json_object_get(r->row, key);
    assert_non_null(v); /* present in every row, null or not */
    return v;
}

static void integer_of(const json_t *v, char *buf, size_t len)
{
    if (json_is_null(v))
        buf[0] = '\0';
    else
        snprintf(buf, len, "%" PRId64, (int64_t)json_integer_value(v));
}

/* tshark prints a relative time as seconds with nine decimals. */
static void seconds_of(const json_t *v, char *buf, size_t len)
{
    if (json_is_null(v)) {
        buf[0] = '\0';
        return;
    }
    int64_t ns = (int64_t)json_integer_value(v);
    uint64_t mag = ns < 0 ? (uint64_t)-ns : (uint64_t)ns;
    snprintf(buf, len, "%s%" PRIu64 ".%09" PRIu64, ns < 0 ? "-" : "",
             mag / 1000000000u, mag % 1000000000u);
}

#define ROW_INT_COLUMN(fname, key)                                      \
    static void fname(const row_ctx *r, char *buf, size_t len)          \
    {                                                                   \
        integer_of(row_value(r, key), buf, len);                        \
    }
#define ROW_TIME_COLUMN(fname, key)                                     \
    static void fname(const row_ctx *r, char *buf, size_t len)          \
    {                                                                   \
        seconds_of(row_value(r, key), buf, len);                        \
    }
ROW_INT_COLUMN(col_nxtseq, "nxtseq")
ROW_INT_COLUMN(col_acks_frame, "acks_frame")
ROW_TIME_COLUMN(col_ack_rtt, "ack_rtt_ns")
ROW_INT_COLUMN(col_bif, "bytes_in_flight")
ROW_INT_COLUMN(col_push, "push_bytes_sent")
ROW_TIME_COLUMN(col_irtt, "initial_rtt_ns")
ROW_TIME_COLUMN(col_rto, "rto_ns")
ROW_INT_COLUMN(col_rto_frame, "rto_frame")

static const json_t *option(const row_ctx *r, const char *key)
{
    return json_object_get(json_object_get(r->row, "options"), key);
}

static void dsack_edge(const row_ctx *r, size_t i, char *buf, size_t len)
{
    const json_t *d = option(r, "dsack");
    if (d)
        integer_of(json_array_get(d, i), buf, len);
    else
        buf[0] = '\0';
}

static void col_dsack_le(const row_ctx *r, char *buf, size_t len)
{
    dsack_edge(r, 0, buf, len);
}

static void col_dsack_re(const row_ctx *r, char *buf, size_t len)
{
    dsack_edge(r, 1, buf, len);
}

/* An FT_NONE field: tshark prints 1 where the packet has it. */
static void col_tfo_request(const row_ctx *r, char *buf, size_t len)
{
    flag(buf, len, json_object_get(option(r, "tfo"), "request") != NULL);
}

static void col_tfo_cookie(const row_ctx *r, char *buf, size_t len)
{
    const char *hex = json_string_value(
        json_object_get(option(r, "tfo"), "cookie"));
    snprintf(buf, len, "%s", hex ? hex : "");
}

static void col_urgent(const row_ctx *r, char *buf, size_t len)
{
    if (r->p->anomalies & WM_PKT_BAD_HEADER_LEN) /* tshark stops before */
        buf[0] = '\0';
    else
        snprintf(buf, len, "%u", r->p->urgent);
}

/* A mark of the packet row by its docs/result.md name. */
static void named_mark(const row_ctx *r, const char *name, char *buf,
                       size_t len)
{
    const json_t *names = json_object_get(r->row, "analysis");
    size_t i;
    const json_t *v;
    bool found = false;
    json_array_foreach(names, i, v)
        found = found || strcmp(json_string_value(v), name) == 0;
    flag(buf, len, found);
}

static void col_tfo_syn(const row_ctx *r, char *buf, size_t len)
{
    named_mark(r, "tfo_syn", buf, len);
}

static void col_tfo_ack(const row_ctx *r, char *buf, size_t len)
{
    named_mark(r, "tfo_ack", buf, len);
}

static void col_tfo_ignored(const row_ctx *r, char *buf, size_t len)
{
    named_mark(r, "tfo_ignored", buf, len);
}

static const struct {
    const char *name;
    column_fn fn;
} columns[] = {
    {"frame.number", col_frame}, {"frame.time_relative", col_time},
    {"ip.src", col_ip_src}, {"ip.dst", col_ip_dst},
    {"ipv6.src", col_ip6_src}, {"ipv6.dst", col_ip6_dst},
    {"tcp.srcport", col_sport}, {"tcp.dstport", col_dport},
    {"tcp.stream", col_stream}, {"frame.len", col_frame_len},
    {"tcp.flags", col_flags}, {"tcp.seq", col_seq}, {"tcp.ack", col_ack},
    {"tcp.window_size", col_window}, {"tcp.len", col_len},
    {"tcp.analysis.retransmission", col_retrans},
    {"tcp.analysis.fast_retransmission", col_fast},
    {"tcp.analysis.spurious_retransmission", col_spurious},
    {"tcp.analysis.out_of_order", col_ooo},
    {"tcp.analysis.duplicate_ack", col_dup},
    {"tcp.analysis.duplicate_ack_num", col_dup_num},
    {"tcp.analysis.duplicate_ack_frame", col_dup_frame},
    {"tcp.analysis.lost_segment", col_lost},
    {"tcp.analysis.ack_lost_segment", col_acked_unseen},
    {"tcp.analysis.keep_alive", col_keep_alive},
    {"tcp.analysis.keep_alive_ack", col_keep_alive_ack},
    {"tcp.analysis.window_update", col_window_update},
    {"tcp.analysis.window_full", col_window_full},
    {"tcp.analysis.zero_window", col_zero_window},
    {"tcp.analysis.zero_window_probe", col_zwp},
    {"tcp.analysis.zero_window_probe_ack", col_zwp_ack},
    {"tcp.nxtseq", col_nxtseq},
    {"tcp.analysis.acks_frame", col_acks_frame},
    {"tcp.analysis.ack_rtt", col_ack_rtt},
    {"tcp.analysis.bytes_in_flight", col_bif},
    {"tcp.analysis.push_bytes_sent", col_push},
    {"tcp.analysis.initial_rtt", col_irtt},
    {"tcp.analysis.rto", col_rto},
    {"tcp.analysis.rto_frame", col_rto_frame},
    {"tcp.options.sack.dsack_le", col_dsack_le},
    {"tcp.options.sack.dsack_re", col_dsack_re},
    {"tcp.options.tfo.request", col_tfo_request},
    {"tcp.options.tfo.cookie", col_tfo_cookie},
    {"tcp.analysis.tfo_syn", col_tfo_syn},
    {"tcp.analysis.tfo_ack", col_tfo_ack},
    {"tcp.analysis.tfo_ignored", col_tfo_ignored},
    {"tcp.urgent_pointer", col_urgent},
    {"_ws.col.Info", col_info},
};

/* The tcp.analysis columns that carry a value, not a mark. */
static const char *const value_columns[] = {
    "tcp.analysis.duplicate_ack_num", "tcp.analysis.duplicate_ack_frame",
    "tcp.analysis.acks_frame", "tcp.analysis.ack_rtt",
    "tcp.analysis.bytes_in_flight", "tcp.analysis.push_bytes_sent",
    "tcp.analysis.initial_rtt", "tcp.analysis.rto",
    "tcp.analysis.rto_frame",
};

/* Expert-info columns print "1" once per item ("1,1" for a duplicate
 * ACK, which carries two): what matters is present or not. */
static bool is_mark_column(const char *name)
{
    if (strncmp(name, "tcp.analysis.", 13) != 0)
        return false;
    for (size_t i = 0; i < sizeof value_columns / sizeof value_columns[0]; i++)
        if (strcmp(name, value_columns[i]) == 0)
            return false;
    return true;
}

static column_fn column_named(const char *name)
{
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        if (strcmp(columns[i].name, name) == 0)
            return columns[i].fn;
    fail_msg("tshark column %s has no counterpart here", name);
    return NULL;
}

/* Splits a tab-separated line in place; empty fields are kept. */
static size_t split_tabs(char *line, char **fields, size_t max)
{
    line[strcspn(line, "\r\n")] = '\0';
    size_t n = 0;
    for (char *p = line; n < max;) {
        fields[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

/* The packet of frame number `frame`, found through the analysis. */
static bool find_frame(const wm_analysis *a, const wm_trace *t,
                       uint32_t frame, row_ctx *out)
{
    for (size_t k = 0; k < a->count; k++) {
        const wm_connection *c = &a->connections[k];
        for (size_t i = 0; i < c->packet_count; i++) {
            const wm_packet *p = &t->packets[c->packets[i].packet];
            if (p->frame_no == frame) {
                *out = (row_ctx){.p = p, .info = &c->packets[i],
                                 .stream = k, .trace = t, .analysis = a,
                                 .index = i};
                return true;
            }
        }
    }
    return false;
}

static int compare_row(const char *name, char **head, char **vals,
                       size_t n, const wm_analysis *a, const wm_trace *t)
{
    row_ctx r;
    uint32_t frame = (uint32_t)strtoul(vals[0], NULL, 10);
    for (size_t c = 0; c < n; c++)
        if (strcmp(head[c], "tcp.srcport") == 0 && vals[c][0] == '\0') {
            /* not TCP to tshark (an IP fragment the segment is not in) */
            if (!find_frame(a, t, frame, &r))
                return 0;
            print_error("%s: frame %u is TCP to us, not to tshark\n", name,
                        frame);
            return 1;
        }
    if (!find_frame(a, t, frame, &r)) {
        print_error("%s: frame %u not in our analysis\n", name, frame);
        return 1;
    }
    r.row = wm_report_packet(t, a, &a->connections[r.stream], r.index);
    assert_non_null(r.row);
    int bad = 0;
    for (size_t c = 0; c < n; c++) {
        char ours[512];
        column_named(head[c])(&r, ours, sizeof ours);
        bool same = is_mark_column(head[c])
                        ? (ours[0] != '\0') == (vals[c][0] != '\0')
                        : strcmp(ours, vals[c]) == 0;
        if (!same) {
            print_error("%s frame %u %s: tshark '%s', wiremeter '%s'\n",
                        name, frame, head[c], vals[c], ours);
            bad++;
        }
    }
    json_decref(r.row);
    return bad;
}

static int compare_fields(const char *name, const char *path,
                          const wm_analysis *a, const wm_trace *t,
                          size_t *rows)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char header[MAX_LINE], line[MAX_LINE];
    char *head[MAX_COLUMNS], *vals[MAX_COLUMNS];
    assert_non_null(fgets(header, sizeof header, f));
    size_t n = split_tabs(header, head, MAX_COLUMNS);
    assert_string_equal(head[0], "frame.number");
    int bad = 0;
    while (fgets(line, sizeof line, f)) {
        size_t m = split_tabs(line, vals, MAX_COLUMNS);
        assert_int_equal(m, n);
        bad += compare_row(name, head, vals, n, a, t);
        (*rows)++;
    }
    fclose(f);
    return bad;
}

/* Frames of each side tshark's conversation tap counts: not those whose
 * header the snaplen cut or whose header length is bogus (tshark stops
 * before the tap). */
static void tapped_frames(const wm_connection *c, const wm_trace *t,
                          uint64_t counts[2])
{
    counts[0] = counts[1] = 0;
    for (size_t i = 0; i < c->packet_count; i++) {
        const wm_packet *p = &t->packets[c->packets[i].packet];
        if (!p->opts.truncated && !(p->anomalies & WM_PKT_BAD_HEADER_LEN))
            counts[c->packets[i].from]++;
    }
}

/* The first connection between these ports not matched yet with a frame
 * tshark taps: tshark lists conversations by size, ours come by first
 * packet, and a reused tuple has two. */
static const wm_connection *unmatched(const wm_analysis *a,
                                      const wm_trace *t, bool *used,
                                      unsigned port_a, unsigned port_b,
                                      uint64_t n[2])
{
    for (size_t k = 0; k < a->count; k++) {
        const wm_connection *c = &a->connections[k];
        unsigned p0 = c->side[0].port, p1 = c->side[1].port;
        if (used[k] || !((p0 == port_a && p1 == port_b) ||
                         (p0 == port_b && p1 == port_a)))
            continue;
        tapped_frames(c, t, n);
        if (n[0] + n[1] == 0)
            continue;
        used[k] = true;
        return c;
    }
    return NULL;
}

/* "A:port <-> B:port  framesBA bytes unit  framesAB bytes unit  total..." */
static int compare_conv(const char *name, const char *path,
                        const wm_analysis *a, const wm_trace *t)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[MAX_LINE];
    size_t k = 0;
    int bad = 0;
    bool *used = calloc(a->count + 1, sizeof *used);
    assert_non_null(used);
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, "<->"))
            continue;
        char left[80], right[80], u1[16], u2[16];
        unsigned long to_left, to_right, b1, b2, total;
        int got = sscanf(line, "%79s <-> %79s %lu %lu %15s %lu %lu %15s %lu",
                         left, right, &to_left, &b1, u1, &to_right, &b2, u2,
                         &total);
        assert_int_equal(got, 9);
        k++;
        unsigned left_port = (unsigned)strtoul(strrchr(left, ':') + 1,
                                               NULL, 10);
        unsigned right_port = (unsigned)strtoul(strrchr(right, ':') + 1,
                                                NULL, 10);
        uint64_t n[2] = {0, 0};
        const wm_connection *c =
            unmatched(a, t, used, left_port, right_port, n);
        if (!c) {
            print_error("%s: no connection of ours for %s <-> %s\n", name,
                        left, right);
            bad++;
            continue;
        }
        wm_side l = c->side[WM_SIDE_CLIENT].port == left_port
                        ? WM_SIDE_CLIENT : WM_SIDE_SERVER;
        if (n[l] != to_right || n[!l] != to_left || n[0] + n[1] != total) {
            print_error("%s conversation %zu: tshark %lu/%lu/%lu frames, "
                        "wiremeter %" PRIu64 "/%" PRIu64 "\n", name, k - 1,
                        to_right, to_left, total, n[l], n[!l]);
            bad++;
        }
    }
    fclose(f);
    /* tshark lists none with no frame tapped */
    size_t ours = 0;
    for (size_t i = 0; i < a->count; i++) {
        uint64_t n[2];
        tapped_frames(&a->connections[i], t, n);
        ours += n[0] + n[1] > 0;
    }
    free(used);
    if (k != ours) {
        print_error("%s: tshark %zu conversations, wiremeter %zu\n", name, k,
                    ours);
        bad++;
    }
    return bad;
}

static int check_case(const char *name, size_t *rows)
{
    char path[512];
    wm_trace trace;
    wm_analysis analysis;
    snprintf(path, sizeof path, "%s/%s.pcap", TSHARK_SAMPLES_DIR, name);
    sample_read(path, &trace, &analysis);
    snprintf(path, sizeof path, "%s/%s.fields", TSHARK_SAMPLES_DIR, name);
    int bad = compare_fields(name, path, &analysis, &trace, rows);
    snprintf(path, sizeof path, "%s/%s.conv", TSHARK_SAMPLES_DIR, name);
    bad += compare_conv(name, path, &analysis, &trace);
    wm_analysis_free(&analysis);
    wm_trace_free(&trace);
    return bad;
}

static void test_every_case_agrees(void **state)
{
    (void)state;
    DIR *dir = opendir(TSHARK_SAMPLES_DIR);
    assert_non_null(dir);
    size_t cases = 0, rows = 0;
    int bad = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t stem = sample_stem(e->d_name);
        if (!stem)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)stem, e->d_name);
        bad += check_case(name, &rows);
        cases++;
    }
    closedir(dir);
    print_message("%zu captures, %zu packets compared with tshark\n", cases,
                  rows);
    assert_true(cases >= 10);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_case_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
