/* wm_clock_rfc3339: the text beside every absolute *_ns. Always 9
 * fractional digits and Z; a time before the epoch keeps a fraction in
 * [0, 1 s) as RFC 3339 writes it; the last nanosecond of int64 (2262)
 * fits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wm_clock.h"

static void expect(int64_t ns, const char *text)
{
    char out[WM_CLOCK_RFC3339_SIZE];
    wm_clock_rfc3339(ns, out);
    assert_string_equal(out, text);
}

static void test_rfc3339(void **state)
{
    (void)state;
    expect(0, "1970-01-01T00:00:00.000000000Z");
    expect(1, "1970-01-01T00:00:00.000000001Z");
    expect(999999999, "1970-01-01T00:00:00.999999999Z");
    expect(-1, "1969-12-31T23:59:59.999999999Z");
    expect(-1000000000, "1969-12-31T23:59:59.000000000Z");
    /* Above 2^53: a double would make it ...389033000. */
    expect(1764050000389032995LL, "2025-11-25T05:53:20.389032995Z");
    expect(INT64_MAX, "2262-04-11T23:47:16.854775807Z");
    expect(INT64_MIN, "1677-09-21T00:12:43.145224192Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
