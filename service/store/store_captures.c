/* wm_store: captures uploaded to be analysed — their rows, their files
 * and what start-up removes of them. See "Captures" in wm_store.h.
 *
 * Order of adding: the upload is fsynced under its temporary name, the row
 * is inserted (running), the file renamed to <id>.pcap and the directory
 * fsynced. A crash between two steps leaves a temporary file, which
 * wm_store_recover removes, or a running row without its file, which it
 * removes too; a running row WITH its file is a whole upload whose
 * analysis was cut, kept to be analysed again (wm_store_unfinished_captures):
 * no capture is ever kept whose file is not whole, and none that was
 * whole is lost. */
#include "store_internal.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wm_clock.h"

static const char SQL_CAP_INSERT[] =
    "INSERT INTO captures (status, label, size_bytes, created_ns)"
    " VALUES ('running', ?1, ?2, ?3)";
static const char SQL_CAP_FINISH[] =
    "UPDATE captures SET status = 'done', analysis_json = ?2,"
    " finished_ns = ?3 WHERE id = ?1 AND status = 'running'";
static const char SQL_CAP_FAIL[] =
    "UPDATE captures SET status = 'failed', error_code = ?2,"
    " error_message = ?3, finished_ns = ?4"
    " WHERE id = ?1 AND status = 'running'";
static const char SQL_CAP_GET[] =
    "SELECT id, status, label, size_bytes, analysis_json, error_code,"
    " error_message, created_ns, finished_ns FROM captures WHERE id = ?1";
static const char SQL_CAP_LIST[] =
    "SELECT id, status, label, size_bytes, NULL, error_code,"
    " error_message, created_ns, finished_ns FROM captures"
    " WHERE id < ?1 ORDER BY id DESC LIMIT ?2";
static const char SQL_CAP_DELETE[] =
    "DELETE FROM captures WHERE id = ?1 AND status <> 'running'";
static const char SQL_CAP_DELETE_ANY[] = "DELETE FROM captures WHERE id = ?1";
static const char SQL_CAP_RUNNING[] =
    "SELECT id FROM captures WHERE status = 'running' ORDER BY id";
/* The captures that keep files: a failed one keeps only its row. */
static const char SQL_CAP_IDS[] =
    "SELECT id FROM captures WHERE status <> 'failed' ORDER BY id";
/* The finished captures beyond the keep (?1) newest finished ones. */
static const char SQL_CAP_PRUNE[] =
    "DELETE FROM captures WHERE status <> 'running' AND id IN"
    " (SELECT id FROM captures WHERE status <> 'running'"
    "  ORDER BY id DESC LIMIT -1 OFFSET ?1) RETURNING id";

#define UPLOAD_PREFIX "upload-"

const char *wm_store_capture_dir(const wm_store *store)
{
    return store->capture_dir;
}

/* Every file of a capture: its own and what its analysis keeps beside
 * it, removed with it. */
static const char *const all_suffixes[] = {".pcap", ".rows", ".index"};
/* Added to a file's name to retire it: no reader opens that name, and
 * start-up removes it (remove_leftovers). */
#define RETIRED_SUFFIX ".tmp"

int wm_store_capture_path(const wm_store *store, int64_t id, char *buf,
                          size_t buflen, wm_error *err)
{
    return wm_store_capture_file(store, id, ".pcap", buf, buflen, err);
}

int wm_store_capture_file(const wm_store *store, int64_t id,
                          const char *suffix, char *buf, size_t buflen,
                          wm_error *err)
{
    int n = snprintf(buf, buflen, "%s/%lld%s", store->capture_dir,
                     (long long)id, suffix);
    if (n < 0 || (size_t)n >= buflen)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "store: capture path too long for its buffer");
    return 0;
}

static int fsync_path(const char *path, int flags, wm_error *err)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wm_error_set(err, e == ENOSPC ? WM_ERR_NO_SPACE : WM_ERR_IO,
                            "storing the capture: %s", strerror(e));
    }
    close(fd);
    return 0;
}

