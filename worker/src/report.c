/* wm_report: results as JSON, in the shape of docs/result.md.
 *
 * The connection fragment is built from the analysis alone, so a live run
 * and `wiremeter analyze` of its pcap render it identically; what only a
 * live run knows (params, TCP_INFO, capture counters, integrity) is added
 * around it by wm_report_run. A figure that cannot be known — no SYN, no
 * data packet, a zero-length transfer phase — is null, never a made-up 0.
 *
 * Every object is made once and its keys set one by one, in the order
 * docs/result.md gives them (the order of the calls is the order of the
 * keys in the text): json_pack parsed its format string again for every
 * object of every run, checked each key as UTF-8 and copied its values'
 * strings, and the partial objects it made were merged by
 * json_object_update, rehashing every key twice; a small run's document
 * took twice the time. Keys and fixed strings are this file's ASCII
 * literals, set without a UTF-8 check; what comes from outside (an
 * interface's or a congestion algorithm's name) is checked.
 *
 * Memory: jansson's constructors return NULL when memory runs out; each
 * setter counts a failure (report_set), and a document with one is
 * dropped whole, as json_pack dropped it. */
#include "report_internal.h"

#include "wm_clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>


/* An integer, or null when the analyser marked it unknown (negative). */
static json_t *ns_or_null(int64_t ns)
{
    return ns >= 0 ? json_integer(ns) : json_null();
}

/* The RFC 3339 text of an absolute time, written beside its *_ns. */
static json_t *time_json(int64_t ns)
{
    char text[WM_CLOCK_RFC3339_SIZE];
    wm_clock_rfc3339(ns, text);
    return json_string_nocheck(text);
}

static json_t *endpoint_json(const wm_side_info *side)
{
    char ip[64];
    wm_addr_format(&side->addr, ip, sizeof ip);
    json_t *o = json_object();
    int n = report_set(o, "ip", json_string_nocheck(ip));
    n += report_set_int(o, "port", side->port);
    return report_done(o, n);
}

/* A per-side option as the SYNs announced it: null for a side whose SYN
 * was not captured or did not carry it. */
static json_t *per_side(bool client_has, json_int_t client, bool server_has,
                        json_int_t server)
{
    json_t *o = json_object();
    int n = report_set(o, "client",
                       client_has ? json_integer(client) : json_null());
    n += report_set(o, "server",
                    server_has ? json_integer(server) : json_null());
    return report_done(o, n);
}

static json_t *connection_json(const wm_connection *conn)
{
    const wm_side_info *c = &conn->side[WM_SIDE_CLIENT];
    const wm_side_info *s = &conn->side[WM_SIDE_SERVER];
    bool both_syns = c->isn_known && s->isn_known;
    json_t *o = json_object();
    int n = report_set(o, "client", endpoint_json(c));
    n += report_set(o, "server", endpoint_json(s));
    n += report_set_int(o, "ip_version", c->addr.family);
    n += report_set(o, "roles_known", json_boolean(conn->roles_known));
    n += report_set(o, "mss",
                    per_side(c->has_mss, c->mss, s->has_mss, s->mss));
    n += report_set(o, "window_scale",
                    per_side(c->wscale >= 0, c->wscale, s->wscale >= 0, s->wscale));
    n += report_set(o, "sack_permitted",
        both_syns ? json_boolean(c->sack_permitted && s->sack_permitted)
                  : json_null());
    n += report_set(o, "timestamps",
        both_syns ? json_boolean(c->timestamps && s->timestamps)
                  : json_null());
    return report_done(o, n);
}

/* Appends row i of conn to rows; false when it cannot be read or made. */
static bool append_row(json_t *rows, const wm_trace *trace,
                       const wm_analysis *analysis, const wm_connection *conn,
                       size_t i)
{
    if (!wm_connection_has_rows(conn)) /* `analyze` past its row limit */
        return rows != NULL;
    return rows && json_array_append_new(
                       rows, wm_report_packet(trace, analysis, conn, i)) == 0;
}

