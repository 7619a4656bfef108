/* Sizes: every accepted and rejected form, as a table, and round trips
 * through wm_size_format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wm_size.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define GIB (1024ULL * 1024 * 1024)

typedef struct accepted_case {
    const char *text;
    uint64_t bytes;
} accepted_case;

static const accepted_case accepted[] = {
    {"0", 0},
    {"0B", 0},
    {"0kB", 0},
    {"0.0MB", 0},
    {"13", 13},
    {"13B", 13},
    {"13b", 13},
    {"13 B", 13},
    {"2kB", 2000},
    {"2KB", 2000},
    {"2kb", 2000},
    {"2Kb", 2000},
    {"439kB", 439000},
    {"439 kB", 439000},
    {"1MB", 1000000},
    {"1mb", 1000000},
    {"1 MB", 1000000},
    {"1.5MB", 1500000},
    {"1.5kB", 1500},
    {"1.0B", 1},
    {"1.000kB", 1000},
    {"0.001MB", 1000},
    {"0.000001MB", 1},
    {"1GB", 1000000000},
    {"1gb", 1000000000},
    {"1.073741824GB", GIB},
    {"64KiB", 64 * KIB},
    {"64kib", 64 * KIB},
    {"64KIB", 64 * KIB},
    {"1MiB", MIB},
    {"1 MiB", MIB},
    {"1GiB", GIB},
    {"0.5KiB", 512},
    {"1.5MiB", 3 * MIB / 2},
    {"0.0009765625MiB", 1024},
    {"0.0009765625KiB", 1},
    {"0.000000000931322574615478515625GiB", 1},
    {"007", 7},
    {"1048576", MIB},
    {"1073741824", GIB},
    {"1073741824B", GIB},
};

typedef struct rejected_case {
    const char *text;
    wm_error_kind kind;
} rejected_case;

static const rejected_case rejected[] = {
    {"", WM_ERR_INVALID},
    {" ", WM_ERR_INVALID},
    {"  ", WM_ERR_INVALID},
    {"\t", WM_ERR_INVALID},
    {"-1", WM_ERR_INVALID},
    {"+1", WM_ERR_INVALID},
    {"-0", WM_ERR_INVALID},
    {" 1", WM_ERR_INVALID},
    {"1 ", WM_ERR_INVALID},
    {"1MB ", WM_ERR_INVALID},
    {"1  MB", WM_ERR_INVALID},
    {"1\tMB", WM_ERR_INVALID},
    {"1XB", WM_ERR_INVALID},
    {"1K", WM_ERR_INVALID},
    {"1M", WM_ERR_INVALID},
    {"1TB", WM_ERR_INVALID},
    {"1KBB", WM_ERR_INVALID},
    {"1Bytes", WM_ERR_INVALID},
    {"MB", WM_ERR_INVALID},
    {"B", WM_ERR_INVALID},
    {"99999999999999999999", WM_ERR_INVALID},
    {"18446744073709551616", WM_ERR_INVALID},
    {"18446744073709551616B", WM_ERR_INVALID},
    {"18446744073709551615GB", WM_ERR_INVALID},
    {"17179869184GiB", WM_ERR_INVALID},
    {"1.5B", WM_ERR_INVALID},
    {"1.5", WM_ERR_INVALID},
    {"0.5", WM_ERR_INVALID},
    {"0.0001kB", WM_ERR_INVALID},
    {"0.0000001MB", WM_ERR_INVALID},
    {"0.1KiB", WM_ERR_INVALID},
    {"1e6", WM_ERR_INVALID},
    {"1E6", WM_ERR_INVALID},
    {"0x10", WM_ERR_INVALID},
    {"1..5MB", WM_ERR_INVALID},
    {"1.5.5MB", WM_ERR_INVALID},
    {"1.", WM_ERR_INVALID},
    {"1.MB", WM_ERR_INVALID},
    {".5MB", WM_ERR_INVALID},
    {"1,5MB", WM_ERR_INVALID},
    {"1_000", WM_ERR_INVALID},
    {"1 000", WM_ERR_INVALID},
    {"1MB\n", WM_ERR_INVALID},
    {"1\xc2\xa0MB", WM_ERR_INVALID},
    {"one", WM_ERR_INVALID},
    {"2GiB", WM_ERR_TOO_LARGE},
    {"1073741825", WM_ERR_TOO_LARGE},
    {"1.5GiB", WM_ERR_TOO_LARGE}, {"1.1GiB", WM_ERR_INVALID},
    {"2GB", WM_ERR_TOO_LARGE},
    {"18446744073709551615", WM_ERR_TOO_LARGE},
};

static void test_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        uint64_t bytes = 12345;
        wm_error err = {0};
        int rc = wm_size_parse(accepted[i].text, WM_SIZE_DEFAULT_MAX, &bytes,
                               &err);
        if (rc != 0 || bytes != accepted[i].bytes)
            fail_msg("\"%s\": rc %d, %llu bytes, want %llu (%s)",
                     accepted[i].text, rc, (unsigned long long)bytes,
                     (unsigned long long)accepted[i].bytes, err.message);
    }
}

static void test_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        uint64_t bytes = 12345;
        wm_error err = {0};
        int rc = wm_size_parse(rejected[i].text, WM_SIZE_DEFAULT_MAX, &bytes,
                               &err);
        if (rc != -1 || err.kind != rejected[i].kind)
            fail_msg("\"%s\": rc %d, kind %s, want %s", rejected[i].text, rc,
                     wm_error_code(err.kind),
                     wm_error_code(rejected[i].kind));
        assert_int_equal(bytes, 12345); /* untouched on failure */
        assert_string_equal(err.parameter, "size");
        if (err.kind == WM_ERR_INVALID &&
            strstr(err.message, WM_SIZE_FORMS) == NULL)
            fail_msg("\"%s\": message does not name the forms: %s",
                     rejected[i].text, err.message);
    }
}

