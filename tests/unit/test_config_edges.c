/* The daemon's settings at the exact edge of each bound, and one past it:
 * the documented maximum accepted, a string that fills its field refused
 * (it would be cut), an empty boolean variable read as false. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wm_config.h"

static int load(wm_config *cfg, const char *flag, const char *value)
{
    char *argv[] = {(char *)"serve", (char *)flag, (char *)value, NULL};
    wm_error err = {0};
    return wm_config_load(cfg, flag ? 3 : 1, argv, &err);
}

static void test_maximum_accepted_one_more_refused(void **state)
{
    (void)state;
    wm_config cfg;
    assert_int_equal(load(&cfg, "--max-url", "16384"), WM_CONFIG_RUN);
    assert_int_equal(cfg.max_url_bytes, 16384);
    assert_int_not_equal(load(&cfg, "--max-url", "16385"), WM_CONFIG_RUN);
    assert_int_equal(load(&cfg, "--max-url", "64"), WM_CONFIG_RUN);
    assert_int_equal(cfg.max_url_bytes, 64);
    assert_int_not_equal(load(&cfg, "--max-url", "63"), WM_CONFIG_RUN);
    assert_int_equal(load(&cfg, "--workers", "256"), WM_CONFIG_RUN);
    assert_int_equal(cfg.workers, 256);
    assert_int_not_equal(load(&cfg, "--workers", "257"), WM_CONFIG_RUN);
    assert_int_equal(load(&cfg, "--drain", "86400"), WM_CONFIG_RUN);
    assert_int_equal(cfg.drain_s, 86400);
}

/* interface is a 32-byte field: 31 characters fit, 32 would be cut. */
static void test_string_that_fills_its_field(void **state)
{
    (void)state;
    wm_config cfg;
    char name[sizeof cfg.interface + 1];
    memset(name, 'e', sizeof cfg.interface - 1);
    name[sizeof cfg.interface - 1] = '\0';
    assert_int_equal(load(&cfg, "--interface", name), WM_CONFIG_RUN);
    assert_string_equal(cfg.interface, name);
    name[sizeof cfg.interface - 1] = 'e';
    name[sizeof cfg.interface] = '\0';
    assert_int_not_equal(load(&cfg, "--interface", name), WM_CONFIG_RUN);
}

/* WIREMETER_OPEN= (set, empty) is false, as in a compose file that leaves
 * the value out; it is not an error. */
static void test_empty_boolean_is_false(void **state)
{
    (void)state;
    wm_config cfg;
    setenv("WIREMETER_OPEN", "", 1);
    assert_int_equal(load(&cfg, NULL, NULL), WM_CONFIG_RUN);
    assert_false(cfg.open);
    setenv("WIREMETER_OPEN", "yes", 1);
    assert_int_equal(load(&cfg, NULL, NULL), WM_CONFIG_RUN);
    assert_true(cfg.open);
    unsetenv("WIREMETER_OPEN");
}

/* The token's minimum (16 characters) is itself strong enough; 15 is not. */
static void test_token_of_exactly_the_minimum(void **state)
{
    (void)state;
    wm_config cfg;
    char token[] = "0123456789abcdef"; /* writable: --token is hidden in place */
    assert_int_equal(strlen(token), 16);
    assert_int_equal(load(&cfg, "--token", token), WM_CONFIG_RUN);
    char shorter[] = "0123456789abcde";
    assert_int_not_equal(load(&cfg, "--token", shorter), WM_CONFIG_RUN);
}

/* A port in --allowed-hosts: 1 and 65535 are ports, 0 and 65536 are not. */
static void test_allowed_host_ports(void **state)
{
    (void)state;
    wm_config cfg;
    assert_int_equal(load(&cfg, "--allowed-hosts", "example.com:65535"), WM_CONFIG_RUN);
    assert_int_equal(load(&cfg, "--allowed-hosts", "example.com:1"), WM_CONFIG_RUN);
    assert_int_not_equal(load(&cfg, "--allowed-hosts", "example.com:65536"), WM_CONFIG_RUN);
    assert_int_not_equal(load(&cfg, "--allowed-hosts", "example.com:0"), WM_CONFIG_RUN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maximum_accepted_one_more_refused),
        cmocka_unit_test(test_string_that_fills_its_field),
        cmocka_unit_test(test_empty_boolean_is_false),
        cmocka_unit_test(test_token_of_exactly_the_minimum),
        cmocka_unit_test(test_allowed_host_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
