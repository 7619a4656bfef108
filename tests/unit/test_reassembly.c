/* wm_reasm: Wireshark's rules for overlapping fragments, and the bounds
 * (datagrams in progress, bytes held) with the oldest dropped first; and
 * the fragment counts a trace reports for the captures of
 * tests/data/tshark (whose every packet test_tshark_agreement checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "reassembly.h"
#include "wm_trace.h"

static wm_reasm_key key_of(uint32_t id)
{
    wm_reasm_key k = {.family = 4, .proto = 6, .id = id};
    k.src[0] = 10;
    k.dst[0] = 11;
    return k;
}

static wm_reasm_status add(wm_reasm *r, uint32_t id, uint32_t offset,
                           const char *bytes, bool more, const uint8_t **out,
                           uint32_t *len)
{
    wm_reasm_key k = key_of(id);
    return wm_reasm_add(r, &k, offset, (const uint8_t *)bytes,
                        (uint32_t)strlen(bytes), more, out, len);
}

static void test_overlap_first_by_offset_wins(void **state)
{
    (void)state;
    wm_reasm *r = wm_reasm_new();
    assert_non_null(r);
    const uint8_t *out;
    uint32_t len;
    /* the tail first, then two fragments at offset 0: the one that came
     * first keeps its bytes, the longer one fills in after it */
    assert_int_equal(add(r, 1, 8, "TAILtail", false, &out, &len),
                     WM_REASM_PENDING);
    assert_int_equal(add(r, 1, 0, "abcd", true, &out, &len),
                     WM_REASM_PENDING);
    assert_int_equal(add(r, 1, 0, "ABCDEFGHIJ", true, &out, &len),
                     WM_REASM_DONE);
    assert_int_equal(len, 16);
    assert_memory_equal(out, "abcdEFGHIJILtail", 16);
    /* whole, it left the table: the same ID starts a new datagram */
    assert_int_equal(add(r, 1, 8, "TAILtail", false, &out, &len),
                     WM_REASM_PENDING);
    wm_fragment_counts c;
    wm_reasm_counts(r, &c);
    assert_int_equal(c.fragments, 4);
    assert_int_equal(c.reassembled, 1);
    assert_int_equal(c.incomplete, 1); /* the last one, still open */
    wm_reasm_free(r);
}

static void test_a_gap_keeps_it_open(void **state)
{
    (void)state;
    wm_reasm *r = wm_reasm_new();
    const uint8_t *out;
    uint32_t len;
    assert_int_equal(add(r, 2, 0, "01234567", true, &out, &len),
                     WM_REASM_PENDING);
    assert_int_equal(add(r, 2, 16, "last", false, &out, &len),
                     WM_REASM_PENDING);
    assert_int_equal(add(r, 2, 8, "89abcdef", true, &out, &len),
                     WM_REASM_DONE);
    assert_int_equal(len, 20);
    assert_memory_equal(out, "0123456789abcdeflast", 20);
    wm_reasm_free(r);
}

static void test_oldest_dropped_past_the_datagram_bound(void **state)
{
    (void)state;
    wm_reasm *r = wm_reasm_new();
    const uint8_t *out;
    uint32_t len;
    for (uint32_t id = 0; id <= WM_REASM_MAX_DATAGRAMS; id++)
        assert_int_equal(add(r, id, 0, "first---", true, &out, &len),
                         WM_REASM_PENDING);
    wm_fragment_counts c;
    wm_reasm_counts(r, &c);
    assert_int_equal(c.incomplete, WM_REASM_MAX_DATAGRAMS + 1);
    /* datagram 1 was kept, datagram 0 (the oldest) dropped: its tail
     * alone cannot complete it */
    assert_int_equal(add(r, 1, 8, "end", false, &out, &len), WM_REASM_DONE);
    assert_int_equal(add(r, 0, 8, "end", false, &out, &len),
                     WM_REASM_PENDING);
    wm_reasm_free(r);
}

