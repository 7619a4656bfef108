/* wm_engine: see wm_engine.h. Each call owns its engine structs from
 * start to end and hands out only the JSON made of them. */
#include "wm_engine.h"

#include <assert.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "path_ends.h"
#include "rows.h"
#include "series_run.h"
#include "wm_analyze.h"
#include "wm_budget.h"
#include "wm_report.h"
#include "wm_run.h"
#include "wm_trace.h"

_Static_assert((unsigned)WM_ENGINE_PACKETS == (unsigned)WM_REPORT_PACKETS,
               "the engine's flags are the report's");

static json_t *out_of_memory(wm_error *err, const char *doing)
{
    wm_error_set(err, WM_ERR_INTERNAL, "out of memory %s", doing);
    return NULL;
}

/* Where a run's small outputs go (wm_blob.h): the capture's is handed
 * to it; the rows' and the series' are written after the run. A link
 * run keeps files: its two ends are read back from them. */
static void hold_outputs(wm_run_config *config)
{
    if (config->inline_out)
        memset(config->inline_out, 0, sizeof *config->inline_out);
    if (!config->inline_out || config->inline_max == 0 ||
        config->path.kind == WM_PATH_LINK) {
        config->inline_out = NULL;
        config->inline_max = 0;
        return;
    }
    config->capture.pcap_inline_max = config->inline_max;
    config->capture.pcap_inline = &config->inline_out->pcap;
}

/* A run, its result rendered as a tree (*doc) or, when doc is NULL, as
 * text (*text, *len): the daemon stores only the text, which is written
 * without the tree (wm_report_run_text). -1 with err filled when the run
 * failed; nothing is left to free. */
static int run_rendered(const wm_run_request *request,
                        wm_progress_fn progress, void *progress_ctx,
                        unsigned flags, json_t **doc, char **text,
                        size_t *len, uint64_t *received_bytes, wm_error *err)
{
    wm_run_result result;
    wm_run_config config;
    series_job series;
    if (series_job_prepare(&request->config, &config, &series, err) != 0)
        return -1;
    hold_outputs(&config);
    if (wm_run_execute(&config, progress, progress_ctx, &result, err) != 0) {
        series_job_free(&series);
        wm_run_blobs_free(config.inline_out);
        return -1;
    }
    if (received_bytes)
        *received_bytes = result.transfer.integrity.received_bytes;
    bool rendered;
    if (doc) {
        *doc = wm_report_run(request, &result, flags);
        rendered = *doc != NULL;
    } else {
        *text = wm_report_run_text(request, &result, flags, len);
        rendered = *text != NULL;
    }
    int rc = 0;
    if (!rendered) { /* nothing held when this fails (wm_engine.h) */
        out_of_memory(err, "rendering the result");
        wm_run_blobs_free(config.inline_out);
        rc = -1;
    } else if ((config.rows_path &&
                wm_rows_write_held(config.rows_path, &result.trace,
                                   &result.analysis, result.connection,
                                   config.inline_max,
                                   config.inline_out
                                       ? &config.inline_out->rows
                                       : NULL,
                                   err) != 0) ||
               series_job_finish(&series, &config, &result, err) != 0) {
        if (doc) {
            json_decref(*doc);
            *doc = NULL;
        } else {
            free(*text);
            *text = NULL;
        }
        wm_run_blobs_free(config.inline_out);
        rc = -1;
    }
    series_job_free(&series);
    wm_run_result_free(&result);
    return rc;
}

json_t *wm_engine_run(const wm_run_request *request, wm_progress_fn progress,
                      void *progress_ctx, unsigned flags, wm_error *err)
{
    json_t *doc = NULL;
    if (run_rendered(request, progress, progress_ctx, flags, &doc, NULL, NULL,
                     NULL, err) != 0)
        return NULL;
    return doc;
}

char *wm_engine_run_text(const wm_run_request *request,
                         wm_progress_fn progress, void *progress_ctx,
                         unsigned flags, size_t *len,
                         uint64_t *received_bytes, wm_error *err)
{
    char *text = NULL;
    if (run_rendered(request, progress, progress_ctx, flags, NULL, &text, len,
                     received_bytes, err) != 0)
        return NULL;
    return text;
}

/* A port of the result's connection ("client" or "server"), 0 if none. */
static uint16_t result_port(const json_t *result, const char *side)
{
    json_int_t port = json_integer_value(json_object_get(
        json_object_get(json_object_get(result, "connection"), side),
        "port"));
    return port > 0 && port <= 65535 ? (uint16_t)port : 0;
}

json_t *wm_engine_packets(const char *rows_path, size_t offset, size_t limit,
                          size_t *total, wm_error *err)
{
    return wm_rows_page(rows_path, offset, limit, total, err);
}

json_t *wm_engine_packets_held(const void *rows, size_t len, size_t offset,
                               size_t limit, size_t *total, wm_error *err)
{
    return wm_rows_page_held(rows, len, offset, limit, total, err);
}

