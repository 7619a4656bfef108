/* Sweep table: medians over odd and even counts, min/max, the median
 * sample, rows keyed by size in first-seen order, refused results, failed
 * runs, and the text tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wm_cli_text.h"
#include "wm_sweep.h"

#define T0_NS 1000000000LL /* 00:00:01 UTC, 1970-01-01 */

/* A run result carrying just what the table reads (docs/result.md). */
static json_t *run(int64_t packets, int64_t first_ns, int64_t total_ns,
                   double average)
{
    return json_pack("{s:{s:I},s:{s:I,s:I,s:I},s:{s:f,s:n}}", "totals",
                     "packets", (json_int_t)packets, "timing",
                     "first_packet_ns", (json_int_t)first_ns,
                     "last_packet_ns", (json_int_t)(first_ns + total_ns),
                     "total_ns", (json_int_t)total_ns, "average_packet_size",
                     "all", average, "data");
}

static void add(wm_sweep_table *t, uint64_t size, const char *text,
                int64_t packets, int64_t total_ns, double average)
{
    json_t *r = run(packets, T0_NS, total_ns, average);
    wm_error err = {0};
    assert_non_null(r);
    if (wm_sweep_table_add(t, size, text, r, &err) != 0)
        fail_msg("add refused: %s", err.message);
    json_decref(r);
}

static json_t *row_of(json_t *rows, size_t i)
{
    json_t *row = json_array_get(rows, i);
    assert_non_null(row);
    return row;
}

