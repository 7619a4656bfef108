/* wm_cli_text: see wm_cli_text.h.
 *
 * Every value is looked up by its dotted path in the document and turned
 * into text by one function (value_text), so a missing or null field reads
 * "-" everywhere instead of crashing or printing a made-up 0. */
#include "wm_cli_text.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define TEXT_BYTES 128

/* The value at a dotted path ("timing.total_ns"), or NULL. */
static const json_t *at(const json_t *root, const char *path)
{
    char key[64];
    const json_t *node = root;
    while (node && *path) {
        size_t len = strcspn(path, ".");
        if (len >= sizeof key)
            return NULL;
        memcpy(key, path, len);
        key[len] = '\0';
        node = json_object_get(node, key);
        path += len + (path[len] == '.');
    }
    return node;
}

static bool known(const json_t *v)
{
    return v && !json_is_null(v);
}

/* Any scalar as text: "-" when unknown, reals to a tenth. */
static const char *value_text(const json_t *v, char *buf)
{
    if (json_is_integer(v))
        snprintf(buf, TEXT_BYTES, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, TEXT_BYTES, "%.1f", json_real_value(v));
    else if (json_is_string(v))
        snprintf(buf, TEXT_BYTES, "%s", json_string_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, TEXT_BYTES, "%s", json_is_true(v) ? "yes" : "no");
    else
        snprintf(buf, TEXT_BYTES, "-");
    return buf;
}

static const char *text_at(const json_t *root, const char *path, char *buf)
{
    return value_text(at(root, path), buf);
}

/* Nanoseconds as seconds with all nine decimals, as Wireshark shows a
 * nanosecond capture. */
static const char *seconds_text(const json_t *ns, char *buf)
{
    if (!json_is_integer(ns))
        return value_text(ns, buf);
    int64_t v = (int64_t)json_integer_value(ns);
    const char *sign = v < 0 ? "-" : "";
    uint64_t abs_ns = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    snprintf(buf, TEXT_BYTES, "%s%" PRIu64 ".%09" PRIu64 " s", sign,
             abs_ns / 1000000000u, abs_ns % 1000000000u);
    return buf;
}

/* Nanoseconds since the epoch as a UTC date and time. */
static const char *clock_text(const json_t *ns, char *buf)
{
    if (!json_is_integer(ns) || json_integer_value(ns) < 0)
        return value_text(ns, buf);
    int64_t v = (int64_t)json_integer_value(ns);
    time_t seconds = (time_t)(v / 1000000000);
    struct tm tm;
    if (!gmtime_r(&seconds, &tm))
        return value_text(NULL, buf);
    snprintf(buf, TEXT_BYTES,
             "%04d-%02d-%02d %02d:%02d:%02d.%09" PRId64 " UTC",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, v % 1000000000);
    return buf;
}

/* "127.0.0.1:51234", "[::1]:51234". */
static const char *endpoint_text(const json_t *ip, const json_t *port,
                                 char *buf)
{
    const char *addr = json_is_string(ip) ? json_string_value(ip) : "-";
    bool v6 = strchr(addr, ':') != NULL;
    char port_text[TEXT_BYTES];
    snprintf(buf, TEXT_BYTES, "%s%s%s:%s", v6 ? "[" : "", addr, v6 ? "]" : "",
             value_text(port, port_text));
    return buf;
}

static void append(char *buf, size_t buflen, const char *text)
{
    size_t used = strlen(buf);
    if (used < buflen - 1)
        snprintf(buf + used, buflen - used, "%s%s", used ? " " : "", text);
}

