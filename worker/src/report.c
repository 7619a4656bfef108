/* wm_report: results as JSON, in the shape of docs/result.md.
 *
 * The connection fragment is built from the analysis alone, so a live run
 * and `wiremeter analyze` of its pcap render it identically; what only a
 * live run knows (params, TCP_INFO, capture counters, integrity) is added
 * around it by wm_report_run (report_run.c). A figure that cannot be
 * known — no SYN, no data packet, a zero-length transfer phase — is null,
 * never a made-up 0.
 *
 * A document is written field by field, in the order docs/result.md
 * gives (the order of the calls is the order of the keys), through
 * json_emit.h: as a tree for the command line and the tests, straight
 * into its text for the daemon, which stores only the text (wm_report_run
 * and wm_report_run_text are one builder). json_pack before it parsed its
 * format strings for every object of every run, and the tree it built
 * cost a malloc per value and per key, was walked again to be written and
 * freed after: a small run's document took 2-5 times as long.
 *
 * Memory: a failure anywhere (no memory, a name from outside that is not
 * UTF-8) fails the whole document, as json_pack failed it. */
#include "report_internal.h"

#include "wm_clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* value when known, else null. */
void report_int_if(emit *e, const char *key, bool known, json_int_t value)
{
    if (known)
        emit_int(e, key, value);
    else
        emit_null(e, key);
}

/* An integer, or null when the analyser marked it unknown (negative). */
static void ns_or_null(emit *e, const char *key, int64_t ns)
{
    report_int_if(e, key, ns >= 0, ns);
}

/* value when known, else null. */
static void bool_if(emit *e, const char *key, bool known, bool value)
{
    if (known)
        emit_bool(e, key, value);
    else
        emit_null(e, key);
}

/* The RFC 3339 text of an absolute time, written beside its *_ns. */
void report_time(emit *e, const char *key, int64_t ns)
{
    char text[WM_CLOCK_RFC3339_SIZE];
    wm_clock_rfc3339(ns, text);
    emit_ascii(e, key, text);
}

static void endpoint_emit(emit *e, const char *key, const wm_side_info *side)
{
    char ip[64];
    wm_addr_format(&side->addr, ip, sizeof ip);
    emit_object(e, key);
    emit_ascii(e, "ip", ip);
    emit_int(e, "port", side->port);
    emit_end(e);
}

/* A per-side option as the SYNs announced it: null for a side whose SYN
 * was not captured or did not carry it. */
static void per_side(emit *e, const char *key, bool client_has,
                     json_int_t client, bool server_has, json_int_t server)
{
    emit_object(e, key);
    report_int_if(e, "client", client_has, client);
    report_int_if(e, "server", server_has, server);
    emit_end(e);
}

static void connection_emit(emit *e, const wm_connection *conn)
{
    const wm_side_info *c = &conn->side[WM_SIDE_CLIENT];
    const wm_side_info *s = &conn->side[WM_SIDE_SERVER];
    bool both_syns = c->isn_known && s->isn_known;
    emit_object(e, "connection");
    endpoint_emit(e, "client", c);
    endpoint_emit(e, "server", s);
    emit_int(e, "ip_version", c->addr.family);
    emit_bool(e, "roles_known", conn->roles_known);
    per_side(e, "mss", c->has_mss, c->mss, s->has_mss, s->mss);
    per_side(e, "window_scale",
             c->wscale >= 0, c->wscale, s->wscale >= 0, s->wscale);
    bool_if(e, "sack_permitted", both_syns,
            c->sack_permitted && s->sack_permitted);
    bool_if(e, "timestamps", both_syns,
            c->timestamps && s->timestamps);
    emit_end(e);
}

/* Row i of conn into the open array; nothing for `analyze` past its row
 * limit, whose rows were not kept. */
static void row_emit(emit *e, const wm_analysis *analysis,
                     const wm_connection *conn, size_t i)
{
    if (wm_connection_has_rows(conn))
        report_row_emit(e, conn, analysis->first_ts_ns, i);
}

