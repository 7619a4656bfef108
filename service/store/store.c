/* wm_store: opening the store (the data directory, its lock, the
 * connection and its settings) and status names. A store that cannot be
 * opened for writing (a read-only or full disk) is opened read-only, so
 * that what it holds can still be read. The other parts of the store and
 * their layers: store_internal.h. See wm_store.h. */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <stdlib.h>

static const char *const status_names[WM_STORE_STATUS_COUNT] = {
    "queued", "running", "done", "failed",
};

const char *wm_store_status_name(wm_store_status status)
{
    if ((unsigned)status >= WM_STORE_STATUS_COUNT)
        return "failed";
    return status_names[status];
}

int wm_store_status_parse(const char *name, wm_store_status *out)
{
    for (int i = 0; name && i < WM_STORE_STATUS_COUNT; i++)
        if (strcmp(name, status_names[i]) == 0) {
            *out = (wm_store_status)i;
            return 0;
        }
    return -1;
}

bool wm_store_status_final(wm_store_status status)
{
    return status == WM_STORE_DONE || status == WM_STORE_FAILED;
}

void wm_store_options_default(wm_store_options *opts)
{
    opts->data_dir = NULL;
    opts->busy_timeout_ms = WM_STORE_DEFAULT_BUSY_TIMEOUT_MS;
    opts->min_free_bytes = WM_STORE_DEFAULT_MIN_FREE;
}


/* Like mkdir -p: on a fresh account the default ~/.local/share/wiremeter
 * has no ~/.local yet. Every directory made on the way gets 0700, as the
 * XDG base directory specification asks. */
static int make_dir(const char *path, wm_error *err)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return wm_error_set(err, WM_ERR_IO, "bad data directory '%s'", path);
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return wm_error_set(err, WM_ERR_IO,
                                "creating data directory %s: %s", buf,
                                strerror(errno));
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return wm_error_set(err, WM_ERR_IO, "%s is not a directory", path);
    return 0;
}

/* Two daemons on one data directory would each "recover" the other's
 * running runs; a lock file makes the second one refuse to start. */
