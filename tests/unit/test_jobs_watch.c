/* wm_jobs_watch: a POST's wait for its run without a thread of its own.
 * The call-back comes exactly once: with ended true when the run ends,
 * with false when the wait runs out first, never for a run that is not
 * active, and with true for the watches left when the pool stops. The
 * waits below only bound a hang; nothing is timed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs_internal.h"

typedef struct seen {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int calls;
    bool ended;
} seen;

static void on_end(void *arg, bool ended, const wm_jobs_stored *stored)
{
    (void)stored;
    seen *s = arg;
    pthread_mutex_lock(&s->lock);
    s->calls++;
    s->ended = ended;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

static void seen_init(seen *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
}

/* Until the first call (at most 30 s: a hang fails, it does not stall). */
static int wait_called(seen *s)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&s->lock);
    while (s->calls == 0 &&
           pthread_cond_timedwait(&s->changed, &s->lock, &deadline) == 0) {
    }
    int calls = s->calls;
    pthread_mutex_unlock(&s->lock);
    return calls;
}

/* A pool with no workers and one live run of id 7. */
static wm_jobs *pool_with_run(job *run)
{
    wm_jobs *jobs = calloc(1, sizeof *jobs);
    assert_non_null(jobs);
    pthread_mutex_init(&jobs->lock, NULL);
    memset(run, 0, sizeof *run);
    run->id = 7;
    jobs->active = run;
    assert_int_equal(jobs_watch_start(jobs), 0);
    assert_true(wm_jobs_watching(jobs));
    return jobs;
}

static void pool_free(wm_jobs *jobs)
{
    jobs_watch_stop(jobs);
    pthread_mutex_destroy(&jobs->lock);
    free(jobs);
}

/* What jobs_end does for the watches of a run that ended. */
static void end_run(wm_jobs *jobs, job *run)
{
    jobs_watch *ended = NULL;
    pthread_mutex_lock(&jobs->lock);
    jobs_unlink_active(jobs, run);
    jobs_watch_ended_locked(jobs, run->id, &ended);
    pthread_mutex_unlock(&jobs->lock);
    jobs_watch_call(ended, true, NULL);
}

static void test_run_ends_first(void **state)
{
    (void)state;
    job run;
    wm_jobs *jobs = pool_with_run(&run);
    seen s;
    seen_init(&s);
    assert_int_equal(wm_jobs_watch(jobs, 7, 600000, on_end, &s), 1);
    assert_int_equal(s.calls, 0);
    end_run(jobs, &run);
    assert_int_equal(s.calls, 1);
    assert_true(s.ended);
    pool_free(jobs); /* the timer must not call it again */
    assert_int_equal(s.calls, 1);
}

static void test_wait_runs_out_first(void **state)
{
    (void)state;
    job run;
    wm_jobs *jobs = pool_with_run(&run);
    seen s, other;
    seen_init(&s);
    seen_init(&other);
    assert_int_equal(wm_jobs_watch(jobs, 7, 600000, on_end, &other), 1);
    assert_int_equal(wm_jobs_watch(jobs, 7, 1, on_end, &s), 1);
    assert_int_equal(wait_called(&s), 1);
    assert_false(s.ended);
    assert_int_equal(other.calls, 0); /* its wait is far from over */
    end_run(jobs, &run); /* the late end calls only the other */
    assert_int_equal(s.calls, 1);
    assert_int_equal(other.calls, 1);
    assert_true(other.ended);
    pool_free(jobs);
}

static void test_not_active_is_not_watched(void **state)
{
    (void)state;
    job run;
    wm_jobs *jobs = pool_with_run(&run);
    seen s;
    seen_init(&s);
    assert_int_equal(wm_jobs_watch(jobs, 8, 1, on_end, &s), 0);
    pool_free(jobs);
    assert_int_equal(s.calls, 0);
}

static void test_stop_calls_what_is_left(void **state)
{
    (void)state;
    job run;
    wm_jobs *jobs = pool_with_run(&run);
    seen s;
    seen_init(&s);
    assert_int_equal(wm_jobs_watch(jobs, 7, 600000, on_end, &s), 1);
    pool_free(jobs);
    assert_int_equal(s.calls, 1);
    assert_true(s.ended);
}

/* Until the timer sleeps towards a deadline (at most 30 s). */
static bool timer_bounded(wm_jobs *jobs)
{
    for (int i = 0; i < 30000; i++) {
        pthread_mutex_lock(&jobs->lock);
        bool bounded = jobs->timer_bounded;
        pthread_mutex_unlock(&jobs->lock);
        if (bounded)
            return true;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    return false;
}

/* A watch due after the one the timer sleeps towards does not wake it
 * (a synchronous POST after another); one due sooner does, and is
 * called when its wait runs out. */
static void test_only_a_sooner_watch_wakes_the_timer(void **state)
{
    (void)state;
    job run;
    wm_jobs *jobs = pool_with_run(&run);
    seen first, later, sooner;
    seen_init(&first);
    seen_init(&later);
    seen_init(&sooner);
    assert_int_equal(wm_jobs_watch(jobs, 7, 600000, on_end, &first), 1);
    assert_true(timer_bounded(jobs));
    uint64_t signals = jobs->timer_signals;
    assert_int_equal(wm_jobs_watch(jobs, 7, 700000, on_end, &later), 1);
    assert_int_equal(jobs->timer_signals, signals);
    assert_int_equal(wm_jobs_watch(jobs, 7, 1, on_end, &sooner), 1);
    assert_int_equal(jobs->timer_signals, signals + 1);
    assert_int_equal(wait_called(&sooner), 1);
    assert_false(sooner.ended);
    end_run(jobs, &run);
    assert_int_equal(first.calls, 1);
    assert_int_equal(later.calls, 1);
    pool_free(jobs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_ends_first),
        cmocka_unit_test(test_wait_runs_out_first),
        cmocka_unit_test(test_not_active_is_not_watched),
        cmocka_unit_test(test_stop_calls_what_is_left),
        cmocka_unit_test(test_only_a_sooner_watch_wakes_the_timer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
