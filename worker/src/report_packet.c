/* report_packet: one row of the packet list, in Wireshark's columns.
 *
 * A row carries both spellings of each number a student compares with
 * Wireshark: relative seq/ack and the scaled window (what the packet list
 * shows by default) beside the raw values (what the lab asks for in the
 * handshake). The "info" text follows Wireshark's Info column, expert
 * prefixes included, so that a row can be read against a Wireshark window
 * line by line. */
#include "report_internal.h"

#include "wm_clock.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *wm_report_side_name(wm_side side)
{
    return side == WM_SIDE_CLIENT ? "client" : "server";
}

/* Wireshark's expert names (docs/result.md) and Info prefixes, in the
 * order its Info column shows them: packet-tcp.c prepends each in turn,
 * so the last it adds comes first. The retransmission kinds are one
 * prefix between them (info_prefix). */
static const struct {
    uint32_t mark;
    const char *name;
    const char *info; /* NULL: written by info_prefix itself */
} mark_names[] = {
    {WM_MARK_ZERO_WINDOW_PROBE_ACK, "zero_window_probe_ack",
     "TCP ZeroWindowProbeAck"},
    {WM_MARK_ZERO_WINDOW, "zero_window", "TCP ZeroWindow"},
    {WM_MARK_ZERO_WINDOW_PROBE, "zero_window_probe", "TCP ZeroWindowProbe"},
    {WM_MARK_DUP_ACK, "duplicate_ack", NULL},
    {WM_MARK_KEEP_ALIVE_ACK, "keep_alive_ack", "TCP Keep-Alive ACK"},
    {WM_MARK_KEEP_ALIVE, "keep_alive", "TCP Keep-Alive"},
    {WM_MARK_WINDOW_FULL, "window_full", "TCP Window Full"},
    {WM_MARK_WINDOW_UPDATE, "window_update", "TCP Window Update"},
    {WM_MARK_ACKED_UNSEEN, "acked_unseen_segment", "TCP ACKed unseen segment"},
    {WM_MARK_LOST_SEGMENT, "lost_segment", "TCP Previous segment not captured"},
    {WM_MARK_OUT_OF_ORDER, "out_of_order", "TCP Out-Of-Order"},
    {WM_MARK_FAST_RETRANSMISSION, "fast_retransmission", NULL},
    {WM_MARK_SPURIOUS_RETRANSMISSION, "spurious_retransmission", NULL},
    {WM_MARK_RETRANSMISSION, "retransmission", NULL},
    {WM_MARK_PORTS_REUSED, "ports_reused", "TCP Port numbers reused"},
};

#define MARK_NAME_COUNT (sizeof mark_names / sizeof mark_names[0])

/* Marks with no Info prefix: Wireshark's expert items of the options
 * (tcp.analysis.tfo_syn, tfo_ack, tfo_ignored; tcp.options.sack.dsack). */
static const struct {
    uint32_t mark;
    const char *name;
} quiet_marks[] = {
    {WM_MARK_TFO_SYN, "tfo_syn"},
    {WM_MARK_TFO_ACK, "tfo_ack"},
    {WM_MARK_TFO_IGNORED, "tfo_ignored"},
    {WM_MARK_DSACK, "dsack"},
};

#define QUIET_MARK_COUNT (sizeof quiet_marks / sizeof quiet_marks[0])

const char *wm_report_mark_name(uint32_t mark)
{
    for (size_t i = 0; i < MARK_NAME_COUNT; i++)
        if (mark_names[i].mark == mark)
            return mark_names[i].name;
    for (size_t i = 0; i < QUIET_MARK_COUNT; i++)
        if (quiet_marks[i].mark == mark)
            return quiet_marks[i].name;
    return NULL;
}

/* Text built piece by piece into a fixed buffer; output past its end is
 * dropped, never written. */
typedef struct text {
    char buf[512];
    size_t used;
} text;