static int lock_data_dir(wm_store *store, wm_error *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/wiremeter.lock", store->data_dir);
    store->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    /* A read-only directory: its existing lock file still locks; without
     * one nobody can write there anyway, so there is nothing to guard. */
    if (store->lock_fd < 0 && (errno == EROFS || errno == EACCES))
        store->lock_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (store->lock_fd < 0 && (errno == ENOENT || errno == EACCES))
        return 0;
    if (store->lock_fd < 0)
        return wm_error_set(err, WM_ERR_IO, "opening %s: %s", path,
                            strerror(errno));
    if (flock(store->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return wm_error_set(err, WM_ERR_IO,
                            "data directory %s is in use by another "
                            "wiremeter (%s is locked)",
                            store->data_dir, path);
    return 0;
}

static int configure(wm_store *store, unsigned busy_timeout_ms,
                     wm_error *err)
{
    int mode_is_wal = 0;
    sqlite3_busy_timeout(store->db, (int)busy_timeout_ms);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(store->db, "PRAGMA journal_mode=WAL", -1, &stmt,
                           NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        mode_is_wal = strcmp((const char *)sqlite3_column_text(stmt, 0),
                             "wal") == 0;
    sqlite3_finalize(stmt);
    if (!mode_is_wal)
        return wm_error_set(err, WM_ERR_IO,
                            "store: %s/" WM_STORE_DB_NAME
                            " cannot use WAL mode: %s",
                            store->data_dir, sqlite3_errmsg(store->db));
    sqlite3_wal_hook(store->db, store_wal_hook, store);
    return store_exec(store,
                      "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                      err);
}

static int open_rw(wm_store *store, const wm_store_options *opts,
                   const char *path, wm_error *err)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &store->db, flags, NULL) != SQLITE_OK)
        return wm_error_set(err, WM_ERR_IO, "opening %s: %s", path,
                            store->db ? sqlite3_errmsg(store->db)
                                      : "out of memory");
    /* SQLite opens a file it may not write read-only, silently. */
    if (sqlite3_db_readonly(store->db, "main") == 1)
        return wm_error_set(err, WM_ERR_READ_ONLY, "%s is read-only", path);
    int version = 0;
    if (store_schema_check(store, &version, err) != 0 ||
        configure(store, opts->busy_timeout_ms, err) != 0)
        return -1;
    return store_schema_migrate(store, version, err);
}

/* "file:" and the path with the characters a URI gives a meaning to
 * escaped, for the URI parameters of open_ro. */
static int file_uri(const char *path, const char *params, char *buf,
                    size_t len)
{
    size_t at = (size_t)snprintf(buf, len, "file:");
    for (const char *p = path; *p && at + 4 < len; p++)
        at += (size_t)(strchr("?#%", *p)
                           ? snprintf(buf + at, len - at, "%%%02X",
                                      (unsigned char)*p)
                           : snprintf(buf + at, len - at, "%c", *p));
    int n = snprintf(buf + at, len - at, "?%s", params);
    return n < 0 || (size_t)n >= len - at ? -1 : 0;
}

/* Read-only: without its -shm and -wal (a clean close removed them, and
 * a read-only directory cannot hold new ones) SQLite reads a WAL database
 * only as immutable, which is what it is there. */
static int open_ro(wm_store *store, const char *path, wm_error *err)
{
    static const char *const params[] = {"mode=ro", "mode=ro&immutable=1"};
    char uri[3 * PATH_MAX + 64];
    int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        sqlite3_close(store->db);
        store->db = NULL;
        int version = 0;
        if (file_uri(path, params[i], uri, sizeof uri) == 0 &&
            sqlite3_open_v2(uri, &store->db, flags, NULL) == SQLITE_OK &&
            store_schema_check(store, &version, err) == 0) {
            if (version != WM_STORE_SCHEMA_VERSION)
                return wm_error_set(err, WM_ERR_IO, "%s needs migrating to "
                                    "schema %d but is read-only", path,
                                    WM_STORE_SCHEMA_VERSION);
            store->version = version;
            sqlite3_busy_timeout(store->db, WM_STORE_DEFAULT_BUSY_TIMEOUT_MS);
            return 0;
        }
    }
    return wm_error_set(err, WM_ERR_IO, "opening %s read-only: %s", path,
                        store->db ? sqlite3_errmsg(store->db) : "failed");
}

static int open_db(wm_store *store, const wm_store_options *opts,
                   wm_error *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" WM_STORE_DB_NAME, store->data_dir);
    wm_error rw_err;
    wm_error_clear(&rw_err);
    if (open_rw(store, opts, path, &rw_err) == 0)
        return 0;
    int code = store->db ? sqlite3_extended_errcode(store->db) : 0;
    bool storage = rw_err.kind == WM_ERR_READ_ONLY ||
                   store_note_failure(store, code, NULL);
    if (!storage || open_ro(store, path, NULL) != 0) {
        if (err)
            *err = rw_err;
        return -1;
    }
    if (store->write_kind == WM_ERR_NONE) {
        store->write_kind = WM_ERR_READ_ONLY;
        snprintf(store->write_reason, sizeof store->write_reason,
                 "the data directory is read-only");
    }
    store->conn_read_only = true;
    fprintf(stderr, "wiremeter: store: opened READ-ONLY (%s): %s\n",
            store->write_reason, rw_err.message);
    return 0;
}

