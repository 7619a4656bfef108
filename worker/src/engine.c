/* wm_engine: see wm_engine.h. Each call owns its engine structs from
 * start to end and hands out only the JSON made of them. */
#include "wm_engine.h"

#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rows.h"
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

json_t *wm_engine_run(const wm_run_request *request, wm_progress_fn progress,
                      void *progress_ctx, unsigned flags, wm_error *err)
{
    wm_run_result result;
    if (wm_run_execute(&request->config, progress, progress_ctx, &result,
                       err) != 0)
        return NULL;
    json_t *doc = wm_report_run(request, &result, flags);
    if (!doc)
        out_of_memory(err, "rendering the result");
    else if (request->config.rows_path &&
             wm_rows_write(request->config.rows_path, &result.trace,
                           &result.analysis, result.connection, err) != 0) {
        json_decref(doc);
        doc = NULL;
    }
    wm_run_result_free(&result);
    return doc;
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

json_t *wm_engine_analyze_file(const char *path, unsigned flags,
                               wm_error *err)
{
    wm_trace trace;
    wm_analysis analysis;
    if (wm_trace_read_file(path, &trace, err) != 0)
        return NULL;
    if (wm_analyze_trace(&trace, &analysis, err) != 0) {
        wm_trace_free(&trace);
        return NULL;
    }
    json_t *doc = wm_report_file(path, &trace, &analysis, flags);
    wm_analysis_free(&analysis);
    wm_trace_free(&trace);
    return doc ? doc : out_of_memory(err, "rendering the analysis");
}
