/* wm_engine: see wm_engine.h. Each call owns its engine structs from
 * start to end and hands out only the JSON made of them. */
#include "wm_engine.h"

#include <inttypes.h>
#include <string.h>

#include "wm_analyze.h"
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
    wm_run_result_free(&result);
    return doc ? doc : out_of_memory(err, "rendering the result");
}

/* A port of the result's connection ("client" or "server"), 0 if none. */
static uint16_t result_port(const json_t *result, const char *side)
{
    json_int_t port = json_integer_value(json_object_get(
        json_object_get(json_object_get(result, "connection"), side),
        "port"));
    return port > 0 && port <= 65535 ? (uint16_t)port : 0;
}

json_t *wm_engine_packets(const char *pcap_path, const json_t *result,
                          size_t offset, size_t limit, size_t *total,
                          wm_error *err)
{
    uint16_t client = result_port(result, "client");
    uint16_t server = result_port(result, "server");
    if (!client || !server) {
        wm_error_set(err, WM_ERR_INTERNAL, "the result names no ports");
        return NULL;
    }
    wm_trace trace;
    wm_analysis analysis;
    if (wm_trace_read_file(pcap_path, &trace, err) != 0)
        return NULL;
    json_t *rows = NULL;
    if (wm_analyze_trace(&trace, &analysis, err) == 0) {
        const wm_connection *conn = wm_analysis_find(&analysis, client, server);
        if (!conn)
            wm_error_set(err, WM_ERR_INTERNAL,
                         "the run's connection (ports %u, %u) is not in its "
                         "pcap", client, server);
        else if (!(rows = wm_report_packets(&trace, &analysis, conn, offset,
                                            limit)))
            out_of_memory(err, "rendering packets");
        else
            *total = conn->packet_count;
        wm_analysis_free(&analysis);
    }
    wm_trace_free(&trace);
    return rows;
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
