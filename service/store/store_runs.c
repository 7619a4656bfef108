/* wm_store: runs — their life from queued to done or failed, lists,
 * deletion and retention. See wm_store.h. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_clock.h"

static const char SQL_INSERT[] =
    "INSERT INTO runs (status, label, size_bytes, params_json, created_ns,"
    " sweep_id) VALUES ('queued', ?1, ?2, ?3, ?4, ?5)";
/* A started run's row says queued until its end (store_running.c). */
static const char SQL_FINISH[] =
    "UPDATE runs SET status = 'done', result_json = ?2, finished_ns = ?3,"
    " started_ns = ?4 WHERE id = ?1 AND status = 'queued'";
static const char SQL_FAIL[] =
    "UPDATE runs SET status = 'failed', error_code = ?2,"
    " error_message = ?3, finished_ns = ?4,"
    " started_ns = coalesce(?5, started_ns)"
    " WHERE id = ?1 AND status IN ('queued', 'running')";
static const char SQL_INSERT_DONE[] =
    "INSERT INTO runs (status, label, size_bytes, params_json, created_ns,"
    " started_ns, finished_ns, result_json)"
    " VALUES ('done', ?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_STATUS_OF[] = "SELECT status FROM runs WHERE id = ?1";
static const char SQL_GET[] =
    "SELECT id, status, label, size_bytes, params_json, result_json,"
    " error_code, error_message, created_ns, started_ns, finished_ns,"
    " sweep_id FROM runs WHERE id = ?1";
static const char SQL_LIST[] =
    "SELECT id, status, label, size_bytes, params_json,"
    " CASE WHEN ?3 THEN result_json END,"
    " error_code, error_message, created_ns, started_ns, finished_ns,"
    " sweep_id FROM runs WHERE id < ?1 ORDER BY id DESC LIMIT ?2";
static const char SQL_DELETE[] =
    "DELETE FROM runs WHERE id = ?1 AND status IN ('done', 'failed')";
static const char SQL_COUNT[] =
    "SELECT status, count(*) FROM runs GROUP BY status";

int wm_store_insert_run(wm_store *store, const char *label,
                        uint64_t size_bytes, const char *params_json,
                        int64_t sweep_id, int64_t *id, wm_error *err)
{
    return wm_store_insert_run_at(store, label, size_bytes, params_json,
                                  sweep_id, wm_clock_wall_ns(), id, err);
}

int wm_store_insert_run_at(wm_store *store, const char *label,
                           uint64_t size_bytes, const char *params_json,
                           int64_t sweep_id, int64_t created_ns, int64_t *id,
                           wm_error *err)
{
    if (size_bytes > INT64_MAX)
        return wm_error_param(err, WM_ERR_TOO_LARGE, "size",
                              "size: more than the store can hold");
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_INSERT, err);
    int rc = -1;
    if (stmt) {
        store_bind_text(stmt, 1, label ? label : "");
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)size_bytes);
        store_bind_text(stmt, 3, params_json ? params_json : "{}");
        sqlite3_bind_int64(stmt, 4, created_ns);
        if (sweep_id > 0)
            sqlite3_bind_int64(stmt, 5, sweep_id);
        rc = store_step_done(store, stmt, "inserting a run", err);
        if (rc == 0)
            *id = sqlite3_last_insert_rowid(store->db);
    }
    store_unlock(store);
    return rc;
}

/* Why an update touched no row: no such run, or not in the state the
 * change needs. Called with the lock held. */
