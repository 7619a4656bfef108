/* Limits of the run parameters and sizes at their exact edge, and one past
 * it: a bound written "<" where ">" was meant, or one byte off, is caught
 * here rather than by a user. Each value is also checked to land in the
 * run's configuration, not only to be accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "wm_params.h"
#include "wm_size.h"

static void test_size_at_its_maximum(void **state)
{
    (void)state;
    uint64_t n = 0;
    wm_error err = {0};
    assert_int_equal(wm_size_parse("1000B", 1000, &n, &err), 0);
    assert_int_equal(n, 1000);
    assert_int_equal(wm_size_parse("1kB", 1000, &n, &err), 0);
    assert_int_equal(n, 1000);
    assert_int_not_equal(wm_size_parse("1001B", 1000, &n, &err), 0);
    assert_int_equal(err.kind, WM_ERR_TOO_LARGE);
}

/* The error quotes what the user wrote: 40 characters, then "...". */
static void test_size_error_quotes_forty_characters(void **state)
{
    (void)state;
    char text[64];
    memset(text, 'x', 45);
    text[45] = '\0';
    uint64_t n = 0;
    wm_error err = {0};
    assert_int_not_equal(wm_size_parse(text, UINT64_MAX, &n, &err), 0);
    char want[64];
    snprintf(want, sizeof want, "\"%.40s...\"", text);
    if (!strstr(err.message, want))
        fail_msg("expected %s in: %s", want, err.message);
    text[41] = '\0'; /* 41: one character cut, and said so */
    assert_int_not_equal(wm_size_parse(text, UINT64_MAX, &n, &err), 0);
    snprintf(want, sizeof want, "\"%.40s...\"", text);
    if (!strstr(err.message, want))
        fail_msg("expected %s in: %s", want, err.message);
    text[40] = '\0'; /* exactly 40: shown whole, no "..." */
    assert_int_not_equal(wm_size_parse(text, UINT64_MAX, &n, &err), 0);
    snprintf(want, sizeof want, "\"%.40s\"", text);
    if (!strstr(err.message, want))
        fail_msg("expected %s in: %s", want, err.message);
}

static int set(wm_run_request *r, const char *name, const char *value)
{
    wm_error err = {0};
    return wm_params_set(r, name, value, NULL, &err);
}

/* congestion is a 16-byte field: 15 characters and the NUL. */
static void test_congestion_name_length(void **state)
{
    (void)state;
    wm_run_request r;
    wm_params_init(&r);
    assert_int_equal(set(&r, "congestion", "abcdefghijklmno"), 0);
    assert_string_equal(r.config.transfer.congestion, "abcdefghijklmno");
    assert_int_not_equal(set(&r, "congestion", "abcdefghijklmnop"), 0);
    assert_int_not_equal(set(&r, "congestion", ""), 0);
}

/* 0 means "the kernel's" only where the table says so (mss, sndbuf,
 * rcvbuf); chunk's and timeout's minimum is 1. */
static void test_zero_only_where_it_means_default(void **state)
{
    (void)state;
    wm_run_request r;
    wm_params_init(&r);
    assert_int_equal(set(&r, "mss", "0"), 0);
    assert_int_equal(r.config.transfer.mss_bytes, 0);
    assert_int_not_equal(set(&r, "chunk", "0"), 0);
    assert_int_not_equal(set(&r, "timeout", "0"), 0);
    assert_int_equal(set(&r, "timeout", "1"), 0);
    assert_int_equal(r.config.transfer.io_timeout_ms, 1);
}

static void test_booleans_land(void **state)
{
    (void)state;
    wm_run_request r;
    wm_params_init(&r);
    const char *yes[] = {"true", "1", "yes"}, *no[] = {"false", "0", "no"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(set(&r, "nodelay", yes[i]), 0);
        assert_true(r.config.transfer.nodelay);
        assert_int_equal(set(&r, "nodelay", no[i]), 0);
        assert_false(r.config.transfer.nodelay);
        assert_int_equal(set(&r, "ipv6", yes[i]), 0);
        assert_true(r.config.transfer.ipv6);
        assert_int_equal(set(&r, "ipv6", no[i]), 0);
        assert_false(r.config.transfer.ipv6);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_at_its_maximum),
        cmocka_unit_test(test_size_error_quotes_forty_characters),
        cmocka_unit_test(test_congestion_name_length),
        cmocka_unit_test(test_zero_only_where_it_means_default),
        cmocka_unit_test(test_booleans_land),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