__attribute__((format(printf, 2, 3)))
static void text_add(text *t, const char *fmt, ...)
{
    if (t->used >= sizeof t->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->used, sizeof t->buf - t->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->used += (size_t)n;
    if (t->used > sizeof t->buf - 1)
        t->used = sizeof t->buf - 1;
}

/* The prefixes, in mark_names' order; a retransmission is named once, by
 * its most specific kind, where the table lists the three. */
static void info_prefix(const wm_packet_info *info, text *t)
{
    for (size_t i = 0; i < MARK_NAME_COUNT; i++) {
        uint32_t mark = mark_names[i].mark;
        if (!(info->marks & mark))
            continue;
        if (mark_names[i].info)
            text_add(t, "[%s] ", mark_names[i].info);
        else if (mark == WM_MARK_DUP_ACK)
            text_add(t, "[TCP Dup ACK %" PRIu32 "#%" PRIu32 "] ",
                     info->dup_ack_frame, info->dup_ack_num);
        else if (mark == WM_MARK_FAST_RETRANSMISSION)
            text_add(t, "[TCP Fast Retransmission] ");
        else if (mark == WM_MARK_SPURIOUS_RETRANSMISSION &&
                 !(info->marks & WM_MARK_FAST_RETRANSMISSION))
            text_add(t, "[TCP Spurious Retransmission] ");
        else if (mark == WM_MARK_RETRANSMISSION &&
                 !(info->marks & (WM_MARK_FAST_RETRANSMISSION |
                                  WM_MARK_SPURIOUS_RETRANSMISSION)))
            text_add(t, "[TCP Retransmission] ");
    }
}

/* The sender's view of SACK blocks is in the receiver's sequence space:
 * relative to the base its ACK field is relative to. */
static uint32_t sack_base(const wm_packet *p, const wm_packet_info *info)
{
    return (p->flags & WM_TCP_ACK) ? p->ack - info->rel_ack : 0;
}

static void info_options(const wm_packet *p, const wm_packet_info *info,
                         text *t)
{
    const wm_tcp_options *o = &p->opts;
    if (o->has_mss)
        text_add(t, " MSS=%u", o->mss);
    if (o->sack_permitted)
        text_add(t, " SACK_PERM");
    if (o->has_timestamps)
        text_add(t, " TSval=%" PRIu32 " TSecr=%" PRIu32, o->ts_val, o->ts_ecr);
    if (o->has_wscale)
        text_add(t, " WS=%u", o->wscale <= 14 ? 1u << o->wscale : 1u << 14);
    uint32_t base = sack_base(p, info);
    for (unsigned i = 0; i < o->sack_count; i++)
        text_add(t, " SLE=%" PRIu32 " SRE=%" PRIu32, o->sack[i].left - base,
                 o->sack[i].right - base);
    if (o->tfo)
        text_add(t, " TFO=%s", o->tfo == WM_TFO_REQUEST ? "R" : "C");
}

static json_t *info_text(const wm_packet *p, const wm_packet_info *info)
{
    text t = {.used = 0};
    t.buf[0] = '\0';
    char flags[48];
    wm_tcp_flags_format(p->flags, flags, sizeof flags);
    info_prefix(info, &t);
    text_add(&t, "%u \u2192 %u [%s] Seq=%" PRIu32, p->src_port, p->dst_port,
             flags, info->rel_seq);
    if (p->flags & WM_TCP_ACK)
        text_add(&t, " Ack=%" PRIu32, info->rel_ack);
    text_add(&t, " Win=%" PRIu64, info->window);
    if (p->anomalies & WM_PKT_BAD_HEADER_LEN) {
        text_add(&t, ", bogus TCP header length (%u, must be at least 20)",
                 p->header_len);
        return json_string(t.buf);
    }
    if (p->flags & WM_TCP_URG)
        text_add(&t, " Urg=%u", p->urgent);
    if (!(p->anomalies & WM_PKT_NO_SEGLEN))
        text_add(&t, " Len=%" PRIu32, p->payload_len);
    info_options(p, info, &t);
    if (p->opts.truncated) /* where tshark's TCP dissection stopped */
        text_add(&t, "[Packet size limited during capture]");
    return json_string(t.buf);
}

/* A row is set key by key (report_set) rather than through json_pack:
 * its format string was parsed again for every row, and its three
 * partial objects merged by json_object_update, a quarter of a small
 * run's report. */
static json_t *options_json(const wm_packet *p, const wm_packet_info *info)
{
    const wm_tcp_options *o = &p->opts;
    json_t *opts = json_object();
    if (o->has_mss)
        json_object_set_new(opts, "mss", json_integer(o->mss));
    if (o->sack_permitted)
        json_object_set_new(opts, "sack_permitted", json_true());
    if (o->has_timestamps) {
        json_t *ts = json_object();
        report_set_int(ts, "val", (json_int_t)o->ts_val);
        report_set_int(ts, "ecr", (json_int_t)o->ts_ecr);
        json_object_set_new(opts, "timestamps", ts);
    } else if (o->ts_val_cut) {
        json_t *ts = json_object();
        report_set_int(ts, "val", (json_int_t)o->ts_val);
        json_object_set_new(opts, "timestamps", ts);
    }
    if (o->has_wscale)
        json_object_set_new(opts, "wscale", json_integer(o->wscale));
    if (o->sack_count) {
        json_t *blocks = json_array();
        uint32_t base = sack_base(p, info);
        for (unsigned i = 0; i < o->sack_count; i++) {
            json_t *block = json_array();
            json_array_append_new(
                block, json_integer((json_int_t)(o->sack[i].left - base)));
            json_array_append_new(
                block, json_integer((json_int_t)(o->sack[i].right - base)));
            json_array_append_new(blocks, block);
        }
        json_object_set_new(opts, "sack", blocks);
        if (info->marks & WM_MARK_DSACK) /* always the first block */
            json_object_set_new(opts, "dsack", json_incref(
                                    json_array_get(blocks, 0)));
    }
    if (o->tfo == WM_TFO_REQUEST)
        json_object_set_new(opts, "tfo", json_pack("{s:b}", "request", 1));
    if (o->tfo == WM_TFO_COOKIE) {
        char hex[2 * WM_TCP_MAX_TFO_COOKIE + 1] = "";
        for (unsigned i = 0; i < o->tfo_cookie_len; i++)
            snprintf(hex + 2 * i, 3, "%02x", o->tfo_cookie[i]);
        json_object_set_new(opts, "tfo", json_pack("{s:s}", "cookie", hex));
    }
    if (o->nop_count)
        json_object_set_new(opts, "nop", json_integer(o->nop_count));
    if (o->has_eol)
        json_object_set_new(opts, "eol", json_true());
    if (o->unknown_count)
        json_object_set_new(opts, "unknown", json_integer(o->unknown_count));
    if (o->truncated)
        json_object_set_new(opts, "truncated", json_true());
    return opts;
}

/* Wireshark's tcp.analysis.retransmission is set for every kind of
 * retransmission, the specific field beside it: the names follow. */
static json_t *analysis_json(const wm_packet_info *info)
{
    json_t *names = json_array();
    if ((info->marks & WM_MARK_ANY_RETRANSMISSION) &&
        !(info->marks & WM_MARK_RETRANSMISSION))
        json_array_append_new(names, json_string("retransmission"));
    for (size_t i = 0; i < MARK_NAME_COUNT; i++)
        if (info->marks & mark_names[i].mark)
            json_array_append_new(names, json_string(mark_names[i].name));
    for (size_t i = 0; i < QUIET_MARK_COUNT; i++)
        if (info->marks & quiet_marks[i].mark)
            json_array_append_new(names, json_string(quiet_marks[i].name));
    return names;
}

static json_t *ns_or_null(int64_t ns)
{
    return ns ? json_integer((json_int_t)ns) : json_null();
}

static json_t *count_or_null(uint32_t n)
{
    return n ? json_integer((json_int_t)n) : json_null();
}

/* Wireshark's tcp.analysis values, each null where tshark shows none:
 * ack_rtt with its acks_frame, bytes_in_flight with push_bytes_sent,
 * rto with its rto_frame (retransmissions), the connection's iRTT. */
static int measures_json(const wm_packet *p, const wm_packet_info *info,
                         json_t *row)
{
    bool acks = info->acks_frame != 0;
    bool bif = info->bytes_in_flight != 0;
    bool rto = info->rto_ns != 0 && (info->marks & WM_MARK_RETRANSMISSION);
    int n = 0;
    /* no length, or tshark stopped at the bogus header length */
    n += report_set(row, "nxtseq",
             (p->anomalies & (WM_PKT_NO_SEGLEN | WM_PKT_BAD_HEADER_LEN))
                 ? json_null()
                 : json_integer((json_int_t)info->next_rel_seq));
    n += report_set(row, "acks_frame", count_or_null(info->acks_frame));
    n += report_set(row, "ack_rtt_ns", ns_or_null(acks ? info->ack_rtt_ns : 0));
    n += report_set(row, "bytes_in_flight", count_or_null(info->bytes_in_flight));
    n += report_set(row, "push_bytes_sent",
             bif ? json_integer((json_int_t)info->push_bytes_sent)
                 : json_null());
    n += report_set(row, "initial_rtt_ns", ns_or_null(info->initial_rtt_ns));
    n += report_set(row, "rto_ns", ns_or_null(rto ? info->rto_ns : 0));
    n += report_set(row, "rto_frame", count_or_null(rto ? info->rto_frame : 0));
    return n;
}

static const char *role_of(const wm_packet *p, const wm_packet_info *info)
{
    if (info->marks & WM_MARK_HANDSHAKE)
        return "handshake";
    if (info->marks & WM_MARK_CLOSURE)
        return "closure";
    return p->payload_len > 0 ? "data" : "ack";
}

static int endpoints_json(const wm_packet *p, const wm_packet_info *info,
                          json_t *row)
{
    char src[64], dst[64];
    wm_addr_format(&p->src, src, sizeof src);
    wm_addr_format(&p->dst, dst, sizeof dst);
    int n = 0;
    n += report_set(row, "source", json_string(src));
    n += report_set_int(row, "source_port", p->src_port);
    n += report_set(row, "destination", json_string(dst));
    n += report_set_int(row, "destination_port", p->dst_port);
    n += report_set(row, "from", json_string(wm_report_side_name(info->from)));
    return n;
}

static int numbers_json(const wm_packet *p, const wm_packet_info *info,
                        int64_t first_ts_ns, json_t *row)
{
    char flags[48];
    char ts_time[WM_CLOCK_RFC3339_SIZE]; /* ts_ns passes 2^53: docs/result.md */
    wm_tcp_flags_format(p->flags, flags, sizeof flags);
    wm_clock_rfc3339(p->ts_ns, ts_time);
    int n = 0;
    n += report_set_int(row, "no", (json_int_t)p->frame_no);
    n += report_set_int(row, "time_ns", (json_int_t)(p->ts_ns - first_ts_ns));
    n += report_set_int(row, "ts_ns", (json_int_t)p->ts_ns);
    n += report_set(row, "ts_time", json_string(ts_time));
    n += report_set_int(row, "length", (json_int_t)p->frame_len);
    n += report_set(row, "flags", json_string(flags));
    n += report_set_int(row, "flags_raw", p->flags);
    n += report_set_int(row, "seq", (json_int_t)info->rel_seq);
    n += report_set_int(row, "ack", (json_int_t)info->rel_ack);
    n += report_set_int(row, "raw_seq", (json_int_t)p->seq);
    n += report_set_int(row, "raw_ack", (json_int_t)p->ack);
    n += report_set_int(row, "window", (json_int_t)info->window);
    n += report_set_int(row, "window_raw", p->window);
    n += report_set_int(row, "len", (json_int_t)p->payload_len);
    return n;
}

/* What the dissector noticed, only when it noticed something. */
static void packet_anomalies(const wm_packet *p, json_t *row)
{
    if (p->opts.truncated)
        json_object_set_new(row, "header_cut", json_true());
    if (p->anomalies & WM_PKT_REASSEMBLED)
        json_object_set_new(row, "reassembled", json_true());
    if (p->anomalies & WM_PKT_NO_SEGLEN)
        json_object_set_new(row, "fragment_alone", json_true());
    const char *malformed =
        (p->anomalies & WM_PKT_OPTION_SHORT)
            ? "TCP option length below 2: options after it not read"
        : (p->anomalies & WM_PKT_OPTION_PAST_END)
            ? "TCP option length past the end of the header: options "
              "after it not read"
        : (p->anomalies & WM_PKT_BAD_HEADER_LEN)
            ? "TCP header length below 20 bytes (data offset below 5): "
              "tshark's bogus TCP header length; no options read"
            : NULL;
    if (malformed)
        json_object_set_new(row, "malformed", json_string(malformed));
}

json_t *wm_report_packet(const wm_trace *trace, const wm_analysis *analysis,
                         const wm_connection *conn, size_t index)
{
    (void)trace; /* the rows say where the packets are */
    wm_packet p;
    wm_packet_info info;
    if (wm_connection_row(conn, index, &p, &info, NULL) != 0)
        return NULL;
    return wm_report_packet_row(&p, &info, analysis->first_ts_ns);
}

json_t *wm_report_packet_row(const wm_packet *p, const wm_packet_info *info,
                             int64_t first_ts_ns)
{
    json_t *row = json_object();
    if (!row)
        return NULL;
    if (numbers_json(p, info, first_ts_ns, row) +
            endpoints_json(p, info, row) + measures_json(p, info, row) !=
        0) {
        json_decref(row);
        return NULL;
    }
    if (p->flags & WM_TCP_URG)
        json_object_set_new(row, "urgent_pointer", json_integer(p->urgent));
    json_object_set_new(row, "options", options_json(p, info));
    json_object_set_new(row, "analysis", analysis_json(info));
    if (info->marks & WM_MARK_DUP_ACK) {
        json_t *dup = json_object();
        report_set_int(dup, "num", (json_int_t)info->dup_ack_num);
        report_set_int(dup, "of", (json_int_t)info->dup_ack_frame);
        json_object_set_new(row, "dup_ack", dup);
    }
    json_object_set_new(row, "role", json_string(role_of(p, info)));
    packet_anomalies(p, row);
    json_object_set_new(row, "info", info_text(p, info));
    return row;
}

json_t *wm_report_packets(const wm_trace *trace, const wm_analysis *analysis,
                          const wm_connection *conn, size_t offset,
                          size_t limit)
{
    json_t *rows = json_array();
    if (!rows)
        return NULL;
    for (size_t i = offset; i < conn->packet_count && i - offset < limit; i++)
        if (json_array_append_new(
                rows, wm_report_packet(trace, analysis, conn, i)) != 0) {
            json_decref(rows);
            return NULL;
        }
    return rows;
}