static int explain_no_change(wm_store *store, int64_t id, const char *want,
                             wm_error *err)
{
    sqlite3_stmt *stmt = store_stmt(store, SQL_STATUS_OF, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        char status[16];
        snprintf(status, sizeof status, "%s",
                 (const char *)sqlite3_column_text(stmt, 0));
        sqlite3_reset(stmt);
        return wm_error_param(err, WM_ERR_INVALID, "id",
                              "run %lld is %s, not %s", (long long)id,
                              status, want);
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return store_db_error(store, "reading a run's status", err);
    return wm_error_param(err, WM_ERR_NOT_FOUND, "id", "no run %lld",
                          (long long)id);
}

/* Runs an UPDATE/DELETE whose parameters are bound, then explains a
 * change of nothing. Called with the lock held. */
static int change_one(wm_store *store, sqlite3_stmt *stmt, int64_t id,
                      const char *want, const char *doing, wm_error *err)
{
    if (store_step_done(store, stmt, doing, err) != 0)
        return -1;
    if (sqlite3_changes(store->db) == 0)
        return explain_no_change(store, id, want, err);
    return 0;
}

/* Whether run id may start: its row says queued, and it is neither
 * started nor failed in memory. Lock held. */
static int check_queued(wm_store *store, int64_t id, wm_error *err)
{
    if (store_running_find(store, id))
        return wm_error_param(err, WM_ERR_INVALID, "id",
                              "run %lld is running, not queued",
                              (long long)id);
    if (store_unsaved_find(store, id, false))
        return wm_error_param(err, WM_ERR_INVALID, "id",
                              "run %lld is failed, not queued",
                              (long long)id);
    sqlite3_stmt *stmt = store_stmt(store, SQL_STATUS_OF, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    bool queued = sqlite3_step(stmt) == SQLITE_ROW &&
                  strcmp((const char *)sqlite3_column_text(stmt, 0),
                         "queued") == 0;
    sqlite3_reset(stmt);
    return queued ? 0 : explain_no_change(store, id, "queued", err);
}

/* A store that is read-only, or whose writes fail (a full disk), refuses
 * what would end unstored. Lock held. */
static int refuse_unwritable(wm_store *store, wm_error *err)
{
    if (store_refuse_if_read_only(store, err) != 0)
        return -1;
    if (store->write_kind != WM_ERR_NONE)
        return wm_error_set(err, store->write_kind,
                            "the store cannot be written: %s",
                            store->write_reason);
    return 0;
}

/* Nothing is written, but a store that cannot write refuses to start a
 * run as it did when this was a commit: the run would end unstored. */
int wm_store_mark_running(wm_store *store, int64_t id, wm_error *err)
{
    return wm_store_mark_running_at(store, id, wm_clock_wall_ns(), err);
}

int wm_store_mark_running_at(wm_store *store, int64_t id, int64_t started_ns,
                             wm_error *err)
{
    store_lock(store);
    int rc = refuse_unwritable(store, err);
    if (rc == 0)
        rc = check_queued(store, id, err);
    if (rc == 0 && store_running_add(store, id, started_ns) != 0)
        rc = wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
    store_unlock(store);
    return rc;
}

/* The run's end and its start, in one commit. The run stays in the
 * started list when the write fails: the failure that follows
 * (wm_store_fail_run) takes it. */
int wm_store_finish_run(wm_store *store, int64_t id, const char *result_json,
                        wm_error *err)
{
    return wm_store_finish_run_held(store, id, result_json, NULL, NULL, err);
}

/* The UPDATE to done, then the held outputs: one transaction when there
 * are outputs, so that they and "done" reach the disk together. Lock
 * held. */
static int finish_locked(wm_store *store, int64_t id, int64_t started_ns,
                         const char *result_json,
                         const wm_store_bytes *held, int64_t finished_ns,
                         wm_error *err)
{
    bool any = false;
    for (int k = 0; held && k < WM_STORE_OUTPUT_COUNT; k++)
        any = any || held[k].data;
    if (any && store_begin(store, err) != 0)
        return -1;
    sqlite3_stmt *stmt = store_stmt(store, SQL_FINISH, err);
    int rc = -1;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, id);
        store_bind_text(stmt, 2, result_json);
        sqlite3_bind_int64(stmt, 3, finished_ns);
        sqlite3_bind_int64(stmt, 4, started_ns);
        rc = change_one(store, stmt, id, "running", "storing a result", err);
    }
    if (rc == 0 && any)
        rc = store_outputs_put(store, id, held, err);
    if (!any)
        return rc;
    rc = store_end_transaction(store, rc, err);
    /* A COMMIT that failed (a full disk) may leave the transaction
     * open: the run must read as still running, not half done. */
    if (rc != 0 && !sqlite3_get_autocommit(store->db))
        store_exec(store, "ROLLBACK", NULL);
    return rc;
}

int wm_store_finish_run_held(wm_store *store, int64_t id,
                             const char *result_json,
                             const wm_store_bytes held[WM_STORE_OUTPUT_COUNT],
                             wm_store_finished *done, wm_error *err)
{
    if (!result_json)
        return wm_error_set(err, WM_ERR_INTERNAL, "store: no result");
    store_lock(store);
    const store_running *started = store_running_find(store, id);
    wm_store_finished fin = {
        .deletions = atomic_load(&store->deletions),
        .finished_ns = wm_clock_wall_ns(),
    };
    int rc = -1;
    if (!started)
        rc = explain_no_change(store, id, "running", err);
    else
        rc = finish_locked(store, id, fin.started_ns = started->started_ns,
                           result_json, held, fin.finished_ns, err);
    if (rc == 0)
        store_running_take(store, id);
    if (rc == 0 && done)
        *done = fin;
    store_unlock(store);
    return rc;
}

