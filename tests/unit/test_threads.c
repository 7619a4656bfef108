/* wm_threads: tasks run on a thread of their own unless the caller keeps
 * helpers, whose threads are then created once and reused run after run;
 * and a run's helper tasks (the transfer's server side, the capture's
 * reader) are started through it, so that a job worker's second run
 * creates no thread; the TCP_INFO sampler needs none, its sender samples. The capture's part needs capture
 * rights and skips without them (fails with WIREMETER_REQUIRE_CAPTURE=1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "skip_rule.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "series_kernel.h"
#include "wm_capture.h"
#include "wm_series.h"
#include "wm_threads.h"
#include "wm_transfer.h"

/* A task that waits until the test opens the gate, so that the tasks
 * started before are all running at once. */
typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t open_cond;
    bool open;
    atomic_uint ran;
} gate;

static gate the_gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                        false, 0};

static void gated_task(void *arg)
{
    gate *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->open_cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
    atomic_fetch_add(&g->ran, 1);
}

/* Starts n tasks at once, lets them go, joins them: how many threads that
 * created. */
static uint64_t run_at_once(unsigned n)
{
    enum { MOST = WM_THREADS_KEPT + 2 };
    assert_true(n <= MOST);
    wm_thread *threads[MOST];
    gate *g = &the_gate;
    g->open = false;
    atomic_store(&g->ran, 0);
    uint64_t before = wm_threads_created();
    wm_error err = {0};
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(wm_threads_start(gated_task, g, &threads[i], &err),
                         0);
    pthread_mutex_lock(&g->lock);
    g->open = true;
    pthread_cond_broadcast(&g->open_cond);
    pthread_mutex_unlock(&g->lock);
    for (unsigned i = 0; i < n; i++)
        wm_threads_join(threads[i]);
    assert_int_equal(atomic_load(&g->ran), n);
    return wm_threads_created() - before;
}

static void test_a_thread_per_task_without_keeping(void **state)
{
    (void)state;
    assert_int_equal(run_at_once(3), 3);
    assert_int_equal(run_at_once(3), 3);
}

static void test_kept_helpers_are_reused(void **state)
{
    (void)state;
    wm_error err = {0};
    assert_int_equal(wm_threads_keep(&err), 0);
    assert_int_equal(run_at_once(2), 2);
    assert_int_equal(run_at_once(WM_THREADS_KEPT), WM_THREADS_KEPT - 2);
    assert_int_equal(run_at_once(WM_THREADS_KEPT), 0);
    /* Beyond the kept ones a task has a thread of its own, each time. */
    assert_int_equal(run_at_once(WM_THREADS_KEPT + 1), 1);
    assert_int_equal(run_at_once(WM_THREADS_KEPT + 2), 2);
    wm_threads_release();
    /* Released: back to a thread per task, and keeping starts afresh. */
    assert_int_equal(run_at_once(1), 1);
    assert_int_equal(wm_threads_keep(&err), 0);
    assert_int_equal(run_at_once(1), 1);
    assert_int_equal(run_at_once(1), 0);
    wm_threads_release();
    wm_threads_release(); /* nothing kept: nothing to do */
}

/* A download with the sampler hooked to its sender, as a run's is: how
 * many threads it created. It samples at the handshake and at the
 * end, from the sender. */
static uint64_t sampled_transfer_of(uint64_t size, size_t *samples)
{
    uint64_t before = wm_threads_created();
    wm_error err = {0};
    series_kernel *k = NULL;
    /* Auto, the default: the last state is always kept. */
    assert_int_equal(series_kernel_start(0, WM_SERIES_MAX_SAMPLES, &k, &err),
                     0);
    wm_transfer_options opts;
    wm_transfer_options_default(&opts);
    opts.size_bytes = size;
    opts.on_sender = series_kernel_on_sender;
    opts.on_sender_ctx = k;
    opts.on_sender_tick = series_kernel_tick;
    wm_transfer *t = NULL;
    uint16_t port = 0;
    assert_int_equal(wm_transfer_open(&opts, &t, &port, &err), 0);
    wm_transfer_result result;
    if (wm_transfer_run(t, NULL, NULL, &result, &err) != 0)
        fail_msg("transfer: %s", err.message);
    wm_transfer_close(t);
    assert_true(result.integrity.verified);
    series_kernel_stop(k);
    size_t count = 0;
    const series_sample *sample = series_kernel_samples(k, &count);
    assert_true(count >= 2); /* at the handshake and at the end */
    for (size_t i = 1; i < count; i++)
        assert_true(sample[i].t_ns >= sample[i - 1].t_ns);
    assert_int_equal(sample[count - 1].bytes_acked, size + 1);
    series_kernel_free(k);
    *samples = count;
    return wm_threads_created() - before;
}

