/* A run's outputs kept in the database (store_outputs.c): written in the
 * commit that marks the run done and only then (a run not running keeps
 * none), read back byte for byte (an empty one too), absent for a run
 * whose outputs are files, gone with the run (DELETE and retention, which
 * leaves alone the files of the outputs a run held: it never had them), and
 * taken for the run's capture by the start-up recovery, which fails a
 * done run whose pcap is neither a file nor held ("capture_lost"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fixture.h"
#include "wm_store.h"

static int64_t started(wm_store *store)
{
    int64_t id = 0;
    wm_error err = {0};
    if (wm_store_insert_run(store, "", 13, NULL, 0, &id, &err) != 0 ||
        wm_store_mark_running(store, id, &err) != 0)
        fail_msg("start: %s", err.message);
    return id;
}

static const char pcap_bytes[] = "\xd4\xc3\xb2\xa1 a pcap \0 with a NUL";

static void finish_held(wm_store *store, int64_t id, bool rows)
{
    wm_store_bytes held[WM_STORE_OUTPUT_COUNT] = {
        [WM_STORE_OUTPUT_PCAP] = {pcap_bytes, sizeof pcap_bytes},
        [WM_STORE_OUTPUT_ROWS] = {rows ? "" : NULL, 0},
    };
    wm_error err = {0};
    assert_int_equal(wm_store_finish_run_held(store, id, "{\"ok\":1}",
                                              held, NULL, &err), 0);
}

static wm_store_status status_of(wm_store *store, int64_t id, char *code,
                                 size_t len)
{
    wm_store_run run;
    wm_error err = {0};
    assert_int_equal(wm_store_get_run(store, id, &run, &err), 0);
    wm_store_status status = run.status;
    snprintf(code, len, "%s", run.error_code);
    wm_store_run_free(&run);
    return status;
}

static void test_held_with_done(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t id = started(f->store);
    finish_held(f->store, id, true);
    void *data = NULL;
    size_t len = 0;
    wm_error err = {0};
    assert_int_equal(wm_store_read_output(f->store, id, WM_STORE_OUTPUT_PCAP,
                                          &data, &len, &err), 0);
    assert_int_equal(len, sizeof pcap_bytes);
    assert_memory_equal(data, pcap_bytes, len);
    free(data);
    assert_int_equal(wm_store_read_output(f->store, id, WM_STORE_OUTPUT_ROWS,
                                          &data, &len, &err), 0);
    assert_int_equal(len, 0);
    free(data);
    assert_true(wm_store_has_output(f->store, id, WM_STORE_OUTPUT_ROWS));
    assert_false(wm_store_has_output(f->store, id, WM_STORE_OUTPUT_SERIES));
    assert_int_equal(wm_store_read_output(f->store, id,
                                          WM_STORE_OUTPUT_SERIES, &data, &len,
                                          &err), -1);
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
    assert_null(data);
    /* Finished once: a second end is refused and writes nothing. */
    wm_store_bytes again[WM_STORE_OUTPUT_COUNT] = {
        [WM_STORE_OUTPUT_SERIES] = {"{}", 2},
    };
    assert_int_equal(wm_store_finish_run_held(f->store, id, "{}", again,
                                              NULL, &err), -1);
    assert_false(wm_store_has_output(f->store, id, WM_STORE_OUTPUT_SERIES));
    /* A run that was never started keeps nothing either. */
    int64_t queued = 0;
    assert_int_equal(wm_store_insert_run(f->store, "", 13, NULL, 0, &queued,
                                         &err), 0);
    assert_int_equal(wm_store_finish_run_held(f->store, queued, "{}", again,
                                              NULL, &err), -1);
    assert_false(wm_store_has_output(f->store, queued,
                                     WM_STORE_OUTPUT_SERIES));
    assert_int_equal(wm_store_delete_run(f->store, id, &err), 0);
    assert_false(wm_store_has_output(f->store, id, WM_STORE_OUTPUT_PCAP));
}

static void test_retention_takes_them(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t old = started(f->store);
    finish_held(f->store, old, false);
    int64_t young = started(f->store);
    finish_held(f->store, young, false);
    uint64_t deleted = 0;
    wm_error err = {0};
    assert_int_equal(wm_store_prune(f->store, 1, &deleted, &err), 0);
    assert_int_equal(deleted, 1);
    assert_false(wm_store_has_output(f->store, old, WM_STORE_OUTPUT_PCAP));
    assert_true(wm_store_has_output(f->store, young, WM_STORE_OUTPUT_PCAP));
}

/* Retention renames and unlinks only the files a pruned run may have had:
 * with its pcap held, neither its pcap nor a link run's two ends; its
 * series, not held, was a file. Stray files under the other names show
 * what was touched. */
static void test_retention_spares_files_never_had(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t old = started(f->store);
    finish_held(f->store, old, true);
    int64_t young = started(f->store);
    finish_held(f->store, young, true);
    char pcap[PATH_MAX], sender[PATH_MAX], series[PATH_MAX];
    wm_error err = {0};
    assert_int_equal(wm_store_pcap_path(f->store, old, pcap, sizeof pcap,
                                        &err), 0);
    assert_int_equal(wm_store_sender_pcap_path(f->store, old, sender,
                                               sizeof sender, &err), 0);
    assert_int_equal(wm_store_series_path(f->store, old, series,
                                          sizeof series, &err), 0);
    touch_file(pcap);
    touch_file(sender);
    touch_file(series);
    uint64_t deleted = 0;
    assert_int_equal(wm_store_prune(f->store, 1, &deleted, &err), 0);
    assert_int_equal(deleted, 1);
    assert_true(file_exists(pcap));
    assert_true(file_exists(sender));
    assert_false(file_exists(series));
}