/* Far above any id SQLite gives (it counts up from 1), and positive, as
 * recovery's reading of a partial file's name wants. */
#define SCRATCH_ID_BASE ((int64_t)1 << 62)

int64_t wm_store_scratch_id(wm_store *store)
{
    return SCRATCH_ID_BASE + (int64_t)atomic_fetch_add(&store->scratch, 1);
}

int wm_store_insert_done_run(wm_store *store, const char *label,
                             uint64_t size_bytes, const char *params_json,
                             int64_t created_ns, int64_t started_ns,
                             const char *result_json,
                             const wm_store_bytes held[WM_STORE_OUTPUT_COUNT],
                             int64_t *id, wm_store_finished *done,
                             wm_error *err)
{
    if (!result_json)
        return wm_error_set(err, WM_ERR_INTERNAL, "store: no result");
    if (size_bytes > INT64_MAX)
        return wm_error_param(err, WM_ERR_TOO_LARGE, "size",
                              "size: more than the store can hold");
    store_lock(store);
    wm_store_finished fin = {
        .deletions = atomic_load(&store->deletions),
        .started_ns = started_ns,
        .finished_ns = wm_clock_wall_ns(),
    };
    int rc = refuse_unwritable(store, err);
    if (rc == 0)
        rc = store_begin(store, err);
    if (rc == 0) {
        sqlite3_stmt *stmt = store_stmt(store, SQL_INSERT_DONE, err);
        rc = -1;
        if (stmt) {
            store_bind_text(stmt, 1, label ? label : "");
            sqlite3_bind_int64(stmt, 2, (sqlite3_int64)size_bytes);
            store_bind_text(stmt, 3, params_json ? params_json : "{}");
            sqlite3_bind_int64(stmt, 4, created_ns);
            sqlite3_bind_int64(stmt, 5, started_ns);
            sqlite3_bind_int64(stmt, 6, fin.finished_ns);
            store_bind_text(stmt, 7, result_json);
            rc = store_step_done(store, stmt, "storing a run", err);
        }
        int64_t new_id = rc == 0 ? sqlite3_last_insert_rowid(store->db) : 0;
        if (rc == 0)
            rc = store_outputs_put(store, new_id, held, err);
        rc = store_end_transaction(store, rc, err);
        /* A COMMIT that failed (a full disk) may leave the transaction
         * open: nothing of the run may stay. */
        if (rc != 0 && !sqlite3_get_autocommit(store->db))
            store_exec(store, "ROLLBACK", NULL);
        if (rc == 0) {
            *id = new_id;
            if (done)
                *done = fin;
        }
    }
    store_unlock(store);
    return rc;
}

/* A failure that could not be written: kept for wm_store_retry. The
 * run's row is still queued or running, or the write would not have been
 * tried. Lock held. */
static int keep_failure(wm_store *store, const store_unsaved *u,
                        wm_error *err)
{
    if (store_unsaved_add(store, u) != 0)
        return wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
    return 0;
}

int wm_store_fail_run(wm_store *store, int64_t id, const char *code,
                      const char *message, wm_error *err)
{
    store_unsaved u = {.id = id, .status = WM_STORE_FAILED,
                       .finished_ns = wm_clock_wall_ns()};
    snprintf(u.code, sizeof u.code, "%s", code ? code : "internal_error");
    snprintf(u.message, sizeof u.message, "%s", message ? message : "");
    wm_error local;
    wm_error_clear(&local);
    store_lock(store);
    int64_t started_ns = store_running_take(store, id);
    sqlite3_stmt *stmt = store_stmt(store, SQL_FAIL, &local);
    int rc = -1;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, id);
        store_bind_text(stmt, 2, u.code);
        store_bind_text(stmt, 3, u.message);
        sqlite3_bind_int64(stmt, 4, u.finished_ns);
        if (started_ns)
            sqlite3_bind_int64(stmt, 5, started_ns);
        rc = change_one(store, stmt, id, "queued or running",
                        "storing a failure", &local);
    }
    if (rc != 0 && (local.kind == WM_ERR_READ_ONLY ||
                    local.kind == WM_ERR_NO_SPACE))
        rc = keep_failure(store, &u, &local);
    store_unlock(store);
    if (rc != 0 && err)
        *err = local;
    return rc;
}