static void handshake_emit(emit *e, const wm_analysis *analysis,
                           const wm_connection *conn)
{
    const int64_t three[3] = {conn->syn, conn->syn_ack, conn->handshake_ack};
    const wm_side_info *c = &conn->side[WM_SIDE_CLIENT];
    const wm_side_info *s = &conn->side[WM_SIDE_SERVER];
    emit_object(e, "handshake");
    emit_bool(e, "complete", conn->handshake_complete);
    ns_or_null(e, "duration_ns", conn->handshake_ns);
    emit_object(e, "isn");
    report_int_if(e, "client", c->isn_known, c->isn);
    report_int_if(e, "server", s->isn_known, s->isn);
    emit_end(e);
    emit_array(e, "packets");
    for (size_t k = 0; k < 3; k++)
        if (three[k] != WM_NO_PACKET)
            row_emit(e, analysis, conn, (size_t)three[k]);
    emit_end(e);
    emit_end(e);
}

/* The rows the summary marked WM_MARK_CLOSURE: from the first FIN or
 * RST to the closure's last row, or to the end when it is incomplete. */
static void closure_rows(emit *e, const wm_analysis *analysis,
                         const wm_connection *conn)
{
    emit_array(e, "packets");
    if (conn->closure_first != WM_NO_PACKET) {
        size_t end = conn->closure_complete ? (size_t)conn->closure_last + 1
                                            : conn->packet_count;
        for (size_t i = (size_t)conn->closure_first; i < end; i++)
            row_emit(e, analysis, conn, i);
    }
    emit_end(e);
}

static void closure_emit(emit *e, const wm_analysis *analysis,
                         const wm_connection *conn)
{
    static const char *const kinds[] = {"none", "fin", "rst"};
    bool closed = conn->close_kind != WM_CLOSE_NONE;
    emit_object(e, "closure");
    emit_ascii(e, "kind", kinds[conn->close_kind]);
    if (closed)
        emit_ascii(e, "initiator", wm_report_side_name(conn->closed_by));
    else
        emit_null(e, "initiator");
    emit_bool(e, "simultaneous", conn->simultaneous_close);
    emit_bool(e, "complete", conn->closure_complete);
    ns_or_null(e, "duration_ns", conn->closure_ns);
    closure_rows(e, analysis, conn);
    emit_end(e);
}

/* The length of the byte stream a side delivered: the end of its highest
 * segment in relative sequence numbers, each byte counted once however
 * often it was retransmitted. Null without that side's SYN, whose ISN
 * makes the numbers relative to the stream's start. */
static void stream_bytes(emit *e, const char *key, const wm_connection *conn,
                         wm_side side)
{
    report_int_if(e, key, conn->side[side].isn_known,
           (json_int_t)(conn->side[side].stream_end - 1));
}

static void totals_emit(emit *e, const wm_connection *conn)
{
    const wm_side_info *c = &conn->side[WM_SIDE_CLIENT];
    const wm_side_info *s = &conn->side[WM_SIDE_SERVER];
    emit_object(e, "totals");
    emit_int(e, "packets", (json_int_t)(c->packets + s->packets));
    emit_int(e, "client_to_server", (json_int_t)c->packets);
    emit_int(e, "server_to_client", (json_int_t)s->packets);
    emit_int(e, "data_packets",
             (json_int_t)(c->data_packets + s->data_packets));
    emit_int(e, "pure_acks", (json_int_t)(c->pure_acks + s->pure_acks));
    emit_int(e, "wire_bytes", (json_int_t)(c->wire_bytes + s->wire_bytes));
    emit_int(e, "payload_bytes",
             (json_int_t)(c->payload_bytes + s->payload_bytes));
    emit_int(e, "payload_client_to_server", (json_int_t)c->payload_bytes);
    emit_int(e, "payload_server_to_client", (json_int_t)s->payload_bytes);
    emit_object(e, "stream_bytes");
    stream_bytes(e, "client_to_server", conn, WM_SIDE_CLIENT);
    stream_bytes(e, "server_to_client", conn, WM_SIDE_SERVER);
    emit_end(e);
    emit_int(e, "retransmissions",
             (json_int_t)(c->retransmissions + s->retransmissions));
    emit_int(e, "duplicate_acks", (json_int_t)(c->dup_acks + s->dup_acks));
    emit_int(e, "out_of_order",
             (json_int_t)(c->out_of_order + s->out_of_order));
    emit_end(e);
}