static int delete_row(wm_store *store, const char *sql, int64_t id,
                      wm_error *err)
{
    sqlite3_stmt *stmt = store_stmt(store, sql, err);
    if (!stmt)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    return store_step_done(store, stmt, "removing a capture", err);
}

int wm_store_add_capture(wm_store *store, const char *tmp_path,
                         const char *label, uint64_t size_bytes, int64_t *id,
                         wm_error *err)
{
    if (size_bytes > INT64_MAX)
        return wm_error_set(err, WM_ERR_TOO_LARGE,
                            "the capture is more than the store can hold");
    if (fsync_path(tmp_path, O_RDONLY, err) != 0)
        return -1;
    store_lock(store);
    int rc = store_refuse_if_read_only(store, err);
    sqlite3_stmt *stmt = rc == 0 ? store_stmt(store, SQL_CAP_INSERT, err)
                                 : NULL;
    rc = -1;
    if (stmt) {
        store_bind_text(stmt, 1, label ? label : "");
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)size_bytes);
        sqlite3_bind_int64(stmt, 3, wm_clock_wall_ns());
        rc = store_step_done(store, stmt, "inserting a capture", err);
        if (rc == 0)
            *id = sqlite3_last_insert_rowid(store->db);
    }
    if (rc == 0) {
        char path[PATH_MAX + 32];
        rc = wm_store_capture_path(store, *id, path, sizeof path, err);
        if (rc == 0 && rename(tmp_path, path) != 0)
            rc = wm_error_set(err, WM_ERR_IO, "storing the capture: %s",
                              strerror(errno));
        else if (rc == 0)
            rc = fsync_path(store->capture_dir, O_RDONLY | O_DIRECTORY, err);
        if (rc != 0) {
            /* The row goes with the file: no capture without its file.
             * When even that fails, recovery removes the running row. */
            delete_row(store, SQL_CAP_DELETE_ANY, *id, NULL);
            rename(path, tmp_path);
        }
    }
    store_unlock(store);
    return rc;
}

/* Lock held. */
static int change_capture_locked(wm_store *store, const char *sql,
                                 int64_t id, const char *text1,
                                 const char *text2, wm_error *err)
{
    sqlite3_stmt *stmt = store_stmt(store, sql, err);
    int rc = -1;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, id);
        store_bind_text(stmt, 2, text1);
        if (text2) {
            store_bind_text(stmt, 3, text2);
            sqlite3_bind_int64(stmt, 4, wm_clock_wall_ns());
        } else {
            sqlite3_bind_int64(stmt, 3, wm_clock_wall_ns());
        }
        rc = store_step_done(store, stmt, "storing a capture's analysis",
                             err);
        if (rc == 0 && sqlite3_changes(store->db) == 0)
            rc = wm_error_param(err, WM_ERR_INVALID, "id",
                                "capture %lld is not being analysed",
                                (long long)id);
    }
    return rc;
}

static int change_capture(wm_store *store, const char *sql, int64_t id,
                          const char *text1, const char *text2,
                          wm_error *err)
{
    store_lock(store);
    int rc = change_capture_locked(store, sql, id, text1, text2, err);
    store_unlock(store);
    return rc;
}

int wm_store_finish_capture(wm_store *store, int64_t id,
                            const char *analysis_json, wm_error *err)
{
    assert(analysis_json);
    return change_capture(store, SQL_CAP_FINISH, id, analysis_json, NULL,
                          err);
}

static int remove_files(wm_store *store, int64_t id, wm_error *err);
static int retire_files(wm_store *store, int64_t id, wm_error *err);

