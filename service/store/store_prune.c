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
#include <string.h>

/* ?1 keep, ?2 how many runs are finished. B is found from the oldest
 * end: the (?2 - ?1 + 1)-th oldest finished run is the keep-th newest.
 * A scan of the table in id order (the + keeps the status index out)
 * stops after ?2 - ?1 + 1 finished rows, one or two once the history is
 * full, where walking from the newest end sorted every finished run
 * (0.3 ms at 1000, measured). The runs are SELECTed before they are
 * deleted: what of their outputs the database held (so that no file is
 * renamed or unlinked that a run never had) goes with their rows, by
 * the cascade, in the DELETE. */
static const char SQL_DOOMED[] =
    "WITH bound(b) AS (SELECT CASE WHEN ?1 = 0"
    "  THEN (SELECT max(id) + 1 FROM runs)"
    "  WHEN ?2 <= ?1 THEN NULL"
    "  ELSE (SELECT id FROM runs WHERE +status IN ('done', 'failed')"
    "   ORDER BY id LIMIT 1 OFFSET ?2 - ?1) END)"
    " SELECT r.id FROM runs r, bound"
    "  WHERE r.status IN ('done', 'failed') AND r.id < bound.b"
    "  AND (r.sweep_id IS NULL OR ("
    "   EXISTS (SELECT 1 FROM sweeps s WHERE s.id = r.sweep_id"
    "    AND s.status IN ('done', 'failed'))"
    "   AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.sweep_id = r.sweep_id"
    "    AND (o.id >= bound.b OR o.status NOT IN ('done', 'failed')))))";
/* All runs less the unfinished ones: SQLite counts a whole table from
 * its b-tree's pages, and the unfinished runs are a few entries of the
 * status index, where counting the finished ones stepped through every
 * one of their entries (5 % of the daemon's CPU per small run, measured
 * at a history of 1000). */
static const char SQL_FINISHED[] =
    "SELECT (SELECT count(*) FROM runs) - (SELECT count(*) FROM runs"
    " WHERE status IN ('queued', 'running'))";
static const char SQL_DELETE_ONE[] = "DELETE FROM runs WHERE id = ?1";
/* Whether fewer than keep + 1 runs exist at all (then nothing is
 * pruned), from two seeks of the primary key, before SQL_FINISHED's
 * counts and SQL_DOOMED, which opens a temporary table for its
 * subqueries even when there is nothing to delete: that (its page
 * cache's malloc, and the consolidation of the heap it set off) was 4 %
 * of a small run's CPU, paid at the end of every run. Two subqueries:
 * max(id) - min(id) in one SELECT is not a seek but a scan of an index
 * (SQLite's min/max optimisation takes a lone min or max only). */
static const char SQL_SPAN[] =
    "SELECT (SELECT max(id) FROM runs) - (SELECT min(id) FROM runs)";
static const char SQL_PRUNE_SWEEPS[] =
    "DELETE FROM sweeps WHERE status IN ('done', 'failed') AND NOT EXISTS"
    " (SELECT 1 FROM runs WHERE runs.sweep_id = sweeps.id)";

/* The single integer a statement of one row answers, into *out (0 for
 * NULL). Lock held. */
static int one_int(wm_store *store, const char *sql, int64_t *out,
                   bool *null, wm_error *err)
{
    sqlite3_stmt *stmt = store_stmt(store, sql, err);
    if (!stmt)
        return -1;
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        *null = sqlite3_column_type(stmt, 0) == SQLITE_NULL;
        *out = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_reset(stmt);
    return step == SQLITE_ROW ? 0
                              : store_db_error(store, "pruning runs", err);
}