/* TCP options as Wireshark's Info column writes them. */
static void options_text(const json_t *opts, char *buf, size_t buflen)
{
    char item[TEXT_BYTES];
    buf[0] = '\0';
    if (json_is_integer(json_object_get(opts, "mss"))) {
        snprintf(item, sizeof item, "MSS=%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(opts, "mss")));
        append(buf, buflen, item);
    }
    if (json_is_true(json_object_get(opts, "sack_permitted")))
        append(buf, buflen, "SACK_PERM");
    const json_t *ts = json_object_get(opts, "timestamps");
    if (ts) {
        snprintf(item, sizeof item,
                 "TSval=%" JSON_INTEGER_FORMAT " TSecr=%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(ts, "val")),
                 json_integer_value(json_object_get(ts, "ecr")));
        append(buf, buflen, item);
    }
    const json_t *ws = json_object_get(opts, "wscale");
    if (json_is_integer(ws) && json_integer_value(ws) >= 0 &&
        json_integer_value(ws) <= 14) {
        snprintf(item, sizeof item, "WS=%lld",
                 1LL << json_integer_value(ws));
        append(buf, buflen, item);
    }
    size_t i;
    const json_t *block;
    json_array_foreach(json_object_get(opts, "sack"), i, block) {
        snprintf(item, sizeof item,
                 "SLE=%" JSON_INTEGER_FORMAT " SRE=%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_array_get(block, 0)),
                 json_integer_value(json_array_get(block, 1)));
        append(buf, buflen, item);
    }
}

/* Wireshark's analysis marks: "[retransmission]", "[dup ACK 3#1]". */
static void marks_text(const json_t *row, char *buf, size_t buflen)
{
    char item[TEXT_BYTES];
    size_t i;
    const json_t *mark;
    json_array_foreach(json_object_get(row, "analysis"), i, mark) {
        const json_t *dup = json_object_get(row, "dup_ack");
        if (dup && strcmp(json_string_value(mark) ? json_string_value(mark)
                                                  : "",
                          "duplicate_ack") == 0)
            snprintf(item, sizeof item,
                     "[dup ACK %" JSON_INTEGER_FORMAT "#%" JSON_INTEGER_FORMAT
                     "]",
                     json_integer_value(json_object_get(dup, "of")),
                     json_integer_value(json_object_get(dup, "num")));
        else
            snprintf(item, sizeof item, "[%s]",
                     json_is_string(mark) ? json_string_value(mark) : "?");
        append(buf, buflen, item);
    }
}

static void packet_header(bool with_raw, FILE *out)
{
    fprintf(out, "  %5s  %-12s  %-22s  %-22s  %6s  %-9s  %10s  %10s",
            "No.", "Time", "Source", "Destination", "Length", "Flags", "Seq",
            "Ack");
    if (with_raw)
        fprintf(out, "  %10s  %10s", "Raw seq", "Raw ack");
    fprintf(out, "  %8s  %6s  %s\n", "Win", "Len", "Options");
}

/* A relative time in seconds, nine decimals, no unit: the Time column. */
static const char *time_column(const json_t *ns, char *buf)
{
    seconds_text(ns, buf);
    char *unit = strstr(buf, " s");
    if (unit)
        *unit = '\0';
    return buf;
}

static void packet_line(const json_t *row, bool with_raw, FILE *out)
{
    char t[12][TEXT_BYTES], extra[512] = "";
    fprintf(out, "  %5s  %-12s  %-22s  %-22s  %6s  %-9s  %10s  %10s",
            text_at(row, "no", t[0]), time_column(at(row, "time_ns"), t[1]),
            endpoint_text(at(row, "source"), at(row, "source_port"), t[2]),
            endpoint_text(at(row, "destination"), at(row, "destination_port"),
                          t[3]),
            text_at(row, "length", t[4]), text_at(row, "flags", t[5]),
            text_at(row, "seq", t[6]), text_at(row, "ack", t[7]));
    if (with_raw)
        fprintf(out, "  %10s  %10s", text_at(row, "raw_seq", t[8]),
                text_at(row, "raw_ack", t[9]));
    options_text(json_object_get(row, "options"), extra, sizeof extra);
    marks_text(row, extra, sizeof extra);
    fprintf(out, "  %8s  %6s  %s\n", text_at(row, "window", t[10]),
            text_at(row, "len", t[11]), extra);
}

static void packet_table(const json_t *rows, bool with_raw, FILE *out)
{
    if (!json_is_array(rows) || json_array_size(rows) == 0) {
        fprintf(out, "  (no packets)\n");
        return;
    }
    packet_header(with_raw, out);
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row)
        packet_line(row, with_raw, out);
}

void wm_cli_text_packets(const json_t *packets, FILE *out)
{
    fprintf(out, "\nPackets (%zu)\n", json_array_size(packets));
    packet_table(packets, false, out);
}

/* ---- the connection fragment ---- */