/* A worker wakes its run's waiters from wm_store_prune_rows' callback:
 * it is called once, before anything is pruned (the deletion count
 * unchanged), also when there is nothing to prune. */
typedef struct woken {
    wm_store *store;
    unsigned calls;
    uint64_t deletions;
} woken;

static void on_locked(void *arg)
{
    woken *w = arg;
    w->calls++;
    w->deletions = wm_store_deletions(w->store);
}

static void test_prune_rows_wakes_first(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    finish_held(f->store, started(f->store), false);
    woken w = {.store = f->store};
    wm_store_pruned later;
    wm_error err = {0};
    assert_int_equal(wm_store_prune_rows(f->store, 1, on_locked, &w, &later,
                                         &err), 0);
    assert_int_equal(w.calls, 1);
    assert_int_equal(later.count, 0);
    assert_int_equal(wm_store_prune_files(f->store, &later, &err), 0);
    finish_held(f->store, started(f->store), false);
    uint64_t before = wm_store_deletions(f->store);
    assert_int_equal(wm_store_prune_rows(f->store, 1, on_locked, &w, &later,
                                         &err), 0);
    assert_int_equal(w.calls, 2);
    assert_int_equal(w.deletions, before);
    assert_int_equal(later.count, 1);
    assert_int_equal(wm_store_deletions(f->store), before + 1);
    assert_int_equal(wm_store_prune_files(f->store, &later, &err), 0);
    assert_null(later.ids);
}

/* After a kill -9: a held pcap is the run's capture; a done run with
 * neither it nor the file lost its capture. */
static void test_recovery_counts_held(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t held = started(f->store);
    finish_held(f->store, held, false);
    int64_t lost = started(f->store);
    wm_error err = {0};
    assert_int_equal(wm_store_finish_run(f->store, lost, "{}", &err), 0);
    wm_store_close(f->store);
    f->store = open_store_no_floor(f);
    uint64_t count = 9;
    assert_int_equal(wm_store_recover(f->store, &count, &err), 0);
    assert_int_equal(count, 0);
    char code[32];
    assert_int_equal(status_of(f->store, held, code, sizeof code),
                     WM_STORE_DONE);
    assert_int_equal(status_of(f->store, lost, code, sizeof code),
                     WM_STORE_FAILED);
    assert_string_equal(code, WM_STORE_CODE_CAPTURE_LOST);
}

/* A run stored only once it ended (wm_store_insert_done_run): one
 * commit holds its row, done, with the times it was given, its result
 * and its outputs; it takes the next id, as an insert would; it is a done
 * run like any other for reads, recovery and deletion. Scratch ids name
 * files of no run: above every id, each different. */
static void test_stored_when_done(void **state)
{
    fixture *f = *state;
    f->store = open_store_no_floor(f);
    int64_t before = started(f->store);
    wm_store_bytes held[WM_STORE_OUTPUT_COUNT] = {
        [WM_STORE_OUTPUT_PCAP] = {pcap_bytes, sizeof pcap_bytes},
        [WM_STORE_OUTPUT_ROWS] = {"", 0},
    };
    int64_t id = 0;
    wm_store_finished fin = {0};
    wm_error err = {0};
    assert_int_equal(wm_store_insert_done_run(f->store, "late", 13,
                                              "{\"size\":13}", 1000, 2000,
                                              "{\"ok\":1}", held, &id, &fin,
                                              &err), 0);
    assert_int_equal(id, before + 1);
    assert_int_equal(fin.started_ns, 2000);
    assert_true(fin.finished_ns >= 2000);
    wm_store_run run;
    assert_int_equal(wm_store_get_run(f->store, id, &run, &err), 0);
    assert_int_equal(run.status, WM_STORE_DONE);
    assert_string_equal(run.label, "late");
    assert_int_equal(run.size_bytes, 13);
    assert_string_equal(run.params_json, "{\"size\":13}");
    assert_string_equal(run.result_json, "{\"ok\":1}");
    assert_int_equal(run.created_ns, 1000);
    assert_int_equal(run.started_ns, 2000);
    assert_int_equal(run.finished_ns, fin.finished_ns);
    wm_store_run_free(&run);
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(wm_store_read_output(f->store, id, WM_STORE_OUTPUT_PCAP,
                                          &data, &len, &err), 0);
    assert_int_equal(len, sizeof pcap_bytes);
    assert_memory_equal(data, pcap_bytes, len);
    free(data);
    assert_true(wm_store_has_output(f->store, id, WM_STORE_OUTPUT_ROWS));
    assert_false(wm_store_has_output(f->store, id, WM_STORE_OUTPUT_SERIES));
    int64_t s1 = wm_store_scratch_id(f->store);
    int64_t s2 = wm_store_scratch_id(f->store);
    assert_true(s1 > id && s2 > id && s1 != s2 && s1 > 0 && s2 > 0);
    /* After a kill -9: done, its held pcap its capture. */
    wm_store_close(f->store);
    f->store = open_store_no_floor(f);
    uint64_t count = 9;
    assert_int_equal(wm_store_recover(f->store, &count, &err), 0);
    char code[32];
    assert_int_equal(status_of(f->store, id, code, sizeof code),
                     WM_STORE_DONE);
    assert_int_equal(wm_store_delete_run(f->store, id, &err), 0);
    assert_false(wm_store_has_output(f->store, id, WM_STORE_OUTPUT_PCAP));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_held_with_done),
        T(test_retention_takes_them),
        T(test_retention_spares_files_never_had),
        T(test_prune_rows_wakes_first),
        T(test_recovery_counts_held),
        T(test_stored_when_done),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
