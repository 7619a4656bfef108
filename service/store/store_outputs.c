/* store_outputs: a small run's outputs (pcap, packet rows, time series)
 * as BLOBs of the run_outputs table rather than files in pcaps/.
 *
 * Why: creating, renaming and fsync'ing three files cost a 13-byte run
 * more than the run itself (ext4's inode allocation alone was 37 % of the
 * daemon's CPU per POST). A BLOB written in the commit that marks the run
 * done costs neither an inode nor an fsync (WAL, synchronous=NORMAL), and
 * a done run can never lack it. The bytes are bounded by the daemon's
 * --inline-max: larger outputs stay files. Rows go with their run (ON
 * DELETE CASCADE), so deletion and retention have nothing more to do.
 * See wm_store.h. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

static const char SQL_PUT[] =
    "INSERT INTO run_outputs (run_id, kind, data) VALUES (?1, ?2, ?3)";
static const char SQL_GET[] =
    "SELECT data FROM run_outputs WHERE run_id = ?1 AND kind = ?2";
static const char SQL_HAS[] =
    "SELECT 1 FROM run_outputs WHERE run_id = ?1 AND kind = ?2";
static const char SQL_KINDS[] =
    "SELECT kind FROM run_outputs WHERE run_id = ?1";
static const char SQL_HELD_PCAPS[] =
    "SELECT run_id FROM run_outputs WHERE kind = 'pcap' ORDER BY run_id";

/* The kind column's words, as its CHECK lists them. */
static const char *const kind_names[WM_STORE_OUTPUT_COUNT] = {
    "pcap", "rows", "series",
};

int store_outputs_put(wm_store *store, int64_t id,
                      const wm_store_bytes held[WM_STORE_OUTPUT_COUNT],
                      wm_error *err)
{
    for (int k = 0; k < WM_STORE_OUTPUT_COUNT; k++) {
        if (!held[k].data)
            continue;
        sqlite3_stmt *stmt = store_stmt(store, SQL_PUT, err);
        if (!stmt)
            return -1;
        sqlite3_bind_int64(stmt, 1, id);
        store_bind_text(stmt, 2, kind_names[k]);
        /* SQLITE_STATIC: the bytes outlive the step, which copies them. */
        if (held[k].len > INT32_MAX ||
            sqlite3_bind_blob64(stmt, 3, held[k].data, held[k].len,
                                SQLITE_STATIC) != SQLITE_OK) {
            sqlite3_reset(stmt);
            return wm_error_set(err, WM_ERR_INTERNAL,
                                "store: a run's %s of %zu bytes is too "
                                "large to keep in the database",
                                kind_names[k], held[k].len);
        }
        int rc = store_step_done(store, stmt, "storing a run's output", err);
        sqlite3_clear_bindings(stmt);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int wm_store_read_output(wm_store *store, int64_t id, wm_store_output kind,
                         void **data, size_t *len, wm_error *err)
{
    *data = NULL;
    *len = 0;
    if ((unsigned)kind >= WM_STORE_OUTPUT_COUNT)
        return wm_error_set(err, WM_ERR_INTERNAL, "store: no such output");
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_GET, err);
    int rc = -1;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, id);
        store_bind_text(stmt, 2, kind_names[kind]);
        int step = sqlite3_step(stmt);
        if (step == SQLITE_ROW) {
            const void *blob = sqlite3_column_blob(stmt, 0);
            size_t n = (size_t)sqlite3_column_bytes(stmt, 0);
            /* One byte more: an empty BLOB still gets a buffer. */
            *data = malloc(n + 1);
            if (!*data) {
                rc = wm_error_set(err, WM_ERR_INTERNAL,
                                  "store: out of memory");
            } else {
                if (n)
                    memcpy(*data, blob, n);
                *len = n;
                rc = 0;
            }
        } else if (step == SQLITE_DONE) {
            wm_error_param(err, WM_ERR_NOT_FOUND, "id",
                           "run %lld has no %s in the database",
                           (long long)id, kind_names[kind]);
        } else {
            store_db_error(store, "reading a run's output", err);
        }
        sqlite3_reset(stmt);
    }
    store_unlock(store);
    return rc;
}

bool wm_store_has_output(wm_store *store, int64_t id, wm_store_output kind)
{
    if ((unsigned)kind >= WM_STORE_OUTPUT_COUNT)
        return false;
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_HAS, NULL);
    bool has = false;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, id);
        store_bind_text(stmt, 2, kind_names[kind]);
        has = sqlite3_step(stmt) == SQLITE_ROW;
        sqlite3_reset(stmt);
    }
    store_unlock(store);
    return has;
}

int store_outputs_held_pcaps(wm_store *store, id_list *ids, wm_error *err)
{
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_HELD_PCAPS, err);
    int rc = stmt ? store_collect_ids(store, stmt, ids,
                                      "listing runs' outputs", err)
                  : -1;
    store_unlock(store);
    return rc;
}

int store_outputs_held(wm_store *store, int64_t id, unsigned *held,
                       wm_error *err)
{
    *held = 0;
    sqlite3_stmt *stmt = store_stmt(store, SQL_KINDS, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(stmt, 0);
        for (int k = 0; kind && k < WM_STORE_OUTPUT_COUNT; k++)
            if (!strcmp(kind, kind_names[k]))
                *held |= 1u << k;
    }
    sqlite3_reset(stmt);
    return step == SQLITE_DONE ? 0
                               : store_db_error(store, "reading a run's "
                                                "outputs", err);
}
