/* wm_runs_doc: see wm_runs_doc.h. */
#include "wm_runs_doc.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wm_clock.h"
#include "wm_jobs.h"
#include "wm_json_text.h"
#include "wm_public_text.h"

static json_t *ns_or_null(int64_t ns)
{
    return ns ? json_integer(ns) : json_null();
}

json_t *wm_doc_time(int64_t ns)
{
    if (!ns)
        return json_null();
    char text[WM_CLOCK_RFC3339_SIZE];
    wm_clock_rfc3339(ns, text);
    return json_string(text);
}

static json_t *progress_of(wm_app *app, const wm_store_run *run)
{
    wm_jobs_progress p;
    uint64_t done = run->status == WM_STORE_DONE ? run->size_bytes : 0;
    if (!wm_store_status_final(run->status) &&
        wm_jobs_progress_get(app->jobs, run->id, &p))
        done = p.bytes_done;
    return json_pack("{s:I, s:I}", "bytes_done", (json_int_t)done,
                     "bytes_total", (json_int_t)run->size_bytes);
}

/* The figures a list row needs, so that a history table and its charts
 * need not fetch every run. */
static json_t *summary_of(const wm_store_run *run)
{
    if (!run->result_json)
        return json_null();
    json_t *result = json_loads(run->result_json, 0, NULL);
    if (!result)
        return json_null();
    json_t *totals = json_object_get(result, "totals");
    json_t *timing = json_object_get(result, "timing");
    json_t *average = json_object_get(result, "average_packet_size");
    json_t *summary = json_pack(
        "{s:O?, s:O?, s:O?, s:O?, s:O?}",
        "packets", json_object_get(totals, "packets"),
        "payload_bytes", json_object_get(totals, "payload_bytes"),
        "total_ns", json_object_get(timing, "total_ns"),
        "throughput_bps", json_object_get(timing, "throughput_bps"),
        "average_packet_size", json_object_get(average, "all"));
    json_decref(result);
    return summary ? summary : json_null();
}

/* Whether the run has a series to link to. Only a series that is
 * there: a run stored before series were kept has none, and a link the
 * page follows must not be a 404. */
static bool series_stored(wm_app *app, const wm_store_run *run)
{
    char path[PATH_MAX];
    wm_error err;
    wm_error_clear(&err);
    return run->status == WM_STORE_DONE &&
           (wm_store_has_output(app->store, run->id, WM_STORE_OUTPUT_SERIES) ||
            (wm_store_series_path(app->store, run->id, path, sizeof path,
                                  &err) == 0 &&
             access(path, R_OK) == 0));
}

static json_t *wrapper_of(wm_app *app, const wm_store_run *run,
                          bool with_result, bool has_series)
{
    char self[48], packets[64], pcap[64];
    snprintf(self, sizeof self, "/runs/%" PRId64, run->id);
    snprintf(packets, sizeof packets, "%s/packets", self);
    snprintf(pcap, sizeof pcap, "%s/pcap", self);
    /* The store keeps the engine's whole message, paths and all, for the
     * operator; a client sees it with the paths replaced. */
    char message[sizeof run->error_message];
    json_t *error =
        run->status == WM_STORE_FAILED
            ? json_pack("{s:s, s:s}", "code", run->error_code, "message",
                        wm_public_message(run->error_message, message,
                                          sizeof message))
            : json_null();
    json_t *doc = json_pack(
        "{s:I, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:{s:s, s:s, s:s}}",
        "id", (json_int_t)run->id, "status",
        wm_store_status_name(run->status), "label", run->label, "created_ns",
        (json_int_t)run->created_ns, "created_time",
        wm_doc_time(run->created_ns), "started_ns",
        ns_or_null(run->started_ns), "started_time",
        wm_doc_time(run->started_ns), "finished_ns",
        ns_or_null(run->finished_ns), "finished_time",
        wm_doc_time(run->finished_ns), "error", error,
        "progress", progress_of(app, run), "sweep_id",
        run->sweep_id ? json_integer(run->sweep_id) : json_null(), "summary",
        with_result ? json_null() : summary_of(run), "links", "self", self,
        "packets", packets, "pcap", pcap);
    if (doc && with_result)
        json_object_del(doc, "summary");
    char series[64];
    if (doc && has_series) {
        snprintf(series, sizeof series, "%s/series", self);
        json_object_set_new(json_object_get(doc, "links"), "series",
                            json_string(series));
    }
    return doc;
}

/* Joins the parts of a run document by length, not with asprintf: the
 * result is most of its bytes and asprintf's format pass over them was
 * a tenth of answering a small POST. */
static char *join(const char *const parts[], size_t count)
{
    size_t lens[8], total = 1;
    assert(count <= sizeof lens / sizeof lens[0]);
    for (size_t i = 0; i < count; i++)
        total += lens[i] = strlen(parts[i]);
    char *text = malloc(total);
    if (!text)
        return NULL;
    char *at = text;
    for (size_t i = 0; i < count; i++) {
        memcpy(at, parts[i], lens[i]);
        at += lens[i];
    }
    *at = '\0';
    return text;
}

static char *document(wm_app *app, const wm_store_run *run,
                      bool with_result, bool has_series)
{
    json_t *wrapper = wrapper_of(app, run, with_result, has_series);
    size_t len = 0;
    char *head = wrapper ? wm_json_text(wrapper, &len) : NULL;
    json_decref(wrapper);
    if (!head)
        return NULL;
    head[len - 1] = '\0'; /* drop the closing brace: the rest follows */
    const char *result =
        with_result && run->result_json ? run->result_json : "null";
    const char *with[] = {head, ",\"params\":", run->params_json,
                          ",\"result\":", result, "}"};
    const char *without[] = {head, ",\"params\":", run->params_json, "}"};
    char *text = with_result ? join(with, sizeof with / sizeof with[0])
                             : join(without,
                                    sizeof without / sizeof without[0]);
    free(head);
    return text;
}

char *wm_runs_document(wm_app *app, const wm_store_run *run,
                       bool with_result)
{
    return document(app, run, with_result, series_stored(app, run));
}

char *wm_runs_document_done(wm_app *app, const wm_store_run *run,
                            bool has_series)
{
    assert(run->status == WM_STORE_DONE && run->result_json);
    return document(app, run, true, has_series);
}

char *wm_runs_list_document(wm_app *app, const wm_store_run_list *list,
                            size_t limit)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return NULL;
    bool ok = fputs("{\"runs\":[", out) >= 0;
    for (size_t i = 0; ok && i < list->count; i++) {
        char *doc = wm_runs_document(app, &list->runs[i], false);
        ok = doc && fprintf(out, "%s%s", i ? "," : "", doc) >= 0;
        free(doc);
    }
    if (list->next_before)
        fprintf(out, "],\"next_before\":%" PRId64
                     ",\"next\":\"/runs?limit=%zu&before=%" PRId64 "\"}",
                list->next_before, limit, list->next_before);
    else
        fputs("],\"next_before\":null,\"next\":null}", out);
    if (fclose(out) != 0 || !ok) {
        free(text);
        return NULL;
    }
    return text;
}
