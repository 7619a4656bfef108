/* The store's captures (store_captures.c): adding an uploaded file renames
 * it and makes a running row, finishing stores the analysis, a capture
 * being analysed cannot be deleted, deletion removes the row and every
 * file kept beside it, a failure keeps only the row, lists page with a
 * cursor, retention keeps the newest finished ones, and a start-up after a
 * crash removes uploads never added and rows whose file never came, and
 * keeps a whole upload whose analysis was cut, to be analysed again: the
 * store keeps no half capture and loses no whole one. Each test in a fresh
 * data directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fixture.h"
#include "wm_store.h"

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* An upload as the HTTP layer leaves it, added as a capture. */
static int64_t add(wm_store *store, const char *label)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/upload-test%s.tmp",
             wm_store_capture_dir(store), label);
    write_file(tmp, "pcap bytes");
    int64_t id = 0;
    wm_error err = {0};
    if (wm_store_add_capture(store, tmp, label, 10, &id, &err) != 0)
        fail_msg("add: %s", err.message);
    assert_false(file_exists(tmp)); /* renamed, not copied */
    return id;
}

static void test_life_of_a_capture(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    assert_int_equal(wm_store_schema_version(f->store),
                     WM_STORE_SCHEMA_VERSION);
    int64_t id = add(f->store, "mine");
    char path[4200], rows[4200];
    wm_error err = {0};
    assert_int_equal(wm_store_capture_path(f->store, id, path, sizeof path,
                                           &err), 0);
    assert_true(file_exists(path));
    wm_store_capture c;
    assert_int_equal(wm_store_get_capture(f->store, id, &c, &err), 0);
    assert_int_equal(c.status, WM_STORE_RUNNING);
    assert_string_equal(c.label, "mine");
    assert_int_equal(c.size_bytes, 10);
    assert_null(c.analysis_json);
    wm_store_capture_free(&c);
    /* Being analysed: its analysis still owns the file. */
    assert_int_equal(wm_store_delete_capture(f->store, id, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_int_equal(wm_store_finish_capture(f->store, id, "{\"frames\":1}",
                                             &err), 0);
    assert_int_equal(wm_store_finish_capture(f->store, id, "{}", &err), -1);
    assert_int_equal(wm_store_get_capture(f->store, id, &c, &err), 0);
    assert_int_equal(c.status, WM_STORE_DONE);
    assert_string_equal(c.analysis_json, "{\"frames\":1}");
    assert_true(c.finished_ns >= c.created_ns && c.created_ns > 0);
    wm_store_capture_free(&c);
    assert_int_equal(wm_store_capture_file(f->store, id, ".rows", rows,
                                           sizeof rows, &err), 0);
    write_file(rows, "{}\n");
    assert_int_equal(wm_store_delete_capture(f->store, id, &err), 0);
    assert_false(file_exists(path));
    assert_false(file_exists(rows));
    assert_int_equal(wm_store_get_capture(f->store, id, &c, &err), -1);
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
    assert_int_equal(wm_store_delete_capture(f->store, id, &err), -1);
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
}

static void test_list_cursor(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t ids[5];
    char label[8];
    for (int i = 0; i < 5; i++) {
        snprintf(label, sizeof label, "c%d", i);
        ids[i] = add(f->store, label);
    }
    wm_store_capture_list list;
    wm_error err = {0};
    assert_int_equal(wm_store_list_captures(f->store, 0, 2, &list, &err), 0);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.captures[0].id, ids[4]);
    assert_int_equal(list.captures[1].id, ids[3]);
    assert_int_equal(list.next_before, ids[3]);
    int64_t before = list.next_before;
    wm_store_capture_list_free(&list);
    assert_int_equal(wm_store_list_captures(f->store, before, 3, &list,
                                            &err), 0);
    assert_int_equal(list.count, 3);
    assert_int_equal(list.captures[2].id, ids[0]);
    assert_int_equal(list.next_before, 0); /* the last page */
    wm_store_capture_list_free(&list);
}

static void test_recover_keeps_whole_uploads(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t done = add(f->store, "done");
    int64_t cut = add(f->store, "cut");   /* its analysis never ended */
    int64_t lost = add(f->store, "lost"); /* its rename never happened */
    wm_error err = {0};
    assert_int_equal(wm_store_finish_capture(f->store, done, "{}", &err), 0);
    char leftover[4200], done_path[4200], cut_path[4200], lost_path[4200];
    snprintf(leftover, sizeof leftover, "%s/upload-AbC123.tmp",
             wm_store_capture_dir(f->store));
    write_file(leftover, "half an upload");
    wm_store_capture_path(f->store, done, done_path, sizeof done_path, &err);
    wm_store_capture_path(f->store, cut, cut_path, sizeof cut_path, &err);
    wm_store_capture_path(f->store, lost, lost_path, sizeof lost_path, &err);
    assert_int_equal(unlink(lost_path), 0);
    wm_store_close(f->store);
    f->store = open_store(f);
    uint64_t count = 0;
    assert_int_equal(wm_store_recover(f->store, &count, &err), 0);
    assert_false(file_exists(leftover));
    assert_true(file_exists(cut_path)); /* whole: analysed again */
    assert_true(file_exists(done_path));
    wm_store_capture c;
    assert_int_equal(wm_store_get_capture(f->store, lost, &c, &err), -1);
    assert_int_equal(wm_store_get_capture(f->store, cut, &c, &err), 0);
    assert_int_equal(c.status, WM_STORE_RUNNING);
    wm_store_capture_free(&c);
    assert_int_equal(wm_store_get_capture(f->store, done, &c, &err), 0);
    assert_int_equal(c.status, WM_STORE_DONE);
    wm_store_capture_free(&c);
    int64_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(wm_store_unfinished_captures(f->store, &ids, &n, &err),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], cut);
    free(ids);
}