static json_t *ends_row_json(const wm_ends_row *r)
{
    bool lost = r->received_frame == 0;
    return json_pack(
        "{s:s, s:I, s:o, s:b, s:I, s:o, s:I, s:I, s:I, s:i}", "direction",
        r->direction == WM_ENDS_FROM_SENDER ? "sender_to_receiver"
                                            : "receiver_to_sender",
        "sent_frame", (json_int_t)r->sent_frame, "received_frame",
        lost ? json_null() : json_integer(r->received_frame), "lost", lost,
        "sent_ns", (json_int_t)r->sent_ns, "transit_ns",
        lost ? json_null() : json_integer(r->transit_ns), "seq",
        (json_int_t)r->seq, "ack", (json_int_t)r->ack, "len",
        (json_int_t)r->payload_len, "flags", (int)r->flags);
}

json_t *wm_engine_ends(const char *ends_path, size_t offset, size_t limit,
                       size_t *total, wm_error *err)
{
    assert(limit > 0 && limit <= WM_ENGINE_ENDS_PAGE_MAX);
    wm_ends_row *rows = malloc(limit * sizeof *rows);
    if (!rows)
        return out_of_memory(err, "reading the both-ends table");
    size_t count = limit;
    uint64_t all = 0;
    json_t *out = NULL;
    if (wm_ends_table_read(ends_path, offset, rows, &count, &all, err) == 0) {
        *total = (size_t)all;
        out = json_array();
        for (size_t i = 0; out && i < count; i++)
            if (json_array_append_new(out, ends_row_json(&rows[i])) != 0) {
                json_decref(out);
                out = out_of_memory(err, "rendering the both-ends table");
            }
    }
    free(rows);
    return out;
}

/* Frames a pcap of this size must hold at least: no record is longer
 * than its header and the snaplen. 0 when unknown. */
static uint64_t least_frames(const char *pcap_path, const json_t *result)
{
    json_int_t snaplen = json_integer_value(json_object_get(
        json_object_get(result, "capture"), "snaplen"));
    struct stat st;
    if (snaplen <= 0 || stat(pcap_path, &st) != 0 ||
        (uint64_t)st.st_size <= WM_BUDGET_PCAP_HEADER_BYTES)
        return 0;
    return ((uint64_t)st.st_size - WM_BUDGET_PCAP_HEADER_BYTES) /
           (WM_BUDGET_PCAP_RECORD_BYTES + (uint64_t)snaplen);
}

static int stream_packet(void *stream, const wm_packet *p,
                         int64_t first_ts_ns, wm_error *err)
{
    return wm_stream_add(stream, p, 0, first_ts_ns, err);
}

/* The pcap streamed through the analysis, the connection between the
 * two ports spooled beside rows_path: no memory per frame. */
static int index_rows(const char *pcap_path, uint16_t client, uint16_t server,
                      const char *rows_path, uint64_t max_packets,
                      wm_error *err)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", rows_path) >= (int)sizeof dir)
        return wm_error_set(err, WM_ERR_INVALID, "the rows path is too long");
    wm_stream *stream;
    if (wm_stream_new(NULL, dirname(dir), 1, &stream, err) != 0)
        return -1;
    wm_stream_keep_ports(stream, client, server);
    wm_trace trace;
    wm_analysis analysis;
    if (wm_trace_stream_file(pcap_path, max_packets, stream_packet, stream,
                             &trace, err) != 0) {
        wm_stream_free(stream);
        return err && err->kind == WM_ERR_TOO_LARGE
                   ? wm_error_set(err, WM_ERR_TOO_LARGE,
                                  "its capture holds more than %llu frames; "
                                  "more than --max-packets are not analysed "
                                  "again", (unsigned long long)max_packets)
                   : -1;
    }
    if (wm_stream_finish(stream, trace.first_ts_ns, &analysis, err) != 0) {
        wm_trace_free(&trace);
        return -1;
    }
    const wm_connection *conn = wm_analysis_find(&analysis, client, server);
    int rc = conn ? wm_rows_write(rows_path, &trace, &analysis, conn, err)
                  : wm_error_set(err, WM_ERR_INTERNAL,
                                 "the run's connection (ports %u, %u) is not "
                                 "in its pcap", client, server);
    wm_analysis_free(&analysis);
    wm_trace_free(&trace);
    return rc;
}

int wm_engine_index_pcap(const char *pcap_path, const json_t *result,
                         const char *rows_path, uint64_t max_packets,
                         wm_error *err)
{
    uint16_t client = result_port(result, "client");
    uint16_t server = result_port(result, "server");
    if (!client || !server)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "the result names no ports");
    /* A file that must hold too many frames is refused without reading
     * it: the analysis streams, but an 18.8 M-packet run's 1.6 GB pcap
     * would still take seconds of a worker and its rows 2 GB of disk. */
    uint64_t least = least_frames(pcap_path, result);
    if (max_packets && least > max_packets)
        return wm_error_set(err, WM_ERR_TOO_LARGE,
                            "its capture holds at least %llu frames; more "
                            "than %llu (--max-packets) are not analysed "
                            "again", (unsigned long long)least,
                            (unsigned long long)max_packets);
    return index_rows(pcap_path, client, server, rows_path, max_packets,
                      err);
}

