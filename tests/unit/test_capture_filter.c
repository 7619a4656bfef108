/* capture_filter: a program made from the cached template is the very
 * program pcap_compile makes for that port, for the link types and
 * snaplens a capture uses, over the whole port range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "capture_filter.h"

static void same_program(pcap_t *handle, capture_filter_cache *cache,
                         uint16_t port, unsigned *from_cache)
{
    struct bpf_program cached, compiled;
    int rc = capture_filter_compile(cache, handle, port, &cached);
    assert_true(rc == 0 || rc == 1);
    *from_cache += rc == 1;
    char text[32];
    capture_filter_text(port, text, sizeof text);
    assert_int_equal(pcap_compile(handle, &compiled, text, 1,
                                  PCAP_NETMASK_UNKNOWN), 0);
    assert_int_equal(cached.bf_len, compiled.bf_len);
    assert_memory_equal(cached.bf_insns, compiled.bf_insns,
                        compiled.bf_len * sizeof *compiled.bf_insns);
    pcap_freecode(&cached);
    pcap_freecode(&compiled);
}

static void over_ports(int linktype, int snaplen)
{
    pcap_t *handle = pcap_open_dead(linktype, snaplen);
    assert_non_null(handle);
    capture_filter_cache *cache = capture_filter_cache_new();
    assert_non_null(cache);
    unsigned from_cache = 0, tried = 0;
    /* Every 7th port, and those equal to a constant of the program or
     * to the template's own ports. */
    for (uint32_t port = 1; port <= 65535; port += 7, tried++)
        same_program(handle, cache, (uint16_t)port, &from_cache);
    const uint16_t special[] = {6, 14, 20, 23, 54, 56, 0x800, 0x1fff,
                                0x86dd, 40000, 40001, 65535};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++, tried++)
        same_program(handle, cache, special[i], &from_cache);
    /* The cache is used, or this test would prove nothing of it. */
    assert_true(from_cache > tried * 9 / 10);
    capture_filter_cache_free(cache);
    pcap_close(handle);
}

static void test_ethernet(void **state)
{
    (void)state;
    over_ports(DLT_EN10MB, 262144); /* lo, a link's veth */
    over_ports(DLT_EN10MB, 160);    /* headers only */
}

static void test_cooked(void **state)
{
    (void)state;
    over_ports(DLT_LINUX_SLL, 262144); /* "any" */
}

/* No cache: compiled each time. */
static void test_no_cache(void **state)
{
    (void)state;
    pcap_t *handle = pcap_open_dead(DLT_EN10MB, 262144);
    struct bpf_program prog;
    assert_int_equal(capture_filter_compile(NULL, handle, 5201, &prog), 0);
    pcap_freecode(&prog);
    pcap_close(handle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet),
        cmocka_unit_test(test_cooked),
        cmocka_unit_test(test_no_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
