/* store_checkpoint: the WAL's checkpoints, taken off the request's path.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
 * past wal_autocheckpoint pages: every thousand pages or so one finishing
 * run paid for copying the WAL into the database, with its lock held.
 * Here the COMMIT only notes the WAL's size (store_wal_hook); past
 * STORE_WAL_CHECKPOINT_PAGES it wakes a thread of the store's own, which
 * checkpoints through a connection of its own, PASSIVE (it waits for
 * nobody, blocks no writer) at a low priority. If that thread falls
 * behind, the COMMIT that takes the WAL past STORE_WAL_INLINE_PAGES
 * checkpoints itself, as SQLite would: the WAL stays bounded.
 *
 * Durability is the WAL's, unchanged: a checkpoint only copies committed
 * pages into the database; killed in the middle, it is redone from the
 * WAL on the next open. A checkpoint that fails (a full or read-only
 * disk) leaves the WAL as it was, to be checkpointed later. */
#include "store_internal.h"

#include <assert.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    wm_store *store = arg;
    if (pages >= STORE_WAL_INLINE_PAGES) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL,
                                  NULL);
        atomic_fetch_add(&store->ckpt.inline_count, 1);
    } else if (pages >= STORE_WAL_CHECKPOINT_PAGES) {
        pthread_mutex_lock(&store->ckpt.lock);
        store->ckpt.due = true;
        pthread_cond_signal(&store->ckpt.wake);
        pthread_mutex_unlock(&store->ckpt.lock);
    }
    return SQLITE_OK; /* the commit is done either way */
}

/* The thread's connection, opened at its first checkpoint; NULL when the
 * database cannot be opened for writing now (a later wake retries). */
static sqlite3 *checkpoint_db(wm_store *store)
{
    if (store->ckpt.db)
        return store->ckpt.db;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" WM_STORE_DB_NAME, store->data_dir);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    /* A connection checkpoints the WAL it has opened: one read opens it. */
    if (sqlite3_exec(db, "PRAGMA user_version", NULL, NULL, NULL) !=
        SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    store->ckpt.db = db;
    return db;
}

static void *checkpoint_main(void *arg)
{
    wm_store *store = arg;
    /* Behind the request threads when they want the core: nothing waits
     * for this one. A thread's nice value is its own on Linux. */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
                STORE_CHECKPOINT_NICE);
    pthread_mutex_lock(&store->ckpt.lock);
    for (;;) {
        while (!store->ckpt.due && !store->ckpt.stop)
            pthread_cond_wait(&store->ckpt.wake, &store->ckpt.lock);
        if (store->ckpt.stop)
            break;
        store->ckpt.due = false;
        pthread_mutex_unlock(&store->ckpt.lock);
        sqlite3 *db = checkpoint_db(store);
        if (db && sqlite3_wal_checkpoint_v2(db, "main",
                                            SQLITE_CHECKPOINT_PASSIVE, NULL,
                                            NULL) == SQLITE_OK)
            atomic_fetch_add(&store->ckpt.background_count, 1);
        pthread_mutex_lock(&store->ckpt.lock);
    }
    pthread_mutex_unlock(&store->ckpt.lock);
    return NULL;
}

int store_checkpoint_start(wm_store *store)
{
    assert(!store->ckpt.started && !store->ckpt.inited);
    pthread_mutex_init(&store->ckpt.lock, NULL);
    pthread_cond_init(&store->ckpt.wake, NULL);
    store->ckpt.inited = true;
    if (pthread_create(&store->ckpt.thread, NULL, checkpoint_main, store) !=
        0)
        return -1;
    store->ckpt.started = true;
    return 0;
}

void store_checkpoint_stop(wm_store *store)
{
    if (store->ckpt.started) {
        pthread_mutex_lock(&store->ckpt.lock);
        store->ckpt.stop = true;
        pthread_cond_signal(&store->ckpt.wake);
        pthread_mutex_unlock(&store->ckpt.lock);
        pthread_join(store->ckpt.thread, NULL);
        store->ckpt.started = false;
    }
    /* Closed before the store's own connection: that one, the last,
     * checkpoints and removes the WAL, as a clean close always did. */
    sqlite3_close(store->ckpt.db);
    store->ckpt.db = NULL;
    if (store->ckpt.inited) {
        pthread_cond_destroy(&store->ckpt.wake);
        pthread_mutex_destroy(&store->ckpt.lock);
        store->ckpt.inited = false;
    }
}

uint64_t store_checkpoint_count(wm_store *store, bool in_commit)
{
    return in_commit ? atomic_load(&store->ckpt.inline_count)
                     : atomic_load(&store->ckpt.background_count);
}
