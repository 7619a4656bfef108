/* /lab: the lab's table over the newest finished runs, whatever made them
 * (single runs, sweeps, the page's form).
 *
 * Why the daemon computes it and the page does not: the medians per size
 * are wm_sweep_table's arithmetic, the one `wiremeter sweep` and GET
 * /sweeps/{id} use, so there is one definition of "the median" (even
 * counts, integer or real) instead of a second one in JavaScript that
 * could drift from it. Like a sweep's tables it is computed on every GET
 * from the stored results, so nothing derived is stored that could
 * disagree with the runs. */
#include <stdlib.h>
#include <string.h>

#include "wm_handlers.h"
#include "wm_public_text.h"
#include "wm_store.h"
#include "wm_sweep.h"

#define LAB_DEFAULT_LIMIT 200u
#define LAB_MAX_LIMIT 1000u
/* Runs read from the store at a time: results are copied out with them,
 * so a page bounds the memory a GET holds at once. */
#define LAB_STORE_PAGE 200u

typedef struct lab_ctx {
    uint64_t limit;
} lab_ctx;

static int lab_param(void *opaque, const char *name, const char *value,
                     wm_error *err)
{
    lab_ctx *c = opaque;
    if (!strcmp(name, "limit"))
        return wm_param_uint(name, value, 1, LAB_MAX_LIMIT, &c->limit, err);
    return wm_error_param(err, WM_ERR_INVALID, name,
                          "unknown parameter '%.32s'; allowed: limit", name);
}

/* Adds a done run's result to the table; *used counts the runs added. A
 * result the table cannot read (no parse, a field missing) is left out
 * rather than failing the whole table, as the page always did: one odd
 * stored run must not hide every other one. */
static int add_run(wm_sweep_table *table, const wm_store_run *run,
                   int64_t *used, wm_error *err)
{
    if (run->status != WM_STORE_DONE || !run->result_json)
        return 0;
    json_t *result = json_loads(run->result_json, 0, NULL);
    if (!result)
        return 0;
    json_t *params = json_loads(run->params_json, 0, NULL);
    const char *text =
        json_string_value(json_object_get(params, "size_text"));
    wm_error add_err;
    wm_error_clear(&add_err);
    int rc = wm_sweep_table_add(table, run->size_bytes, text ? text : "",
                                result, &add_err);
    json_decref(params);
    json_decref(result);
    if (rc == 0) {
        (*used)++;
        return 0;
    }
    if (add_err.kind == WM_ERR_INVALID)
        return 0;
    *err = add_err;
    return -1;
}

/* Feeds the newest limit runs, page by page along the store's cursor. */
static int feed_table(wm_store *store, uint64_t limit, wm_sweep_table *table,
                      int64_t *used, wm_error *err)
{
    int64_t before = 0;
    uint64_t read = 0;
    while (read < limit) {
        uint64_t want = limit - read < LAB_STORE_PAGE ? limit - read
                                                      : LAB_STORE_PAGE;
        wm_store_run_list list;
        if (wm_store_list_runs(store, before, (size_t)want,
                               WM_STORE_LIST_RESULTS, &list, err) != 0)
            return -1;
        int rc = 0;
        for (size_t i = 0; i < list.count && rc == 0; i++)
            rc = add_run(table, &list.runs[i], used, err);
        read += list.count;
        before = list.next_before;
        size_t count = list.count;
        wm_store_run_list_free(&list);
        if (rc != 0)
            return -1;
        if (count == 0 || before == 0)
            break;
    }
    return 0;
}

static int cmp_row_size(const void *a, const void *b)
{
    json_int_t x = json_integer_value(
        json_object_get(*(json_t *const *)a, "size"));
    json_int_t y = json_integer_value(
        json_object_get(*(json_t *const *)b, "size"));
    return (x > y) - (x < y);
}

/* The rows by size, ascending, as a new array; NULL when memory runs
 * out. The table keeps the order sizes were first added — here the
 * newest run's size first — which means nothing to a reader. */
static json_t *rows_by_size(json_t *rows)
{
    size_t n = json_array_size(rows);
    json_t **items = malloc((n ? n : 1) * sizeof *items);
    json_t *sorted = json_array();
    if (!items || !sorted) {
        free(items);
        json_decref(sorted);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(rows, i);
    qsort(items, n, sizeof *items, cmp_row_size);
    for (size_t i = 0; i < n && sorted; i++)
        if (json_array_append(sorted, items[i]) != 0) {
            json_decref(sorted);
            sorted = NULL;
        }
    free(items);
    return sorted;
}

/* {"runs": done runs used, "table": rows by size}, or NULL with err set. */
static json_t *lab_document(wm_store *store, uint64_t limit, wm_error *err)
{
    wm_sweep_table *table = wm_sweep_table_new();
    if (!table) {
        wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    int64_t used = 0;
    json_t *rows = NULL;
    if (feed_table(store, limit, table, &used, err) == 0)
        rows = wm_sweep_table_json(table);
    wm_sweep_table_free(table);
    if (!rows) {
        if (err->kind == WM_ERR_NONE)
            wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    json_t *sorted = rows_by_size(rows);
    json_decref(rows);
    json_t *doc = sorted ? json_pack("{s:I, s:o}", "runs", (json_int_t)used,
                                     "table", sorted)
                         : NULL;
    if (!doc)
        wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    return doc;
}

int wm_handle_lab(wm_http_request *req)
{
    lab_ctx c = {.limit = LAB_DEFAULT_LIMIT};
    unsigned status = 400;
    wm_error err;
    wm_error_clear(&err);
    if (wm_request_params(req, lab_param, &c, &status, &err) != 0)
        return wm_http_send_error(req, status, wm_error_code(err.kind),
                                  err.parameter, "%s", err.message);
    json_t *doc = lab_document(req->app->store, c.limit, &err);
    if (!doc)
        return wm_api_send_error(req, &err);
    return wm_http_send_json(req, 200, doc);
}