static json_t *rows_at(const wm_trace *trace, const wm_analysis *analysis,
                       const wm_connection *conn, const int64_t *indexes,
                       size_t count)
{
    json_t *rows = json_array();
    for (size_t k = 0; rows && k < count; k++)
        if (indexes[k] != WM_NO_PACKET &&
            !append_row(rows, trace, analysis, conn, (size_t)indexes[k])) {
            json_decref(rows);
            rows = NULL;
        }
    return rows;
}

static json_t *handshake_json(const wm_trace *trace,
                              const wm_analysis *analysis,
                              const wm_connection *conn)
{
    const int64_t three[3] = {conn->syn, conn->syn_ack, conn->handshake_ack};
    const wm_side_info *c = &conn->side[WM_SIDE_CLIENT];
    const wm_side_info *s = &conn->side[WM_SIDE_SERVER];
    json_t *isn = json_object();
    int n = report_set(isn, "client",
                       c->isn_known ? json_integer(c->isn) : json_null());
    n += report_set(isn, "server",
                    s->isn_known ? json_integer(s->isn) : json_null());
    json_t *o = json_object();
    n += report_set(o, "complete", json_boolean(conn->handshake_complete));
    n += report_set(o, "duration_ns", ns_or_null(conn->handshake_ns));
    n += report_set(o, "isn", report_done(isn, n));
    n += report_set(o, "packets", rows_at(trace, analysis, conn, three, 3));
    return report_done(o, n);
}

/* The rows the summary marked WM_MARK_CLOSURE: from the first FIN or
 * RST to the closure's last row, or to the end when it is incomplete. */
static json_t *closure_rows(const wm_trace *trace, const wm_analysis *analysis,
                            const wm_connection *conn)
{
    json_t *rows = json_array();
    if (conn->closure_first == WM_NO_PACKET)
        return rows;
    size_t end = conn->closure_complete ? (size_t)conn->closure_last + 1
                                        : conn->packet_count;
    for (size_t i = (size_t)conn->closure_first; rows && i < end; i++)
        if (!append_row(rows, trace, analysis, conn, i)) {
            json_decref(rows);
            rows = NULL;
        }
    return rows;
}

static json_t *closure_json(const wm_trace *trace, const wm_analysis *analysis,
                            const wm_connection *conn)
{
    static const char *const kinds[] = {"none", "fin", "rst"};
    bool closed = conn->close_kind != WM_CLOSE_NONE;
    json_t *o = json_object();
    int n = report_set(o, "kind", json_string_nocheck(kinds[conn->close_kind]));
    n += report_set(o, "initiator",
                    closed ? json_string_nocheck(
                                 wm_report_side_name(conn->closed_by))
                           : json_null());
    n += report_set(o, "simultaneous", json_boolean(conn->simultaneous_close));
    n += report_set(o, "complete", json_boolean(conn->closure_complete));
    n += report_set(o, "duration_ns", ns_or_null(conn->closure_ns));
    n += report_set(o, "packets", closure_rows(trace, analysis, conn));
    return report_done(o, n);
}

/* The length of the byte stream a side delivered: the end of its highest
 * segment in relative sequence numbers, each byte counted once however
 * often it was retransmitted. Null without that side's SYN, whose ISN
 * makes the numbers relative to the stream's start. */
static json_t *stream_bytes(const wm_connection *conn, wm_side side)
{
    if (!conn->side[side].isn_known)
        return json_null();
    return json_integer((json_int_t)(conn->side[side].stream_end - 1));
}

