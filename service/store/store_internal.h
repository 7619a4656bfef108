/* store_internal: what the store's source files share and nobody else
 * sees — the struct behind wm_store, its statement cache and lock.
 *
 * The store is split by subject, in layers that only call downwards:
 * the helpers (store_db.c) and the run's files (store_files.c); the schema
 * (store_schema.c); opening it (store.c); the states it could not write
 * (store_unsaved.c); whether it can be written (store_state.c); the
 * start-up recovery and wm_store_retry, which reruns it (store_recover.c);
 * and above all these,
 * runs (store_runs.c), sweeps (store_sweeps.c) and retention
 * (store_prune.c). They meet here. */
#ifndef WM_STORE_INTERNAL_H
#define WM_STORE_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "wm_store.h"

#define STORE_STMT_CACHE 48

/* Why writes fail, in the words /healthz and refused requests give. */
#define STORE_MSG_FULL "the disk holding the data directory is full"
#define STORE_MSG_READ_ONLY "the data directory is read-only"
#define STORE_MSG_IO "the data directory's disk failed a write (I/O error)"

/* A final state the store could not write (disk full, read-only): kept
 * here, reported by every read as if stored, written by wm_store_retry. */
typedef struct store_unsaved {
    int64_t id;
    bool sweep;              /* a sweep's end; otherwise a run's failure */
    wm_store_status status;  /* failed for a run; done or failed, sweep */
    char code[32];
    char message[480];
    int64_t finished_ns;
} store_unsaved;

/* A run a worker started; its row still says queued (store_running.c). */
typedef struct store_running {
    int64_t id;
    int64_t started_ns;
} store_running;

/* The WAL's checkpoints (store_checkpoint.c): a COMMIT that leaves the
 * WAL at STORE_WAL_CHECKPOINT_PAGES pages or more (SQLite's own default
 * for its automatic checkpoint: 4 MB of 4 KB pages) wakes the checkpoint
 * thread; one that leaves it at STORE_WAL_INLINE_PAGES (16 MB) or more
 * checkpoints itself: the bound of the WAL while the thread falls behind.
 * The thread runs at nice STORE_CHECKPOINT_NICE. */
#define STORE_WAL_CHECKPOINT_PAGES 1000
#define STORE_WAL_INLINE_PAGES 4000
#define STORE_CHECKPOINT_NICE 10

typedef struct store_checkpointer {
    pthread_t thread;
    pthread_mutex_t lock;        /* guards due and stop */
    pthread_cond_t wake;
    bool due, stop;
    bool inited, started;
    sqlite3 *db;                 /* the thread's own connection */
    atomic_uint_fast64_t background_count, inline_count; /* for tests */
} store_checkpointer;

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
    int pcap_dir_fd;             /* <data>/pcaps, for its fsync */
    int version;                 /* user_version after migrations */
    char data_dir[PATH_MAX];
    char pcap_dir[PATH_MAX];
    char capture_dir[PATH_MAX];  /* <data>/captures */
    atomic_uint_fast64_t deletions; /* runs deleted since open, for
                                       wm_store_deletions */
    atomic_uint_fast64_t scratch;   /* wm_store_scratch_id's handed out */
    uint64_t min_free_bytes;     /* reserve under which runs are refused */
    unsigned busy_timeout_ms;    /* as opened, for a reopening */
    bool conn_read_only;         /* opened read-only: never writes */
    bool recovered;              /* start-up recovery is stored */
    wm_error_kind write_kind;    /* WM_ERR_NONE while writes succeed, else
                                    WM_ERR_READ_ONLY or WM_ERR_NO_SPACE */
    char write_reason[256];      /* why writes fail, for people: no path */
    store_unsaved *unsaved;      /* states not yet written */
    size_t unsaved_count, unsaved_capacity;
    store_running *running;      /* runs started, not yet ended */
    size_t running_count, running_capacity;
    store_checkpointer ckpt;     /* store_checkpoint.c */
};

/* A growable list of ids, for files to remove once the lock is let go. */
typedef struct id_list {
    int64_t *ids;
    unsigned *held;  /* NULL, or per id: bit k when the database held its
                        output k (wm_store_output), so that it never had
                        that file (nor, pcap held, a link run's two) */
    size_t count, capacity;
} id_list;

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

/* store_files.c: removes a file; a file already gone is fine. */
int store_unlink(const char *path, wm_error *err);

/* store_files.c: the files (pcap and rows, final and partial) of runs. */
int store_remove_pcaps(wm_store *store, const id_list *list, wm_error *err);

/* store_files.c: renames the runs' files to their partial names, which
 * no reader opens and start-up removes: done with the lock held, in the
 * deletion's critical section, so that a reader who finds a run gone
 * finds its files gone; store_remove_pcaps then frees the disk, lock not
 * held. */
