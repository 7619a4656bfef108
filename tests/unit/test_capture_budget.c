/* The capture's budget at its exact edges: --max-packets frames are kept
 * and the next is not; a pcap of exactly --max-pcap bytes is kept; a run
 * is within --max-duration up to the limit itself (milliseconds, not
 * microseconds). The run tests reach these only with runs far over them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "capture_budget.h"
#include "wm_clock.h"

static capture_budget budget(uint64_t packets, uint64_t pcap, uint32_t ms)
{
    capture_budget b;
    memset(&b, 0, sizeof b);
    b.limits.max_packets = packets;
    b.limits.max_pcap_bytes = pcap;
    b.limits.max_duration_ms = ms;
    b.pcap_bytes = WM_BUDGET_PCAP_HEADER_BYTES;
    b.started_ns = wm_clock_monotonic_ns();
    return b;
}

static void test_packets(void **state)
{
    (void)state;
    capture_budget b = budget(3, 0, 0);
    wm_error err = {0};
    for (int i = 0; i < 3; i++)
        assert_int_equal(capture_budget_frame(&b, 100, &err), 0);
    assert_int_equal(b.frames, 3);
    assert_int_equal(capture_budget_frame(&b, 100, &err), -1);
    assert_string_equal(err.parameter, "max-packets");
    assert_non_null(strstr(err.message, "stopped at 3 packets"));
    assert_true(b.over);
}

static void test_pcap_bytes(void **state)
{
    (void)state;
    uint64_t one = WM_BUDGET_PCAP_HEADER_BYTES + WM_BUDGET_PCAP_RECORD_BYTES + 100;
    capture_budget b = budget(0, one, 0);
    wm_error err = {0};
    assert_int_equal(capture_budget_frame(&b, 100, &err), 0);
    assert_int_equal(b.pcap_bytes, one);
    assert_int_equal(capture_budget_frame(&b, 1, &err), -1);
    assert_string_equal(err.parameter, "max-pcap");
    b = budget(0, one - 1, 0);
    assert_int_equal(capture_budget_frame(&b, 100, &err), -1);
}

static void test_duration(void **state)
{
    (void)state;
    capture_budget b = budget(0, 0, 1000);
    wm_error err = {0};
    b.started_ns = wm_clock_monotonic_ns() - 500 * 1000000LL;
    assert_int_equal(capture_budget_clock(&b, &err), 0);
    b.started_ns = wm_clock_monotonic_ns() - 1500 * 1000000LL;
    assert_int_equal(capture_budget_clock(&b, &err), -1);
    assert_string_equal(err.parameter, "max-duration");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packets),
        cmocka_unit_test(test_pcap_bytes),
        cmocka_unit_test(test_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
