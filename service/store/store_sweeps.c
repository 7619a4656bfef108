/* wm_store: sweeps — a row per sweep, its runs found by their sweep_id.
 * See wm_store.h. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "wm_clock.h"

static const char SQL_INSERT[] =
    "INSERT INTO sweeps (params_json, status, created_ns)"
    " VALUES (?1, 'running', ?2)";
static const char SQL_FINISH[] =
    "UPDATE sweeps SET status = ?2, finished_ns = ?3 WHERE id = ?1";
static const char SQL_PENDING[] =
    "SELECT id FROM runs"
    " WHERE sweep_id = ?1 AND status IN ('queued', 'running')";
static const char SQL_SETTLE[] =
    "UPDATE sweeps SET status = 'done', finished_ns = ?2"
    " WHERE id = ?1 AND status IN ('queued', 'running')";
static const char SQL_GET[] =
    "SELECT id, status, params_json, created_ns, finished_ns"
    " FROM sweeps WHERE id = ?1";
static const char SQL_RUNS[] =
    "SELECT id FROM runs WHERE sweep_id = ?1 ORDER BY id";
static const char SQL_LIST[] =
    "SELECT id FROM sweeps WHERE id < ?1 ORDER BY id DESC LIMIT ?2";
static const char SQL_RUN_STATUS[] =
    "SELECT id, status FROM runs WHERE sweep_id = ?1";

int wm_store_insert_sweep(wm_store *store, const char *params_json,
                          int64_t *id, wm_error *err)
{
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_INSERT, err);
    int rc = -1;
    if (stmt) {
        store_bind_text(stmt, 1, params_json ? params_json : "{}");
        sqlite3_bind_int64(stmt, 2, wm_clock_wall_ns());
        rc = store_step_done(store, stmt, "inserting a sweep", err);
        if (rc == 0)
            *id = sqlite3_last_insert_rowid(store->db);
    }
    store_unlock(store);
    return rc;
}

int wm_store_finish_sweep(wm_store *store, int64_t id,
                          wm_store_status status, wm_error *err)
{
    if (!wm_store_status_final(status))
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "store: a sweep ends done or failed, not %s",
                            wm_store_status_name(status));
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_FINISH, err);
    int rc = -1;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, id);
        store_bind_text(stmt, 2, wm_store_status_name(status));
        sqlite3_bind_int64(stmt, 3, wm_clock_wall_ns());
        rc = store_step_done(store, stmt, "ending a sweep", err);
        if (rc == 0 && sqlite3_changes(store->db) == 0)
            rc = wm_error_param(err, WM_ERR_NOT_FOUND, "id", "no sweep %lld",
                                (long long)id);
    }
    store_unlock(store);
    return rc;
}

/* How many of the sweep's runs are still queued or running, not counting
 * those failed in memory (store_state.c). Lock held. */
static int count_pending(wm_store *store, int64_t id, size_t *pending,
                         wm_error *err)
{
    id_list ids = {0};
    sqlite3_stmt *stmt = store_stmt(store, SQL_PENDING, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    int rc = store_collect_ids(store, stmt, &ids, "counting a sweep's runs",
                               err);
    *pending = 0;
    for (size_t i = 0; rc == 0 && i < ids.count; i++)
        if (!store_unsaved_find(store, ids.ids[i], false))
            (*pending)++;
    free(ids.ids);
    return rc;
}

/* Lock held. */
static int settle_locked(wm_store *store, int64_t id, bool *ended,
                         wm_error *err)
{
    size_t pending = 0;
    if (count_pending(store, id, &pending, err) != 0)
        return -1;
    if (pending > 0 || store_unsaved_find(store, id, true))
        return 0;
    sqlite3_stmt *stmt = store_stmt(store, SQL_SETTLE, err);
    if (!stmt)
        return -1;
    store_unsaved u = {.id = id, .sweep = true, .status = WM_STORE_DONE,
                       .finished_ns = wm_clock_wall_ns()};
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, u.finished_ns);
    wm_error local;
    if (store_step_done(store, stmt, "ending a sweep", &local) != 0) {
        /* Not written: shown done from memory, written later. */
        bool kept = (local.kind == WM_ERR_READ_ONLY ||
                     local.kind == WM_ERR_NO_SPACE) &&
                    store_unsaved_add(store, &u) == 0;
        if (kept)
            *ended = true;
        else if (err)
            *err = local;
        return kept ? 0 : -1;
    }
    *ended = sqlite3_changes(store->db) > 0;
    return 0;
}

int wm_store_settle_sweep(wm_store *store, int64_t id, bool *ended,
                          wm_error *err)
{
    bool done = false;
    store_lock(store);
    int rc = settle_locked(store, id, &done, err);
    store_unlock(store);
    if (ended)
        *ended = done;
    return rc;
}

