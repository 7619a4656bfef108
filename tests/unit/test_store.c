/* The run store: schema and migrations, refusal of files that are not ours
 * or are newer, the life of a run, lists with a cursor, deletion with the
 * pcap, retention, recovery after a crash, sweeps, and many threads at
 * once. Each test works in a fresh temporary data directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_fixture.h"
#include "wm_store.h"

static int open_expect_failure(fixture *f, wm_error *err)
{
    wm_store_options opts;
    wm_store_options_default(&opts);
    opts.data_dir = f->data;
    wm_store *store = NULL;
    int rc = wm_store_open(&opts, &store, err);
    assert_null(store);
    return rc;
}

static int64_t insert(wm_store *store, const char *label)
{
    int64_t id = 0;
    wm_error err = {0};
    if (wm_store_insert_run(store, label, 13, "{\"size\":13}", 0, &id,
                            &err) != 0)
        fail_msg("insert: %s", err.message);
    assert_true(id > 0);
    return id;
}

static void finish(wm_store *store, int64_t id)
{
    wm_error err = {0};
    assert_int_equal(wm_store_mark_running(store, id, &err), 0);
    assert_int_equal(wm_store_finish_run(store, id, "{\"ok\":1}", &err), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void pcap_of(wm_store *store, int64_t id, char *buf, size_t len)
{
    assert_int_equal(wm_store_pcap_path(store, id, buf, len, NULL), 0);
}

static int db_pragma(fixture *f, const char *sql)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->data, WM_STORE_DB_NAME);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
    int rc = sqlite3_step(stmt);
    int value = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

/* v3 -> v4: a store whose runs_by_sweep indexed every run (as v3 made
 * it) gets the partial index, its runs kept. */
static void test_migrates_sweep_index(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t id = insert(f->store, "before");
    wm_store_close(f->store);
    f->store = NULL;
    db_pragma(f, "DROP INDEX runs_by_sweep");
    db_pragma(f, "CREATE INDEX runs_by_sweep ON runs(sweep_id)");
    db_pragma(f, "PRAGMA user_version = 3");
    const char *partial = "SELECT sql LIKE '%WHERE sweep_id IS NOT NULL'"
                          " FROM sqlite_master WHERE name = 'runs_by_sweep'";
    assert_int_equal(db_pragma(f, partial), 0);
    f->store = open_store(f);
    assert_int_equal(wm_store_schema_version(f->store), 4);
    wm_store_run run;
    wm_error err = {0};
    assert_int_equal(wm_store_get_run(f->store, id, &run, &err), 0);
    assert_string_equal(run.label, "before");
    wm_store_run_free(&run);
    wm_store_close(f->store);
    f->store = NULL;
    assert_int_equal(db_pragma(f, partial), 1);
    assert_int_equal(db_pragma(f, "PRAGMA user_version"), 4);
}