static void print_endpoints(const json_t *c, FILE *out)
{
    char a[TEXT_BYTES], b[TEXT_BYTES];
    fprintf(out, "Endpoints (IPv%s%s)\n", text_at(c, "ip_version", a),
            json_is_false(at(c, "roles_known"))
                ? "; no SYN captured, client guessed as the first sender"
                : "");
    fprintf(out, "  client  %s\n",
            endpoint_text(at(c, "client.ip"), at(c, "client.port"), a));
    fprintf(out, "  server  %s\n",
            endpoint_text(at(c, "server.ip"), at(c, "server.port"), a));
    fprintf(out, "  MSS            client %s, server %s\n",
            text_at(c, "mss.client", a), text_at(c, "mss.server", b));
    fprintf(out, "  window scale   client %s, server %s (shift)\n",
            text_at(c, "window_scale.client", a),
            text_at(c, "window_scale.server", b));
    fprintf(out, "  SACK permitted %s, timestamps %s\n",
            text_at(c, "sack_permitted", a), text_at(c, "timestamps", b));
}

static void print_handshake(const json_t *h, FILE *out)
{
    char a[TEXT_BYTES];
    fprintf(out, "\nThree-way handshake: %s, %s\n",
            json_is_true(at(h, "complete")) ? "complete" : "INCOMPLETE",
            seconds_text(at(h, "duration_ns"), a));
    packet_table(at(h, "packets"), true, out);
}

static void print_closure(const json_t *c, FILE *out)
{
    char a[TEXT_BYTES], b[TEXT_BYTES];
    const char *kind = json_string_value(at(c, "kind"));
    kind = !kind ? "-"
           : strcmp(kind, "fin") == 0 ? "FIN"
           : strcmp(kind, "rst") == 0 ? "RST"
                                      : "none captured";
    fprintf(out, "\nClosure: %s, %s closed first%s, %s, %s\n", kind,
            text_at(c, "initiator", a),
            json_is_true(at(c, "simultaneous")) ? " (simultaneous close)" : "",
            json_is_true(at(c, "complete")) ? "complete" : "INCOMPLETE",
            seconds_text(at(c, "duration_ns"), b));
    packet_table(at(c, "packets"), true, out);
}

static void print_totals(const json_t *t, FILE *out)
{
    char a[TEXT_BYTES], b[TEXT_BYTES], c[TEXT_BYTES];
    fprintf(out, "\nTotals\n");
    fprintf(out, "  packets          %s (client->server %s, server->client %s)\n",
            text_at(t, "packets", a), text_at(t, "client_to_server", b),
            text_at(t, "server_to_client", c));
    fprintf(out, "  data packets     %s, pure ACKs %s\n",
            text_at(t, "data_packets", a), text_at(t, "pure_acks", b));
    fprintf(out, "  bytes on wire    %s\n", text_at(t, "wire_bytes", a));
    fprintf(out, "  payload bytes    %s (client->server %s, server->client %s)\n",
            text_at(t, "payload_bytes", a),
            text_at(t, "payload_client_to_server", b),
            text_at(t, "payload_server_to_client", c));
    const json_t *stream = json_object_get(t, "stream_bytes");
    fprintf(out, "  stream bytes     client->server %s, server->client %s "
                 "(each byte once, retransmissions aside)\n",
            text_at(stream, "client_to_server", a),
            text_at(stream, "server_to_client", b));
    fprintf(out, "  retransmissions  %s, duplicate ACKs %s, out of order %s\n",
            text_at(t, "retransmissions", a), text_at(t, "duplicate_acks", b),
            text_at(t, "out_of_order", c));
}

static const char *throughput_text(const json_t *bps, char *buf)
{
    if (!json_is_number(bps))
        return value_text(bps, buf);
    double v = json_number_value(bps);
    if (v >= 1e9)
        snprintf(buf, TEXT_BYTES, "%.2f Gbit/s", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, TEXT_BYTES, "%.2f Mbit/s", v / 1e6);
    else
        snprintf(buf, TEXT_BYTES, "%.0f bit/s", v);
    return buf;
}

static void print_timing(const json_t *t, const json_t *avg, FILE *out)
{
    char a[TEXT_BYTES], b[TEXT_BYTES];
    fprintf(out, "\nTiming\n");
    fprintf(out, "  start (first packet)  %s\n",
            clock_text(at(t, "first_packet_ns"), a));
    fprintf(out, "  end (last packet)     %s\n",
            clock_text(at(t, "last_packet_ns"), a));
    fprintf(out, "  total                 %s\n",
            seconds_text(at(t, "total_ns"), a));
    fprintf(out, "  handshake             %s\n",
            seconds_text(at(t, "handshake_ns"), a));
    fprintf(out, "  transfer              %s\n",
            seconds_text(at(t, "transfer_ns"), a));
    fprintf(out, "  closure               %s\n",
            seconds_text(at(t, "closure_ns"), a));
    fprintf(out, "  throughput            %s\n",
            throughput_text(at(t, "throughput_bps"), a));
    fprintf(out, "\nAverage packet size     %s B (all packets), %s B "
            "(data packets)\n",
            text_at(avg, "all", a), text_at(avg, "data", b));
}

