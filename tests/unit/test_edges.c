/* Limits of the run parameters and sizes at their exact edge, and one past
 * it: a bound written "<" where ">" was meant, or one byte off, is caught
 * here rather than by a user. Each value is also checked to land in the
 * run's configuration, not only to be accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wm_budget.h"
#include "wm_capture.h"
#include "wm_params.h"
#include "wm_size.h"
#include "wm_transfer.h"

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

/* Each integer parameter at its documented minimum and maximum: accepted,
 * and the value is the one the run's params (its result) show; one below
 * the minimum and one above the maximum refused. */
static void test_integers_at_min_and_max(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        unsigned long long min, max;
        bool zero_means_default; /* 0 accepted below min */
    } rows[] = {
        {"chunk", 1, WM_TRANSFER_MAX_CHUNK, false},
        {"sndbuf", 0, WM_TRANSFER_MAX_SOCKBUF, false},
        {"rcvbuf", 0, WM_TRANSFER_MAX_SOCKBUF, false},
        {"mss", WM_TRANSFER_MIN_MSS, WM_TRANSFER_MAX_MSS, true},
        {"snaplen", WM_CAPTURE_MIN_SNAPLEN, WM_CAPTURE_MAX_SNAPLEN, false},
        {"timeout", 1, WM_TRANSFER_MAX_TIMEOUT_MS, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        unsigned long long edges[2] = {rows[i].min, rows[i].max};
        for (int e = 0; e < 2; e++) {
            wm_run_request r;
            wm_params_init(&r);
            char text[32];
            snprintf(text, sizeof text, "%llu", edges[e]);
            if (set(&r, rows[i].name, text) != 0)
                fail_msg("%s=%s (its %s) refused", rows[i].name, text,
                         e ? "maximum" : "minimum");
            json_t *params = wm_params_json(&r);
            assert_non_null(params);
            json_int_t got = json_integer_value(json_object_get(params, rows[i].name));
            if ((unsigned long long)got != edges[e])
                fail_msg("%s=%s shows %lld in the run's params", rows[i].name,
                         text, (long long)got);
            json_decref(params);
        }
        wm_run_request r;
        wm_params_init(&r);
        char text[32];
        snprintf(text, sizeof text, "%llu", rows[i].max + 1);
        if (set(&r, rows[i].name, text) == 0)
            fail_msg("%s=%s (one over the maximum) accepted", rows[i].name, text);
        if (rows[i].min > 0 && !(rows[i].zero_means_default && rows[i].min == 1)) {
            snprintf(text, sizeof text, "%llu", rows[i].min - 1);
            bool is_zero = rows[i].min - 1 == 0;
            int rc = set(&r, rows[i].name, text);
            if (rc == 0 && !(is_zero && rows[i].zero_means_default))
                fail_msg("%s=%s (one under the minimum) accepted", rows[i].name, text);
        }
    }
}

/* A label of exactly WM_LABEL_MAX bytes is kept whole; one more refused. */
static void test_label_at_its_maximum(void **state)
{
    (void)state;
    char label[WM_LABEL_MAX + 2];
    memset(label, 'l', WM_LABEL_MAX);
    label[WM_LABEL_MAX] = '\0';
    wm_run_request r;
    wm_params_init(&r);
    assert_int_equal(set(&r, "label", label), 0);
    assert_string_equal(r.label, label);
    label[WM_LABEL_MAX] = 'l';
    label[WM_LABEL_MAX + 1] = '\0';
    assert_int_not_equal(set(&r, "label", label), 0);
}

/* What the budget refuses names the least the run needs ("at least N
 * packets", "at least N bytes"): a budget of exactly that must be
 * accepted, one less refused. */
static uint64_t least_named(const char *message, const char *unit)
{
    const char *at = strstr(message, "at least ");
    assert_non_null(at);
    char *end = NULL;
    uint64_t n = strtoull(at + 9, &end, 10);
    if (strncmp(end, unit, strlen(unit)) != 0)
        fail_msg("expected \"at least N%s\" in: %s", unit, message);
    return n;
}

static void test_budget_at_its_edge(void **state)
{
    (void)state;
    wm_run_request r;
    wm_params_init(&r);
    assert_int_equal(set(&r, "size", "1MB"), 0);
    wm_error err = {0};
    wm_budget b = {.max_packets = 1, .max_pcap_bytes = 0};
    assert_int_equal(wm_params_check_budget(&r, &b, &err), -1);
    uint64_t packets = least_named(err.message, " packets");
    b.max_packets = packets;
    assert_int_equal(wm_params_check_budget(&r, &b, &err), 0);
    b.max_packets = packets - 1;
    assert_int_equal(wm_params_check_budget(&r, &b, &err), -1);

    b = (wm_budget){.max_packets = 0, .max_pcap_bytes = 1};
    assert_int_equal(wm_params_check_budget(&r, &b, &err), -1);
    uint64_t bytes = least_named(err.message, " bytes");
    b.max_pcap_bytes = bytes;
    assert_int_equal(wm_params_check_budget(&r, &b, &err), 0);
    b.max_pcap_bytes = bytes - 1;
    assert_int_equal(wm_params_check_budget(&r, &b, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_at_its_maximum),
        cmocka_unit_test(test_size_error_quotes_forty_characters),
        cmocka_unit_test(test_congestion_name_length),
        cmocka_unit_test(test_zero_only_where_it_means_default),
        cmocka_unit_test(test_booleans_land),
        cmocka_unit_test(test_integers_at_min_and_max),
        cmocka_unit_test(test_label_at_its_maximum),
        cmocka_unit_test(test_budget_at_its_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
