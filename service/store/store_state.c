/* store_state: whether the store can be written, and what it could not
 * write.
 *
 * Why: a full disk or a read-only data directory must not turn into runs
 * that stay "running" forever, a daemon that refuses to start, or a
 * /healthz that says ok. So a write that fails for lack of space or of
 * access marks the store degraded with a reason; a run's failure (or a
 * sweep's end) that could not be written is kept here and reported by
 * every read as if it were stored; wm_store_retry writes it later, and
 * clears the degraded mark once a write succeeds again. A store opened
 * read-only, or whose start-up recovery could not be written, refuses
 * every write of a request (POST, DELETE) until then. */
#include "store_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "wm_clock.h"
#include "wm_size.h"

#define MSG_FULL "the disk holding the data directory is full"
#define MSG_READ_ONLY "the data directory is read-only"
#define MSG_IO "the data directory's disk failed a write (I/O error)"

bool store_note_failure(wm_store *store, int sqlite_code, wm_error *err)
{
    wm_error_kind kind = WM_ERR_READ_ONLY;
    const char *why;
    switch (sqlite_code & 0xff) {
    case SQLITE_FULL: why = MSG_FULL; kind = WM_ERR_NO_SPACE; break;
    case SQLITE_READONLY: why = MSG_READ_ONLY; break;
    case SQLITE_CANTOPEN: why = MSG_READ_ONLY; break;
    case SQLITE_IOERR: why = MSG_IO; break;
    default: return false;
    }
    /* A shm that cannot grow is a disk without room (tmpfs, mostly). */
    if (sqlite_code == SQLITE_IOERR_SHMSIZE || sqlite_code == SQLITE_IOERR_WRITE)
        why = MSG_FULL;
    if (store->write_kind == WM_ERR_NONE)
        fprintf(stderr, "wiremeter: store: writes fail (%s): %s; runs "
                "are refused until a write succeeds again\n", why,
                sqlite3_errmsg(store->db));
    store->write_kind = kind;
    snprintf(store->write_reason, sizeof store->write_reason, "%s", why);
    wm_error_set(err, kind, "the store cannot be written: %s", why);
    return true;
}

int store_refuse_if_read_only(wm_store *store, wm_error *err)
{
    if (!store->conn_read_only && store->recovered)
        return 0;
    return wm_error_set(err, WM_ERR_READ_ONLY,
                        "the store is read-only: %s; runs can be read, "
                        "none started or deleted", store->write_reason);
}

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

/* A write that changes nothing but must reach the disk: setting the
 * schema version to itself rewrites the database header. Lock held. */
static int probe_write(wm_store *store, wm_error *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", store->version);
    return store_exec(store, sql, err);
}

int wm_store_retry(wm_store *store, bool *writable, wm_error *err)
{
    store_lock(store);
    /* Opened read-only for want of room or access: open for writing
     * again once that works, and then recover as at start-up. */
    if (store->conn_read_only && store_reopen_rw(store) == 0) {
        store->conn_read_only = false;
        store->recovered = false;
    }
    bool recover = !store->conn_read_only && !store->recovered;
    store_unlock(store);
    int rc = 0;
    if (recover)
        rc = wm_store_recover(store, NULL, err);
    store_lock(store);
    if (rc == 0 && store->recovered && store->write_kind != WM_ERR_NONE) {
        rc = store->unsaved_count ? store_save_unsaved(store, err)
                                  : probe_write(store, err);
        if (rc == 0) {
            store->write_kind = WM_ERR_NONE;
            store->write_reason[0] = '\0';
            fprintf(stderr, "wiremeter: store: writes succeed again\n");
        }
    }
    if (writable)
        *writable = store->write_kind == WM_ERR_NONE &&
                    store_refuse_if_read_only(store, NULL) == 0;
    store_unlock(store);
    return rc;
}

/* Free bytes for an unprivileged writer on the data directory's disk;
 * UINT64_MAX when statvfs cannot tell (the reserve is then not applied
 * rather than refusing every run). */
static uint64_t free_bytes(const wm_store *store)
{
    struct statvfs st;
    if (statvfs(store->data_dir, &st) != 0)
        return UINT64_MAX;
    return (uint64_t)st.f_bavail * (uint64_t)st.f_frsize;
}

void wm_store_health_get(wm_store *store, wm_store_health *out)
{
    memset(out, 0, sizeof *out);
    out->free_bytes = free_bytes(store);
    store_lock(store);
    out->min_free_bytes = store->min_free_bytes;
    out->read_only = store_refuse_if_read_only(store, NULL) != 0;
    out->kind = store->write_kind;
    out->unsaved = store->unsaved_count;
    snprintf(out->reason, sizeof out->reason, "%s", store->write_reason);
    store_unlock(store);
    out->writable = !out->read_only && out->kind == WM_ERR_NONE;
    if (!out->writable)
        return;
    /* A disk with nothing left is full whatever the reserve says. */
    if (out->free_bytes == 0) {
        snprintf(out->reason, sizeof out->reason, MSG_FULL);
        out->kind = WM_ERR_NO_SPACE;
    } else if (out->free_bytes < out->min_free_bytes) {
        char have[32], want[32];
        wm_size_format(out->free_bytes, have, sizeof have);
        wm_size_format(out->min_free_bytes, want, sizeof want);
        snprintf(out->reason, sizeof out->reason,
                 "the data directory's disk has %s free, below the %s "
                 "reserve (--min-free)", have, want);
        out->kind = WM_ERR_NO_SPACE;
    }
}

int wm_store_check_room(wm_store *store, wm_error *err)
{
    wm_store_health h;
    wm_store_health_get(store, &h);
    if (h.kind == WM_ERR_NO_SPACE && h.writable)
        return wm_error_set(err, WM_ERR_NO_SPACE, "no room for new runs: "
                            "%s; delete runs or free space", h.reason);
    if (!h.writable)
        return wm_error_set(err, WM_ERR_READ_ONLY, "the store %s: %s; runs "
                            "can be read, none started until it can be "
                            "written", h.read_only ? "is read-only"
                                                   : "cannot be written",
                            h.reason);
    return 0;
}