static char *dup_column(sqlite3_stmt *stmt, int col, bool *oom)
{
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    if (!text)
        return NULL;
    char *copy = strdup(text);
    if (!copy)
        *oom = true;
    return copy;
}

static void copy_column(sqlite3_stmt *stmt, int col, char *buf, size_t len)
{
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    snprintf(buf, len, "%s", text ? text : "");
}

/* Copies the current row (columns in the order of SQL_GET). */
static int read_row(sqlite3_stmt *stmt, wm_store_run *run, wm_error *err)
{
    memset(run, 0, sizeof *run);
    bool oom = false;
    run->id = sqlite3_column_int64(stmt, 0);
    if (wm_store_status_parse((const char *)sqlite3_column_text(stmt, 1),
                              &run->status) != 0)
        run->status = WM_STORE_FAILED; /* the CHECK makes this unreachable */
    copy_column(stmt, 2, run->label, sizeof run->label);
    run->size_bytes = (uint64_t)sqlite3_column_int64(stmt, 3);
    run->params_json = dup_column(stmt, 4, &oom);
    run->result_json = dup_column(stmt, 5, &oom);
    copy_column(stmt, 6, run->error_code, sizeof run->error_code);
    copy_column(stmt, 7, run->error_message, sizeof run->error_message);
    run->created_ns = sqlite3_column_int64(stmt, 8);
    run->started_ns = sqlite3_column_int64(stmt, 9);
    run->finished_ns = sqlite3_column_int64(stmt, 10);
    run->sweep_id = sqlite3_column_int64(stmt, 11);
    if (!run->params_json && !oom)
        run->params_json = strdup("{}");
    if (oom || !run->params_json) {
        wm_store_run_free(run);
        return wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
    }
    return 0;
}

int wm_store_get_run(wm_store *store, int64_t id, wm_store_run *out,
                     wm_error *err)
{
    memset(out, 0, sizeof *out);
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_GET, err);
    int rc = -1;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, id);
        int step = sqlite3_step(stmt);
        if (step == SQLITE_ROW && (rc = read_row(stmt, out, err)) == 0) {
            store_running_apply(store, out);
            store_unsaved_apply(store, out);
        }
        else if (step == SQLITE_DONE)
            wm_error_param(err, WM_ERR_NOT_FOUND, "id", "no run %lld",
                           (long long)id);
        else
            store_db_error(store, "reading a run", err);
        sqlite3_reset(stmt);
    }
    store_unlock(store);
    return rc;
}

void wm_store_run_free(wm_store_run *run)
{
    if (!run)
        return;
    free(run->params_json);
    free(run->result_json);
    memset(run, 0, sizeof *run);
}

void wm_store_run_list_free(wm_store_run_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        wm_store_run_free(&list->runs[i]);
    free(list->runs);
    memset(list, 0, sizeof *list);
}

static int list_grow(wm_store_run_list *list, size_t *capacity,
                     wm_error *err)
{
    size_t cap = *capacity ? *capacity * 2 : 32;
    wm_store_run *runs = realloc(list->runs, cap * sizeof *runs);
    if (!runs)
        return wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
    list->runs = runs;
    *capacity = cap;
    return 0;
}

/* Steps the list query into out; one row more than limit is asked for,
 * so that next_before is 0 exactly when nothing older is left. */
static int read_list(wm_store *store, sqlite3_stmt *stmt, size_t limit,
                     wm_store_run_list *out, wm_error *err)
{
    size_t capacity = 0;
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (out->count == limit) {
            out->next_before = out->runs[limit - 1].id;
            break;
        }
        if (out->count == capacity && list_grow(out, &capacity, err) != 0)
            return -1;
        if (read_row(stmt, &out->runs[out->count], err) != 0)
            return -1;
        store_running_apply(store, &out->runs[out->count]);
        store_unsaved_apply(store, &out->runs[out->count]);
        out->count++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return store_db_error(store, "listing runs", err);
    return 0;
}