static void test_null_and_no_error_struct(void **state)
{
    (void)state;
    uint64_t bytes = 0;
    wm_error err = {0};
    assert_int_equal(wm_size_parse(NULL, WM_SIZE_DEFAULT_MAX, &bytes, &err),
                     -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_string_equal(err.parameter, "size");
    /* err may be NULL: failure is still reported by the return value */
    assert_int_equal(wm_size_parse("junk", WM_SIZE_DEFAULT_MAX, &bytes, NULL),
                     -1);
    assert_int_equal(wm_size_parse("2kB", WM_SIZE_DEFAULT_MAX, &bytes, NULL),
                     0);
    assert_int_equal(bytes, 2000);
}

static void test_max_is_configurable(void **state)
{
    (void)state;
    uint64_t bytes = 0;
    wm_error err = {0};
    assert_int_equal(wm_size_parse("2GiB", 4 * GIB, &bytes, &err), 0);
    assert_int_equal(bytes, 2 * GIB);
    assert_int_equal(wm_size_parse("1kB", 1000, &bytes, &err), 0);
    assert_int_equal(wm_size_parse("1001", 1000, &bytes, &err), -1);
    assert_int_equal(err.kind, WM_ERR_TOO_LARGE);
    assert_non_null(strstr(err.message, "1kB"));
    assert_non_null(strstr(err.message, "1001 bytes"));
    assert_int_equal(wm_size_parse("0", 0, &bytes, &err), 0);
    assert_int_equal(wm_size_parse("1", 0, &bytes, &err), -1);
    assert_int_equal(err.kind, WM_ERR_TOO_LARGE);
    assert_int_equal(wm_size_parse("18446744073709551615", UINT64_MAX,
                                   &bytes, &err), 0);
    assert_true(bytes == UINT64_MAX);
    assert_int_equal(wm_size_parse("17179869183GiB", UINT64_MAX, &bytes,
                                   &err), 0);
    assert_true(bytes == 17179869183ULL * GIB);
}

static void test_error_message_is_safe(void **state)
{
    (void)state;
    char text[600];
    memset(text, '9', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    text[3] = '\x1b';
    wm_error err = {0};
    uint64_t bytes;
    assert_int_equal(wm_size_parse(text, UINT64_MAX, &bytes, &err), -1);
    assert_null(strchr(err.message, '\x1b'));
    assert_non_null(strstr(err.message, "999?999"));
    assert_non_null(strstr(err.message, "..."));
}

typedef struct format_case {
    uint64_t bytes;
    const char *text;
} format_case;

static const format_case formats[] = {
    {0, "0B"},           {13, "13B"},         {500, "500B"},
    {1000, "1kB"},       {1024, "1KiB"},      {1500, "1.5kB"},
    {2000, "2kB"},       {439000, "439kB"},   {1000000, "1MB"},
    {1500000, "1.5MB"},  {MIB, "1MiB"},       {64 * KIB, "64KiB"},
    {1234567, "1234567B"}, {GIB, "1GiB"},     {1000000000, "1GB"},
    {3 * MIB / 2, "1.5MiB"},
};

static void test_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        char buf[64];
        wm_size_format(formats[i].bytes, buf, sizeof buf);
        assert_string_equal(buf, formats[i].text);
    }
    char small[4];
    wm_size_format(1234567, small, sizeof small);
    assert_string_equal(small, "123"); /* truncated, still terminated */
}

static void check_round_trip(uint64_t bytes)
{
    char buf[64];
    uint64_t back = 0;
    wm_error err = {0};
    wm_size_format(bytes, buf, sizeof buf);
    if (wm_size_parse(buf, UINT64_MAX, &back, &err) != 0 || back != bytes)
        fail_msg("%llu -> \"%s\" -> %llu (%s)", (unsigned long long)bytes,
                 buf, (unsigned long long)back, err.message);
}

static void test_round_trip(void **state)
{
    (void)state;
    for (uint64_t b = 0; b < 5000; b++)
        check_round_trip(b);
    const uint64_t edges[] = {KIB - 1, MIB - 1, MIB + 1, GIB - 1, GIB + 1,
                              999999999, 1000000001, UINT64_MAX,
                              UINT64_MAX - 1, 1ULL << 63};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        check_round_trip(edges[i]);
    /* a deterministic spread over the whole range */
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_round_trip(x >> (i % 64));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_null_and_no_error_struct),
        cmocka_unit_test(test_max_is_configurable),
        cmocka_unit_test(test_error_message_is_safe),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