/* Beyond a one-thread exchange (transfer.c's one_thread): the server side
 * on a helper. */
#define HELPED_BYTES 4096u

static uint64_t sampled_transfer(void)
{
    size_t samples;
    return sampled_transfer_of(HELPED_BYTES, &samples);
}

/* A 13 B exchange runs both ends on the caller's thread, the sender's
 * samples taken there as well. */
static void test_a_small_exchange_needs_no_helper(void **state)
{
    (void)state;
    size_t samples = 0;
    assert_int_equal(sampled_transfer_of(13, &samples), 0);
    assert_int_equal(sampled_transfer_of(0, &samples), 0);
    const uint64_t one_thread = WM_TRANSFER_ONE_THREAD_MAX_BYTES;
    assert_int_equal(sampled_transfer_of(one_thread, &samples), 0);
    assert_int_equal(sampled_transfer_of(one_thread + 1, &samples), 1);
}

/* 256 MiB take far longer than the 100 us interval even on loopback:
 * the sender samples between its writes and in its waits, with no
 * sampler thread. */
static void test_the_sender_samples_a_long_run(void **state)
{
    (void)state;
    size_t samples = 0;
    assert_int_equal(sampled_transfer_of(256ull << 20, &samples), 1);
    assert_true(samples > 2);
}

static void test_a_run_reuses_its_workers_helpers(void **state)
{
    (void)state;
    assert_int_equal(sampled_transfer(), 1); /* the server side alone */
    wm_error err = {0};
    assert_int_equal(wm_threads_keep(&err), 0);
    assert_int_equal(sampled_transfer(), 1);
    assert_int_equal(sampled_transfer(), 0);
    assert_int_equal(sampled_transfer(), 0);
    wm_threads_release();
}

/* A capture around a small transfer: threads created. */
static uint64_t captured_transfer(void)
{
    uint64_t before = wm_threads_created();
    wm_error err = {0};
    wm_transfer_options topts;
    wm_transfer_options_default(&topts);
    topts.size_bytes = HELPED_BYTES;
    wm_transfer *t = NULL;
    uint16_t port = 0;
    assert_int_equal(wm_transfer_open(&topts, &t, &port, &err), 0);
    wm_capture_options copts;
    wm_capture_options_default(&copts);
    copts.port = port;
    wm_capture *cap = NULL;
    if (wm_capture_start(&copts, &cap, &err) != 0)
        fail_msg("capture start: %s", err.message);
    wm_transfer_result result;
    if (wm_transfer_run(t, NULL, NULL, &result, &err) != 0)
        fail_msg("transfer: %s", err.message);
    wm_transfer_close(t);
    wm_trace trace;
    wm_capture_stats stats;
    if (wm_capture_finish(cap, &trace, &stats, &err) != 0)
        fail_msg("capture finish: %s", err.message);
    wm_capture_free(cap);
    assert_true(stats.complete);
    assert_true(trace.count >= 7); /* handshake, request, data, closure */
    wm_trace_free(&trace);
    return wm_threads_created() - before;
}

static void test_the_capture_reader_is_kept_too(void **state)
{
    (void)state;
    wm_error err = {0};
    if (!wm_capture_permitted("lo", &err))
        WM_TEST_SKIP_OR_FAIL("capture is not permitted here");
    assert_int_equal(captured_transfer(), 2); /* reader, server side */
    assert_int_equal(wm_threads_keep(&err), 0);
    assert_int_equal(captured_transfer(), 2);
    assert_int_equal(captured_transfer(), 0);
    wm_threads_release();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_thread_per_task_without_keeping),
        cmocka_unit_test(test_kept_helpers_are_reused),
        cmocka_unit_test(test_a_run_reuses_its_workers_helpers),
        cmocka_unit_test(test_a_small_exchange_needs_no_helper),
        cmocka_unit_test(test_the_capture_reader_is_kept_too),
        cmocka_unit_test(test_the_sender_samples_a_long_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