static json_t *totals_json(const wm_connection *conn)
{
    const wm_side_info *c = &conn->side[WM_SIDE_CLIENT];
    const wm_side_info *s = &conn->side[WM_SIDE_SERVER];
    json_t *stream = json_object();
    int n = report_set(stream, "client_to_server",
                       stream_bytes(conn, WM_SIDE_CLIENT));
    n += report_set(stream, "server_to_client",
                    stream_bytes(conn, WM_SIDE_SERVER));
    json_t *o = json_object();
    n += report_set_int(o, "packets", (json_int_t)(c->packets + s->packets));
    n += report_set_int(o, "client_to_server", (json_int_t)c->packets);
    n += report_set_int(o, "server_to_client", (json_int_t)s->packets);
    n += report_set_int(o, "data_packets",
                        (json_int_t)(c->data_packets + s->data_packets));
    n += report_set_int(o, "pure_acks",
                        (json_int_t)(c->pure_acks + s->pure_acks));
    n += report_set_int(o, "wire_bytes",
                        (json_int_t)(c->wire_bytes + s->wire_bytes));
    n += report_set_int(o, "payload_bytes",
                        (json_int_t)(c->payload_bytes + s->payload_bytes));
    n += report_set_int(o, "payload_client_to_server",
                        (json_int_t)c->payload_bytes);
    n += report_set_int(o, "payload_server_to_client",
                        (json_int_t)s->payload_bytes);
    n += report_set(o, "stream_bytes", report_done(stream, n));
    n += report_set_int(o, "retransmissions",
                        (json_int_t)(c->retransmissions + s->retransmissions));
    n += report_set_int(o, "duplicate_acks",
                        (json_int_t)(c->dup_acks + s->dup_acks));
    n += report_set_int(o, "out_of_order",
                        (json_int_t)(c->out_of_order + s->out_of_order));
    return report_done(o, n);
}

/* Payload bits per second of the direction that carried the most, over
 * the transfer phase; null when that phase took no measurable time. */
static json_t *throughput_json(const wm_connection *conn)
{
    int64_t transfer_ns = conn->transfer_end_ns - conn->transfer_start_ns;
    uint64_t c = conn->side[WM_SIDE_CLIENT].payload_bytes;
    uint64_t s = conn->side[WM_SIDE_SERVER].payload_bytes;
    uint64_t bytes = c > s ? c : s;
    if (transfer_ns <= 0)
        return json_null();
    return json_integer(
        (json_int_t)((double)bytes * 8.0 * 1e9 / (double)transfer_ns));
}

static json_t *timing_json(const wm_connection *conn)
{
    int64_t transfer_ns = conn->transfer_end_ns - conn->transfer_start_ns;
    json_t *o = json_object();
    int n = report_set_int(o, "first_packet_ns", (json_int_t)conn->first_ts_ns);
    n += report_set(o, "first_packet_time", time_json(conn->first_ts_ns));
    n += report_set_int(o, "last_packet_ns", (json_int_t)conn->last_ts_ns);
    n += report_set(o, "last_packet_time", time_json(conn->last_ts_ns));
    n += report_set_int(o, "total_ns",
                        (json_int_t)wm_connection_total_ns(conn));
    n += report_set(o, "handshake_ns", ns_or_null(conn->handshake_ns));
    n += report_set_int(o, "transfer_ns",
                        (json_int_t)(transfer_ns > 0 ? transfer_ns : 0));
    n += report_set(o, "closure_ns", ns_or_null(conn->closure_ns));
    n += report_set(o, "throughput_bps", throughput_json(conn));
    return report_done(o, n);
}

/* Mean frame length of all packets and of those carrying payload: the
 * lab's "average packet size", in bytes on the wire. */
static json_t *average_json(const wm_connection *conn)
{
    const wm_side_info *c = &conn->side[WM_SIDE_CLIENT];
    const wm_side_info *s = &conn->side[WM_SIDE_SERVER];
    uint64_t data_packets = c->data_packets + s->data_packets;
    uint64_t data_bytes = c->data_wire_bytes + s->data_wire_bytes;
    uint64_t packets = wm_connection_packets(conn);
    json_t *o = json_object();
    int n = report_set(o, "all", packets
        ? json_real((double)wm_connection_wire_bytes(conn) / (double)packets)
        : json_null());
    n += report_set(o, "data", data_packets
        ? json_real((double)data_bytes / (double)data_packets)
        : json_null());
    return report_done(o, n);
}

