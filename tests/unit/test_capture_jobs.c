/* The analysis pool of uploaded captures (wm_capture_jobs): its queue is
 * bounded by reservations taken before a capture is stored (a full queue
 * refuses with WM_ERR_BUSY, a reservation given back frees its place),
 * wait returns once the analysis ended, the outcome is counted, retention
 * keeps --history finished captures, and the captures a crash left running
 * are queued again at start, beyond the queue's bound. The analysis is a
 * stand-in that blocks until the test lets it go, so that "the worker is
 * busy" is a state the test holds, not a race it hopes to win. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store_fixture.h"
#include "wm_capture_jobs.h"

typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    unsigned entered;   /* analyses started */
    unsigned allowed;   /* analyses let through */
    wm_store *store;
} gate;

static gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0,
                 NULL};

/* Captures with an odd id fail, even ones are done. */
static int analyse(void *ctx, int64_t id, wm_error *err)
{
    gate *gt = ctx;
    pthread_mutex_lock(&gt->lock);
    gt->entered++;
    pthread_cond_broadcast(&gt->changed);
    while (gt->allowed < gt->entered)
        pthread_cond_wait(&gt->changed, &gt->lock);
    pthread_mutex_unlock(&gt->lock);
    if (id % 2)
        return wm_store_fail_capture(gt->store, id, "invalid", "odd", err) ||
               wm_error_set(err, WM_ERR_INVALID, "odd");
    return wm_store_finish_capture(gt->store, id, "{}", err);
}

static void wait_entered(unsigned n)
{
    pthread_mutex_lock(&g.lock);
    while (g.entered < n)
        pthread_cond_wait(&g.changed, &g.lock);
    pthread_mutex_unlock(&g.lock);
}

static void allow(unsigned n)
{
    pthread_mutex_lock(&g.lock);
    g.allowed += n;
    pthread_cond_broadcast(&g.changed);
    pthread_mutex_unlock(&g.lock);
}

static int64_t add(wm_store *store, int n)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/upload-%d.tmp", wm_store_capture_dir(store),
             n);
    FILE *fp = fopen(tmp, "w");
    assert_non_null(fp);
    fputs("pcap", fp);
    fclose(fp);
    int64_t id = 0;
    wm_error err = {0};
    if (wm_store_add_capture(store, tmp, "", 4, &id, &err) != 0)
        fail_msg("add: %s", err.message);
    return id;
}

static wm_capture_jobs *start(wm_store *store, unsigned queue_max,
                              uint64_t history)
{
    g.entered = g.allowed = 0;
    g.store = store;
    wm_capture_jobs_options opts = {.workers = 1, .queue_max = queue_max,
                                    .history_max = history,
                                    .analyse = analyse, .ctx = &g};
    wm_capture_jobs *jobs = NULL;
    wm_error err = {0};
    if (wm_capture_jobs_start(store, &opts, &jobs, &err) != 0)
        fail_msg("start: %s", err.message);
    return jobs;
}

static void test_queue_bound(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    wm_capture_jobs *jobs = start(f->store, 1, 0);
    wm_error err = {0};
    wm_capture_ticket *t = wm_capture_jobs_reserve(jobs, &err);
    assert_non_null(t);
    int64_t first = add(f->store, 1);
    wm_capture_jobs_submit(jobs, t, first);
    wait_entered(1); /* the worker holds it: the queue is empty again */
    assert_false(wm_capture_jobs_wait(jobs, first, 0));
    t = wm_capture_jobs_reserve(jobs, &err);
    assert_non_null(t);
    assert_null(wm_capture_jobs_reserve(jobs, &err)); /* one waiting max */
    assert_int_equal(err.kind, WM_ERR_BUSY);
    assert_non_null(strstr(err.message, "--queue"));
    wm_capture_jobs_release(jobs, t); /* the upload was not stored */
    t = wm_capture_jobs_reserve(jobs, &err);
    assert_non_null(t);
    int64_t second = add(f->store, 2);
    wm_capture_jobs_submit(jobs, t, second);
    wm_capture_jobs_metrics m;
    wm_capture_jobs_metrics_get(jobs, &m);
    assert_int_equal(m.queued, 1);
    assert_int_equal(m.running, 1);
    allow(2);
    assert_true(wm_capture_jobs_wait(jobs, first, 60000));
    assert_true(wm_capture_jobs_wait(jobs, second, 60000));
    wm_capture_jobs_metrics_get(jobs, &m);
    assert_int_equal(m.done + m.failed, 2);
    assert_int_equal(m.failed, (uint64_t)(first % 2 + second % 2));
    assert_int_equal(m.queued + m.running, 0);
    wm_capture_jobs_free(jobs);
}

static void test_retention(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    wm_capture_jobs *jobs = start(f->store, 8, 2);
    allow(100);
    int64_t ids[4];
    wm_error err = {0};
    for (int i = 0; i < 4; i++) {
        wm_capture_ticket *t = wm_capture_jobs_reserve(jobs, &err);
        assert_non_null(t);
        ids[i] = add(f->store, i);
        wm_capture_jobs_submit(jobs, t, ids[i]);
        assert_true(wm_capture_jobs_wait(jobs, ids[i], 60000));
    }
    wm_capture_jobs_free(jobs); /* joins: the last retention is done */
    wm_store_capture c;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(wm_store_get_capture(f->store, ids[i], &c, &err),
                         i < 2 ? -1 : 0);
        wm_store_capture_free(&c);
    }
}

static void test_resume_after_crash(void **state)
{
    fixture *f = *state;
    f->store = open_store(f);
    int64_t ids[3];
    for (int i = 0; i < 3; i++)
        ids[i] = add(f->store, i); /* running, as a kill -9 leaves them */
    wm_store_close(f->store);
    f->store = open_store(f);
    wm_error err = {0};
    uint64_t recovered = 0, resumed = 0;
    assert_int_equal(wm_store_recover(f->store, &recovered, &err), 0);
    wm_capture_jobs *jobs = start(f->store, 1, 0); /* fewer than 3 */
    assert_int_equal(wm_capture_jobs_resume(jobs, &resumed, &err), 0);
    assert_int_equal(resumed, 3);
    allow(3);
    for (int i = 0; i < 3; i++)
        assert_true(wm_capture_jobs_wait(jobs, ids[i], 60000));
    wm_capture_jobs_free(jobs);
    for (int i = 0; i < 3; i++) {
        wm_store_capture c;
        assert_int_equal(wm_store_get_capture(f->store, ids[i], &c, &err), 0);
        assert_int_equal(c.status,
                         ids[i] % 2 ? WM_STORE_FAILED : WM_STORE_DONE);
        wm_store_capture_free(&c);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_queue_bound),
        T(test_retention),
        T(test_resume_after_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
