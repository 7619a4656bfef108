/* store_prune: retention — the history is bounded, and a sweep goes
 * whole. Apart from the runs' life (store_runs.c) because it is a policy
 * over many rows, not one run's state. See wm_store_prune in wm_store.h.
 *
 * The rule in SQL: B is the id of the keep-th newest finished run (keep
 * 0: past the newest, so every finished run may go); a
 * finished run older than B goes, unless it belongs to a sweep that is
 * unfinished or has a run that is unfinished or not older than B — then
 * the whole sweep stays, so a sweep never answers with sizes missing.
 *
 * Ids are unique, so when max(id) - min(id) < keep there are at most keep
 * runs in all and B does not exist: two seeks of the primary key say so,
 * and the end of every run does not pay for the ORDER BY over all
 * finished runs that finding B takes (a sort: 0.1 ms at 300 runs,
 * 0.3 ms at 1000, measured). */
#include "store_internal.h"

#include <stdlib.h>

static const char SQL_PRUNE[] =
    "WITH bound(b) AS (SELECT CASE WHEN ?1 = 0"
    "  THEN (SELECT max(id) + 1 FROM runs)"
    "  WHEN (SELECT max(id) FROM runs) - (SELECT min(id) FROM runs) < ?1"
    "  THEN NULL"
    "  ELSE (SELECT id FROM runs WHERE status IN ('done', 'failed')"
    "   ORDER BY id DESC LIMIT 1 OFFSET ?1 - 1) END)"
    " DELETE FROM runs WHERE id IN (SELECT r.id FROM runs r, bound"
    "  WHERE r.status IN ('done', 'failed') AND r.id < bound.b"
    "  AND (r.sweep_id IS NULL OR ("
    "   EXISTS (SELECT 1 FROM sweeps s WHERE s.id = r.sweep_id"
    "    AND s.status IN ('done', 'failed'))"
    "   AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.sweep_id = r.sweep_id"
    "    AND (o.id >= bound.b OR o.status NOT IN ('done', 'failed'))))))"
    " RETURNING id";
/* The same test as the CASE above, alone: SQL_PRUNE opens a temporary
 * table for its IN (SELECT ...) even when the span says there is nothing
 * to delete, and that (its page cache's malloc, and the consolidation of
 * the heap it sets off) was 4 % of a small run's CPU, paid at the end of
 * every run. Two subqueries, as in the CASE: max(id) - min(id) in one
 * SELECT is not a seek but a scan of an index (SQLite's min/max
 * optimisation takes a lone min or max only). */
static const char SQL_SPAN[] =
    "SELECT (SELECT max(id) FROM runs) - (SELECT min(id) FROM runs)";
static const char SQL_PRUNE_SWEEPS[] =
    "DELETE FROM sweeps WHERE status IN ('done', 'failed') AND NOT EXISTS"
    " (SELECT 1 FROM runs WHERE runs.sweep_id = sweeps.id)";

/* Inside one transaction: deletes what retention drops, ids into gone.
 * Lock held. */
/* Whether fewer than keep runs can exist at all (then SQL_PRUNE deletes
 * nothing): into *few. Lock held. */
static int too_few(wm_store *store, int64_t keep, bool *few, wm_error *err)
{
    sqlite3_stmt *stmt = store_stmt(store, SQL_SPAN, err);
    if (!stmt)
        return -1;
    int step = sqlite3_step(stmt);
    if (step != SQLITE_ROW) {
        store_db_error(store, "pruning runs", err);
        sqlite3_reset(stmt);
        return -1;
    }
    /* NULL: no run at all. */
    *few = keep > 0 && (sqlite3_column_type(stmt, 0) == SQLITE_NULL ||
                        sqlite3_column_int64(stmt, 0) < keep);
    sqlite3_reset(stmt);
    return 0;
}

static int prune_locked(wm_store *store, uint64_t keep, id_list *gone,
                        wm_error *err)
{
    int64_t bound = keep > INT64_MAX ? INT64_MAX : (int64_t)keep;
    bool few = false;
    if (too_few(store, bound, &few, err) != 0)
        return -1;
    sqlite3_stmt *stmt = few ? NULL : store_stmt(store, SQL_PRUNE, err);
    if (!few && !stmt)
        return -1;
    if (!few) {
        sqlite3_bind_int64(stmt, 1, bound);
        if (store_collect_ids(store, stmt, gone, "pruning runs", err) != 0)
            return -1;
    }
    stmt = store_stmt(store, SQL_PRUNE_SWEEPS, err);
    if (!stmt)
        return -1;
    return store_step_done(store, stmt, "pruning sweeps", err);
}

int wm_store_prune(wm_store *store, uint64_t keep, uint64_t *deleted,
                   wm_error *err)
{
    id_list gone = {0};
    store_lock(store);
    int rc = store_refuse_if_read_only(store, err);
    if (rc == 0)
        rc = store_begin(store, err);
    if (rc == 0)
        rc = store_end_transaction(store,
                                   prune_locked(store, keep, &gone, err),
                                   err);
    if (rc == 0 && gone.count > 0)
        atomic_fetch_add(&store->deletions, gone.count);
    /* Retired before the lock is let go: a reader that finds a run gone
     * finds its files gone too (see wm_store_prune). */
    int retired = rc == 0 ? store_retire_files(store, &gone, err) : 0;
    store_unlock(store);
    if (rc == 0 && store_remove_pcaps(store, &gone, err) == 0)
        rc = retired;
    else if (rc == 0)
        rc = -1;
    if (deleted)
        *deleted = rc == 0 ? gone.count : 0;
    free(gone.ids);
    return rc;
}