/* The RTT of ACKs: each tcp.analysis.ack_rtt of both directions. */
static json_t *rtt_json(const wm_rtt_summary *r)
{
    json_t *o = json_object();
    int n = report_set_int(o, "count", (json_int_t)r->count);
    if (r->count == 0)
        return report_done(o, n);
    n += report_set_int(o, "min_ns", (json_int_t)r->min_ns);
    n += report_set_int(o, "mean_ns", (json_int_t)r->mean_ns);
    n += report_set(o, "p50_ns", r->percentiles_known
                                     ? json_integer(r->p50_ns) : json_null());
    n += report_set(o, "p99_ns", r->percentiles_known
                                     ? json_integer(r->p99_ns) : json_null());
    n += report_set_int(o, "max_ns", (json_int_t)r->max_ns);
    return report_done(o, n);
}

/* How many packets carry each mark, by its docs/result.md name; a
 * retransmission of any kind counts as "retransmission" too, as
 * Wireshark's tcp.analysis.retransmission filter counts it. */
static json_t *mark_counts_json(const wm_connection *conn)
{
    json_t *counts = json_object();
    uint64_t any = conn->side[0].retransmissions +
                   conn->side[1].retransmissions;
    int n = report_set_int(counts, "retransmission", (json_int_t)any);
    for (unsigned bit = 0; bit < WM_MARK_BITS; bit++) {
        const char *name = wm_report_mark_name(1u << bit);
        if (name && (1u << bit) != WM_MARK_RETRANSMISSION)
            n += report_set_int(counts, name,
                                (json_int_t)conn->mark_count[bit]);
    }
    return report_done(counts, n);
}

static json_t *analysis_json(const wm_connection *conn)
{
    json_t *flight = json_object();
    int n = report_set_int(
        flight, "client_to_server",
        (json_int_t)conn->side[WM_SIDE_CLIENT].bytes_in_flight_max);
    n += report_set_int(
        flight, "server_to_client",
        (json_int_t)conn->side[WM_SIDE_SERVER].bytes_in_flight_max);
    json_t *o = json_object();
    n += report_set(o, "initial_rtt_ns",
        conn->initial_rtt_ns ? json_integer(conn->initial_rtt_ns) : json_null());
    n += report_set(o, "rtt", rtt_json(&conn->rtt));
    n += report_set(o, "bytes_in_flight_max", report_done(flight, n));
    n += report_set(o, "marks", mark_counts_json(conn));
    n += report_set_int(o, "untracked_segments",
                        (json_int_t)conn->untracked_segments);
    return report_done(o, n);
}

/* The connection fragment's keys, set into doc after what it holds: a
 * run's document takes them between its params and its tcp_info. */
static int connection_fields(json_t *doc, const wm_trace *trace,
                             const wm_analysis *analysis,
                             const wm_connection *conn, unsigned flags)
{
    int n = report_set(doc, "connection", connection_json(conn));
    n += report_set(doc, "handshake", handshake_json(trace, analysis, conn));
    n += report_set(doc, "closure", closure_json(trace, analysis, conn));
    n += report_set(doc, "totals", totals_json(conn));
    n += report_set(doc, "timing", timing_json(conn));
    n += report_set(doc, "average_packet_size", average_json(conn));
    n += report_set(doc, "analysis", analysis_json(conn));
    if (flags & WM_REPORT_PACKETS)
        n += report_set(doc, "packets",
                        wm_report_packets(trace, analysis, conn, 0,
                                          conn->packet_count));
    return n;
}

json_t *wm_report_connection(const wm_trace *trace,
                             const wm_analysis *analysis,
                             const wm_connection *conn, unsigned flags)
{
    json_t *doc = json_object();
    return report_done(doc,
                       connection_fields(doc, trace, analysis, conn, flags));
}

