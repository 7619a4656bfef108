/* The store after a crash and under retention: at start-up the pcaps and
 * the rows agree again (orphan files removed, a done run without its pcap
 * failed "capture_lost", files that are not the store's left alone), and
 * retention never takes part of a sweep. Apart from test_store.c, which
 * covers the store's ordinary life, to keep each file short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_fixture.h"
#include "wm_store.h"

static int64_t insert(wm_store *store, int64_t sweep_id)
{
    int64_t id = 0;
    wm_error err = {0};
    if (wm_store_insert_run(store, "", 13, NULL, sweep_id, &id, &err) != 0)
        fail_msg("insert: %s", err.message);
    return id;
}

static void finish(wm_store *store, int64_t id)
{
    wm_error err = {0};
    assert_int_equal(wm_store_mark_running(store, id, &err), 0);
    assert_int_equal(wm_store_finish_run(store, id, "{\"ok\":1}", &err), 0);
}

static void pcap_of(wm_store *store, int64_t id, char *buf, size_t len)
{
    assert_int_equal(wm_store_pcap_path(store, id, buf, len, NULL), 0);
}

static wm_store_status status_of(wm_store *store, int64_t id, char *code,
                                 size_t len)
{
    wm_store_run run;
    wm_error err = {0};
    if (wm_store_get_run(store, id, &run, &err) != 0)
        return (wm_store_status)-1;
    wm_store_status status = run.status;
    if (code)
        snprintf(code, len, "%s", run.error_code);
    wm_store_run_free(&run);
    return status;
}

static void test_recover_reconciles_files(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t kept = insert(f->store, 0), lost = insert(f->store, 0);
    int64_t failed = insert(f->store, 0);
    finish(f->store, kept);
    finish(f->store, lost);
    wm_error err = {0};
    assert_int_equal(wm_store_fail_run(f->store, failed, "io_error", "x",
                                       &err), 0);
    char kept_pcap[512], failed_pcap[512], orphan[600], partial[600],
        foreign[600];
    pcap_of(f->store, kept, kept_pcap, sizeof kept_pcap);
    pcap_of(f->store, failed, failed_pcap, sizeof failed_pcap);
    snprintf(orphan, sizeof orphan, "%s/pcaps/999.pcap", f->data);
    snprintf(partial, sizeof partial, "%s/pcaps/998.pcap.tmp", f->data);
    snprintf(foreign, sizeof foreign, "%s/pcaps/notes.txt", f->data);
    const char *files[] = {kept_pcap, failed_pcap, orphan, partial, foreign};
    for (size_t i = 0; i < 5; i++)
        touch_file(files[i]);
    /* As after a kill -9: the next process opens the same directory. */
    wm_store_close(f->store);
    f->store = open_store_no_floor(f);
    uint64_t count = 9;
    assert_int_equal(wm_store_recover(f->store, &count, &err), 0);
    assert_int_equal(count, 0);
    assert_true(file_exists(kept_pcap) && file_exists(foreign));
    assert_false(file_exists(failed_pcap) || file_exists(orphan) || file_exists(partial));
    char code[32];
    assert_int_equal(status_of(f->store, kept, NULL, 0), WM_STORE_DONE);
    assert_int_equal(status_of(f->store, lost, code, sizeof code),
                     WM_STORE_FAILED);
    assert_string_equal(code, WM_STORE_CODE_CAPTURE_LOST);
    wm_store_health h;
    wm_store_health_get(f->store, &h);
    assert_true(h.writable && !h.read_only && h.unsaved == 0);
    assert_int_equal(wm_store_check_room(f->store, &err), 0);
}

/* A link run's files, <id>.sender.pcap and <id>.ends: kept with a done
 * run, removed with a failed one, and their partial .tmp ones always. */
static void test_recover_link_run_files(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t kept = insert(f->store, 0), failed = insert(f->store, 0);
    finish(f->store, kept);
    wm_error err = {0};
    assert_int_equal(wm_store_fail_run(f->store, failed, "io_error", "x",
                                       &err), 0);
    char kept_pcap[512], keep[2][512], drop[4][512];
    pcap_of(f->store, kept, kept_pcap, sizeof kept_pcap);
    assert_int_equal(wm_store_sender_pcap_path(f->store, kept, keep[0], 512,
                                               &err), 0);
    assert_int_equal(wm_store_ends_path(f->store, kept, keep[1], 512, &err),
                     0);
    assert_int_equal(wm_store_sender_pcap_path(f->store, failed, drop[0],
                                               512, &err), 0);
    assert_int_equal(wm_store_ends_path(f->store, failed, drop[1], 512,
                                        &err), 0);
    assert_int_equal(wm_store_sender_pcap_tmp_path(f->store, kept, drop[2],
                                                   512, &err), 0);
    assert_int_equal(wm_store_ends_tmp_path(f->store, kept, drop[3], 512,
                                            &err), 0);
    touch_file(kept_pcap);
    for (size_t i = 0; i < 2; i++)
        touch_file(keep[i]);
    for (size_t i = 0; i < 4; i++)
        touch_file(drop[i]);
    wm_store_close(f->store);
    f->store = open_store_no_floor(f);
    assert_int_equal(wm_store_recover(f->store, NULL, &err), 0);
    assert_true(file_exists(kept_pcap) && file_exists(keep[0]) && file_exists(keep[1]));
    for (size_t i = 0; i < 4; i++)
        assert_false(file_exists(drop[i]));
}

static void test_prune_keeps_sweeps_whole(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    wm_error err = {0};
    int64_t sweep = 0, runs[5];
    assert_int_equal(wm_store_insert_sweep(f->store, NULL, &sweep, &err), 0);
    for (int i = 0; i < 5; i++)
        runs[i] = insert(f->store, sweep);
    for (int i = 0; i < 3; i++)
        finish(f->store, runs[i]);
    uint64_t deleted = 9;
    /* Unfinished: none of its runs goes, however small the history. */
    assert_int_equal(wm_store_prune(f->store, 1, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    for (int i = 3; i < 5; i++)
        finish(f->store, runs[i]);
    bool ended = false;
    assert_int_equal(wm_store_settle_sweep(f->store, sweep, &ended, &err), 0);
    assert_true(ended);
    /* Ended, its newest runs among the kept: all five stay. */
    assert_int_equal(wm_store_prune(f->store, 3, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    int64_t later[3];
    for (int i = 0; i < 3; i++) {
        later[i] = insert(f->store, 0);
        finish(f->store, later[i]);
    }
    /* Every run of it older than the 3 kept: the whole sweep goes. */
    assert_int_equal(wm_store_prune(f->store, 3, &deleted, &err), 0);
    assert_int_equal(deleted, 5);
    wm_store_sweep sw;
    assert_int_equal(wm_store_get_sweep(f->store, sweep, &sw, &err), -1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(status_of(f->store, later[i], NULL, 0),
                         WM_STORE_DONE);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_recover_reconciles_files),
        T(test_recover_link_run_files),
        T(test_prune_keeps_sweeps_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