/* Payload bits per second of the direction that carried the most, over
 * the transfer phase; null when that phase took no measurable time. */
static void throughput_emit(emit *e, const wm_connection *conn)
{
    int64_t transfer_ns = conn->transfer_end_ns - conn->transfer_start_ns;
    uint64_t c = conn->side[WM_SIDE_CLIENT].payload_bytes;
    uint64_t s = conn->side[WM_SIDE_SERVER].payload_bytes;
    uint64_t bytes = c > s ? c : s;
    report_int_if(e, "throughput_bps", transfer_ns > 0,
           transfer_ns > 0 ? (json_int_t)((double)bytes * 8.0 * 1e9 /
                                          (double)transfer_ns)
                           : 0);
}

static void timing_emit(emit *e, const wm_connection *conn)
{
    int64_t transfer_ns = conn->transfer_end_ns - conn->transfer_start_ns;
    emit_object(e, "timing");
    emit_int(e, "first_packet_ns", (json_int_t)conn->first_ts_ns);
    report_time(e, "first_packet_time", conn->first_ts_ns);
    emit_int(e, "last_packet_ns", (json_int_t)conn->last_ts_ns);
    report_time(e, "last_packet_time", conn->last_ts_ns);
    emit_int(e, "total_ns", (json_int_t)wm_connection_total_ns(conn));
    ns_or_null(e, "handshake_ns", conn->handshake_ns);
    emit_int(e, "transfer_ns",
             (json_int_t)(transfer_ns > 0 ? transfer_ns : 0));
    ns_or_null(e, "closure_ns", conn->closure_ns);
    throughput_emit(e, conn);
    emit_end(e);
}

/* A mean, or null over nothing. */
static void mean_emit(emit *e, const char *key, uint64_t sum, uint64_t count)
{
    if (count)
        emit_real(e, key, (double)sum / (double)count);
    else
        emit_null(e, key);
}

/* Mean frame length of all packets and of those carrying payload: the
 * lab's "average packet size", in bytes on the wire. */
static void average_emit(emit *e, const wm_connection *conn)
{
    const wm_side_info *c = &conn->side[WM_SIDE_CLIENT];
    const wm_side_info *s = &conn->side[WM_SIDE_SERVER];
    emit_object(e, "average_packet_size");
    mean_emit(e, "all", wm_connection_wire_bytes(conn),
              wm_connection_packets(conn));
    mean_emit(e, "data", c->data_wire_bytes + s->data_wire_bytes,
              c->data_packets + s->data_packets);
    emit_end(e);
}

/* The RTT of ACKs: each tcp.analysis.ack_rtt of both directions. */
static void rtt_emit(emit *e, const wm_rtt_summary *r)
{
    emit_object(e, "rtt");
    emit_int(e, "count", (json_int_t)r->count);
    if (r->count != 0) {
        emit_int(e, "min_ns", (json_int_t)r->min_ns);
        emit_int(e, "mean_ns", (json_int_t)r->mean_ns);
        report_int_if(e, "p50_ns", r->percentiles_known, r->p50_ns);
        report_int_if(e, "p99_ns", r->percentiles_known, r->p99_ns);
        emit_int(e, "max_ns", (json_int_t)r->max_ns);
    }
    emit_end(e);
}

/* How many packets carry each mark, by its docs/result.md name; a
 * retransmission of any kind counts as "retransmission" too, as
 * Wireshark's tcp.analysis.retransmission filter counts it. */
