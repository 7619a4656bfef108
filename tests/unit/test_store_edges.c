/* Retention at its edges: a failed run is finished (it is pruned like a
 * done one), and a sweep whose newest run is exactly the oldest run kept
 * stays whole — none of its runs is dropped while one of them is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store_fixture.h"

/* The store, kept in the fixture so that teardown closes it. */
static wm_store *open_fixture_store(fixture *f)
{
    return f->store = open_store(f);
}

static int64_t insert(wm_store *store, int64_t sweep_id)
{
    int64_t id = 0;
    wm_error err = {0};
    if (wm_store_insert_run(store, "", 13, "{\"size\":13}", sweep_id, &id,
                            &err) != 0)
        fail_msg("insert: %s", err.message);
    return id;
}

static void finish(wm_store *store, int64_t id)
{
    wm_error err = {0};
    assert_int_equal(wm_store_mark_running(store, id, &err), 0);
    assert_int_equal(wm_store_finish_run(store, id, "{\"ok\":1}", &err), 0);
}

static bool exists(wm_store *store, int64_t id)
{
    wm_store_run run;
    wm_error err = {0};
    if (wm_store_get_run(store, id, &run, &err) != 0) {
        assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
        return false;
    }
    wm_store_run_free(&run);
    return true;
}

static void test_failed_is_final(void **state)
{
    (void)state;
    assert_true(wm_store_status_final(WM_STORE_DONE));
    assert_true(wm_store_status_final(WM_STORE_FAILED));
    assert_false(wm_store_status_final(WM_STORE_QUEUED));
    assert_false(wm_store_status_final(WM_STORE_RUNNING));
}

static void test_failed_runs_are_pruned(void **state)
{
    fixture *f = *state;
    wm_store *store = open_fixture_store(f);
    wm_error err = {0};
    int64_t failed = insert(store, 0);
    assert_int_equal(wm_store_fail_run(store, failed, "timeout", "stalled",
                                       &err), 0);
    int64_t a = insert(store, 0), b = insert(store, 0);
    finish(store, a);
    finish(store, b);
    uint64_t deleted = 0;
    assert_int_equal(wm_store_prune(store, 2, &deleted, &err), 0);
    assert_int_equal(deleted, 1);
    assert_false(exists(store, failed));
    assert_true(exists(store, a) && exists(store, b));
}

static void test_sweep_at_the_bound_stays_whole(void **state)
{
    fixture *f = *state;
    wm_store *store = open_fixture_store(f);
    wm_error err = {0};
    int64_t sweep = 0;
    assert_int_equal(wm_store_insert_sweep(store, "{}", &sweep, &err), 0);
    int64_t s1 = insert(store, sweep), s2 = insert(store, sweep);
    finish(store, s1);
    finish(store, s2);
    assert_int_equal(wm_store_finish_sweep(store, sweep, WM_STORE_DONE, &err),
                     0);
    int64_t single = insert(store, 0);
    finish(store, single);
    /* Keep 2: the bound is s2 itself, so the sweep keeps s1 too. */
    uint64_t deleted = 0;
    assert_int_equal(wm_store_prune(store, 2, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    assert_true(exists(store, s1) && exists(store, s2) && exists(store, single));
    /* Keep 1: the whole sweep is older than the bound, and goes. */
    assert_int_equal(wm_store_prune(store, 1, &deleted, &err), 0);
    assert_int_equal(deleted, 2);
    assert_false(exists(store, s1) || exists(store, s2));
    assert_true(exists(store, single));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failed_is_final),
        cmocka_unit_test_setup_teardown(test_failed_runs_are_pruned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sweep_at_the_bound_stays_whole,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
