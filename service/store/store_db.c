/* store_db: the helpers every part of the store shares — the lock, the
 * statement cache, running a statement and reporting SQLite's errors.
 * Apart from store.c so that the schema (store_schema.c), the runs and the
 * sweeps use them without depending on the connection's set-up, which
 * itself uses the schema. See store_internal.h. */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void store_lock(wm_store *store)
{
    pthread_mutex_lock(&store->lock);
}

void store_unlock(wm_store *store)
{
    pthread_mutex_unlock(&store->lock);
}

int store_db_error(wm_store *store, const char *doing, wm_error *err)
{
    int code = sqlite3_extended_errcode(store->db);
    wm_error_kind kind = (code & 0xff) == SQLITE_NOMEM ? WM_ERR_INTERNAL
                                                       : WM_ERR_IO;
    wm_error_set(err, kind, "store: %s: %s", doing,
                 sqlite3_errmsg(store->db));
    store_note_failure(store, code, err);
    return -1;
}

sqlite3_stmt *store_stmt(wm_store *store, const char *sql, wm_error *err)
{
    for (size_t i = 0; i < store->stmt_count; i++)
        if (store->stmts[i].sql == sql) {
            sqlite3_reset(store->stmts[i].stmt);
            sqlite3_clear_bindings(store->stmts[i].stmt);
            return store->stmts[i].stmt;
        }
    /* Every statement of the store is static SQL, so the cache is bounded
     * by the code, not by the input. */
    if (store->stmt_count == STORE_STMT_CACHE) {
        wm_error_set(err, WM_ERR_INTERNAL, "store: statement cache full");
        return NULL;
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &stmt, NULL) != SQLITE_OK) {
        store_db_error(store, "preparing a statement", err);
        return NULL;
    }
    store->stmts[store->stmt_count++] = (store_stmt_slot){sql, stmt};
    return stmt;
}

int store_step_done(wm_store *store, sqlite3_stmt *stmt, const char *doing,
                    wm_error *err)
{
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE) {
        store_db_error(store, doing, err);
        sqlite3_reset(stmt);
        return -1;
    }
    sqlite3_reset(stmt);
    return 0;
}

int store_exec(wm_store *store, const char *sql, wm_error *err)
{
    char *msg = NULL;
    int code = sqlite3_exec(store->db, sql, NULL, NULL, &msg);
    if (code != SQLITE_OK) {
        wm_error_set(err, WM_ERR_IO, "store: %s: %s", sql,
                     msg ? msg : sqlite3_errmsg(store->db));
        sqlite3_free(msg);
        store_note_failure(store, sqlite3_extended_errcode(store->db), err);
        return -1;
    }
    return 0;
}

int store_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    if (!text)
        return sqlite3_bind_null(stmt, index);
    return sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

int store_id_list_push(id_list *list, int64_t id, wm_error *err)
{
    if (list->count == list->capacity) {
        size_t cap = list->capacity ? list->capacity * 2 : 16;
        int64_t *ids = realloc(list->ids, cap * sizeof *ids);
        if (!ids)
            return wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
        list->ids = ids;
        list->capacity = cap;
    }
    list->ids[list->count++] = id;
    return 0;
}

bool store_id_list_has(const id_list *list, int64_t id)
{
    size_t lo = 0, hi = list->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (list->ids[mid] == id)
            return true;
        if (list->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

int store_collect_ids(wm_store *store, sqlite3_stmt *stmt, id_list *list,
                      const char *doing, wm_error *err)
{
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
        if (store_id_list_push(list, sqlite3_column_int64(stmt, 0), err) !=
            0) {
            sqlite3_reset(stmt);
            return -1;
        }
    if (step != SQLITE_DONE)
        store_db_error(store, doing, err);
    sqlite3_reset(stmt);
    return step == SQLITE_DONE ? 0 : -1;
}

/* BEGIN and COMMIT as cached statements, not sqlite3_exec: that parses
 * its text each time, and retention opens and ends a transaction at the
 * end of every run (SQLite's parser was 1 % of a small run's CPU, with
 * the malloc_consolidate its allocations set off as much again). */
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";

int store_begin(wm_store *store, wm_error *err)
{
    sqlite3_stmt *stmt = store_stmt(store, SQL_BEGIN, err);
    return stmt ? store_step_done(store, stmt, SQL_BEGIN, err) : -1;
}

int store_end_transaction(wm_store *store, int rc, wm_error *err)
{
    if (rc == 0) {
        sqlite3_stmt *stmt = store_stmt(store, SQL_COMMIT, err);
        return stmt ? store_step_done(store, stmt, SQL_COMMIT, err) : -1;
    }
    store_exec(store, "ROLLBACK", NULL);
    return -1;
}


/* What a failed write means for the store: no room, no access or a
 * failing disk mark it degraded with the reason (store_state.c reads it).
 * Lock held. */
bool store_note_failure(wm_store *store, int sqlite_code, wm_error *err)
{
    wm_error_kind kind = WM_ERR_READ_ONLY;
    const char *why;
    switch (sqlite_code & 0xff) {
    case SQLITE_FULL: why = STORE_MSG_FULL; kind = WM_ERR_NO_SPACE; break;
    case SQLITE_READONLY: why = STORE_MSG_READ_ONLY; break;
    case SQLITE_CANTOPEN: why = STORE_MSG_READ_ONLY; break;
    case SQLITE_IOERR: why = STORE_MSG_IO; break;
    default: return false;
    }
    /* A shm that cannot grow is a disk without room (tmpfs, mostly). */
    if (sqlite_code == SQLITE_IOERR_SHMSIZE || sqlite_code == SQLITE_IOERR_WRITE)
        why = STORE_MSG_FULL;
    if (store->write_kind == WM_ERR_NONE)
        fprintf(stderr, "wiremeter: store: writes fail (%s): %s; runs "
                "are refused until a write succeeds again\n", why,
                sqlite3_errmsg(store->db));
    store->write_kind = kind;
    snprintf(store->write_reason, sizeof store->write_reason, "%s", why);
    wm_error_set(err, kind, "the store cannot be written: %s", why);
    return true;
}