static json_int_t int_at(json_t *row, const char *stat, const char *key)
{
    json_t *v = json_object_get(json_object_get(row, stat), key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static void test_odd_count(void **state)
{
    (void)state;
    wm_sweep_table *t = wm_sweep_table_new();
    add(t, 13, "13B", 25, 300, 100.0);
    add(t, 13, "13B", 24, 100, 90.0);
    add(t, 13, "13B", 30, 200, 120.0);
    json_t *rows = wm_sweep_table_json(t);
    assert_int_equal(json_array_size(rows), 1);
    json_t *row = row_of(rows, 0);
    assert_int_equal(json_integer_value(json_object_get(row, "runs")), 3);
    assert_int_equal(int_at(row, "packets", "median"), 25);
    assert_int_equal(int_at(row, "packets", "min"), 24);
    assert_int_equal(int_at(row, "packets", "max"), 30);
    assert_int_equal(int_at(row, "total_ns", "median"), 200);
    assert_int_equal(int_at(row, "total_ns", "min"), 100);
    assert_int_equal(int_at(row, "total_ns", "max"), 300);
    json_t *avg = json_object_get(row, "average_packet_size");
    assert_float_equal(json_real_value(json_object_get(avg, "median")), 100.0,
                       1e-9);
    assert_float_equal(json_real_value(json_object_get(avg, "min")), 90.0, 1e-9);
    assert_float_equal(json_real_value(json_object_get(avg, "max")), 120.0,
                       1e-9);
    /* total 200 is the third sample added. */
    assert_int_equal(json_integer_value(json_object_get(row, "median_sample")),
                     2);
    json_t *samples = json_object_get(row, "samples");
    assert_int_equal(json_array_size(samples), 3);
    json_t *first = json_array_get(samples, 0);
    assert_int_equal(json_integer_value(json_object_get(first, "last_packet_ns")),
                     T0_NS + 300);
    json_decref(rows);
    wm_sweep_table_free(t);
}

static void test_even_count(void **state)
{
    (void)state;
    wm_sweep_table *t = wm_sweep_table_new();
    /* Packets 24 and 25: the median is 24.5, a real. */
    add(t, 2000, "2kB", 24, 400, 100.0);
    add(t, 2000, "2kB", 25, 100, 150.0);
    add(t, 2000, "2kB", 25, 300, 150.0);
    add(t, 2000, "2kB", 24, 201, 200.0);
    /* Packets 24 and 26: the median 25 is whole, an integer. */
    add(t, 439000, "439kB", 26, 10, 1.0);
    add(t, 439000, "439kB", 24, 10, 2.0);
    json_t *rows = wm_sweep_table_json(t);
    json_t *row = row_of(rows, 0);
    json_t *median = json_object_get(json_object_get(row, "packets"), "median");
    assert_true(json_is_real(median));
    assert_float_equal(json_real_value(median), 24.5, 1e-9);
    /* total_ns 201 and 300: median 250.5. */
    median = json_object_get(json_object_get(row, "total_ns"), "median");
    assert_true(json_is_real(median));
    assert_float_equal(json_real_value(median), 250.5, 1e-9);
    assert_float_equal(json_real_value(json_object_get(
                           json_object_get(row, "average_packet_size"),
                           "median")),
                       150.0, 1e-9);
    /* The lower middle total (201) is the fourth sample. */
    assert_int_equal(json_integer_value(json_object_get(row, "median_sample")),
                     3);
    row = row_of(rows, 1);
    assert_int_equal(int_at(row, "packets", "median"), 25);
    /* Equal totals: the earliest sample. */
    assert_int_equal(json_integer_value(json_object_get(row, "median_sample")),
                     0);
    json_decref(rows);
    wm_sweep_table_free(t);
}

static void test_rows_by_size_in_first_seen_order(void **state)
{
    (void)state;
    wm_sweep_table *t = wm_sweep_table_new();
    add(t, 1000000, "1MB", 125, 100, 1.0);
    add(t, 13, "13B", 24, 100, 1.0);
    add(t, 1000000, "1000kB", 127, 100, 1.0);
    json_t *rows = wm_sweep_table_json(t);
    assert_int_equal(json_array_size(rows), 2);
    json_t *row = row_of(rows, 0);
    assert_int_equal(json_integer_value(json_object_get(row, "size")), 1000000);
    assert_string_equal(json_string_value(json_object_get(row, "size_text")),
                        "1MB");
    assert_int_equal(json_integer_value(json_object_get(row, "runs")), 2);
    assert_int_equal(json_integer_value(json_object_get(row_of(rows, 1),
                                                        "size")),
                     13);
    json_decref(rows);
    wm_sweep_table_free(t);
}

static void test_refuses_incomplete_result(void **state)
{
    (void)state;
    wm_sweep_table *t = wm_sweep_table_new();
    json_t *r = run(24, T0_NS, 100, 1.0);
    json_object_del(json_object_get(r, "timing"), "total_ns");
    wm_error err = {0};
    assert_int_equal(wm_sweep_table_add(t, 13, "13B", r, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_non_null(strstr(err.message, "timing.total_ns"));
    json_decref(r);
    r = run(24, T0_NS, 100, 1.0);
    json_object_set_new(json_object_get(r, "average_packet_size"), "all",
                        json_null());
    assert_int_equal(wm_sweep_table_add(t, 13, "13B", r, &err), -1);
    assert_non_null(strstr(err.message, "average_packet_size.all"));
    json_decref(r);
    assert_int_equal(wm_sweep_table_add(t, 13, "13B", NULL, &err), -1);
    json_t *rows = wm_sweep_table_json(t);
    assert_int_equal(json_array_size(rows), 0);
    json_decref(rows);
    wm_sweep_table_free(t);
}

static void test_failed_runs(void **state)
{
    (void)state;
    wm_sweep_table *t = wm_sweep_table_new();
    assert_int_equal(wm_sweep_table_add_failed(t, 13, "13B", NULL), 0);
    add(t, 2000, "2kB", 24, 100, 1.0);
    assert_int_equal(wm_sweep_table_add_failed(t, 2000, "2kB", NULL), 0);
    json_t *rows = wm_sweep_table_json(t);
    json_t *row = row_of(rows, 0);
    assert_int_equal(json_integer_value(json_object_get(row, "runs")), 0);
    assert_int_equal(json_integer_value(json_object_get(row, "failed")), 1);
    assert_true(json_is_null(json_object_get(row, "median_sample")));
    assert_true(json_is_null(
        json_object_get(json_object_get(row, "packets"), "median")));
    row = row_of(rows, 1);
    assert_int_equal(json_integer_value(json_object_get(row, "runs")), 1);
    assert_int_equal(json_integer_value(json_object_get(row, "failed")), 1);
    json_decref(rows);
    wm_sweep_table_free(t);
}

static char *render(const wm_sweep_table *t)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    json_t *rows = wm_sweep_table_json(t);
    assert_non_null(rows);
    wm_cli_text_sweep(rows, out);
    json_decref(rows);
    fclose(out);
    return text;
}

static void test_text_tables(void **state)
{
    (void)state;
    wm_sweep_table *t = wm_sweep_table_new();
    add(t, 13, "13B", 24, 82000000, 10000.25);
    add(t, 2000, "2kB", 24, 300000, 100.0);
    add(t, 2000, "2kB", 25, 100000, 300.0);
    assert_int_equal(wm_sweep_table_add_failed(t, 1000000, "1MB", NULL), 0);
    char *text = render(t);
    assert_non_null(strstr(text, "Packets per transfer size"));
    assert_non_null(strstr(text, "Time per transfer size"));
    assert_non_null(strstr(text, "avg packet (B)"));
    /* One run: plain values; 82 ms from 00:00:01. */
    assert_non_null(strstr(text, "10000.2"));
    assert_non_null(strstr(text, "00:00:01.000000000  00:00:01.082000000"));
    assert_non_null(strstr(text, "0.082000"));
    /* Two runs: median [min..max]. */
    assert_non_null(strstr(text, "24.5 [24..25]"));
    assert_non_null(strstr(text, "0.000200 [0.000100..0.000300]"));
    assert_non_null(strstr(text, "200.0 [100.0..300.0]"));
    /* The median sample of 2kB is the 100 us one: it ends at 1.0001 s. */
    assert_non_null(strstr(text, "00:00:01.000100000"));
    /* A size whose runs all failed. */
    assert_non_null(strstr(text, "0 (+1 failed)"));
    free(text);
    wm_sweep_table_free(t);
}

static void test_empty_table(void **state)
{
    (void)state;
    wm_sweep_table *t = wm_sweep_table_new();
    json_t *rows = wm_sweep_table_json(t);
    assert_true(json_is_array(rows));
    assert_int_equal(json_array_size(rows), 0);
    json_decref(rows);
    char *text = render(t);
    assert_non_null(strstr(text, "size"));
    free(text);
    wm_sweep_table_free(t);
    wm_sweep_table_free(NULL);
}

/* Ties in total_ns: the median sample must still be one whose total_ns is
 * the median (300, 100, 100: the median is 100, so not sample 0). */
static void test_median_sample_with_ties(void **state)
{
    (void)state;
    wm_sweep_table *t = wm_sweep_table_new();
    add(t, 13, "13B", 25, 300, 100.0);
    add(t, 13, "13B", 24, 100, 90.0);
    add(t, 13, "13B", 30, 100, 120.0);
    json_t *rows = wm_sweep_table_json(t);
    json_t *row = row_of(rows, 0);
    assert_int_equal(int_at(row, "total_ns", "median"), 100);
    json_int_t i = json_integer_value(json_object_get(row, "median_sample"));
    json_t *sample = json_array_get(json_object_get(row, "samples"), (size_t)i);
    assert_int_equal(json_integer_value(json_object_get(sample, "total_ns")), 100);
    json_decref(rows);
    wm_sweep_table_free(t);
}

/* start_ns/end_ns: the first and last packet over the repeats, always
 * integers (an even count's median rounded down), their RFC 3339 text
 * beside them; the handout's figures for the lab's four sizes only. */
static void test_start_end_handout(void **state)
{
    (void)state;
    wm_sweep_table *t = wm_sweep_table_new();
    wm_error err = {0};
    /* first_ns 1 s, 2 s + 1 ns: the median's mean ends in half a ns. */
    json_t *a = run(24, T0_NS, 500, 10.0);
    json_t *b = run(26, 2 * T0_NS + 1, 700, 12.0);
    assert_int_equal(wm_sweep_table_add(t, 1000000, "1MB", a, &err), 0);
    assert_int_equal(wm_sweep_table_add(t, 1000000, "1MB", b, &err), 0);
    json_t *c = run(3, T0_NS, 100, 1.0);
    assert_int_equal(wm_sweep_table_add(t, 14, "14B", c, &err), 0);
    json_decref(a), json_decref(b), json_decref(c);
    json_t *rows = wm_sweep_table_json(t);
    json_t *row = row_of(rows, 0);
    assert_int_equal(int_at(row, "start_ns", "median"), 1500000000LL);
    assert_int_equal(int_at(row, "start_ns", "min"), T0_NS);
    assert_int_equal(int_at(row, "start_ns", "max"), 2 * T0_NS + 1);
    assert_int_equal(int_at(row, "end_ns", "min"), T0_NS + 500);
    assert_int_equal(int_at(row, "end_ns", "max"), 2 * T0_NS + 701);
    json_t *start = json_object_get(row, "start_time");
    assert_string_equal(json_string_value(json_object_get(start, "median")),
                        "1970-01-01T00:00:01.500000000Z");
    assert_string_equal(json_string_value(json_object_get(start, "max")),
                        "1970-01-01T00:00:02.000000001Z");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(row, "end_time"),
                                          "min")),
        "1970-01-01T00:00:01.000000500Z");
    json_t *samples = json_object_get(row, "samples");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(samples, 1),
                                          "first_packet_time")),
        "1970-01-01T00:00:02.000000001Z");
    json_t *h = json_object_get(row, "handout");
    assert_int_equal(json_integer_value(json_object_get(h, "packets")), 125);
    assert_true(json_real_value(json_object_get(h, "total_s")) == 0.111);
    assert_true(json_is_null(json_object_get(row_of(rows, 1), "handout")));
    const wm_sweep_handout *small = wm_sweep_handout_for(13);
    assert_non_null(small);
    assert_int_equal(small->packets, 24);
    assert_non_null(wm_sweep_handout_for(2000));
    assert_int_equal(wm_sweep_handout_for(439000)->packets, 73);
    assert_null(wm_sweep_handout_for(2048));
    json_decref(rows);
    wm_sweep_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_odd_count),
        cmocka_unit_test(test_even_count),
        cmocka_unit_test(test_rows_by_size_in_first_seen_order),
        cmocka_unit_test(test_refuses_incomplete_result),
        cmocka_unit_test(test_failed_runs),
        cmocka_unit_test(test_text_tables),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_median_sample_with_ties),
        cmocka_unit_test(test_start_end_handout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
