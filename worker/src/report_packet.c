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

/* The common pieces without vsnprintf, which was a fifth of a row's
 * time: text and a decimal number. */
static void text_str(text *t, const char *s)
{
    size_t n = strlen(s);
    if (n > sizeof t->buf - 1 - t->used)
        n = sizeof t->buf - 1 - t->used;
    memcpy(t->buf + t->used, s, n);
    t->used += n;
    t->buf[t->used] = '\0';
}

static void text_uint(text *t, uint64_t v)
{
    char digits[24];
    size_t n = sizeof digits - 1;
    digits[n] = '\0';
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    text_str(t, digits + n);
}

/* The prefixes, in mark_names' order; a retransmission is named once, by
 * its most specific kind, where the table lists the three. */
static void info_prefix(const wm_packet_info *info, text *t)
{
    for (size_t i = 0; i < MARK_NAME_COUNT; i++) {
        uint32_t mark = mark_names[i].mark;
        if (!(info->marks & mark))
            continue;
        if (mark_names[i].info) {
            text_str(t, "[");
            text_str(t, mark_names[i].info);
            text_str(t, "] ");
        }
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
    if (o->has_mss) {
        text_str(t, " MSS=");
        text_uint(t, o->mss);
    }
    if (o->sack_permitted)
        text_str(t, " SACK_PERM");
    if (o->has_timestamps) {
        text_str(t, " TSval=");
        text_uint(t, o->ts_val);
        text_str(t, " TSecr=");
        text_uint(t, o->ts_ecr);
    }
    if (o->has_wscale)
        text_add(t, " WS=%u", o->wscale <= 14 ? 1u << o->wscale : 1u << 14);
    uint32_t base = sack_base(p, info);
    for (unsigned i = 0; i < o->sack_count; i++)
        text_add(t, " SLE=%" PRIu32 " SRE=%" PRIu32, o->sack[i].left - base,
                 o->sack[i].right - base);
    if (o->tfo)
        text_add(t, " TFO=%s", o->tfo == WM_TFO_REQUEST ? "R" : "C");
}

static void info_text(emit *e, const wm_packet *p, const wm_packet_info *info)
{
    text t = {.used = 0};
    t.buf[0] = '\0';
    char flags[48];
    wm_tcp_flags_format(p->flags, flags, sizeof flags);
    info_prefix(info, &t);
    text_uint(&t, p->src_port);
    text_str(&t, " \u2192 ");
    text_uint(&t, p->dst_port);
    text_str(&t, " [");
    text_str(&t, flags);
    text_str(&t, "] Seq=");
    text_uint(&t, info->rel_seq);
    if (p->flags & WM_TCP_ACK) {
        text_str(&t, " Ack=");
        text_uint(&t, info->rel_ack);
    }
    text_str(&t, " Win=");
    text_uint(&t, info->window);
    if (p->anomalies & WM_PKT_BAD_HEADER_LEN) {
        text_add(&t, ", bogus TCP header length (%u, must be at least 20)",
                 p->header_len);
        emit_string(e, "info", t.buf);
        return;
    }
    if (p->flags & WM_TCP_URG)
        text_add(&t, " Urg=%u", p->urgent);
    if (!(p->anomalies & WM_PKT_NO_SEGLEN)) {
        text_str(&t, " Len=");
        text_uint(&t, p->payload_len);
    }
    info_options(p, info, &t);
    if (p->opts.truncated) /* where tshark's TCP dissection stopped */
        text_add(&t, "[Packet size limited during capture]");
    emit_string(e, "info", t.buf);
}

/* A row is written field by field (json_emit.h), in its order, either
 * into the run's text or as a tree. */

static void options_emit(emit *e, const wm_packet *p,
                         const wm_packet_info *info)
{
    const wm_tcp_options *o = &p->opts;
    emit_object(e, "options");
    if (o->has_mss)
        emit_int(e, "mss", o->mss);
    if (o->sack_permitted)
        emit_bool(e, "sack_permitted", true);
    if (o->has_timestamps || o->ts_val_cut) {
        emit_object(e, "timestamps");
        emit_int(e, "val", (json_int_t)o->ts_val);
        if (o->has_timestamps)
            emit_int(e, "ecr", (json_int_t)o->ts_ecr);
        emit_end(e);
    }
    if (o->has_wscale)
        emit_int(e, "wscale", o->wscale);
    uint32_t base = sack_base(p, info);
    if (o->sack_count) {
        emit_array(e, "sack");
        for (unsigned i = 0; i < o->sack_count; i++) {
            emit_array(e, NULL);
            emit_int(e, NULL, (json_int_t)(o->sack[i].left - base));
            emit_int(e, NULL, (json_int_t)(o->sack[i].right - base));
            emit_end(e);
        }
        emit_end(e);
        if (info->marks & WM_MARK_DSACK) { /* always the first block */
            emit_array(e, "dsack");
            emit_int(e, NULL, (json_int_t)(o->sack[0].left - base));
            emit_int(e, NULL, (json_int_t)(o->sack[0].right - base));
            emit_end(e);
        }
    }
    if (o->tfo == WM_TFO_REQUEST) {
        emit_object(e, "tfo");
        emit_bool(e, "request", true);
        emit_end(e);
    }
    if (o->tfo == WM_TFO_COOKIE) {
        char hex[2 * WM_TCP_MAX_TFO_COOKIE + 1] = "";
        for (unsigned i = 0; i < o->tfo_cookie_len; i++)
            snprintf(hex + 2 * i, 3, "%02x", o->tfo_cookie[i]);
        emit_object(e, "tfo");
        emit_ascii(e, "cookie", hex);
        emit_end(e);
    }
    if (o->nop_count)
        emit_int(e, "nop", o->nop_count);
    if (o->has_eol)
        emit_bool(e, "eol", true);
    if (o->unknown_count)
        emit_int(e, "unknown", o->unknown_count);
    if (o->truncated)
        emit_bool(e, "truncated", true);
    emit_end(e);
}

/* Wireshark's tcp.analysis.retransmission is set for every kind of
 * retransmission, the specific field beside it: the names follow. */
static void analysis_emit(emit *e, const wm_packet_info *info)
{
    emit_array(e, "analysis");
    if ((info->marks & WM_MARK_ANY_RETRANSMISSION) &&
        !(info->marks & WM_MARK_RETRANSMISSION))
        emit_ascii(e, NULL, "retransmission");
    for (size_t i = 0; i < MARK_NAME_COUNT; i++)
        if (info->marks & mark_names[i].mark)
            emit_ascii(e, NULL, mark_names[i].name);
    for (size_t i = 0; i < QUIET_MARK_COUNT; i++)
        if (info->marks & quiet_marks[i].mark)
            emit_ascii(e, NULL, quiet_marks[i].name);
    emit_end(e);
}

/* n, or null where tshark shows none (0). */
static void int_or_null(emit *e, const char *key, int64_t n)
{
    report_int_if(e, key, n != 0, (json_int_t)n);
}

/* Wireshark's tcp.analysis values, each null where tshark shows none:
 * ack_rtt with its acks_frame, bytes_in_flight with push_bytes_sent,
 * rto with its rto_frame (retransmissions), the connection's iRTT. */
static void measures_emit(emit *e, const wm_packet *p,
                          const wm_packet_info *info)
{
    bool acks = info->acks_frame != 0;
    bool bif = info->bytes_in_flight != 0;
    bool rto = info->rto_ns != 0 && (info->marks & WM_MARK_RETRANSMISSION);
    /* no length, or tshark stopped at the bogus header length */
    report_int_if(e, "nxtseq",
                  !(p->anomalies & (WM_PKT_NO_SEGLEN | WM_PKT_BAD_HEADER_LEN)),
                  (json_int_t)info->next_rel_seq);
    int_or_null(e, "acks_frame", info->acks_frame);
    int_or_null(e, "ack_rtt_ns", acks ? info->ack_rtt_ns : 0);
    int_or_null(e, "bytes_in_flight", info->bytes_in_flight);
    report_int_if(e, "push_bytes_sent", bif,
                  (json_int_t)info->push_bytes_sent);
    int_or_null(e, "initial_rtt_ns", info->initial_rtt_ns);
    int_or_null(e, "rto_ns", rto ? info->rto_ns : 0);
    int_or_null(e, "rto_frame", rto ? info->rto_frame : 0);
}

static const char *role_of(const wm_packet *p, const wm_packet_info *info)
{
    if (info->marks & WM_MARK_HANDSHAKE)
        return "handshake";
    if (info->marks & WM_MARK_CLOSURE)
        return "closure";
    return p->payload_len > 0 ? "data" : "ack";
}

static void endpoints_emit(emit *e, const wm_packet *p,
                           const wm_packet_info *info)
{
    char src[64], dst[64];
    wm_addr_format(&p->src, src, sizeof src);
    wm_addr_format(&p->dst, dst, sizeof dst);
    emit_ascii(e, "source", src);
    emit_int(e, "source_port", p->src_port);
    emit_ascii(e, "destination", dst);
    emit_int(e, "destination_port", p->dst_port);
    emit_ascii(e, "from", wm_report_side_name(info->from));
}

static void numbers_emit(emit *e, const wm_packet *p,
                         const wm_packet_info *info, int64_t first_ts_ns)
{
    char flags[48];
    char ts_time[WM_CLOCK_RFC3339_SIZE]; /* ts_ns passes 2^53: docs/result.md */
    wm_tcp_flags_format(p->flags, flags, sizeof flags);
    wm_clock_rfc3339(p->ts_ns, ts_time);
    emit_int(e, "no", (json_int_t)p->frame_no);
    emit_int(e, "time_ns", (json_int_t)(p->ts_ns - first_ts_ns));
    emit_int(e, "ts_ns", (json_int_t)p->ts_ns);
    emit_ascii(e, "ts_time", ts_time);
    emit_int(e, "length", (json_int_t)p->frame_len);
    emit_ascii(e, "flags", flags);
    emit_int(e, "flags_raw", p->flags);
    emit_int(e, "seq", (json_int_t)info->rel_seq);
    emit_int(e, "ack", (json_int_t)info->rel_ack);
    emit_int(e, "raw_seq", (json_int_t)p->seq);
    emit_int(e, "raw_ack", (json_int_t)p->ack);
    emit_int(e, "window", (json_int_t)info->window);
    emit_int(e, "window_raw", p->window);
    emit_int(e, "len", (json_int_t)p->payload_len);
}

/* What the dissector noticed, only when it noticed something. */
static void packet_anomalies(emit *e, const wm_packet *p)
{
    if (p->opts.truncated)
        emit_bool(e, "header_cut", true);
    if (p->anomalies & WM_PKT_REASSEMBLED)
        emit_bool(e, "reassembled", true);
    if (p->anomalies & WM_PKT_NO_SEGLEN)
        emit_bool(e, "fragment_alone", true);
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
        emit_ascii(e, "malformed", malformed);
}

void report_packet_emit(emit *e, const wm_packet *p,
                        const wm_packet_info *info, int64_t first_ts_ns)
{
    emit_object(e, NULL);
    numbers_emit(e, p, info, first_ts_ns);
    endpoints_emit(e, p, info);
    measures_emit(e, p, info);
    if (p->flags & WM_TCP_URG)
        emit_int(e, "urgent_pointer", p->urgent);
    options_emit(e, p, info);
    analysis_emit(e, info);
    if (info->marks & WM_MARK_DUP_ACK) {
        emit_object(e, "dup_ack");
        emit_int(e, "num", (json_int_t)info->dup_ack_num);
        emit_int(e, "of", (json_int_t)info->dup_ack_frame);
        emit_end(e);
    }
    emit_ascii(e, "role", role_of(p, info));
    packet_anomalies(e, p);
    info_text(e, p, info);
    emit_end(e);
}

int report_row_emit(emit *e, const wm_connection *conn, int64_t first_ts_ns,
                    size_t index)
{
    wm_packet p;
    wm_packet_info info;
    if (wm_connection_row(conn, index, &p, &info, NULL) != 0) {
        e->failed = true;
        return -1;
    }
    report_packet_emit(e, &p, &info, first_ts_ns);
    return 0;
}

json_t *wm_report_packet(const wm_trace *trace, const wm_analysis *analysis,
                         const wm_connection *conn, size_t index)
{
    (void)trace; /* the rows say where the packets are */
    emit e;
    emit_start(&e, true);
    report_row_emit(&e, conn, analysis->first_ts_ns, index);
    return emit_tree(&e);
}

json_t *wm_report_packet_row(const wm_packet *p, const wm_packet_info *info,
                             int64_t first_ts_ns)
{
    emit e;
    emit_start(&e, true);
    report_packet_emit(&e, p, info, first_ts_ns);
    return emit_tree(&e);
}

json_t *wm_report_packets(const wm_trace *trace, const wm_analysis *analysis,
                          const wm_connection *conn, size_t offset,
                          size_t limit)
{
    (void)trace;
    emit e;
    emit_start(&e, true);
    emit_array(&e, NULL);
    for (size_t i = offset; i < conn->packet_count && i - offset < limit; i++)
        report_row_emit(&e, conn, analysis->first_ts_ns, i);
    emit_end(&e);
    return emit_tree(&e);
}
