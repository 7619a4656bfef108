/* store_recover: what a process that died left behind — runs it never
 * ended, and files that disagree with the rows (a kill -9 between a
 * deletion's commit and its unlink, or between a file's rename and its
 * run's commit). Done at start-up, before any run executes, so that every
 * <id>.pcap.tmp is a leftover. See wm_store_recover in wm_store.h. */
#include "store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wm_clock.h"

static const char SQL_FAIL_UNFINISHED[] =
    "UPDATE runs SET status = 'failed', error_code = ?1,"
    " error_message = ?2, finished_ns = ?3"
    " WHERE status IN ('queued', 'running') RETURNING id";
static const char SQL_FAIL_SWEEPS[] =
    "UPDATE sweeps SET status = 'failed', finished_ns = ?1"
    " WHERE status IN ('queued', 'running')";
static const char SQL_DONE_IDS[] =
    "SELECT id FROM runs WHERE status = 'done' ORDER BY id";
static const char SQL_LOST[] =
    "UPDATE runs SET status = 'failed', error_code = ?2,"
    " error_message = ?3, finished_ns = ?4"
    " WHERE id = ?1 AND status = 'done'";

static int fail_unfinished_locked(wm_store *store, const char *code,
                                  const char *message, id_list *failed,
                                  wm_error *err)
{
    int64_t now_ns = wm_clock_wall_ns();
    sqlite3_stmt *stmt = store_stmt(store, SQL_FAIL_UNFINISHED, err);
    if (!stmt)
        return -1;
    store_bind_text(stmt, 1, code);
    store_bind_text(stmt, 2, message);
    sqlite3_bind_int64(stmt, 3, now_ns);
    if (store_collect_ids(store, stmt, failed, "failing runs", err) != 0)
        return -1;
    stmt = store_stmt(store, SQL_FAIL_SWEEPS, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, now_ns);
    return store_step_done(store, stmt, "failing sweeps", err);
}

int wm_store_fail_unfinished(wm_store *store, const char *code,
                             const char *message, uint64_t *count,
                             wm_error *err)
{
    id_list failed = {0};
    store_lock(store);
    int rc = store_exec(store, "BEGIN IMMEDIATE", err);
    if (rc == 0)
        rc = store_end_transaction(
            store, fail_unfinished_locked(store, code, message, &failed, err),
            err);
    store_unlock(store);
    /* A run cut short has at most a partial capture: not worth keeping. */
    if (rc == 0)
        rc = store_remove_pcaps(store, &failed, err);
    if (count)
        *count = rc == 0 ? failed.count : 0;
    free(failed.ids);
    return rc;
}

/* The id of a run's file: "<id>.pcap", "<id>.rows", "<id>.sender.pcap",
 * "<id>.ends" or "<id>.series.json" (*tmp false), or the same written in part,
 * "<id>.pcap.tmp"... (*tmp true); 0 for any other name, which is left
 * alone: not ours. */
static int64_t pcap_name_id(const char *name, bool *tmp)
{
    static const char *const finals[] = {".pcap", ".rows", ".sender.pcap",
                                         ".ends", ".series.json"};
    static const char *const partials[] = {".pcap.tmp", ".rows.tmp",
                                           ".sender.pcap.tmp", ".ends.tmp",
                                           ".series.json.tmp"};
    _Static_assert(sizeof finals == sizeof partials, "a partial per final");
    char *end = NULL;
    if (name[0] < '1' || name[0] > '9')
        return 0;
    errno = 0;
    long long id = strtoll(name, &end, 10);
    if (errno || id <= 0)
        return 0;
    for (size_t i = 0; i < sizeof finals / sizeof *finals; i++) {
        *tmp = strcmp(end, partials[i]) == 0;
        if (*tmp || strcmp(end, finals[i]) == 0)
            return (int64_t)id;
    }
    return 0;
}

/* Removes every pcap (and partial pcap) of no done run. */
static int remove_orphans(wm_store *store, const id_list *done,
                          uint64_t *removed, wm_error *err)
{
    DIR *dir = opendir(store->pcap_dir);
    if (!dir)
        return wm_error_set(err, WM_ERR_IO, "store: listing the pcaps: %s",
                            strerror(errno));
    int rc = 0;
    struct dirent *entry;
    char path[PATH_MAX + 300];
    while ((entry = readdir(dir)) != NULL) {
        bool tmp = false;
        int64_t id = pcap_name_id(entry->d_name, &tmp);
        if (id == 0 || (!tmp && store_id_list_has(done, id)))
            continue;
        snprintf(path, sizeof path, "%s/%s", store->pcap_dir, entry->d_name);
        if (store_unlink(path, err) != 0)
            rc = -1;
        else
            (*removed)++;
    }
    closedir(dir);
    return rc;
}