static void test_bytes_bounded(void **state)
{
    (void)state;
    wm_reasm *r = wm_reasm_new();
    static uint8_t big[60000];
    memset(big, 'x', sizeof big);
    const uint8_t *out;
    uint32_t len;
    /* each datagram holds 60,000 bytes: the bound lets a few stay */
    uint32_t fit = WM_REASM_MAX_BYTES / sizeof big;
    for (uint32_t id = 0; id < fit + 3; id++) {
        wm_reasm_key k = key_of(id);
        assert_int_equal(wm_reasm_add(r, &k, 0, big, sizeof big, true, &out,
                                      &len),
                         WM_REASM_PENDING);
    }
    wm_fragment_counts c;
    wm_reasm_counts(r, &c);
    assert_int_equal(c.fragments, fit + 3);
    assert_int_equal(c.incomplete, fit + 3); /* dropped + open */
    /* the oldest went first: 0 is gone, the newest completes */
    wm_reasm_key k = key_of(fit + 2);
    assert_int_equal(wm_reasm_add(r, &k, sizeof big, big, 10, false, &out,
                                  &len),
                     WM_REASM_DONE);
    assert_int_equal(len, sizeof big + 10);
    k = key_of(0);
    assert_int_equal(wm_reasm_add(r, &k, sizeof big, big, 10, false, &out,
                                  &len),
                     WM_REASM_PENDING);
    wm_reasm_free(r);
}

static void test_past_the_largest_datagram(void **state)
{
    (void)state;
    wm_reasm *r = wm_reasm_new();
    const uint8_t *out;
    uint32_t len;
    /* a tail past 65,535 bytes can never be covered: never complete */
    assert_int_equal(add(r, 3, 0, "ab", true, &out, &len), WM_REASM_PENDING);
    assert_int_equal(add(r, 3, 65528, "cdefghij", false, &out, &len),
                     WM_REASM_PENDING);
    wm_reasm_free(r);
}

static void test_trace_counts(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint64_t frames, not_tcp;
        wm_fragment_counts counts;
    } cases[] = {
        /* 42 segments in 3 fragments each: the last carries it */
        {"ipv4_fragments", 148, 83, {125, 42, 0, 0}},
        /* cut at 54: none reassembled, the 42 first ones shown alone */
        {"ipv4_fragments_s54", 148, 83, {125, 0, 0, 125}},
        /* one datagram never completes */
        {"ipv6_fragments", 22, 11, {15, 4, 1, 0}},
        /* a tail after completion opens one more that never completes */
        {"ipv4_fragments_overlap", 19, 8, {11, 3, 2, 0}},
        /* all cut but the 16-byte fragment, which opens one */
        {"ipv6_fragments_s90", 22, 15, {15, 0, 1, 14}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/tshark/%s.pcap", WM_TEST_DATA,
                 cases[i].name);
        wm_trace t;
        wm_error err;
        assert_int_equal(wm_trace_read_file(path, &t, &err), 0);
        assert_int_equal(t.frames, cases[i].frames);
        assert_int_equal(t.not_tcp, cases[i].not_tcp);
        assert_int_equal(t.fragments.fragments, cases[i].counts.fragments);
        assert_int_equal(t.fragments.reassembled,
                         cases[i].counts.reassembled);
        assert_int_equal(t.fragments.incomplete, cases[i].counts.incomplete);
        assert_int_equal(t.fragments.cut, cases[i].counts.cut);
        assert_null(t.reasm); /* a file read holds no reassembly */
        wm_trace_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlap_first_by_offset_wins),
        cmocka_unit_test(test_a_gap_keeps_it_open),
        cmocka_unit_test(test_oldest_dropped_past_the_datagram_bound),
        cmocka_unit_test(test_bytes_bounded),
        cmocka_unit_test(test_past_the_largest_datagram),
        cmocka_unit_test(test_trace_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