static json_t *tcp_info_json(const wm_tcp_stats *s)
{
    if (!s->valid)
        return json_null();
    json_t *o = json_object();
    int n = report_set_int(o, "rtt_us", (json_int_t)s->rtt_us);
    n += report_set_int(o, "rttvar_us", (json_int_t)s->rttvar_us);
    n += report_set_int(o, "snd_cwnd", (json_int_t)s->snd_cwnd);
    n += report_set_int(o, "snd_mss", (json_int_t)s->snd_mss);
    n += report_set_int(o, "rcv_mss", (json_int_t)s->rcv_mss);
    n += report_set_int(o, "total_retrans", (json_int_t)s->total_retrans);
    n += report_set_int(o, "retransmits", (json_int_t)s->retransmits);
    n += report_set(o, "congestion", json_string(s->congestion));
    return report_done(o, n);
}

/* IP fragments: how many, and what became of their datagrams. */
static json_t *fragments_json(const wm_trace *trace)
{
    const wm_fragment_counts *f = &trace->fragments;
    json_t *o = json_object();
    int n = report_set_int(o, "fragments", (json_int_t)f->fragments);
    n += report_set_int(o, "reassembled", (json_int_t)f->reassembled);
    n += report_set_int(o, "incomplete", (json_int_t)f->incomplete);
    n += report_set_int(o, "cut", (json_int_t)f->cut);
    return report_done(o, n);
}

static json_t *capture_json(const wm_capture_stats *c, const wm_trace *trace)
{
    json_t *o = json_object();
    int n = report_set(o, "interface", json_string(c->interface));
    n += report_set_int(o, "received", (json_int_t)c->received);
    n += report_set_int(o, "dropped", (json_int_t)c->dropped);
    n += report_set_int(o, "if_dropped", (json_int_t)c->if_dropped);
    n += report_set_int(o, "snaplen", (json_int_t)c->snaplen);
    n += report_set(o, "complete", json_boolean(c->complete));
    n += report_set_int(o, "frames", (json_int_t)trace->frames);
    n += report_set_int(o, "malformed", (json_int_t)trace->malformed);
    n += report_set_int(o, "not_tcp", (json_int_t)trace->not_tcp);
    n += report_set(o, "fragments", fragments_json(trace));
    return report_done(o, n);
}

static json_t *integrity_json(const wm_integrity *i)
{
    json_t *o = json_object();
    int n = report_set_int(o, "expected_bytes", (json_int_t)i->expected_bytes);
    n += report_set_int(o, "received_bytes", (json_int_t)i->received_bytes);
    n += report_set(o, "first_mismatch",
                    i->mismatch ? json_integer((json_int_t)i->mismatch_offset)
                                : json_null());
    n += report_set(o, "verified", json_boolean(i->verified));
    return report_done(o, n);
}

static json_t *ends_direction_json(const wm_ends_direction *d)
{
    bool any = d->matched_frames > 0;
    json_int_t mean = any ? (json_int_t)(d->transit_sum_ns /
                                         (int64_t)d->matched_frames) : 0;
    json_t *o = json_object();
    int n = report_set_int(o, "sent_frames", (json_int_t)d->sent_frames);
    n += report_set_int(o, "sent_bytes", (json_int_t)d->sent_bytes);
    n += report_set_int(o, "received_frames", (json_int_t)d->received_frames);
    n += report_set_int(o, "received_bytes", (json_int_t)d->received_bytes);
    n += report_set_int(o, "lost_frames", (json_int_t)d->lost_frames);
    n += report_set_int(o, "lost_bytes", (json_int_t)d->lost_bytes);
    n += report_set_int(o, "both_ends_frames", (json_int_t)d->matched_frames);
    n += report_set_int(o, "unmatched_frames",
                        (json_int_t)d->unmatched_frames);
    n += report_set(o, "transit_min_ns",
                    any ? json_integer(d->transit_min_ns) : json_null());
    n += report_set(o, "transit_mean_ns",
                    any ? json_integer(mean) : json_null());
    n += report_set(o, "transit_max_ns",
                    any ? json_integer(d->transit_max_ns) : json_null());
    return report_done(o, n);
}

