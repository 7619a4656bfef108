/* wm_clock_rfc3339: the text beside every absolute *_ns. Always 9
 * fractional digits and Z; a time before the epoch keeps a fraction in
 * [0, 1 s) as RFC 3339 writes it; the last nanosecond of int64 (2262)
 * fits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

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

/* The formatter counts days itself (no gmtime_r): it must agree with
 * the C library on every day, leap days and century years included. */
static void reference(int64_t ns, char out[128])
{
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0)
        sec--, frac += 1000000000;
    time_t t = (time_t)sec;
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    snprintf(out, 128,
             "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (long long)frac);
}

static void test_rfc3339_every_day(void **state)
{
    (void)state;
    const int64_t day_ns = 86400LL * 1000000000LL;
    char want[128], got[WM_CLOCK_RFC3339_SIZE];
    /* Every whole day of 1677..2262 (the two cut days at the ends of
     * int64 are test_rfc3339's), each at another time of day. */
    for (int64_t d = INT64_MIN / day_ns; d < INT64_MAX / day_ns; d++) {
        int64_t ns = d * day_ns + (d * 1000000007LL % day_ns + day_ns) %
                                      day_ns;
        reference(ns, want);
        wm_clock_rfc3339(ns, got);
        assert_string_equal(got, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_rfc3339_every_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