int store_retire_files(wm_store *store, const id_list *list, wm_error *err);

/* store_db.c: id lists. */
int store_id_list_push(id_list *list, int64_t id, wm_error *err);

/* Whether id is in list, whose ids are sorted (a binary
 * search: start-up asks it once for every file of a directory). */
bool store_id_list_has(const id_list *list, int64_t id);

/* Steps a statement that RETURNs ids into list. Lock held. */
int store_collect_ids(wm_store *store, sqlite3_stmt *stmt, id_list *list,
                      const char *doing, wm_error *err);

/* BEGIN IMMEDIATE, from the statement cache. Lock held. */
int store_begin(wm_store *store, wm_error *err);

/* store_outputs.c: inserts the held outputs of run id (lock held, inside
 * the transaction that marks it done); the ids of runs whose pcap is
 * held, sorted (lock not held). */
int store_outputs_put(wm_store *store, int64_t id,
                      const wm_store_bytes held[WM_STORE_OUTPUT_COUNT],
                      wm_error *err);
int store_outputs_held_pcaps(wm_store *store, id_list *ids, wm_error *err);

/* store_outputs.c: which outputs of run id the database holds, bit k
 * for output k (wm_store_output). Lock held. */
int store_outputs_held(wm_store *store, int64_t id, unsigned *held,
                       wm_error *err);

/* Ends the transaction begun before the work whose outcome is rc:
 * COMMIT when it succeeded, ROLLBACK otherwise. Lock held. */
int store_end_transaction(wm_store *store, int rc, wm_error *err);

/* The rest with the lock held. store_db.c: after a failed SQLite call: when it failed for lack of space or of
 * write access (not a bug or a busy lock), notes that writes fail, with a
 * reason, rewrites err to WM_ERR_NO_SPACE or WM_ERR_READ_ONLY with that
 * reason (no path, no SQLite text) and returns true. */
bool store_note_failure(wm_store *store, int sqlite_code, wm_error *err);

/* store_state.c: -1 with WM_ERR_READ_ONLY and the reason when the store may not be
 * written at all (opened read-only, or its recovery is not stored). */
int store_refuse_if_read_only(wm_store *store, wm_error *err);

/* store_unsaved.c: keeps a state that could not be written (replacing one of the same id
 * and kind). -1 only when memory runs out. */
int store_unsaved_add(wm_store *store, const store_unsaved *u);
const store_unsaved *store_unsaved_find(const wm_store *store, int64_t id,
                                        bool sweep);

/* Writes every unsaved state, in one transaction. */
int store_save_unsaved(wm_store *store, wm_error *err);

/* Shows a run as its unsaved state says, when it has one. */
void store_unsaved_apply(const wm_store *store, wm_store_run *run);

/* Every run left queued or running, and every sweep left unfinished,
 * kept as interrupted by restart (a store that cannot store its
 * recovery). *count gets the runs. */
int store_unsaved_recovery(wm_store *store, uint64_t *count, wm_error *err);

/* store_running.c: a started run (not yet in the list); -1 only when
 * memory runs out. */
int store_running_add(wm_store *store, int64_t id, int64_t started_ns);
const store_running *store_running_find(const wm_store *store, int64_t id);

/* Drops a started run from the list: its start time, 0 when not there. */
int64_t store_running_take(wm_store *store, int64_t id);

/* Shows a queued run a worker started as running. */
void store_running_apply(const wm_store *store, wm_store_run *run);

/* store_checkpoint.c: the hook every connection of the store that
 * writes gets (sqlite3_wal_hook; it replaces SQLite's automatic
 * checkpoint); the checkpoint thread, started before the store opens its
 * database and stopped before that connection closes; how many
 * checkpoints were taken by the thread or, in_commit, by a COMMIT past
 * STORE_WAL_INLINE_PAGES. */
int store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages);
int store_checkpoint_start(wm_store *store);
void store_checkpoint_stop(wm_store *store);
uint64_t store_checkpoint_count(wm_store *store, bool in_commit);

/* store.c: replaces a read-only connection with a read-write one when
 * one can be opened now; -1 (the old one kept) otherwise. Lock held. */
int store_reopen_rw(wm_store *store);

/* store_recover.c: at start-up, pcaps and rows agree again: files of no
 * done run removed, done runs without a file marked failed. Lock not
 * held; no run may be executing. */
int store_reconcile_files(wm_store *store, wm_error *err);

/* store_captures.c, at start-up: removes the uploads never added and the
 * captures whose analysis never ended (row and file). */
int store_captures_recover(wm_store *store, wm_error *err);

#endif