/* The marks a connection's packets carry, by name, those it has. */
static void marks_count_text(const json_t *marks, char *buf, size_t buflen)
{
    buf[0] = '\0';
    const char *name;
    const json_t *n;
    json_object_foreach((json_t *)marks, name, n) {
        if (!json_is_integer(n) || json_integer_value(n) == 0)
            continue;
        char item[TEXT_BYTES];
        snprintf(item, sizeof item, "%s%s %" JSON_INTEGER_FORMAT,
                 buf[0] ? "," : "", name, json_integer_value(n));
        append(buf, buflen, item);
    }
    if (!buf[0])
        append(buf, buflen, "none");
}

static void print_analysis(const json_t *a, FILE *out)
{
    if (!json_is_object(a))
        return;
    char t[TEXT_BYTES], mn[TEXT_BYTES], p50[TEXT_BYTES], p99[TEXT_BYTES],
        mx[TEXT_BYTES], mean[TEXT_BYTES], marks[1024];
    const json_t *rtt = at(a, "rtt");
    fprintf(out, "\nWireshark's analysis\n");
    fprintf(out, "  initial RTT           %s\n",
            seconds_text(at(a, "initial_rtt_ns"), t));
    if (json_integer_value(at(rtt, "count")) > 0)
        fprintf(out, "  ACK RTT               %s samples: min %s, p50 %s, "
                "p99 %s, max %s, mean %s\n", text_at(rtt, "count", t),
                seconds_text(at(rtt, "min_ns"), mn),
                seconds_text(at(rtt, "p50_ns"), p50),
                seconds_text(at(rtt, "p99_ns"), p99),
                seconds_text(at(rtt, "max_ns"), mx),
                seconds_text(at(rtt, "mean_ns"), mean));
    else
        fprintf(out, "  ACK RTT               no samples\n");
    fprintf(out, "  bytes in flight, max  client->server %s, server->client "
            "%s\n", text_at(a, "bytes_in_flight_max.client_to_server", t),
            text_at(a, "bytes_in_flight_max.server_to_client", mn));
    marks_count_text(at(a, "marks"), marks, sizeof marks);
    fprintf(out, "  expert marks          %s\n", marks);
}

void wm_cli_text_connection(const json_t *fragment, FILE *out)
{
    print_endpoints(at(fragment, "connection"), out);
    print_handshake(at(fragment, "handshake"), out);
    print_closure(at(fragment, "closure"), out);
    print_totals(at(fragment, "totals"), out);
    print_timing(at(fragment, "timing"), at(fragment, "average_packet_size"),
                 out);
    print_analysis(at(fragment, "analysis"), out);
    if (json_is_array(at(fragment, "packets")))
        wm_cli_text_packets(at(fragment, "packets"), out);
}

/* ---- a run ---- */

static void print_params(const json_t *p, FILE *out)
{
    char t[8][TEXT_BYTES];
    fprintf(out,
            "wiremeter run: %s (%s bytes) %s on %s; chunk %s, nodelay %s, "
            "snaplen %s\n\n",
            text_at(p, "size_text", t[0]), text_at(p, "size", t[1]),
            text_at(p, "direction", t[2]), text_at(p, "interface", t[3]),
            text_at(p, "chunk", t[4]), text_at(p, "nodelay", t[5]),
            text_at(p, "snaplen", t[6]));
}

static void print_tcp_info(const json_t *i, FILE *out)
{
    char t[8][TEXT_BYTES];
    if (!known(i)) {
        fprintf(out, "\nTCP info (sender)       not read\n");
        return;
    }
    fprintf(out,
            "\nTCP info (sender)       rtt %s us, rttvar %s us, cwnd %s "
            "segments, snd_mss %s, rcv_mss %s, retransmitted %s, %s\n",
            text_at(i, "rtt_us", t[0]), text_at(i, "rttvar_us", t[1]),
            text_at(i, "snd_cwnd", t[2]), text_at(i, "snd_mss", t[3]),
            text_at(i, "rcv_mss", t[4]), text_at(i, "total_retrans", t[5]),
            text_at(i, "congestion", t[6]));
}