static void test_fail_keeps_only_the_row(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t id = add(f->store, "bad");
    char path[4200], rows[4200];
    wm_error err = {0};
    wm_store_capture_path(f->store, id, path, sizeof path, &err);
    wm_store_capture_file(f->store, id, ".rows", rows, sizeof rows, &err);
    write_file(rows, "{}\n");
    assert_int_equal(wm_store_fail_capture(f->store, id, "too_large",
                                           "over the budget", &err), 0);
    assert_false(file_exists(path));
    assert_false(file_exists(rows));
    wm_store_capture c;
    assert_int_equal(wm_store_get_capture(f->store, id, &c, &err), 0);
    assert_int_equal(c.status, WM_STORE_FAILED);
    assert_string_equal(c.error_code, "too_large");
    assert_string_equal(c.error_message, "over the budget");
    wm_store_capture_free(&c);
}

static void test_prune_keeps_newest_finished(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t ids[5];
    char label[8], path[4200];
    wm_error err = {0};
    for (int i = 0; i < 5; i++) {
        snprintf(label, sizeof label, "p%d", i);
        ids[i] = add(f->store, label);
    }
    /* 0 and 1 finished, 2 still analysed, 3 failed, 4 done */
    assert_int_equal(wm_store_finish_capture(f->store, ids[0], "{}", &err),
                     0);
    assert_int_equal(wm_store_finish_capture(f->store, ids[1], "{}", &err),
                     0);
    assert_int_equal(wm_store_fail_capture(f->store, ids[3], "invalid", "x",
                                           &err), 0);
    assert_int_equal(wm_store_finish_capture(f->store, ids[4], "{}", &err),
                     0);
    uint64_t deleted = 0;
    assert_int_equal(wm_store_prune_captures(f->store, 2, &deleted, &err),
                     0);
    assert_int_equal(deleted, 2);
    wm_store_capture c;
    for (int i = 0; i < 5; i++) {
        bool kept = i >= 2;
        assert_int_equal(wm_store_get_capture(f->store, ids[i], &c, &err),
                         kept ? 0 : -1);
        wm_store_capture_free(&c);
        wm_store_capture_path(f->store, ids[i], path, sizeof path, &err);
        assert_int_equal(file_exists(path), i == 2 || i == 4);
    }
    assert_int_equal(wm_store_prune_captures(f->store, 2, &deleted, &err),
                     0);
    assert_int_equal(deleted, 0);
}

static void test_add_failure_leaves_no_row(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t id = 0;
    wm_error err = {0};
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/upload-missing.tmp",
             wm_store_capture_dir(f->store));
    assert_int_equal(wm_store_add_capture(f->store, missing, "", 1, &id,
                                          &err), -1);
    wm_store_capture_list list;
    assert_int_equal(wm_store_list_captures(f->store, 0, 10, &list, &err),
                     0);
    assert_int_equal(list.count, 0);
    wm_store_capture_list_free(&list);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_life_of_a_capture),
        T(test_list_cursor),
        T(test_recover_keeps_whole_uploads),
        T(test_fail_keeps_only_the_row),
        T(test_prune_keeps_newest_finished),
        T(test_add_failure_leaves_no_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