static void test_open_fresh(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    struct stat st;
    assert_int_equal(stat(f->data, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char pcaps[256];
    snprintf(pcaps, sizeof pcaps, "%s/" WM_STORE_PCAP_DIR, f->data);
    assert_int_equal(stat(pcaps, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(wm_store_schema_version(f->store),
                     WM_STORE_SCHEMA_VERSION);
    assert_true(wm_store_ping(f->store));
    assert_string_equal(wm_store_data_dir(f->store), f->data);
    wm_store_close(f->store);
    f->store = NULL;
    assert_int_equal(db_pragma(f, "PRAGMA user_version"),
                     WM_STORE_SCHEMA_VERSION);
    char mode[16] = "";
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->data, WM_STORE_DB_NAME);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    snprintf(mode, sizeof mode, "%s", sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    assert_string_equal(mode, "wal");
}

/* The default data directory, ~/.local/share/wiremeter, lies under
 * directories a fresh account does not have yet: they are made too. */
static void test_open_makes_parents(void **state)
{
    fixture *f = *state;
    snprintf(f->data, sizeof f->data, "%s/.local/share/wiremeter", f->root);
    f->store = open_store(f);
    struct stat st;
    assert_int_equal(stat(f->data, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    char parent[128];
    snprintf(parent, sizeof parent, "%s/.local", f->root);
    assert_int_equal(stat(parent, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_true(wm_store_ping(f->store));
}

static void test_reopen_keeps_data(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t a = insert(f->store, "first");
    int64_t b = insert(f->store, "second");
    finish(f->store, a);
    wm_store_close(f->store);
    f->store = open_store(f);
    wm_store_run run;
    assert_int_equal(wm_store_get_run(f->store, a, &run, NULL), 0);
    assert_int_equal(run.status, WM_STORE_DONE);
    assert_string_equal(run.label, "first");
    assert_string_equal(run.result_json, "{\"ok\":1}");
    wm_store_run_free(&run);
    assert_int_equal(wm_store_get_run(f->store, b, &run, NULL), 0);
    assert_int_equal(run.status, WM_STORE_QUEUED);
    wm_store_run_free(&run);
    /* ids keep growing after a restart (AUTOINCREMENT). */
    assert_true(insert(f->store, "third") > b);
}

static void test_newer_schema_refused(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t id = insert(f->store, "kept");
    wm_store_close(f->store);
    f->store = NULL;
    db_pragma(f, "PRAGMA user_version = 99");
    wm_error err = {0};
    assert_int_equal(open_expect_failure(f, &err), -1);
    assert_int_equal(err.kind, WM_ERR_IO);
    assert_non_null(strstr(err.message, "newer"));
    assert_non_null(strstr(err.message, "99"));
    /* Refused, not touched: the version and the data are as they were. */
    assert_int_equal(db_pragma(f, "PRAGMA user_version"), 99);
    assert_int_equal(db_pragma(f, "SELECT count(*) FROM runs"), 1);
    (void)id;
}

static void test_garbage_file_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(mkdir(f->data, 0700), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->data, WM_STORE_DB_NAME);
    char garbage[8192];
    for (size_t i = 0; i < sizeof garbage - 1; i++)
        garbage[i] = (char)('a' + (i * 7) % 26);
    garbage[sizeof garbage - 1] = '\0';
    write_file(path, garbage);
    wm_error err = {0};
    assert_int_equal(open_expect_failure(f, &err), -1);
    assert_int_equal(err.kind, WM_ERR_IO);
    assert_non_null(strstr(err.message, "not a wiremeter database"));
    assert_non_null(strstr(err.message, f->data));
}

static void test_foreign_sqlite_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(mkdir(f->data, 0700), 0);
    db_pragma(f, "CREATE TABLE notes (text TEXT)");
    wm_error err = {0};
    assert_int_equal(open_expect_failure(f, &err), -1);
    assert_non_null(strstr(err.message, "another program"));
}

static void test_second_open_refused(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    wm_error err = {0};
    assert_int_equal(open_expect_failure(f, &err), -1);
    assert_non_null(strstr(err.message, "in use"));
}

static void test_life_of_a_run(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    const char *label = "x'); DROP TABLE runs; --";
    int64_t id = insert(f->store, label);
    wm_store_run run;
    wm_error err = {0};
    assert_int_equal(wm_store_get_run(f->store, id, &run, &err), 0);
    assert_int_equal(run.status, WM_STORE_QUEUED);
    assert_string_equal(run.label, label);
    assert_int_equal(run.size_bytes, 13);
    assert_string_equal(run.params_json, "{\"size\":13}");
    assert_null(run.result_json);
    assert_true(run.created_ns > 0);
    assert_int_equal(run.started_ns, 0);
    wm_store_run_free(&run);
    /* Out of order changes are refused and change nothing. */
    assert_int_equal(wm_store_finish_run(f->store, id, "{}", &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_int_equal(wm_store_mark_running(f->store, id, &err), 0);
    assert_int_equal(wm_store_mark_running(f->store, id, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_int_equal(wm_store_fail_run(f->store, id, "timeout", "stalled",
                                       &err), 0);
    assert_int_equal(wm_store_finish_run(f->store, id, "{}", &err), -1);
    assert_int_equal(wm_store_get_run(f->store, id, &run, &err), 0);
    assert_int_equal(run.status, WM_STORE_FAILED);
    assert_string_equal(run.error_code, "timeout");
    assert_string_equal(run.error_message, "stalled");
    assert_true(run.started_ns > 0 && run.finished_ns >= run.started_ns);
    wm_store_run_free(&run);
    assert_int_equal(wm_store_get_run(f->store, id + 1000, &run, &err), -1);
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
    assert_int_equal(wm_store_mark_running(f->store, id + 1000, &err), -1);
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
    assert_int_equal(wm_store_insert_run(f->store, "", UINT64_MAX, NULL, 0,
                                         &id, &err), -1);
    assert_int_equal(err.kind, WM_ERR_TOO_LARGE);
}

static void test_list_cursor(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = insert(f->store, "r");
    finish(f->store, ids[4]);
    wm_store_run_list list;
    assert_int_equal(wm_store_list_runs(f->store, 0, 2, 0, &list, NULL), 0);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.runs[0].id, ids[4]);
    assert_int_equal(list.runs[1].id, ids[3]);
    assert_null(list.runs[0].result_json); /* not asked for */
    assert_int_equal(list.next_before, ids[3]);
    int64_t next = list.next_before;
    wm_store_run_list_free(&list);
    assert_int_equal(wm_store_list_runs(f->store, next, 2, 0, &list, NULL),
                     0);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.runs[0].id, ids[2]);
    assert_int_equal(list.runs[1].id, ids[1]);
    next = list.next_before;
    wm_store_run_list_free(&list);
    assert_int_equal(wm_store_list_runs(f->store, next, 2, 0, &list, NULL),
                     0);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.runs[0].id, ids[0]);
    assert_int_equal(list.next_before, 0);
    wm_store_run_list_free(&list);
    /* Exactly a page left: no further cursor. */
    assert_int_equal(wm_store_list_runs(f->store, 0, 5, WM_STORE_LIST_RESULTS,
                                        &list, NULL), 0);
    assert_int_equal(list.count, 5);
    assert_int_equal(list.next_before, 0);
    assert_string_equal(list.runs[0].result_json, "{\"ok\":1}");
    wm_store_run_list_free(&list);
    assert_int_equal(wm_store_list_runs(f->store, 0, 0, 0, &list, NULL), 0);
    assert_int_equal(list.count, 0);
    wm_store_run_list_free(&list);
}

static void test_delete_removes_pcap(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t id = insert(f->store, "");
    char path[512];
    pcap_of(f->store, id, path, sizeof path);
    wm_error err = {0};
    assert_int_equal(wm_store_delete_run(f->store, id, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID); /* queued: its worker's */
    finish(f->store, id);
    write_file(path, "pcap");
    assert_true(file_exists(path));
    assert_int_equal(wm_store_delete_run(f->store, id, &err), 0);
    assert_false(file_exists(path));
    wm_store_run run;
    assert_int_equal(wm_store_get_run(f->store, id, &run, &err), -1);
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
    assert_int_equal(wm_store_delete_run(f->store, id, &err), -1);
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
}

/* Retention at its edge: keep = the number of runs removes none, one
 * fewer removes the oldest; and a gap in the ids (a run deleted) does not
 * hide one to remove. (store_prune.c skips the search when the ids' span
 * says there are no more than keep runs.) */
static void test_prune_at_the_edge(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    enum { RUNS = 6 };
    int64_t ids[RUNS];
    for (int i = 0; i < RUNS; i++) {
        ids[i] = insert(f->store, "");
        finish(f->store, ids[i]);
    }
    wm_error err = {0};
    uint64_t deleted = 99;
    assert_int_equal(wm_store_prune(f->store, RUNS, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(wm_store_prune(f->store, RUNS - 1, &deleted, &err), 0);
    assert_int_equal(deleted, 1);
    wm_store_run run;
    assert_int_equal(wm_store_get_run(f->store, ids[0], &run, NULL), -1);
    /* ids[1..5] left; without ids[3], four runs over a span of five ids */
    assert_int_equal(wm_store_delete_run(f->store, ids[3], &err), 0);
    assert_int_equal(wm_store_prune(f->store, 4, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(wm_store_prune(f->store, 3, &deleted, &err), 0);
    assert_int_equal(deleted, 1);
    assert_int_equal(wm_store_get_run(f->store, ids[1], &run, NULL), -1);
    assert_int_equal(wm_store_get_run(f->store, ids[2], &run, NULL), 0);
    wm_store_run_free(&run);
}

/* From 64 kept on, retention waits for keep / 64 more finished runs (at
 * most 16) and then deletes them all, back to keep exactly; below 64 it
 * is exact at every run (test_prune_at_the_edge). A queued run is not
 * counted. */
static void test_prune_in_batches(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    enum { KEEP = 128, SLACK = KEEP / 64 };
    int64_t first = 0;
    for (int i = 0; i < KEEP + SLACK; i++) {
        int64_t id = insert(f->store, "");
        finish(f->store, id);
        if (i == 0)
            first = id;
    }
    insert(f->store, "queued");
    wm_error err = {0};
    uint64_t deleted = 99;
    assert_int_equal(wm_store_prune(f->store, KEEP, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    finish(f->store, insert(f->store, ""));
    assert_int_equal(wm_store_prune(f->store, KEEP, &deleted, &err), 0);
    assert_int_equal(deleted, SLACK + 1);
    wm_store_run run;
    assert_int_equal(wm_store_get_run(f->store, first + SLACK, &run, NULL),
                     -1);
    assert_int_equal(wm_store_get_run(f->store, first + SLACK + 1, &run,
                                      NULL), 0);
    wm_store_run_free(&run);
}

static void test_prune_keeps_newest_finished(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t ids[10];
    for (int i = 0; i < 10; i++)
        ids[i] = insert(f->store, "");
    /* 0: queued, 1: running, the rest finished (5 failed). */
    wm_error err = {0};
    assert_int_equal(wm_store_mark_running(f->store, ids[1], &err), 0);
    for (int i = 2; i < 10; i++) {
        if (i == 5) {
            assert_int_equal(wm_store_fail_run(f->store, ids[i], "io_error",
                                               "x", &err), 0);
        } else {
            finish(f->store, ids[i]);
        }
        char path[512];
        pcap_of(f->store, ids[i], path, sizeof path);
        write_file(path, "pcap");
    }
    uint64_t deleted = 0;
    assert_int_equal(wm_store_prune(f->store, 3, &deleted, &err), 0);
    assert_int_equal(deleted, 5);
    for (int i = 0; i < 10; i++) {
        wm_store_run run;
        bool kept = i < 2 || i >= 7;
        assert_int_equal(wm_store_get_run(f->store, ids[i], &run, NULL),
                         kept ? 0 : -1);
        wm_store_run_free(&run);
        char path[512];
        pcap_of(f->store, ids[i], path, sizeof path);
        if (i >= 2)
            assert_int_equal(file_exists(path), kept);
    }
    assert_int_equal(wm_store_prune(f->store, 0, &deleted, &err), 0);
    assert_int_equal(deleted, 3);
    uint64_t counts[WM_STORE_STATUS_COUNT];
    assert_int_equal(wm_store_count_by_status(f->store, counts, &err), 0);
    assert_int_equal(counts[WM_STORE_QUEUED], 1);
    assert_int_equal(counts[WM_STORE_RUNNING], 1);
    assert_int_equal(counts[WM_STORE_DONE], 0);
    assert_int_equal(counts[WM_STORE_FAILED], 0);
}

static void test_recover_marks_interrupted(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t queued = insert(f->store, "");
    int64_t running = insert(f->store, "");
    int64_t done = insert(f->store, "");
    wm_error err = {0};
    assert_int_equal(wm_store_mark_running(f->store, running, &err), 0);
    finish(f->store, done);
    char done_pcap[512]; /* a done run keeps its pcap (or fails "lost") */
    pcap_of(f->store, done, done_pcap, sizeof done_pcap);
    write_file(done_pcap, "pcap");
    char tmp[512];
    assert_int_equal(wm_store_pcap_tmp_path(f->store, running, tmp,
                                            sizeof tmp, &err), 0);
    write_file(tmp, "partial");
    /* As after a crash: the next process opens the same directory. */
    wm_store_close(f->store);
    f->store = open_store(f);
    uint64_t count = 0;
    assert_int_equal(wm_store_recover(f->store, &count, &err), 0);
    assert_int_equal(count, 2);
    assert_false(file_exists(tmp));
    int64_t cut[] = {queued, running};
    for (int i = 0; i < 2; i++) {
        wm_store_run run;
        assert_int_equal(wm_store_get_run(f->store, cut[i], &run, &err), 0);
        assert_int_equal(run.status, WM_STORE_FAILED);
        assert_string_equal(run.error_code, WM_STORE_CODE_INTERRUPTED);
        assert_string_equal(run.error_message, "interrupted by restart");
        assert_true(run.finished_ns > 0);
        wm_store_run_free(&run);
    }
    wm_store_run run;
    assert_int_equal(wm_store_get_run(f->store, done, &run, &err), 0);
    assert_int_equal(run.status, WM_STORE_DONE);
    wm_store_run_free(&run);
    assert_int_equal(wm_store_recover(f->store, &count, &err), 0);
    assert_int_equal(count, 0);
}

static void test_sweeps(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t sweep = 0, runs[3];
    wm_error err = {0};
    assert_int_equal(wm_store_insert_sweep(f->store, "{\"repeat\":3}",
                                           &sweep, &err), 0);
    insert(f->store, "not in the sweep");
    for (int i = 0; i < 3; i++)
        assert_int_equal(wm_store_insert_run(f->store, "", 13, NULL, sweep,
                                             &runs[i], &err), 0);
    wm_store_sweep sw;
    assert_int_equal(wm_store_get_sweep(f->store, sweep, &sw, &err), 0);
    assert_int_equal(sw.status, WM_STORE_RUNNING);
    assert_string_equal(sw.params_json, "{\"repeat\":3}");
    assert_int_equal(sw.run_count, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sw.run_ids[i], runs[i]);
    wm_store_sweep_free(&sw);
    bool ended = true;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(wm_store_settle_sweep(f->store, sweep, &ended, &err),
                         0);
        assert_false(ended);
        finish(f->store, runs[i]);
    }
    assert_int_equal(wm_store_settle_sweep(f->store, sweep, &ended, &err), 0);
    assert_true(ended);
    assert_int_equal(wm_store_settle_sweep(f->store, sweep, &ended, &err), 0);
    assert_false(ended); /* only once */
    assert_int_equal(wm_store_get_sweep(f->store, sweep, &sw, &err), 0);
    assert_int_equal(sw.status, WM_STORE_DONE);
    assert_true(sw.finished_ns >= sw.created_ns);
    wm_store_sweep_free(&sw);
    /* Retention takes a sweep once none of its runs is left. */
    assert_int_equal(wm_store_prune(f->store, 0, NULL, &err), 0);
    assert_int_equal(wm_store_get_sweep(f->store, sweep, &sw, &err), -1);
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
    assert_int_equal(wm_store_finish_sweep(f->store, sweep, WM_STORE_DONE,
                                           &err), -1);
}

#define THREADS 8
#define PER_THREAD 40

static void *insert_many(void *arg)
{
    wm_store *store = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        int64_t id = 0;
        if (wm_store_insert_run(store, "t", 13, NULL, 0, &id, NULL) != 0 ||
            wm_store_mark_running(store, id, NULL) != 0 ||
            wm_store_finish_run(store, id, "{}", NULL) != 0)
            return (void *)1;
        wm_store_run run;
        if (wm_store_get_run(store, id, &run, NULL) != 0 ||
            run.status != WM_STORE_DONE)
            return (void *)1;
        wm_store_run_free(&run);
    }
    return NULL;
}

static void test_concurrent_inserts(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(
            pthread_create(&threads[i], NULL, insert_many, f->store), 0);
    for (int i = 0; i < THREADS; i++) {
        void *result = NULL;
        pthread_join(threads[i], &result);
        assert_null(result);
    }
    uint64_t counts[WM_STORE_STATUS_COUNT];
    assert_int_equal(wm_store_count_by_status(f->store, counts, NULL), 0);
    assert_int_equal(counts[WM_STORE_DONE], THREADS * PER_THREAD);
    wm_store_run_list list;
    assert_int_equal(wm_store_list_runs(f->store, 0, 1000, 0, &list, NULL),
                     0);
    assert_int_equal(list.count, THREADS * PER_THREAD);
    for (size_t i = 1; i < list.count; i++)
        assert_true(list.runs[i].id < list.runs[i - 1].id);
    wm_store_run_list_free(&list);
}

/* The database's data_version as another connection sees it: it moves
 * with every commit of the store's own connection. */
static int64_t data_version(sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA data_version", -1,
                                        &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

/* A start is not a commit (one a run fewer), yet every read shows the run
 * running, and its end stores the start with it. */
static void test_start_is_not_a_commit(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t id = insert(f->store, "");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->data, WM_STORE_DB_NAME);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    int64_t before = data_version(db);
    wm_error err = {0};
    assert_int_equal(wm_store_mark_running(f->store, id, &err), 0);
    assert_int_equal(data_version(db), before);
    wm_store_run run;
    assert_int_equal(wm_store_get_run(f->store, id, &run, &err), 0);
    assert_int_equal(run.status, WM_STORE_RUNNING);
    int64_t started_ns = run.started_ns;
    assert_true(started_ns > 0);
    wm_store_run_free(&run);
    wm_store_run_list list;
    assert_int_equal(wm_store_list_runs(f->store, 0, 10, 0, &list, &err), 0);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.runs[0].status, WM_STORE_RUNNING);
    assert_int_equal(list.runs[0].started_ns, started_ns);
    wm_store_run_list_free(&list);
    uint64_t counts[WM_STORE_STATUS_COUNT];
    assert_int_equal(wm_store_count_by_status(f->store, counts, &err), 0);
    assert_int_equal(counts[WM_STORE_QUEUED], 0);
    assert_int_equal(counts[WM_STORE_RUNNING], 1);
    assert_int_equal(wm_store_finish_run(f->store, id, "{}", &err), 0);
    assert_int_not_equal(data_version(db), before);
    sqlite3_close(db);
    /* The start, stored with the end, outlives the process. */
    wm_store_close(f->store);
    f->store = open_store(f);
    assert_int_equal(wm_store_get_run(f->store, id, &run, &err), 0);
    assert_int_equal(run.status, WM_STORE_DONE);
    assert_int_equal(run.started_ns, started_ns);
    assert_true(run.finished_ns >= started_ns);
    wm_store_run_free(&run);
}

static void test_status_names(void **state)
{
    (void)state;
    for (int i = 0; i < WM_STORE_STATUS_COUNT; i++) {
        wm_store_status back;
        assert_int_equal(wm_store_status_parse(
                             wm_store_status_name((wm_store_status)i), &back),
                         0);
        assert_int_equal(back, i);
    }
    wm_store_status s;
    assert_int_equal(wm_store_status_parse("Done", &s), -1);
    assert_int_equal(wm_store_status_parse(NULL, &s), -1);
    assert_true(wm_store_status_final(WM_STORE_DONE));
    assert_false(wm_store_status_final(WM_STORE_RUNNING));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_open_fresh),
        T(test_migrates_sweep_index),
        T(test_open_makes_parents),
        T(test_reopen_keeps_data),
        T(test_newer_schema_refused),
        T(test_garbage_file_refused),
        T(test_foreign_sqlite_refused),
        T(test_second_open_refused),
        T(test_life_of_a_run),
        T(test_list_cursor),
        T(test_delete_removes_pcap),
        T(test_prune_in_batches),
        T(test_prune_keeps_newest_finished),
        T(test_prune_at_the_edge),
        T(test_recover_marks_interrupted),
        T(test_sweeps),
        T(test_concurrent_inserts),
        T(test_start_is_not_a_commit),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