static void print_capture(const json_t *c, FILE *out)
{
    char t[9][TEXT_BYTES];
    fprintf(out,
            "Capture                 %s: %s received, %s dropped, %s dropped "
            "by the interface; snaplen %s; closure seen: %s; %s frames, "
            "%s malformed, %s not TCP\n",
            text_at(c, "interface", t[0]), text_at(c, "received", t[1]),
            text_at(c, "dropped", t[2]), text_at(c, "if_dropped", t[3]),
            text_at(c, "snaplen", t[4]), text_at(c, "complete", t[5]),
            text_at(c, "frames", t[6]), text_at(c, "malformed", t[7]),
            text_at(c, "not_tcp", t[8]));
}

static void print_integrity(const json_t *i, FILE *out)
{
    char t[3][TEXT_BYTES];
    const json_t *mismatch = at(i, "first_mismatch");
    fprintf(out, "Integrity               %s of %s bytes received, ",
            text_at(i, "received_bytes", t[0]),
            text_at(i, "expected_bytes", t[1]));
    if (json_is_integer(mismatch))
        fprintf(out, "byte %s differs from the byte sent, ",
                text_at(i, "first_mismatch", t[2]));
    else
        fprintf(out, "each equal to the byte sent, ");
    fprintf(out, "%s\n",
            json_is_true(at(i, "verified")) ? "verified" : "NOT VERIFIED");
}

/* What the link did, when both its ends were captured. */
static void print_ends(const json_t *ends, FILE *out)
{
    if (!json_is_object(ends))
        return;
    static const char *const ways[][2] = {
        {"sender_to_receiver", "Link, data"},
        {"receiver_to_sender", "Link, acks"}};
    for (size_t i = 0; i < 2; i++) {
        const json_t *d = at(ends, ways[i][0]);
        char t[6][TEXT_BYTES];
        fprintf(out,
                "%-24s%s frames sent, %s received, %s lost on the link "
                "(%s bytes); transit mean %s ns, max %s ns\n",
                ways[i][1], text_at(d, "sent_frames", t[0]),
                text_at(d, "received_frames", t[1]),
                text_at(d, "lost_frames", t[2]),
                text_at(d, "lost_bytes", t[3]),
                text_at(d, "transit_mean_ns", t[4]),
                text_at(d, "transit_max_ns", t[5]));
    }
}

void wm_cli_text_run(const json_t *run, FILE *out)
{
    print_params(at(run, "params"), out);
    print_endpoints(at(run, "connection"), out);
    print_handshake(at(run, "handshake"), out);
    print_closure(at(run, "closure"), out);
    print_totals(at(run, "totals"), out);
    print_timing(at(run, "timing"), at(run, "average_packet_size"), out);
    print_tcp_info(at(run, "tcp_info"), out);
    print_capture(at(run, "capture"), out);
    print_ends(at(run, "ends"), out);
    print_integrity(at(run, "integrity"), out);
    print_analysis(at(run, "analysis"), out);
    if (json_is_array(at(run, "packets")))
        wm_cli_text_packets(at(run, "packets"), out);
}

/* ---- a capture file ---- */

void wm_cli_text_file_head(const json_t *file, size_t connections, FILE *out)
{
    char t[6][TEXT_BYTES];
    fprintf(out,
            "%s: link type %s, %s frames (%s malformed, %s not TCP), %zu TCP "
            "connection%s\n",
            text_at(file, "file", t[0]), text_at(file, "linktype", t[1]),
            text_at(file, "frames", t[2]), text_at(file, "malformed", t[3]),
            text_at(file, "not_tcp", t[4]), connections,
            connections == 1 ? "" : "s");
    const json_t *stop = at(file, "read_error");
    if (json_is_object(stop))
        fprintf(out, "Reading stopped after frame %s: %s\n",
                text_at(stop, "after_frame", t[5]),
                json_string_value(at(stop, "reason")));
}

void wm_cli_text_file_connection(const json_t *conn, size_t index,
                                 size_t count, FILE *out)
{
    fprintf(out, "\n==== Connection %zu of %zu\n", index + 1, count);
    wm_cli_text_connection(conn, out);
}

void wm_cli_text_packet_row(const json_t *row, FILE *out)
{
    packet_line(row, false, out);
}

void wm_cli_text_packets_head(size_t count, FILE *out)
{
    fprintf(out, "\nPackets (%zu)\n", count);
    if (count)
        packet_header(false, out);
}
