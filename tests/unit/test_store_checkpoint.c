/* The WAL's checkpoints (store_checkpoint.c): a COMMIT that takes the WAL
 * past STORE_WAL_CHECKPOINT_PAGES leaves the checkpoint to the store's
 * thread instead of taking it itself; one past STORE_WAL_INLINE_PAGES
 * takes it itself, so that the WAL stays bounded when the thread is
 * behind; a store closed and opened again holds what was committed. The
 * pages are written into a scratch table of the store's database, through
 * its own connection, as a finishing run's COMMIT would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "store_fixture.h"
#include "store_internal.h"

/* One transaction writing about `pages` database pages. */
static void write_pages(wm_store *store, int pages)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS scratch(b BLOB); "
             "INSERT INTO scratch VALUES (randomblob(%d));",
             pages * 4096);
    store_lock(store);
    assert_int_equal(sqlite3_exec(store->db, sql, NULL, NULL, NULL),
                     SQLITE_OK);
    store_unlock(store);
}

/* The thread's checkpoint is asynchronous: waited for, up to 30 s. */
static bool background_checkpoint_seen(wm_store *store)
{
    for (int i = 0; i < 3000; i++) {
        if (store_checkpoint_count(store, false) > 0)
            return true;
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    return false;
}

static void test_commit_leaves_checkpoint_to_thread(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    write_pages(f->store, STORE_WAL_CHECKPOINT_PAGES / 10);
    assert_int_equal(store_checkpoint_count(f->store, false), 0);
    write_pages(f->store, STORE_WAL_CHECKPOINT_PAGES + 10);
    assert_true(background_checkpoint_seen(f->store));
    assert_int_equal(store_checkpoint_count(f->store, true), 0);
}

static void test_big_commit_checkpoints_itself(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    write_pages(f->store, STORE_WAL_INLINE_PAGES + 10);
    assert_int_equal(store_checkpoint_count(f->store, true), 1);
}

static void test_committed_pages_survive_reopen(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    for (int i = 0; i < 4; i++)
        write_pages(f->store, STORE_WAL_CHECKPOINT_PAGES / 2);
    wm_store_close(f->store);
    f->store = open_store(f);
    store_lock(f->store);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->store->db,
                                        "SELECT count(*) FROM scratch", -1,
                                        &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(stmt, 0), 4);
    sqlite3_finalize(stmt);
    store_unlock(f->store);
    /* A clean close leaves no WAL behind: a read-only directory can
     * still be read (store.c, open_ro). */
    char wal[192];
    snprintf(wal, sizeof wal, "%s/" WM_STORE_DB_NAME "-wal", f->data);
    wm_store_close(f->store);
    f->store = NULL;
    struct stat st;
    assert_int_not_equal(stat(wal, &st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_commit_leaves_checkpoint_to_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_commit_checkpoints_itself,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_committed_pages_survive_reopen,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