int wm_store_fail_capture(wm_store *store, int64_t id, const char *code,
                          const char *message, wm_error *err)
{
    store_lock(store);
    int rc = change_capture_locked(store, SQL_CAP_FAIL, id,
                                   code ? code : "internal",
                                   message ? message : "", err);
    /* A capture with no analysis is kept only to say why: its file (maybe
     * hundreds of MiB) would hold the disk for nothing. Retired under the
     * lock, as a deletion's: whoever sees it failed finds no file. */
    int retired = rc == 0 ? retire_files(store, id, err) : 0;
    store_unlock(store);
    if (rc != 0)
        return -1;
    return remove_files(store, id, err) != 0 ? -1 : retired;
}

static void copy_text(sqlite3_stmt *stmt, int col, char *buf, size_t len)
{
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    snprintf(buf, len, "%s", text ? text : "");
}

/* The current row, in the columns of SQL_CAP_GET. */
static int read_capture(sqlite3_stmt *stmt, wm_store_capture *c,
                        wm_error *err)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(stmt, 0);
    if (wm_store_status_parse((const char *)sqlite3_column_text(stmt, 1),
                              &c->status) != 0)
        c->status = WM_STORE_FAILED; /* the CHECK makes this unreachable */
    copy_text(stmt, 2, c->label, sizeof c->label);
    c->size_bytes = (uint64_t)sqlite3_column_int64(stmt, 3);
    const char *analysis = (const char *)sqlite3_column_text(stmt, 4);
    if (analysis && !(c->analysis_json = strdup(analysis)))
        return wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
    copy_text(stmt, 5, c->error_code, sizeof c->error_code);
    copy_text(stmt, 6, c->error_message, sizeof c->error_message);
    c->created_ns = sqlite3_column_int64(stmt, 7);
    c->finished_ns = sqlite3_column_int64(stmt, 8);
    return 0;
}

int wm_store_get_capture(wm_store *store, int64_t id, wm_store_capture *out,
                         wm_error *err)
{
    memset(out, 0, sizeof *out);
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_CAP_GET, err);
    int rc = -1;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, id);
        int step = sqlite3_step(stmt);
        if (step == SQLITE_ROW)
            rc = read_capture(stmt, out, err);
        else if (step == SQLITE_DONE)
            rc = wm_error_param(err, WM_ERR_NOT_FOUND, "id",
                                "no capture %lld", (long long)id);
        else
            rc = store_db_error(store, "reading a capture", err);
        sqlite3_reset(stmt);
    }
    store_unlock(store);
    return rc;
}

void wm_store_capture_free(wm_store_capture *capture)
{
    if (!capture)
        return;
    free(capture->analysis_json);
    memset(capture, 0, sizeof *capture);
}

int wm_store_list_captures(wm_store *store, int64_t before_id, size_t limit,
                           wm_store_capture_list *out, wm_error *err)
{
    memset(out, 0, sizeof *out);
    assert(limit > 0 && limit <= 10000);
    out->captures = calloc(limit + 1, sizeof *out->captures);
    if (!out->captures)
        return wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_CAP_LIST, err);
    int rc = stmt ? 0 : -1;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, before_id > 0 ? before_id : INT64_MAX);
        /* One more than asked: whether there is a next page. */
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)limit + 1);
        int step;
        while (rc == 0 && (step = sqlite3_step(stmt)) == SQLITE_ROW)
            rc = read_capture(stmt, &out->captures[out->count++], err);
        if (rc == 0 && step != SQLITE_DONE)
            rc = store_db_error(store, "listing captures", err);
        sqlite3_reset(stmt);
    }
    store_unlock(store);
    if (rc == 0 && out->count > limit) {
        out->count = limit;
        out->next_before = out->captures[limit - 1].id;
    }
    if (rc != 0)
        wm_store_capture_list_free(out);
    return rc;
}

void wm_store_capture_list_free(wm_store_capture_list *list)
{
    if (!list)
        return;
    free(list->captures); /* listed without analyses: nothing else held */
    memset(list, 0, sizeof *list);
}