/* Lock held. */
static int read_sweep_runs(wm_store *store, wm_store_sweep *out,
                           wm_error *err)
{
    sqlite3_stmt *stmt = store_stmt(store, SQL_RUNS, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, out->id);
    size_t capacity = 0;
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (out->run_count == capacity) {
            capacity = capacity ? capacity * 2 : 16;
            int64_t *ids = realloc(out->run_ids, capacity * sizeof *ids);
            if (!ids) {
                sqlite3_reset(stmt);
                return wm_error_set(err, WM_ERR_INTERNAL,
                                    "store: out of memory");
            }
            out->run_ids = ids;
        }
        out->run_ids[out->run_count++] = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_reset(stmt);
    if (step != SQLITE_DONE)
        return store_db_error(store, "listing a sweep's runs", err);
    return 0;
}

/* Lock held. */
static int read_sweep(wm_store *store, int64_t id, wm_store_sweep *out,
                      wm_error *err)
{
    sqlite3_stmt *stmt = store_stmt(store, SQL_GET, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    int step = sqlite3_step(stmt);
    if (step != SQLITE_ROW) {
        sqlite3_reset(stmt);
        if (step == SQLITE_DONE)
            return wm_error_param(err, WM_ERR_NOT_FOUND, "id",
                                  "no sweep %lld", (long long)id);
        return store_db_error(store, "reading a sweep", err);
    }
    out->id = sqlite3_column_int64(stmt, 0);
    if (wm_store_status_parse((const char *)sqlite3_column_text(stmt, 1),
                              &out->status) != 0)
        out->status = WM_STORE_FAILED;
    const char *params = (const char *)sqlite3_column_text(stmt, 2);
    out->params_json = strdup(params ? params : "{}");
    out->created_ns = sqlite3_column_int64(stmt, 3);
    out->finished_ns = sqlite3_column_int64(stmt, 4);
    sqlite3_reset(stmt);
    const store_unsaved *u = store_unsaved_find(store, out->id, true);
    if (u && !wm_store_status_final(out->status)) {
        out->status = u->status;
        out->finished_ns = u->finished_ns;
    }
    if (!out->params_json)
        return wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
    return read_sweep_runs(store, out, err);
}

int wm_store_get_sweep(wm_store *store, int64_t id, wm_store_sweep *out,
                       wm_error *err)
{
    memset(out, 0, sizeof *out);
    store_lock(store);
    int rc = read_sweep(store, id, out, err);
    store_unlock(store);
    if (rc != 0)
        wm_store_sweep_free(out);
    return rc;
}

void wm_store_sweep_free(wm_store_sweep *sweep)
{
    if (!sweep)
        return;
    free(sweep->params_json);
    free(sweep->run_ids);
    memset(sweep, 0, sizeof *sweep);
}

/* How the sweep's runs stand, failures kept in memory included. Lock
 * held. */
static int count_runs(wm_store *store, wm_store_sweep_item *item,
                      wm_error *err)
{
    sqlite3_stmt *stmt = store_stmt(store, SQL_RUN_STATUS, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, item->sweep.id);
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        wm_store_status status = WM_STORE_FAILED;
        wm_store_status_parse((const char *)sqlite3_column_text(stmt, 1),
                              &status);
        const store_unsaved *u =
            store_unsaved_find(store, sqlite3_column_int64(stmt, 0), false);
        if (u && !wm_store_status_final(status))
            status = u->status;
        item->runs_done += status == WM_STORE_DONE;
        item->runs_failed += status == WM_STORE_FAILED;
    }
    sqlite3_reset(stmt);
    if (step != SQLITE_DONE)
        return store_db_error(store, "counting a sweep's runs", err);
    return 0;
}

/* Lock held. */
static int list_locked(wm_store *store, int64_t before_id, size_t limit,
                       wm_store_sweep_list *out, wm_error *err)
{
    id_list ids = {0};
    sqlite3_stmt *stmt = store_stmt(store, SQL_LIST, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, before_id > 0 ? before_id : INT64_MAX);
    /* One more than asked: next_before is 0 exactly when none is left. */
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)limit + 1);
    int rc = store_collect_ids(store, stmt, &ids, "listing sweeps", err);
    if (rc == 0 && ids.count > limit) {
        out->next_before = ids.ids[limit - 1];
        ids.count = limit;
    }
    if (rc == 0 && ids.count &&
        !(out->items = calloc(ids.count, sizeof *out->items)))
        rc = wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
    for (size_t i = 0; rc == 0 && i < ids.count; i++) {
        out->count++;
        rc = read_sweep(store, ids.ids[i], &out->items[i].sweep, err);
        if (rc == 0)
            rc = count_runs(store, &out->items[i], err);
    }
    free(ids.ids);
    return rc;
}

int wm_store_list_sweeps(wm_store *store, int64_t before_id, size_t limit,
                         wm_store_sweep_list *out, wm_error *err)
{
    memset(out, 0, sizeof *out);
    if (limit == 0)
        return 0;
    if (limit > INT32_MAX)
        limit = INT32_MAX;
    store_lock(store);
    int rc = list_locked(store, before_id, limit, out, err);
    store_unlock(store);
    if (rc != 0)
        wm_store_sweep_list_free(out);
    return rc;
}

void wm_store_sweep_list_free(wm_store_sweep_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        wm_store_sweep_free(&list->items[i].sweep);
    free(list->items);
    memset(list, 0, sizeof *list);
}
