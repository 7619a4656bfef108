/* store_internal: what the store's source files share and nobody else
 * sees — the struct behind wm_store, its statement cache and lock.
 *
 * The store is split by subject to keep each file short: opening it
 * (store.c), the helpers below (store_db.c), the schema (store_schema.c),
 * runs (store_runs.c) and sweeps (store_sweeps.c); they meet here. */
#ifndef WM_STORE_INTERNAL_H
#define WM_STORE_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "wm_store.h"

#define STORE_STMT_CACHE 32

typedef struct store_stmt_slot {
    const char *sql;     /* identity: the address of a static SQL text */
    sqlite3_stmt *stmt;
} store_stmt_slot;

struct wm_store {
    sqlite3 *db;
    pthread_mutex_t lock;        /* guards db and the statement cache */
    store_stmt_slot stmts[STORE_STMT_CACHE];
    size_t stmt_count;
    int lock_fd;                 /* flock on <data>/wiremeter.lock */
    int version;                 /* user_version after migrations */
    char data_dir[PATH_MAX];
    char pcap_dir[PATH_MAX];
    atomic_uint_fast64_t deletions; /* runs deleted since open, for
                                       wm_store_deletions */
};

/* store_db.c */
void store_lock(wm_store *store);
void store_unlock(wm_store *store);

/* The cached, reset statement for this static SQL text (prepared on first
 * use), or NULL with err filled. Call with the lock held. */
sqlite3_stmt *store_stmt(wm_store *store, const char *sql, wm_error *err);

/* Fills err with what SQLite says about the last call, prefixed by what
 * was being done. Returns -1. */
int store_db_error(wm_store *store, const char *doing, wm_error *err);

/* Runs a statement without result rows to completion. 0 or -1. */
int store_step_done(wm_store *store, sqlite3_stmt *stmt, const char *doing,
                    wm_error *err);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK on the store's connection. */
int store_exec(wm_store *store, const char *sql, wm_error *err);

/* Binds a C string, NULL as SQL NULL; SQLite copies it. */
int store_bind_text(sqlite3_stmt *stmt, int index, const char *text);

/* store_schema.c: refuses a database that is not ours or is newer than
 * this binary (its user_version goes to *version), and migrates one from
 * version `from` to WM_STORE_SCHEMA_VERSION, each step in a transaction
 * of its own. */
int store_schema_check(wm_store *store, int *version, wm_error *err);
int store_schema_migrate(wm_store *store, int from, wm_error *err);

/* Removes a file; a file already gone is fine. */
int store_unlink(const char *path, wm_error *err);

#endif
