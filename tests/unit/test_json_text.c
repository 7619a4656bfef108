/* wm_json_text writes what json_dumps(JSON_COMPACT) writes, byte for
 * byte: stored results and answers are the same whichever wrote them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wm_json_text.h"

static void same_as_jansson(const json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t len = 0;
    char *got = wm_json_text(v, &len);
    assert_non_null(want);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    free(want);
    free(got);
}

static void test_document(void **state)
{
    (void)state;
    /* The shapes of a run's document: nested objects in insertion
     * order (not sorted), arrays, null, booleans, big integers. */
    json_t *doc = json_pack(
        "{s:i, s:{s:s, s:I, s:I}, s:[{s:b, s:n, s:f}, {}, []], s:o, s:I, "
        "s:I, s:s, s:{}}",
        "schema", 1, "connection", "ip", "127.0.0.1", "port", (json_int_t)0,
        "rtt_ns", (json_int_t)INT64_MAX, "rows", "syn", 1, "ack", "ratio",
        0.5, "zeta", json_string("last"), "min", (json_int_t)INT64_MIN,
        "started_ns", (json_int_t)1764050000389032995LL, "time",
        "2025-11-25T05:53:20.389032995Z", "empty");
    assert_non_null(doc);
    same_as_jansson(doc);
    json_decref(doc);
}

static void test_reals(void **state)
{
    (void)state;
    const double fixed[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1e300, 1e-300,
                            5e-324, 1.7976931348623157e308, 123456789.0,
                            1e17, 1e16, 12345678901234567890.0, 3.0e-5,
                            2.5e21, 1.0 / 3.0, 100.0, 1e22};
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        json_array_append_new(a, json_real(fixed[i]));
    /* Bit patterns all over the range: every exponent form. */
    uint64_t x = 88172645463325252ull;
    while (json_array_size(a) < 20000) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        json_t *r = json_real(d); /* NULL for NaN and infinities */
        if (r)
            json_array_append_new(a, r);
    }
    same_as_jansson(a);
    json_decref(a);
}

static void test_strings(void **state)
{
    (void)state;
    json_t *o = json_object();
    char all[0x80];
    for (int c = 1; c < 0x80; c++)
        all[c - 1] = (char)c;
    all[0x7f] = '\0';
    json_object_set_new(o, "ascii", json_string(all));
    json_object_set_new(o, "nul inside", json_stringn("a\0b", 3));
    json_object_set_new(o, "utf-8", json_string("caf\xc3\xa9 \xe2\x82\xac "
                                                "\xf0\x9f\x98\x80 /"));
    json_object_set_new(o, "key \"with\" \\ \n escapes\x01", json_string(""));
    json_object_set_new(o, "", json_string("empty key"));
    same_as_jansson(o);
    json_decref(o);
}

static void test_integers(void **state)
{
    (void)state;
    json_t *a = json_array();
    const json_int_t v[] = {0, 1, -1, 9, 10, -10, 99, 100, INT32_MAX,
                            INT32_MIN, INT64_MAX, INT64_MIN, INT64_MIN + 1};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        json_array_append_new(a, json_integer(v[i]));
    same_as_jansson(a);
    json_decref(a);
}

/* Big enough to grow the buffer past its first size, several times. */
static void test_large(void **state)
{
    (void)state;
    json_t *a = json_array();
    for (int i = 0; i < 5000; i++)
        json_array_append_new(
            a, json_pack("{s:i, s:s, s:f}", "i", i, "s", "x\ty", i * 0.25));
    same_as_jansson(a);
    json_decref(a);
}

/* Refused where jansson refuses (not UTF-8), and past the depth bound
 * (where jansson would go on: a bound on the input instead). */
static void test_refused(void **state)
{
    (void)state;
    json_t *bad[] = {json_stringn_nocheck("\xc3", 1),
                     json_stringn_nocheck("\xc0\x80", 2),
                     json_stringn_nocheck("\xed\xa0\x80", 3),
                     json_stringn_nocheck("\xf4\x90\x80\x80", 4)};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *a = json_pack("[o]", bad[i]);
        assert_null(json_dumps(a, JSON_COMPACT));
        assert_null(wm_json_text(a, NULL));
        json_decref(a);
    }
    json_t *deep = json_array(), *inner = deep;
    for (int i = 0; i < WM_JSON_TEXT_MAX_DEPTH; i++) {
        json_t *next = json_array();
        json_array_append_new(inner, next);
        inner = next;
    }
    same_as_jansson(deep); /* exactly at the bound: written */
    json_array_append_new(inner, json_array());
    assert_null(wm_json_text(deep, NULL));
    json_decref(deep);
    assert_null(wm_json_text(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document), cmocka_unit_test(test_reals),
        cmocka_unit_test(test_strings),  cmocka_unit_test(test_integers),
        cmocka_unit_test(test_large),    cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