static void mark_counts_emit(emit *e, const wm_connection *conn)
{
    uint64_t any = conn->side[0].retransmissions +
                   conn->side[1].retransmissions;
    emit_object(e, "marks");
    emit_int(e, "retransmission", (json_int_t)any);
    for (unsigned bit = 0; bit < WM_MARK_BITS; bit++) {
        const char *name = wm_report_mark_name(1u << bit);
        if (name && (1u << bit) != WM_MARK_RETRANSMISSION)
            emit_int(e, name, (json_int_t)conn->mark_count[bit]);
    }
    emit_end(e);
}

static void analysis_emit(emit *e, const wm_connection *conn)
{
    emit_object(e, "analysis");
    report_int_if(e, "initial_rtt_ns", conn->initial_rtt_ns != 0,
           conn->initial_rtt_ns);
    rtt_emit(e, &conn->rtt);
    emit_object(e, "bytes_in_flight_max");
    emit_int(e, "client_to_server",
             (json_int_t)conn->side[WM_SIDE_CLIENT].bytes_in_flight_max);
    emit_int(e, "server_to_client",
             (json_int_t)conn->side[WM_SIDE_SERVER].bytes_in_flight_max);
    emit_end(e);
    mark_counts_emit(e, conn);
    emit_int(e, "untracked_segments", (json_int_t)conn->untracked_segments);
    emit_end(e);
}

/* The connection fragment's fields, into the object open: a run's
 * document has them between its params and its tcp_info. */
void report_connection_fields(emit *e, const wm_analysis *analysis,
                              const wm_connection *conn, unsigned flags)
{
    connection_emit(e, conn);
    handshake_emit(e, analysis, conn);
    closure_emit(e, analysis, conn);
    totals_emit(e, conn);
    timing_emit(e, conn);
    average_emit(e, conn);
    analysis_emit(e, conn);
    if (flags & WM_REPORT_PACKETS) {
        emit_array(e, "packets");
        for (size_t i = 0; i < conn->packet_count; i++)
            report_row_emit(e, conn, analysis->first_ts_ns, i);
        emit_end(e);
    }
}

json_t *wm_report_connection(const wm_trace *trace,
                             const wm_analysis *analysis,
                             const wm_connection *conn, unsigned flags)
{
    (void)trace; /* the rows say where the packets are */
    emit e;
    emit_start(&e, true);
    emit_object(&e, NULL);
    report_connection_fields(&e, analysis, conn, flags);
    emit_end(&e);
    return emit_tree(&e);
}

/* IP fragments: how many, and what became of their datagrams. */
void report_fragments(emit *e, const wm_trace *trace)
{
    const wm_fragment_counts *f = &trace->fragments;
    emit_object(e, "fragments");
    emit_int(e, "fragments", (json_int_t)f->fragments);
    emit_int(e, "reassembled", (json_int_t)f->reassembled);
    emit_int(e, "incomplete", (json_int_t)f->incomplete);
    emit_int(e, "cut", (json_int_t)f->cut);
    emit_end(e);
}

json_t *wm_report_file(const char *path, const wm_trace *trace,
                       const wm_analysis *analysis, unsigned flags)
{
    emit e;
    emit_start(&e, true);
    emit_object(&e, NULL);
    emit_int(&e, "schema", WM_REPORT_SCHEMA);
    emit_string(&e, "file", path);
    emit_int(&e, "linktype", trace->linktype);
    emit_int(&e, "frames", (json_int_t)trace->frames);
    emit_int(&e, "malformed", (json_int_t)trace->malformed);
    emit_int(&e, "not_tcp", (json_int_t)trace->not_tcp);
    report_fragments(&e, trace);
    emit_array(&e, "connections");
    for (size_t k = 0; k < analysis->count; k++) {
        emit_object(&e, NULL);
        report_connection_fields(&e, analysis, &analysis->connections[k], flags);
        emit_end(&e);
    }
    emit_end(&e);
    emit_end(&e);
    return emit_tree(&e);
}