/* How many finished runs past keep retention lets end before it deletes
 * them, all at once: a 64th of keep, at most 16; none below 64 kept, so
 * a small history is exact. Why: deleting a run rewrote some 13 pages of
 * the WAL (its leaf and overflow pages freed, the freelist, page 1, the
 * outputs' table and its index), most of them the same pages for
 * neighbouring runs: pruned 16 at a time, a run's insert, end and
 * retention write 19 pages instead of 27 (on a copy of a store of 1000
 * small runs), and 15 runs in 16 end without holding the store's lock
 * for it, which the next POST's insert waited on. */
static int64_t prune_slack(int64_t keep)
{
    int64_t slack = keep / 64;
    return slack < 16 ? slack : 16;
}

/* The runs retention drops, into gone with what of their outputs the
 * database holds, then deleted. Inside one transaction; lock held. */
static int prune_runs_locked(wm_store *store, int64_t keep, id_list *gone,
                             wm_error *err)
{
    int64_t span = 0, finished = 0;
    bool none = false;
    if (keep > 0) {
        if (one_int(store, SQL_SPAN, &span, &none, err) != 0)
            return -1;
        if (none || span < keep) /* at most keep runs in all */
            return 0;
        if (one_int(store, SQL_FINISHED, &finished, &none, err) != 0)
            return -1;
        if (finished <= keep + prune_slack(keep))
            return 0;
    }
    sqlite3_stmt *stmt = store_stmt(store, SQL_DOOMED, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, keep);
    sqlite3_bind_int64(stmt, 2, finished);
    if (store_collect_ids(store, stmt, gone, "pruning runs", err) != 0)
        return -1;
    if (gone->count &&
        !(gone->held = calloc(gone->count, sizeof *gone->held)))
        return wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
    for (size_t i = 0; i < gone->count; i++) {
        if (store_outputs_held(store, gone->ids[i], &gone->held[i], err) != 0)
            return -1;
        stmt = store_stmt(store, SQL_DELETE_ONE, err);
        if (!stmt)
            return -1;
        sqlite3_bind_int64(stmt, 1, gone->ids[i]);
        if (store_step_done(store, stmt, "pruning runs", err) != 0)
            return -1;
    }
    return 0;
}

static int prune_locked(wm_store *store, uint64_t keep, id_list *gone,
                        wm_error *err)
{
    int64_t bound = keep > INT64_MAX ? INT64_MAX : (int64_t)keep;
    if (prune_runs_locked(store, bound, gone, err) != 0)
        return -1;
    sqlite3_stmt *stmt = store_stmt(store, SQL_PRUNE_SWEEPS, err);
    if (!stmt)
        return -1;
    return store_step_done(store, stmt, "pruning sweeps", err);
}

int wm_store_prune_rows(wm_store *store, uint64_t keep,
                        void (*locked)(void *arg), void *arg,
                        wm_store_pruned *later, wm_error *err)
{
    id_list gone = {0};
    memset(later, 0, sizeof *later);
    store_lock(store);
    if (locked)
        locked(arg);
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
    if (rc == 0) {
        later->ids = gone.ids;
        later->held = gone.held;
        later->count = gone.count;
    } else {
        free(gone.ids);
        free(gone.held);
    }
    return rc == 0 ? retired : rc;
}

int wm_store_prune_files(wm_store *store, wm_store_pruned *later,
                         wm_error *err)
{
    id_list gone = {.ids = later->ids, .held = later->held,
                    .count = later->count};
    int rc = store_remove_pcaps(store, &gone, err);
    free(later->ids);
    free(later->held);
    memset(later, 0, sizeof *later);
    return rc;
}

int wm_store_prune(wm_store *store, uint64_t keep, uint64_t *deleted,
                   wm_error *err)
{
    wm_store_pruned later;
    int rc = wm_store_prune_rows(store, keep, NULL, NULL, &later, err);
    size_t count = later.count;
    /* The rows are gone even when a rename failed: their files go too. */
    if (wm_store_prune_files(store, &later, err) != 0)
        rc = -1;
    if (deleted)
        *deleted = rc == 0 ? count : 0;
    return rc;
}
