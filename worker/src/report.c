/* wm_report: results as JSON, in the shape of docs/result.md.
 *
 * The connection fragment is built from the analysis alone, so a live run
 * and `wiremeter analyze` of its pcap render it identically; what only a
 * live run knows (params, TCP_INFO, capture counters, integrity) is added
 * around it by wm_report_run. A figure that cannot be known — no SYN, no
 * data packet, a zero-length transfer phase — is null, never a made-up 0.
 *
 * Memory: jansson's constructors return NULL when memory runs out, and its
 * setters ignore NULL values safely; each document is checked once at the
 * end instead of after every field. */
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
    return json_string(text);
}

static json_t *endpoint_json(const wm_side_info *side)
{
    char ip[64];
    wm_addr_format(&side->addr, ip, sizeof ip);
    return json_pack("{s:s, s:i}", "ip", ip, "port", side->port);
}

/* A per-side option as the SYNs announced it: null for a side whose SYN
 * was not captured or did not carry it. */
static json_t *per_side(bool client_has, json_int_t client, bool server_has,
                        json_int_t server)
{
    return json_pack("{s:o, s:o}", "client",
                     client_has ? json_integer(client) : json_null(),
                     "server", server_has ? json_integer(server) : json_null());
}

static json_t *connection_json(const wm_connection *conn)
{
    const wm_side_info *c = &conn->side[WM_SIDE_CLIENT];
    const wm_side_info *s = &conn->side[WM_SIDE_SERVER];
    bool both_syns = c->isn_known && s->isn_known;
    return json_pack(
        "{s:o, s:o, s:i, s:b, s:o, s:o, s:o, s:o}", "client",
        endpoint_json(c), "server", endpoint_json(s), "ip_version",
        c->addr.family, "roles_known", conn->roles_known, "mss",
        per_side(c->has_mss, c->mss, s->has_mss, s->mss),
        "window_scale",
        per_side(c->wscale >= 0, c->wscale, s->wscale >= 0, s->wscale),
        "sack_permitted",
        both_syns ? json_boolean(c->sack_permitted && s->sack_permitted)
                  : json_null(),
        "timestamps",
        both_syns ? json_boolean(c->timestamps && s->timestamps)
                  : json_null());
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
    return json_pack(
        "{s:b, s:o, s:{s:o, s:o}, s:o}", "complete", conn->handshake_complete,
        "duration_ns", ns_or_null(conn->handshake_ns), "isn", "client",
        c->isn_known ? json_integer(c->isn) : json_null(), "server",
        s->isn_known ? json_integer(s->isn) : json_null(), "packets",
        rows_at(trace, analysis, conn, three, 3));
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
    return json_pack(
        "{s:s, s:o, s:b, s:b, s:o, s:o}", "kind", kinds[conn->close_kind],
        "initiator",
        closed ? json_string(wm_report_side_name(conn->closed_by))
               : json_null(),
        "simultaneous", conn->simultaneous_close, "complete",
        conn->closure_complete, "duration_ns", ns_or_null(conn->closure_ns),
        "packets", closure_rows(trace, analysis, conn));
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
    json_t *totals = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "packets",
        (json_int_t)(c->packets + s->packets), "client_to_server",
        (json_int_t)c->packets, "server_to_client", (json_int_t)s->packets,
        "data_packets", (json_int_t)(c->data_packets + s->data_packets),
        "pure_acks", (json_int_t)(c->pure_acks + s->pure_acks), "wire_bytes",
        (json_int_t)(c->wire_bytes + s->wire_bytes), "payload_bytes",
        (json_int_t)(c->payload_bytes + s->payload_bytes),
        "payload_client_to_server", (json_int_t)c->payload_bytes);
    json_t *more = json_pack(
        "{s:I, s:{s:o, s:o}, s:I, s:I, s:I}", "payload_server_to_client",
        (json_int_t)s->payload_bytes, "stream_bytes", "client_to_server",
        stream_bytes(conn, WM_SIDE_CLIENT), "server_to_client",
        stream_bytes(conn, WM_SIDE_SERVER), "retransmissions",
        (json_int_t)(c->retransmissions + s->retransmissions),
        "duplicate_acks", (json_int_t)(c->dup_acks + s->dup_acks),
        "out_of_order", (json_int_t)(c->out_of_order + s->out_of_order));
    if (totals && more)
        json_object_update(totals, more);
    json_decref(more);
    return totals;
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
    return json_pack(
        "{s:I, s:o, s:I, s:o, s:I, s:o, s:I, s:o, s:o}", "first_packet_ns",
        (json_int_t)conn->first_ts_ns, "first_packet_time",
        time_json(conn->first_ts_ns), "last_packet_ns",
        (json_int_t)conn->last_ts_ns, "last_packet_time",
        time_json(conn->last_ts_ns), "total_ns",
        (json_int_t)wm_connection_total_ns(conn), "handshake_ns",
        ns_or_null(conn->handshake_ns), "transfer_ns",
        (json_int_t)(transfer_ns > 0 ? transfer_ns : 0), "closure_ns",
        ns_or_null(conn->closure_ns), "throughput_bps", throughput_json(conn));
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
    json_t *all = packets
        ? json_real((double)wm_connection_wire_bytes(conn) / (double)packets)
        : json_null();
    json_t *data = data_packets
        ? json_real((double)data_bytes / (double)data_packets)
        : json_null();
    return json_pack("{s:o, s:o}", "all", all, "data", data);
}

