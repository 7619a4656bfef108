/* store_unsaved: the states the store could not write — a run's failure,
 * a sweep's end — kept in memory and shown by every read as if stored,
 * until store_save_unsaved writes them (store_state.c retries). Apart so
 * that runs, sweeps and recovery can keep a state without depending on
 * the retry that writes it back. See store_state.c for why. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_clock.h"

int store_unsaved_add(wm_store *store, const store_unsaved *u)
{
    for (size_t i = 0; i < store->unsaved_count; i++)
        if (store->unsaved[i].id == u->id &&
            store->unsaved[i].sweep == u->sweep) {
            store->unsaved[i] = *u;
            return 0;
        }
    if (store->unsaved_count == store->unsaved_capacity) {
        size_t cap = store->unsaved_capacity ? store->unsaved_capacity * 2
                                             : 16;
        store_unsaved *grown = realloc(store->unsaved, cap * sizeof *grown);
        if (!grown)
            return -1;
        store->unsaved = grown;
        store->unsaved_capacity = cap;
    }
    store->unsaved[store->unsaved_count++] = *u;
    return 0;
}

const store_unsaved *store_unsaved_find(const wm_store *store, int64_t id,
                                        bool sweep)
{
    for (size_t i = 0; i < store->unsaved_count; i++)
        if (store->unsaved[i].id == id && store->unsaved[i].sweep == sweep)
            return &store->unsaved[i];
    return NULL;
}

void store_unsaved_apply(const wm_store *store, wm_store_run *run)
{
    if (store->unsaved_count == 0 || wm_store_status_final(run->status))
        return;
    const store_unsaved *u = store_unsaved_find(store, run->id, false);
    if (!u)
        return;
    run->status = u->status;
    snprintf(run->error_code, sizeof run->error_code, "%s", u->code);
    snprintf(run->error_message, sizeof run->error_message, "%s",
             u->message);
    run->finished_ns = u->finished_ns;
}

static const char SQL_UNFINISHED_RUNS[] =
    "SELECT id FROM runs WHERE status IN ('queued', 'running')";
static const char SQL_UNFINISHED_SWEEPS[] =
    "SELECT id FROM sweeps WHERE status IN ('queued', 'running')";
static const char SQL_SAVE_RUN[] =
    "UPDATE runs SET status = 'failed', error_code = ?2,"
    " error_message = ?3, finished_ns = ?4"
    " WHERE id = ?1 AND status IN ('queued', 'running')";
static const char SQL_SAVE_SWEEP[] =
    "UPDATE sweeps SET status = ?2, finished_ns = ?3"
    " WHERE id = ?1 AND status IN ('queued', 'running')";

/* Keeps every id of the statement's rows as interrupted by restart. */
static int keep_interrupted(wm_store *store, const char *sql, bool sweep,
                            uint64_t *count, wm_error *err)
{
    id_list ids = {0};
    sqlite3_stmt *stmt = store_stmt(store, sql, err);
    int rc = stmt ? store_collect_ids(store, stmt, &ids, "reading "
                                      "unfinished runs", err) : -1;
    store_unsaved u = {.sweep = sweep, .status = WM_STORE_FAILED,
                       .finished_ns = wm_clock_wall_ns()};
    snprintf(u.code, sizeof u.code, "%s", WM_STORE_CODE_INTERRUPTED);
    snprintf(u.message, sizeof u.message, "%s", WM_STORE_MSG_RESTART);
    for (size_t i = 0; rc == 0 && i < ids.count; i++) {
        u.id = ids.ids[i];
        if (store_unsaved_add(store, &u) != 0)
            rc = wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
    }
    if (count)
        *count = rc == 0 ? ids.count : 0;
    free(ids.ids);
    return rc;
}

int store_unsaved_recovery(wm_store *store, uint64_t *count, wm_error *err)
{
    if (keep_interrupted(store, SQL_UNFINISHED_RUNS, false, count, err) != 0)
        return -1;
    return keep_interrupted(store, SQL_UNFINISHED_SWEEPS, true, NULL, err);
}

/* Binds and runs the write of one unsaved state. Lock held. */
static int save_one(wm_store *store, const store_unsaved *u, wm_error *err)
{
    sqlite3_stmt *stmt =
        store_stmt(store, u->sweep ? SQL_SAVE_SWEEP : SQL_SAVE_RUN, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, u->id);
    if (u->sweep) {
        store_bind_text(stmt, 2, wm_store_status_name(u->status));
        sqlite3_bind_int64(stmt, 3, u->finished_ns);
    } else {
        store_bind_text(stmt, 2, u->code);
        store_bind_text(stmt, 3, u->message);
        sqlite3_bind_int64(stmt, 4, u->finished_ns);
    }
    return store_step_done(store, stmt, "storing a kept state", err);
}

/* Writes every unsaved state in one transaction; a state the row has
 * gone past (or a row gone) needs no writing either. Lock held. */
int store_save_unsaved(wm_store *store, wm_error *err)
{
    if (store_exec(store, "BEGIN IMMEDIATE", err) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < store->unsaved_count; i++)
        rc = save_one(store, &store->unsaved[i], err);
    if (store_end_transaction(store, rc, err) != 0)
        return -1;
    store->unsaved_count = 0;
    return 0;
}