/* A capture's file and what its analysis kept beside it; all are tried. */
static int remove_files(wm_store *store, int64_t id, wm_error *err)
{
    char path[PATH_MAX + 32];
    int rc = 0;
    for (size_t i = 0; i < sizeof all_suffixes / sizeof *all_suffixes; i++)
        if (wm_store_capture_file(store, id, all_suffixes[i], path,
                                  sizeof path, err) != 0 ||
            store_unlink(path, err) != 0 ||
            strlen(path) + sizeof RETIRED_SUFFIX > sizeof path ||
            store_unlink(strcat(path, RETIRED_SUFFIX), err) != 0)
            rc = -1;
    return rc;
}

/* Renames a capture's files to their retired names, lock held, for the
 * reason store_retire_files does for runs (a rename is microseconds, the
 * unlink of a big file is not); one that cannot be renamed is unlinked
 * there and then. */
static int retire_files(wm_store *store, int64_t id, wm_error *err)
{
    char path[PATH_MAX + 32], retired[PATH_MAX + 32];
    int rc = 0;
    for (size_t i = 0; i < sizeof all_suffixes / sizeof *all_suffixes; i++) {
        if (wm_store_capture_file(store, id, all_suffixes[i], path,
                                  sizeof path, err) != 0) {
            rc = -1;
            continue;
        }
        int n = snprintf(retired, sizeof retired, "%s%s", path,
                         RETIRED_SUFFIX);
        if (n < 0 || (size_t)n >= sizeof retired ||
            (rename(path, retired) != 0 && errno != ENOENT)) {
            if (store_unlink(path, err) != 0)
                rc = -1;
        }
    }
    return rc;
}

int wm_store_delete_capture(wm_store *store, int64_t id, wm_error *err)
{
    wm_store_capture c;
    if (wm_store_get_capture(store, id, &c, err) != 0)
        return -1;
    bool running = c.status == WM_STORE_RUNNING;
    wm_store_capture_free(&c);
    if (running)
        return wm_error_param(err, WM_ERR_INVALID, "id",
                              "capture %lld is being analysed; delete it "
                              "once it is done", (long long)id);
    store_lock(store);
    int rc = store_refuse_if_read_only(store, err);
    if (rc == 0)
        rc = delete_row(store, SQL_CAP_DELETE, id, err);
    /* Under the lock: whoever finds the row gone finds the files gone. */
    int retired = rc == 0 ? retire_files(store, id, err) : 0;
    store_unlock(store);
    if (rc != 0)
        return -1;
    return remove_files(store, id, err) != 0 ? -1 : retired;
}

/* The id of a capture's file, "<id>.pcap" or "<id>" and an extra
 * suffix, or one of those retired (*retired true); 0 for any other
 * name. */
static int64_t capture_name_id(const char *name, bool *retired)
{
    if (name[0] < '1' || name[0] > '9')
        return 0;
    char *end = NULL;
    errno = 0;
    long long id = strtoll(name, &end, 10);
    if (errno || id <= 0)
        return 0;
    for (size_t i = 0; i < sizeof all_suffixes / sizeof *all_suffixes;
         i++) {
        size_t len = strlen(all_suffixes[i]);
        if (strncmp(end, all_suffixes[i], len) != 0)
            continue;
        *retired = strcmp(end + len, RETIRED_SUFFIX) == 0;
        if (*retired || end[len] == '\0')
            return (int64_t)id;
    }
    return 0;
}

/* Removes every file of the captures directory that is an upload never
 * added, a capture's file retired, or a file of a capture not in rows
 * (those that keep files, sorted): a crash between a deletion's or a
 * failure's commit and its unlinks leaves those two. */
static int remove_leftovers(wm_store *store, const id_list *rows,
                            wm_error *err)
{
    DIR *dir = opendir(store->capture_dir);
    if (!dir)
        return errno == ENOENT ? 0
                               : wm_error_set(err, WM_ERR_IO, "reading %s: %s",
                                              store->capture_dir,
                                              strerror(errno));
    int rc = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        bool retired = false;
        int64_t id = capture_name_id(entry->d_name, &retired);
        if (strncmp(entry->d_name, UPLOAD_PREFIX, strlen(UPLOAD_PREFIX)) &&
            (id == 0 || (!retired && store_id_list_has(rows, id))))
            continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", store->capture_dir,
                 entry->d_name);
        if (store_unlink(path, err) != 0)
            rc = -1;
    }
    closedir(dir);
    return rc;
}