/* The RTT of ACKs: each tcp.analysis.ack_rtt of both directions. */
static json_t *rtt_json(const wm_rtt_summary *r)
{
    if (r->count == 0)
        return json_pack("{s:i}", "count", 0);
    json_t *p50 = r->percentiles_known ? json_integer(r->p50_ns) : json_null();
    json_t *p99 = r->percentiles_known ? json_integer(r->p99_ns) : json_null();
    return json_pack("{s:I, s:I, s:I, s:o, s:o, s:I}", "count",
                     (json_int_t)r->count, "min_ns", (json_int_t)r->min_ns,
                     "mean_ns", (json_int_t)r->mean_ns, "p50_ns", p50,
                     "p99_ns", p99, "max_ns", (json_int_t)r->max_ns);
}

/* How many packets carry each mark, by its docs/result.md name; a
 * retransmission of any kind counts as "retransmission" too, as
 * Wireshark's tcp.analysis.retransmission filter counts it. */
static json_t *mark_counts_json(const wm_connection *conn)
{
    json_t *counts = json_object();
    uint64_t any = conn->side[0].retransmissions +
                   conn->side[1].retransmissions;
    json_object_set_new(counts, "retransmission", json_integer((json_int_t)any));
    for (unsigned bit = 0; bit < WM_MARK_BITS; bit++) {
        const char *name = wm_report_mark_name(1u << bit);
        if (name && (1u << bit) != WM_MARK_RETRANSMISSION)
            json_object_set_new(counts, name,
                                json_integer((json_int_t)conn->mark_count[bit]));
    }
    return counts;
}

static json_t *analysis_json(const wm_connection *conn)
{
    return json_pack(
        "{s:o, s:o, s:{s:I, s:I}, s:o, s:I}", "initial_rtt_ns",
        conn->initial_rtt_ns ? json_integer(conn->initial_rtt_ns) : json_null(),
        "rtt",
        rtt_json(&conn->rtt), "bytes_in_flight_max", "client_to_server",
        (json_int_t)conn->side[WM_SIDE_CLIENT].bytes_in_flight_max,
        "server_to_client",
        (json_int_t)conn->side[WM_SIDE_SERVER].bytes_in_flight_max, "marks",
        mark_counts_json(conn), "untracked_segments",
        (json_int_t)conn->untracked_segments);
}

json_t *wm_report_connection(const wm_trace *trace,
                             const wm_analysis *analysis,
                             const wm_connection *conn, unsigned flags)
{
    json_t *doc = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o}", "connection", connection_json(conn),
        "handshake", handshake_json(trace, analysis, conn), "closure",
        closure_json(trace, analysis, conn), "totals", totals_json(conn),
        "timing", timing_json(conn), "average_packet_size",
        average_json(conn));
    if (doc)
        json_object_set_new(doc, "analysis", analysis_json(conn));
    if (doc && (flags & WM_REPORT_PACKETS))
        json_object_set_new(doc, "packets",
                            wm_report_packets(trace, analysis, conn, 0,
                                              conn->packet_count));
    return doc;
}

static json_t *tcp_info_json(const wm_tcp_stats *s)
{
    if (!s->valid)
        return json_null();
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "rtt_us",
        (json_int_t)s->rtt_us, "rttvar_us", (json_int_t)s->rttvar_us,
        "snd_cwnd", (json_int_t)s->snd_cwnd, "snd_mss",
        (json_int_t)s->snd_mss, "rcv_mss", (json_int_t)s->rcv_mss,
        "total_retrans", (json_int_t)s->total_retrans, "retransmits",
        (json_int_t)s->retransmits, "congestion", s->congestion);
}

/* IP fragments: how many, and what became of their datagrams. */
static json_t *fragments_json(const wm_trace *trace)
{
    const wm_fragment_counts *f = &trace->fragments;
    return json_pack("{s:I, s:I, s:I, s:I}", "fragments",
                     (json_int_t)f->fragments, "reassembled",
                     (json_int_t)f->reassembled, "incomplete",
                     (json_int_t)f->incomplete, "cut", (json_int_t)f->cut);
}

