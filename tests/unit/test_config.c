/* The daemon's settings: the defaults come from the table through the
 * same parser as a flag, a variable applies and a flag wins over it, and
 * each bound is refused with a message naming the flag (or variable) and
 * what is allowed, in words made from the bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wm_config.h"

/* Loads "serve ARGS..." into cfg; returns wm_config_load's result. */
static int load(wm_config *cfg, wm_error *err, const char *const *args)
{
    char *argv[16] = {(char *)"serve"};
    int argc = 1;
    for (; args && args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    return wm_config_load(cfg, argc, argv, err);
}

static void test_defaults(void **state)
{
    (void)state;
    wm_config cfg;
    wm_error err = {0};
    assert_int_equal(load(&cfg, &err, NULL), WM_CONFIG_RUN);
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    assert_true(cfg.loopback);
    assert_int_equal(cfg.max_size_bytes, 1ull << 30);
    assert_int_equal(cfg.queue_length, 64);
    assert_int_equal(cfg.max_wait_s, 300);
    assert_int_equal(cfg.history_runs, 1000);
    assert_int_equal(cfg.drain_s, 30);
    assert_int_equal(cfg.max_body_bytes, 64 * 1024);
    assert_int_equal(cfg.max_url_bytes, 4096);
    assert_int_equal(cfg.max_connections, 256);
    assert_true(cfg.workers >= 1);
    assert_false(cfg.open);
    assert_string_equal(cfg.token, "");
    assert_string_equal(cfg.interface, "lo");
    assert_string_equal(cfg.user_namespace, "auto");
    assert_non_null(strstr(cfg.chartjs_path, "chart.js"));
}

static void test_environment_and_flags(void **state)
{
    (void)state;
    wm_config cfg;
    wm_error err = {0};
    setenv("WIREMETER_QUEUE", "7", 1);
    setenv("WIREMETER_MAX_BODY", "1MiB", 1);
    assert_int_equal(load(&cfg, &err, NULL), WM_CONFIG_RUN);
    assert_int_equal(cfg.queue_length, 7);
    assert_int_equal(cfg.max_body_bytes, 1 << 20);
    const char *args[] = {"--queue", "9", "--max-body=2KiB", "--open",
                          "--user-namespace", "never", NULL};
    assert_int_equal(load(&cfg, &err, args), WM_CONFIG_RUN);
    assert_string_equal(cfg.user_namespace, "never");
    assert_int_equal(cfg.queue_length, 9); /* the flag wins */
    assert_int_equal(cfg.max_body_bytes, 2048);
    assert_true(cfg.open);
    unsetenv("WIREMETER_QUEUE");
    unsetenv("WIREMETER_MAX_BODY");
}

typedef struct bad_case {
    const char *flag, *value, *parameter, *allowed;
} bad_case;

static void test_bounds(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"--workers", "0", "workers", "allowed: 1 to 256"},
        {"--workers", "257", "workers", "allowed: 1 to 256"},
        {"--queue", "100001", "queue", "allowed: 1 to 100000"},
        {"--max-wait", "86401", "max-wait", "allowed: 0 to 86400"},
        {"--drain", "-1", "drain", "allowed: 0 to 86400"},
        {"--max-url", "63", "max-url", "allowed: 64B to 16KiB"},
        {"--max-body", "65MiB", "max-body", "allowed: 1B to 64MiB"},
        {"--max-size", "1XB", "max-size", "with a unit"},
        {"--open=maybe", NULL, "open", "allowed: 1, 0, true, false"},
        {"--max-connections", "10001", "max-connections", "1 to 10000"},
        {"--interface", "", "interface", "a text of 1 to 31 bytes"},
        {"--user-namespace", "yes", "user-namespace",
         "allowed: auto, always or never"},
        {"--user-namespace", "alwaysx", "user-namespace",
         "allowed: auto, always or never"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wm_config cfg;
        wm_error err = {0};
        /* value NULL: the flag carries it ("--open=maybe") */
        const char *args[] = {cases[i].flag, cases[i].value, NULL};
        if (load(&cfg, &err, args) != -1)
            fail_msg("%s %s was accepted", cases[i].flag, cases[i].value);
        assert_int_equal(err.kind, WM_ERR_INVALID);
        assert_string_equal(err.parameter, cases[i].parameter);
        if (!strstr(err.message, cases[i].allowed) ||
            strncmp(err.message, cases[i].flag, strcspn(cases[i].flag, "=")))
            fail_msg("%s %s: message '%s' lacks '%s'", cases[i].flag,
                     cases[i].value, err.message, cases[i].allowed);
    }
    wm_config cfg;
    wm_error err = {0};
    setenv("WIREMETER_WORKERS", "0", 1);
    assert_int_equal(load(&cfg, &err, NULL), -1);
    assert_non_null(strstr(err.message, "WIREMETER_WORKERS"));
    unsetenv("WIREMETER_WORKERS");
    const char *unknown[] = {"--wrokers", "2", NULL};
    assert_int_equal(load(&cfg, &err, unknown), -1);
    assert_non_null(strstr(err.message, "--wrokers"));
}

static void test_usage_names_every_setting(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    wm_config_usage(out);
    fclose(out);
    static const char *const names[] = {
        "--listen", "WIREMETER_LISTEN", "--max-connections",
        "WIREMETER_MAX_CONNECTIONS", "default 64; allowed: 1 to 100000",
        "default 4KiB; allowed: 64B to 16KiB", "--print-openapi"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(text, names[i]))
            fail_msg("usage lacks '%s':\n%s", names[i], text);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_environment_and_flags),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_usage_names_every_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
