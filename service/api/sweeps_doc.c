/* wm_sweeps_doc: see wm_sweeps_doc.h. */
#include "wm_sweeps_doc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "wm_runs_doc.h"
#include "wm_store.h"
#include "wm_sweep.h"

/* The links of a sweep: itself and its report in each format. */
static json_t *sweep_links(int64_t id)
{
    char self[48];
    snprintf(self, sizeof self, "/sweeps/%" PRId64, id);
    json_t *links = json_pack("{s:s}", "self", self);
    for (size_t i = 0; wm_sweep_formats[i]; i++) {
        if (!strcmp(wm_sweep_formats[i], "json"))
            continue;
        char link[64];
        snprintf(link, sizeof link, "%s?format=%s", self,
                 wm_sweep_formats[i]);
        json_object_set_new(links, wm_sweep_formats[i], json_string(link));
    }
    return links;
}

/* What a sweep's document and its list item share. */
static json_t *sweep_head(const wm_store_sweep *sweep)
{
    json_t *params = json_loads(sweep->params_json, 0, NULL);
    return json_pack(
        "{s:I, s:s, s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)sweep->id,
        "status", wm_store_status_name(sweep->status), "created_ns",
        (json_int_t)sweep->created_ns, "created_time",
        wm_doc_time(sweep->created_ns), "finished_ns",
        sweep->finished_ns ? json_integer(sweep->finished_ns) : json_null(),
        "finished_time", wm_doc_time(sweep->finished_ns), "params",
        params ? params : json_object());
}

/* The sweep's runs, and its table with each row's run ids. */
static int sweep_runs(wm_app *app, const wm_store_sweep *sweep,
                      wm_sweep_table *table, json_t *runs, wm_error *err)
{
    for (size_t i = 0; i < sweep->run_count; i++) {
        wm_store_run run;
        if (wm_store_get_run(app->store, sweep->run_ids[i], &run, err) != 0)
            return -1;
        json_t *params = json_loads(run.params_json, 0, NULL);
        const char *text = json_string_value(json_object_get(params,
                                                             "size_text"));
        json_t *result = run.result_json ? json_loads(run.result_json, 0, NULL)
                                         : NULL;
        int rc = 0;
        if (run.status == WM_STORE_DONE && result)
            rc = wm_sweep_table_add(table, run.size_bytes, text ? text : "",
                                    result, err);
        else if (run.status == WM_STORE_FAILED)
            rc = wm_sweep_table_add_failed(table, run.size_bytes,
                                           text ? text : "", err);
        json_array_append_new(
            runs, json_pack("{s:I, s:s, s:I, s:s}", "id", (json_int_t)run.id,
                            "status", wm_store_status_name(run.status), "size",
                            (json_int_t)run.size_bytes, "size_text",
                            text ? text : ""));
        json_decref(result);
        json_decref(params);
        wm_store_run_free(&run);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Adds "run_ids" and "pending" to each row of the table. */
static void rows_add_runs(json_t *rows, const json_t *runs)
{
    size_t i, j;
    json_t *row, *run;
    json_array_foreach(rows, i, row) {
        json_t *ids = json_array();
        json_int_t size = json_integer_value(json_object_get(row, "size"));
        json_int_t pending = 0;
        json_array_foreach(runs, j, run) {
            if (json_integer_value(json_object_get(run, "size")) != size)
                continue;
            json_array_append(ids, json_object_get(run, "id"));
            const char *st = json_string_value(json_object_get(run, "status"));
            pending += st && (!strcmp(st, "queued") || !strcmp(st, "running"));
        }
        json_object_set_new(row, "run_ids", ids);
        json_object_set_new(row, "pending", json_integer(pending));
    }
}

json_t *wm_sweep_document(wm_app *app, const wm_store_sweep *sweep,
                          wm_error *err)
{
    wm_sweep_table *table = wm_sweep_table_new();
    json_t *runs = json_array();
    json_t *rows = NULL;
    if (table && runs && sweep_runs(app, sweep, table, runs, err) == 0)
        rows = wm_sweep_table_json(table);
    wm_sweep_table_free(table);
    if (!rows) {
        json_decref(runs);
        if (err->kind == WM_ERR_NONE)
            wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    rows_add_runs(rows, runs);
    json_t *doc = sweep_head(sweep);
    if (doc) {
        json_object_set_new(doc, "runs", runs);
        json_object_set_new(doc, "table", rows);
        json_object_set_new(doc, "links", sweep_links(sweep->id));
    } else {
        json_decref(runs);
        json_decref(rows);
    }
    return doc;
}


static json_t *list_item(const wm_store_sweep_item *item)
{
    json_t *doc = sweep_head(&item->sweep);
    if (!doc)
        return NULL;
    json_object_set_new(
        doc, "runs",
        json_pack("{s:I, s:I, s:I}", "done", (json_int_t)item->runs_done,
                  "failed", (json_int_t)item->runs_failed, "total",
                  (json_int_t)item->sweep.run_count));
    json_object_set_new(doc, "links", sweep_links(item->sweep.id));
    return doc;
}

json_t *wm_sweeps_list_document(const wm_store_sweep_list *list,
                                size_t limit)
{
    json_t *items = json_array();
    for (size_t i = 0; items && i < list->count; i++)
        if (json_array_append_new(items, list_item(&list->items[i])) != 0) {
            json_decref(items);
            return NULL;
        }
    char next[96];
    snprintf(next, sizeof next, "/sweeps?limit=%zu&before=%" PRId64, limit,
             list->next_before);
    return json_pack("{s:o, s:o, s:o}", "sweeps", items, "next_before",
                     list->next_before ? json_integer(list->next_before)
                                       : json_null(),
                     "next", list->next_before ? json_string(next)
                                               : json_null());
}

const char *const wm_sweep_formats[] = {"json", "csv", "svg", "html", NULL};