static json_t *capture_json(const wm_capture_stats *c, const wm_trace *trace)
{
    return json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:I, s:o}", "interface",
        c->interface, "received", (json_int_t)c->received, "dropped",
        (json_int_t)c->dropped, "if_dropped", (json_int_t)c->if_dropped,
        "snaplen", (json_int_t)c->snaplen, "complete", c->complete, "frames",
        (json_int_t)trace->frames, "malformed", (json_int_t)trace->malformed,
        "not_tcp", (json_int_t)trace->not_tcp, "fragments",
        fragments_json(trace));
}

static json_t *integrity_json(const wm_integrity *i)
{
    return json_pack("{s:I, s:I, s:o, s:b}", "expected_bytes",
                     (json_int_t)i->expected_bytes, "received_bytes",
                     (json_int_t)i->received_bytes, "first_mismatch",
                     i->mismatch ? json_integer((json_int_t)i->mismatch_offset)
                                 : json_null(),
                     "verified", i->verified);
}

static json_t *ends_direction_json(const wm_ends_direction *d)
{
    bool any = d->matched_frames > 0;
    json_int_t mean = any ? (json_int_t)(d->transit_sum_ns /
                                         (int64_t)d->matched_frames) : 0;
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}",
        "sent_frames", (json_int_t)d->sent_frames, "sent_bytes",
        (json_int_t)d->sent_bytes, "received_frames",
        (json_int_t)d->received_frames, "received_bytes",
        (json_int_t)d->received_bytes, "lost_frames",
        (json_int_t)d->lost_frames, "lost_bytes", (json_int_t)d->lost_bytes,
        "both_ends_frames", (json_int_t)d->matched_frames,
        "unmatched_frames", (json_int_t)d->unmatched_frames,
        "transit_min_ns",
        any ? json_integer(d->transit_min_ns) : json_null(),
        "transit_mean_ns", any ? json_integer(mean) : json_null(),
        "transit_max_ns",
        any ? json_integer(d->transit_max_ns) : json_null());
}

/* What the link did, from its two ends' captures; null when only the
 * receiver's end was captured (a loopback run has one end). */
static json_t *ends_json(const wm_run_result *result)
{
    if (!result->has_ends)
        return json_null();
    return json_pack(
        "{s:o, s:o}", "sender_to_receiver",
        ends_direction_json(&result->ends.dir[WM_ENDS_FROM_SENDER]),
        "receiver_to_sender",
        ends_direction_json(&result->ends.dir[WM_ENDS_TO_SENDER]));
}

static json_t *link_loss_json(const wm_path_loss *l)
{
    return json_pack("{s:I, s:I}", "tcp_frames", (json_int_t)l->tcp_frames,
                     "dropped_frames", (json_int_t)l->dropped_frames);
}

/* What the link said of itself; null on loopback. */
static json_t *link_json(const wm_run_result *result)
{
    if (!result->has_link)
        return json_null();
    return json_pack("{s:I, s:o, s:o, s:o}", "setup_ns",
                     (json_int_t)result->link_setup_ns, "loss_to_client",
                     link_loss_json(&result->link_loss[WM_PATH_CLIENT]),
                     "loss_to_server",
                     link_loss_json(&result->link_loss[WM_PATH_SERVER]),
                     "sender_capture",
                     result->has_sender_capture
                         ? capture_json(&result->sender_capture,
                                        &result->sender_trace)
                         : json_null());
}

json_t *wm_report_run(const wm_run_request *request,
                      const wm_run_result *result, unsigned flags)
{
    json_t *doc = json_pack("{s:i, s:o}", "schema", WM_REPORT_SCHEMA,
                            "params", wm_params_json(request));
    json_t *fragment = wm_report_connection(&result->trace, &result->analysis,
                                            result->connection, flags);
    json_t *rest = json_pack(
        "{s:o, s:o, s:o, s:o, s:I, s:o, s:I, s:o}", "tcp_info",
        tcp_info_json(&result->transfer.sender), "ends", ends_json(result),
        "capture",
        capture_json(&result->capture, &result->trace), "integrity",
        integrity_json(&result->transfer.integrity), "started_ns",
        (json_int_t)result->started_ns, "started_time",
        time_json(result->started_ns), "finished_ns",
        (json_int_t)result->finished_ns, "finished_time",
        time_json(result->finished_ns));
    bool ok = doc && fragment && rest &&
              json_object_update(doc, fragment) == 0 &&
              json_object_update(doc, rest) == 0 &&
              json_object_set_new(doc, "link", link_json(result)) == 0;
    json_decref(fragment);
    json_decref(rest);
    if (!ok) {
        json_decref(doc);
        return NULL;
    }
    return doc;
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
    return json_pack("{s:i, s:s, s:i, s:I, s:I, s:I, s:o, s:o}", "schema",
                     WM_REPORT_SCHEMA, "file", path, "linktype",
                     trace->linktype, "frames", (json_int_t)trace->frames,
                     "malformed", (json_int_t)trace->malformed, "not_tcp",
                     (json_int_t)trace->not_tcp, "fragments",
                     fragments_json(trace), "connections", conns);
}
