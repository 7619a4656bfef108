/* The run-duration histogram of /metrics: Prometheus buckets are "less
 * than or equal", so a run that took exactly a bound is counted in that
 * bound's bucket, not only in the next. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "jobs_internal.h"

static void test_duration_on_a_bound(void **state)
{
    (void)state;
    static wm_jobs jobs; /* only its counters are used */
    memset(&jobs, 0, sizeof jobs);
    const double *bounds = wm_jobs_duration_bounds_s;
    jobs_count_end(&jobs, true, true, bounds[3], 100);
    const uint64_t *b = jobs.metrics.duration_buckets;
    assert_int_equal(b[2], 0);
    assert_int_equal(b[3], 1);
    assert_int_equal(b[WM_JOBS_DURATION_BUCKETS - 1], 1);
    jobs_count_end(&jobs, false, true, bounds[3] + 1e-9, 0);
    assert_int_equal(b[3], 1);
    assert_int_equal(b[4], 2);
    assert_int_equal(jobs.metrics.duration_count, 2);
    assert_int_equal(jobs.metrics.ended[WM_STORE_DONE], 1);
    assert_int_equal(jobs.metrics.ended[WM_STORE_FAILED], 1);
    assert_int_equal(jobs.metrics.bytes_transferred, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_on_a_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