/* What the link did, from its two ends' captures; null when only the
 * receiver's end was captured (a loopback run has one end). */
static json_t *ends_json(const wm_run_result *result)
{
    if (!result->has_ends)
        return json_null();
    json_t *o = json_object();
    int n = report_set(
        o, "sender_to_receiver",
        ends_direction_json(&result->ends.dir[WM_ENDS_FROM_SENDER]));
    n += report_set(o, "receiver_to_sender",
                    ends_direction_json(&result->ends.dir[WM_ENDS_TO_SENDER]));
    return report_done(o, n);
}

static json_t *link_loss_json(const wm_path_loss *l)
{
    json_t *o = json_object();
    int n = report_set_int(o, "tcp_frames", (json_int_t)l->tcp_frames);
    n += report_set_int(o, "dropped_frames", (json_int_t)l->dropped_frames);
    return report_done(o, n);
}

/* What the link said of itself; null on loopback. */
static json_t *link_json(const wm_run_result *result)
{
    if (!result->has_link)
        return json_null();
    json_t *o = json_object();
    int n = report_set_int(o, "setup_ns", (json_int_t)result->link_setup_ns);
    n += report_set(o, "loss_to_client",
                    link_loss_json(&result->link_loss[WM_PATH_CLIENT]));
    n += report_set(o, "loss_to_server",
                    link_loss_json(&result->link_loss[WM_PATH_SERVER]));
    n += report_set(o, "sender_capture",
                    result->has_sender_capture
                        ? capture_json(&result->sender_capture,
                                       &result->sender_trace)
                        : json_null());
    return report_done(o, n);
}

json_t *wm_report_run(const wm_run_request *request,
                      const wm_run_result *result, unsigned flags)
{
    json_t *doc = json_object();
    int n = report_set_int(doc, "schema", WM_REPORT_SCHEMA);
    n += report_set(doc, "params", wm_params_json(request));
    n += connection_fields(doc, &result->trace, &result->analysis,
                           result->connection, flags);
    n += report_set(doc, "tcp_info", tcp_info_json(&result->transfer.sender));
    n += report_set(doc, "ends", ends_json(result));
    n += report_set(doc, "capture",
                    capture_json(&result->capture, &result->trace));
    n += report_set(doc, "integrity",
                    integrity_json(&result->transfer.integrity));
    n += report_set_int(doc, "started_ns", (json_int_t)result->started_ns);
    n += report_set(doc, "started_time", time_json(result->started_ns));
    n += report_set_int(doc, "finished_ns", (json_int_t)result->finished_ns);
    n += report_set(doc, "finished_time", time_json(result->finished_ns));
    n += report_set(doc, "link", link_json(result));
    return report_done(doc, n);
}

json_t *wm_report_file(const char *path, const wm_trace *trace,
                       const wm_analysis *analysis, unsigned flags)
{
    json_t *conns = json_array();
    for (size_t k = 0; conns && k < analysis->count; k++)
        if (json_array_append_new(
                conns, wm_report_connection(trace, analysis,
                                            &analysis->connections[k],
                                            flags)) != 0) {
            json_decref(conns);
            conns = NULL;
        }
    json_t *doc = json_object();
    int n = report_set_int(doc, "schema", WM_REPORT_SCHEMA);
    n += report_set(doc, "file", json_string(path));
    n += report_set_int(doc, "linktype", trace->linktype);
    n += report_set_int(doc, "frames", (json_int_t)trace->frames);
    n += report_set_int(doc, "malformed", (json_int_t)trace->malformed);
    n += report_set_int(doc, "not_tcp", (json_int_t)trace->not_tcp);
    n += report_set(doc, "fragments", fragments_json(trace));
    n += report_set(doc, "connections", conns);
    return report_done(doc, n);
}
