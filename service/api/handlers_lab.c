/* /lab: the lab's tables over the newest finished runs, whatever made them
 * (single runs, sweeps, the page's form), one table per group of runs
 * made with the same settings.
 *
 * Why groups: a median over runs of different chunk, MSS or direction
 * mixes different experiments ("42.5 packets" for 1 MB, half of them
 * written 64 kB at a time and half 1 kB). A group's settings are the run's
 * stored params without what a table is over (size, size_text) and what
 * names rather than sets a run (label); its key is their text with sorted
 * keys, so the same settings always give the same key. Groups come newest
 * first (by their newest run), and each table's rows by size.
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

/* One group of runs with the same settings. */
typedef struct lab_group {
    char *key;              /* settings as sorted compact JSON */
    json_t *settings;
    wm_sweep_table *table;
    int64_t runs;           /* runs added to the table */
} lab_group;

/* At most one group per run read, so limit bounds them. */
typedef struct lab_groups {
    lab_group *items;
    size_t count, capacity;
} lab_groups;

static void groups_free(lab_groups *g)
{
    for (size_t i = 0; i < g->count; i++) {
        free(g->items[i].key);
        json_decref(g->items[i].settings);
        wm_sweep_table_free(g->items[i].table);
    }
    free(g->items);
}

/* The group of these params, created last when new; NULL on OOM. */
static lab_group *group_for(lab_groups *g, const json_t *params)
{
    json_t *settings = params ? json_deep_copy(params) : json_object();
    if (!settings)
        return NULL;
    json_object_del(settings, "size");
    json_object_del(settings, "size_text");
    json_object_del(settings, "label");
    char *key = json_dumps(settings, JSON_COMPACT | JSON_SORT_KEYS);
    for (size_t i = 0; key && i < g->count; i++)
        if (!strcmp(g->items[i].key, key)) {
            free(key);
            json_decref(settings);
            return &g->items[i];
        }
    if (key && g->count == g->capacity) {
        size_t cap = g->capacity ? g->capacity * 2 : 8;
        lab_group *more = realloc(g->items, cap * sizeof *more);
        if (more)
            g->items = more, g->capacity = cap;
    }
    wm_sweep_table *table = key && g->count < g->capacity
                                ? wm_sweep_table_new() : NULL;
    if (!table) {
        free(key);
        json_decref(settings);
        return NULL;
    }
    g->items[g->count] = (lab_group){.key = key, .settings = settings,
                                     .table = table};
    return &g->items[g->count++];
}

static int lab_param(void *opaque, const char *name, const char *value,
                     wm_error *err)
{
    lab_ctx *c = opaque;
    if (!strcmp(name, "limit"))
        return wm_param_uint(name, value, 1, LAB_MAX_LIMIT, &c->limit, err);
    return wm_param_unhandled(name, err);
}

/* Adds a done run's result to the table; *used counts the runs added. A
 * result the table cannot read (no parse, a field missing) is left out
 * rather than failing the whole table, as the page always did: one odd
 * stored run must not hide every other one. */
static int add_run(lab_groups *groups, const wm_store_run *run,
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
    lab_group *group = group_for(groups, params);
    int rc = group ? wm_sweep_table_add(group->table, run->size_bytes,
                                        text ? text : "", result, &add_err)
                   : wm_error_set(&add_err, WM_ERR_INTERNAL,
                                  "out of memory");
    json_decref(params);
    json_decref(result);
    if (rc == 0) {
        group->runs++;
        (*used)++;
        return 0;
    }
    if (add_err.kind == WM_ERR_INVALID)
        return 0;
    *err = add_err;
    return -1;
}

/* Feeds the newest limit runs, page by page along the store's cursor. */
static int feed_groups(wm_store *store, uint64_t limit, lab_groups *groups,
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
            rc = add_run(groups, &list.runs[i], used, err);
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

/* A group as the document shows it; NULL when memory runs out. A group
 * whose every run was left out (an odd result) has runs 0 and is not
 * shown. */
static json_t *group_json(const lab_group *g)
{
    json_t *rows = wm_sweep_table_json(g->table);
    json_t *sorted = rows ? rows_by_size(rows) : NULL;
    json_decref(rows);
    if (!sorted)
        return NULL;
    return json_pack("{s:O, s:s, s:I, s:o}", "settings", g->settings, "key",
                     g->key, "runs", (json_int_t)g->runs, "table", sorted);
}

/* {"runs": done runs used, "groups": [...]}, or NULL with err set. */
static json_t *lab_document(wm_store *store, uint64_t limit, wm_error *err)
{
    lab_groups groups = {0};
    int64_t used = 0;
    json_t *list = NULL;
    if (feed_groups(store, limit, &groups, &used, err) == 0)
        list = json_array();
    for (size_t i = 0; list && i < groups.count; i++) {
        if (groups.items[i].runs == 0)
            continue;
        if (json_array_append_new(list, group_json(&groups.items[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    groups_free(&groups);
    json_t *doc = list ? json_pack("{s:I, s:o}", "runs", (json_int_t)used,
                                   "groups", list)
                       : NULL;
    if (!doc && err->kind == WM_ERR_NONE)
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