int wm_store_list_runs(wm_store *store, int64_t before_id, size_t limit,
                       unsigned flags, wm_store_run_list *out,
                       wm_error *err)
{
    memset(out, 0, sizeof *out);
    if (limit == 0)
        return 0;
    if (limit > INT32_MAX)
        limit = INT32_MAX;
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_LIST, err);
    int rc = -1;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, before_id > 0 ? before_id : INT64_MAX);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)limit + 1);
        sqlite3_bind_int(stmt, 3, (flags & WM_STORE_LIST_RESULTS) != 0);
        rc = read_list(store, stmt, limit, out, err);
        sqlite3_reset(stmt);
    }
    store_unlock(store);
    if (rc != 0)
        wm_store_run_list_free(out);
    return rc;
}

int wm_store_delete_run(wm_store *store, int64_t id, wm_error *err)
{
    store_lock(store);
    int rc = store_refuse_if_read_only(store, err);
    /* A failure kept in memory is written first: the row must be final. */
    if (rc == 0 && store_unsaved_find(store, id, false))
        rc = store_save_unsaved(store, err);
    sqlite3_stmt *stmt = rc == 0 ? store_stmt(store, SQL_DELETE, err) : NULL;
    rc = -1;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, id);
        rc = change_one(store, stmt, id, "finished (done or failed)",
                        "deleting a run", err);
    }
    id_list one = {.ids = &id, .count = 1, .capacity = 1};
    int retired = 0;
    if (rc == 0) {
        atomic_fetch_add(&store->deletions, 1);
        /* As in wm_store_prune: row gone, files gone. */
        retired = store_retire_files(store, &one, err);
    }
    store_unlock(store);
    if (rc != 0)
        return -1;
    return store_remove_pcaps(store, &one, err) != 0 ? -1 : retired;
}

uint64_t wm_store_deletions(wm_store *store)
{
    return atomic_load(&store->deletions);
}

/* Runs failed only in memory count as failed, not as their row says.
 * Lock held. */
static int count_unsaved(wm_store *store,
                         uint64_t counts[WM_STORE_STATUS_COUNT],
                         wm_error *err)
{
    for (size_t i = 0; i < store->unsaved_count; i++) {
        if (store->unsaved[i].sweep)
            continue;
        sqlite3_stmt *stmt = store_stmt(store, SQL_STATUS_OF, err);
        if (!stmt)
            return -1;
        sqlite3_bind_int64(stmt, 1, store->unsaved[i].id);
        wm_store_status status = WM_STORE_FAILED;
        if (sqlite3_step(stmt) == SQLITE_ROW &&
            wm_store_status_parse((const char *)sqlite3_column_text(stmt, 0),
                                  &status) == 0 &&
            !wm_store_status_final(status) && counts[status] > 0) {
            counts[status]--;
            counts[WM_STORE_FAILED]++;
        }
        sqlite3_reset(stmt);
    }
    return 0;
}

/* Started runs count as running, though their rows say queued. Lock
 * held. */
static int count_running(wm_store *store,
                         uint64_t counts[WM_STORE_STATUS_COUNT],
                         wm_error *err)
{
    for (size_t i = 0; i < store->running_count; i++) {
        sqlite3_stmt *stmt = store_stmt(store, SQL_STATUS_OF, err);
        if (!stmt)
            return -1;
        sqlite3_bind_int64(stmt, 1, store->running[i].id);
        if (sqlite3_step(stmt) == SQLITE_ROW &&
            strcmp((const char *)sqlite3_column_text(stmt, 0), "queued") ==
                0 &&
            counts[WM_STORE_QUEUED] > 0) {
            counts[WM_STORE_QUEUED]--;
            counts[WM_STORE_RUNNING]++;
        }
        sqlite3_reset(stmt);
    }
    return 0;
}

int wm_store_count_by_status(wm_store *store,
                             uint64_t counts[WM_STORE_STATUS_COUNT],
                             wm_error *err)
{
    memset(counts, 0, WM_STORE_STATUS_COUNT * sizeof counts[0]);
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_COUNT, err);
    int rc = stmt ? 0 : -1, step = SQLITE_DONE;
    while (stmt && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
        wm_store_status status;
        if (wm_store_status_parse((const char *)sqlite3_column_text(stmt, 0),
                                  &status) == 0)
            counts[status] = (uint64_t)sqlite3_column_int64(stmt, 1);
    }
    if (stmt && step != SQLITE_DONE)
        rc = store_db_error(store, "counting runs", err);
    if (stmt)
        sqlite3_reset(stmt);
    if (rc == 0)
        rc = count_running(store, counts, err);
    if (rc == 0)
        rc = count_unsaved(store, counts, err);
    store_unlock(store);
    return rc;
}