/* A done run must have its capture, in the database (held: written in
 * the very commit that says done) or as its file: one found without it
 * fails, "capture_lost", its result kept in the row. Lock not held. */
static int fail_lost(wm_store *store, const id_list *done, uint64_t *lost,
                     wm_error *err)
{
    char path[PATH_MAX + 64];
    struct stat st;
    id_list held = {0};
    int rc = store_outputs_held_pcaps(store, &held, err);
    for (size_t i = 0; i < done->count && rc == 0; i++) {
        if (store_id_list_has(&held, done->ids[i]))
            continue;
        if (wm_store_pcap_path(store, done->ids[i], path, sizeof path,
                               err) != 0) {
            rc = -1;
            break;
        }
        if (stat(path, &st) == 0 || errno != ENOENT)
            continue;
        store_lock(store);
        sqlite3_stmt *stmt = store_stmt(store, SQL_LOST, err);
        rc = stmt ? 0 : -1;
        if (stmt) {
            sqlite3_bind_int64(stmt, 1, done->ids[i]);
            store_bind_text(stmt, 2, WM_STORE_CODE_CAPTURE_LOST);
            store_bind_text(stmt, 3, WM_STORE_MSG_CAPTURE_LOST);
            sqlite3_bind_int64(stmt, 4, wm_clock_wall_ns());
            rc = store_step_done(store, stmt, "failing a run", err);
        }
        store_unlock(store);
        if (rc == 0)
            (*lost)++;
    }
    free(held.ids);
    return rc;
}

int store_reconcile_files(wm_store *store, wm_error *err)
{
    id_list done = {0};
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_DONE_IDS, err);
    int rc = stmt ? store_collect_ids(store, stmt, &done, "listing runs",
                                      err) : -1;
    store_unlock(store);
    uint64_t removed = 0, lost = 0;
    if (rc == 0)
        rc = remove_orphans(store, &done, &removed, err);
    if (rc == 0)
        rc = fail_lost(store, &done, &lost, err);
    if (removed || lost)
        fprintf(stderr, "wiremeter: store: %llu pcap file(s) of no done run "
                "removed, %llu done run(s) without their pcap marked "
                "failed (\"%s\")\n", (unsigned long long)removed,
                (unsigned long long)lost, WM_STORE_CODE_CAPTURE_LOST);
    free(done.ids);
    return rc;
}

/* The recovery could not be written: the store stays read-only and shows
 * the unfinished runs failed from memory. Lock not held. */
static int recover_in_memory(wm_store *store, uint64_t *count,
                             wm_error *err)
{
    store_lock(store);
    if (store->write_kind == WM_ERR_NONE) {
        store->write_kind = WM_ERR_READ_ONLY;
        snprintf(store->write_reason, sizeof store->write_reason,
                 "the data directory could not be written");
    }
    int rc = store_unsaved_recovery(store, count, err);
    store_unlock(store);
    return rc;
}

int wm_store_recover(wm_store *store, uint64_t *count, wm_error *err)
{
    if (count)
        *count = 0;
    if (store->conn_read_only)
        return recover_in_memory(store, count, err);
    wm_error local;
    wm_error_clear(&local);
    if (wm_store_fail_unfinished(store, WM_STORE_CODE_INTERRUPTED,
                                 WM_STORE_MSG_RESTART, count, &local) != 0) {
        if (local.kind == WM_ERR_READ_ONLY || local.kind == WM_ERR_NO_SPACE)
            return recover_in_memory(store, count, err);
        if (err)
            *err = local;
        return -1;
    }
    /* Best effort: a file that cannot be removed is no reason to refuse
     * reads; it is said, and tried again at the next start. */
    if (store_reconcile_files(store, &local) != 0)
        fprintf(stderr, "wiremeter: store: reconciling the pcaps: %s\n",
                local.message);
    if (store_captures_recover(store, &local) != 0)
        fprintf(stderr, "wiremeter: store: removing unfinished captures: "
                "%s\n", local.message);
    store_lock(store);
    store->recovered = true;
    store->unsaved_count = 0; /* all written by the recovery itself */
    store_unlock(store);
    return 0;
}

/* wm_store_retry lives beside the recovery it runs again: the state
 * helpers (store_state.c) stay below both, as store_runs and
 * store_captures use them. */
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