int wm_store_open(const wm_store_options *opts, wm_store **out,
                  wm_error *err)
{
    *out = NULL;
    if (!opts || !opts->data_dir || !opts->data_dir[0])
        return wm_error_set(err, WM_ERR_INVALID, "store: no data directory");
    wm_store *store = calloc(1, sizeof *store);
    if (!store)
        return wm_error_set(err, WM_ERR_INTERNAL, "store: out of memory");
    store->lock_fd = -1;
    store->pcap_dir_fd = -1;
    store->min_free_bytes = opts->min_free_bytes;
    store->busy_timeout_ms = opts->busy_timeout_ms;
    store->recovered = true; /* until a recovery cannot be written */
    pthread_mutex_init(&store->lock, NULL);
    /* Before the first COMMIT (the migrations'), whose hook may wake it. */
    if (store_checkpoint_start(store) != 0) {
        wm_store_close(store);
        return wm_error_set(err, WM_ERR_INTERNAL, "store: cannot start the "
                            "checkpoint thread");
    }
    int n = snprintf(store->data_dir, sizeof store->data_dir, "%s",
                     opts->data_dir);
    int m = snprintf(store->pcap_dir, sizeof store->pcap_dir,
                     "%s/" WM_STORE_PCAP_DIR, opts->data_dir);
    int c = snprintf(store->capture_dir, sizeof store->capture_dir,
                     "%s/" WM_STORE_CAPTURE_DIR, opts->data_dir);
    if (n < 0 || (size_t)n >= sizeof store->data_dir || m < 0 ||
        (size_t)m >= sizeof store->pcap_dir || c < 0 ||
        (size_t)c >= sizeof store->capture_dir) {
        wm_store_close(store);
        return wm_error_set(err, WM_ERR_INVALID, "store: data directory "
                            "path too long");
    }
    if (make_dir(store->data_dir, err) != 0 ||
        make_dir(store->pcap_dir, err) != 0 ||
        make_dir(store->capture_dir, err) != 0 ||
        lock_data_dir(store, err) != 0 || open_db(store, opts, err) != 0) {
        wm_store_close(store);
        return -1;
    }
    /* Held for wm_store_sync_pcap_dir: an open a run fewer. */
    store->pcap_dir_fd =
        open(store->pcap_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (store->pcap_dir_fd < 0) {
        wm_error_set(err, WM_ERR_IO, "opening %s: %s", store->pcap_dir,
                     strerror(errno));
        wm_store_close(store);
        return -1;
    }
    *out = store;
    return 0;
}

int store_reopen_rw(wm_store *store)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" WM_STORE_DB_NAME, store->data_dir);
    sqlite3 *old = store->db;
    store->db = NULL;
    wm_store_options opts = {.busy_timeout_ms = store->busy_timeout_ms};
    wm_error_kind kind = store->write_kind;
    if (open_rw(store, &opts, path, NULL) != 0) {
        sqlite3_close(store->db);
        store->db = old;
        store->write_kind = kind; /* the reason stays the first one */
        return -1;
    }
    /* Statements belong to the connection that prepared them. */
    for (size_t i = 0; i < store->stmt_count; i++)
        sqlite3_finalize(store->stmts[i].stmt);
    store->stmt_count = 0;
    sqlite3_close(old);
    fprintf(stderr, "wiremeter: store: opened for writing again\n");
    return 0;
}

void wm_store_close(wm_store *store)
{
    if (!store)
        return;
    store_checkpoint_stop(store);
    for (size_t i = 0; i < store->stmt_count; i++)
        sqlite3_finalize(store->stmts[i].stmt);
    if (store->db)
        sqlite3_close(store->db);
    if (store->lock_fd >= 0)
        close(store->lock_fd);
    if (store->pcap_dir_fd >= 0)
        close(store->pcap_dir_fd);
    free(store->unsaved);
    free(store->running);
    pthread_mutex_destroy(&store->lock);
    free(store);
}

int wm_store_schema_version(wm_store *store)
{
    return store->version;
}

const char *wm_store_data_dir(const wm_store *store)
{
    return store->data_dir;
}

bool wm_store_ping(wm_store *store)
{
    static const char sql[] =
        "SELECT count(*) FROM (SELECT 1 FROM runs LIMIT 1)";
    store_lock(store);
    sqlite3_stmt *stmt = store_stmt(store, sql, NULL);
    bool ok = stmt && sqlite3_step(stmt) == SQLITE_ROW;
    if (stmt)
        sqlite3_reset(stmt);
    store_unlock(store);
    return ok;
}