/* ---- `wiremeter analyze` ---- */

/* The document's own fields: the report's, with what only reading a file
 * tells (its link types, where reading stopped). */
static json_t *file_fields(const char *path, const wm_trace *trace,
                           const wm_analysis *analysis, size_t without_rows)
{
    const wm_analysis none = {.first_ts_ns = analysis->first_ts_ns};
    json_t *doc = wm_report_file(path, trace, &none, 0);
    json_t *linktypes = json_array();
    for (size_t i = 0; linktypes && i < trace->linktype_count; i++)
        json_array_append_new(linktypes, json_integer(trace->linktypes[i]));
    const wm_read_error *e = &trace->read_error;
    json_t *read_error =
        e->stopped
            ? json_pack("{s:I, s:I, s:s, s:s}", "offset",
                        (json_int_t)e->offset, "after_frame",
                        (json_int_t)e->after_frame, "kind",
                        e->cut_short ? "cut_short" : "damaged", "reason",
                        e->reason)
            : json_null();
    if (!doc || !linktypes || !read_error ||
        json_object_del(doc, "connections") != 0 ||
        json_object_set_new(doc, "linktypes", linktypes) != 0 ||
        json_object_set_new(doc, "read_error", read_error) != 0 ||
        json_object_set_new(doc, "connections_without_rows",
                            json_integer((json_int_t)without_rows)) != 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* Hands conn (and its rows, with WM_ENGINE_PACKETS) to the sink, one row
 * at a time: a row is read back from its spool, rendered, handed over
 * and freed. */
static int emit_connection(const wm_trace *trace, const wm_analysis *analysis,
                           const wm_connection *conn, unsigned flags,
                           const wm_engine_file_sink *sink, wm_error *err)
{
    bool rows = wm_connection_has_rows(conn);
    json_t *frag = wm_report_connection(trace, analysis, conn, 0);
    if (!frag || json_object_set_new(frag, "rows_kept",
                                     json_boolean(rows)) != 0) {
        json_decref(frag);
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "out of memory rendering the analysis");
    }
    bool packets = (flags & WM_ENGINE_PACKETS) && rows;
    int rc = sink->connection(sink->ctx, frag,
                              packets ? conn->packet_count : 0, err);
    json_decref(frag);
    for (size_t i = 0; rc == 0 && packets && i < conn->packet_count; i++) {
        json_t *row = wm_report_packet(trace, analysis, conn, i);
        rc = row ? sink->packet(sink->ctx, row, err)
                 : wm_error_set(err, WM_ERR_IO,
                                "row %zu of a connection could not be read "
                                "back from its temporary file", i);
        json_decref(row);
    }
    return rc;
}

int wm_engine_analyze_file_each(const char *path, unsigned flags,
                                const wm_engine_file_limits *limits,
                                const wm_engine_file_sink *sink,
                                wm_error *err)
{
    static const wm_engine_file_limits defaults = {0};
    if (!limits)
        limits = &defaults;
    size_t max_rows = limits->max_row_connections
                          ? limits->max_row_connections
                          : WM_ENGINE_DEFAULT_ROW_CONNECTIONS;
    assert(max_rows <= WM_ENGINE_MAX_ROW_CONNECTIONS);
    wm_stream *stream;
    if (wm_stream_new(NULL, NULL, max_rows, &stream, err) != 0)
        return -1;
    wm_trace trace;
    const wm_trace_limits read_limits = {
        .max_record_bytes = limits->max_record_bytes,
        .max_frames = limits->max_frames};
    if (wm_trace_stream_file_limited(path, &read_limits, stream_packet,
                                     stream, &trace, err) != 0) {
        wm_stream_free(stream);
        return -1;
    }
    wm_analysis analysis;
    if (wm_stream_finish(stream, trace.first_ts_ns, &analysis, err) != 0) {
        wm_trace_free(&trace);
        return -1;
    }
    size_t without_rows = 0;
    for (size_t k = 0; k < analysis.count; k++)
        without_rows += !wm_connection_has_rows(&analysis.connections[k]);
    json_t *doc = file_fields(path, &trace, &analysis, without_rows);
    int rc = doc ? sink->file(sink->ctx, doc, analysis.count, err)
                 : wm_error_set(err, WM_ERR_INTERNAL,
                                "out of memory rendering the analysis");
    json_decref(doc);
    for (size_t k = 0; rc == 0 && k < analysis.count; k++)
        rc = emit_connection(&trace, &analysis, &analysis.connections[k],
                             flags, sink, err);
    wm_analysis_free(&analysis);
    wm_trace_free(&trace);
    return rc;
}