/* Whether the capture's file is there (a stat error other than "none"
 * counts as there: analysing it again says what is wrong). */
static bool capture_file_present(wm_store *store, int64_t id)
{
    char path[PATH_MAX + 32];
    struct stat st;
    if (wm_store_capture_path(store, id, path, sizeof path, NULL) != 0)
        return false;
    return stat(path, &st) == 0 || errno != ENOENT;
}

int store_captures_recover(wm_store *store, wm_error *err)
{
    id_list running = {0}, lost = {0};
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_CAP_RUNNING, err);
    int rc = stmt ? store_collect_ids(store, stmt, &running,
                                            "listing captures", err) : -1;
    /* A row whose rename never happened: the upload was never whole. */
    for (size_t i = 0; rc == 0 && i < running.count; i++)
        if (!capture_file_present(store, running.ids[i]))
            rc = store_id_list_push(&lost, running.ids[i], err);
    for (size_t i = 0; rc == 0 && i < lost.count; i++)
        rc = delete_row(store, SQL_CAP_DELETE_ANY, lost.ids[i], err);
    /* After the lost rows went: their files are files of no row. */
    id_list rows = {0};
    stmt = rc == 0 ? store_stmt(store, SQL_CAP_IDS, err) : NULL;
    if (rc == 0)
        rc = stmt ? store_collect_ids(store, stmt, &rows, "listing captures",
                                      err) : -1;
    store_unlock(store);
    if (rc == 0)
        rc = remove_leftovers(store, &rows, err);
    free(running.ids);
    free(lost.ids);
    free(rows.ids);
    return rc;
}

int wm_store_unfinished_captures(wm_store *store, int64_t **ids,
                                 size_t *count, wm_error *err)
{
    id_list running = {0};
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, SQL_CAP_RUNNING, err);
    int rc = stmt ? store_collect_ids(store, stmt, &running,
                                            "listing captures", err) : -1;
    store_unlock(store);
    if (rc != 0) {
        free(running.ids);
        running = (id_list){0};
    }
    *ids = running.ids;
    *count = running.count;
    return rc;
}

int wm_store_prune_captures(wm_store *store, uint64_t keep,
                            uint64_t *deleted, wm_error *err)
{
    assert(keep > 0);
    id_list gone = {0};
    store_lock(store);
    int rc = store_refuse_if_read_only(store, err);
    sqlite3_stmt *stmt = rc == 0 ? store_stmt(store, SQL_CAP_PRUNE, err)
                                 : NULL;
    if (stmt) {
        sqlite3_bind_int64(stmt, 1, (sqlite3_int64)(keep > INT64_MAX
                                                        ? INT64_MAX : keep));
        rc = store_collect_ids(store, stmt, &gone, "removing old captures",
                               err);
    } else {
        rc = -1;
    }
    /* Rows first, then files retired before the lock is let go: a reader
     * that finds a row gone finds its files gone; a crash between leaves
     * files of no row, which start-up removes (remove_leftovers), never a
     * row without its file. */
    int retired = 0;
    for (size_t i = 0; rc == 0 && i < gone.count; i++)
        if (retire_files(store, gone.ids[i], err) != 0)
            retired = -1;
    store_unlock(store);
    for (size_t i = 0; rc == 0 && i < gone.count; i++)
        if (remove_files(store, gone.ids[i], err) != 0)
            rc = -1;
    if (rc == 0)
        rc = retired;
    if (deleted)
        *deleted = rc == 0 ? gone.count : 0;
    free(gone.ids);
    return rc;
}
