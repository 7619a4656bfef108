/* Who may use the daemon (config_access.c): the Host names it answers to,
 * and the token's sources and strength, decided before anything listens.
 * The HTTP side of the same rules is tests/reliability/test_hostile_input.py
 * and test_token.py; here each rule's edges, fast. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wm_config.h"

#define TOKEN "0123456789abcdef-token"

/* Loads "serve ARGS..." from writable copies: --token is overwritten in
 * place. Returns wm_config_load's result; the copies stay in argv. */
static int load(wm_config *cfg, wm_error *err, char **argv, int argc)
{
    memset(err, 0, sizeof *err);
    return wm_config_load(cfg, argc, argv, err);
}

static void test_hosts(void **state)
{
    (void)state;
    wm_config cfg;
    wm_error err;
    char a0[] = "serve", a1[] = "--listen", a2[] = "192.0.2.7:8080",
         a3[] = "--allowed-hosts", a4[] = "wm.example, proxy.example:8443",
         a5[] = "--open";
    char *argv[] = {a0, a1, a2, a3, a4, a5};
    assert_int_equal(load(&cfg, &err, argv, 6), WM_CONFIG_RUN);
    static const struct {
        const char *authority;
        unsigned default_port;
        bool allowed;
    } cases[] = {
        {"localhost:8080", 80, true},     {"LocalHost:8080", 80, true},
        {"127.0.0.1:8080", 80, true},     {"[::1]:8080", 80, true},
        {"192.0.2.7:8080", 80, true},     {"localhost", 80, false},
        {"localhost:8081", 80, false},    {"localhost:8080x", 80, false},
        {"localhost:08080", 80, true},    {"evil.example:8080", 80, false},
        {"wm.example", 80, true},         {"wm.example:1", 443, true},
        {"proxy.example:8443", 80, true}, {"proxy.example", 443, false},
        {"", 80, false},                  {"[::1", 80, false},
        {"local host:8080", 80, false},   {"localhost:99999", 80, false},
        {"localhost.:8080", 80, false},   {"127.0.0.1.nip.io:8080", 80, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (wm_config_host_allowed(&cfg, 8080, cases[i].authority,
                                   cases[i].default_port) != cases[i].allowed)
            fail_msg("Host '%s' should be %s", cases[i].authority,
                     cases[i].allowed ? "allowed" : "refused");
    static const char *const bad[] = {"a b", "x:0", "x:", ",", "[zz]", "x,,y",
                                      "x:65536", "[]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char v[32];
        snprintf(v, sizeof v, "%s", bad[i]);
        char *args[] = {a0, a3, v};
        assert_int_equal(load(&cfg, &err, args, 3), -1);
        assert_string_equal(err.parameter, "allowed-hosts");
    }
}

static void test_token_on_the_command_line(void **state)
{
    (void)state;
    wm_config cfg;
    wm_error err;
    char a0[] = "serve", a1[] = "--token", a2[] = TOKEN,
         a3[] = "--token=" TOKEN;
    char *argv[] = {a0, a1, a2};
    assert_int_equal(load(&cfg, &err, argv, 3), WM_CONFIG_RUN);
    assert_string_equal(cfg.token, TOKEN);
    assert_null(strstr(a2, "token")); /* ps no longer shows it */
    assert_int_equal(strlen(a2), strlen(TOKEN));
    char *eq[] = {a0, a3};
    assert_int_equal(load(&cfg, &err, eq, 2), WM_CONFIG_RUN);
    assert_string_equal(cfg.token, TOKEN);
    assert_non_null(strstr(a3, "--token="));
    assert_null(strstr(a3, "abcdef"));
}

static void test_weak_tokens(void **state)
{
    (void)state;
    static const char *const weak[] = {"short", " ", "                    ",
                                       "fifteen-chars-x", "has space in it!!",
                                       "tab\tin-the-token-x"};
    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
        wm_config cfg;
        wm_error err;
        char a0[] = "serve", a1[] = "--token", a2[64];
        snprintf(a2, sizeof a2, "%s", weak[i]);
        char *argv[] = {a0, a1, a2};
        assert_int_equal(load(&cfg, &err, argv, 3), -1);
        assert_string_equal(err.parameter, "token");
        assert_non_null(strstr(err.message, "16"));
        setenv("WIREMETER_TOKEN", weak[i], 1);
        assert_int_equal(load(&cfg, &err, argv, 1), -1);
        unsetenv("WIREMETER_TOKEN");
    }
}

static void test_token_file_and_protect_reads(void **state)
{
    (void)state;
    char dir[] = "/tmp/wm-config-access-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/token", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(TOKEN "\r\n", f);
    fclose(f);
    wm_config cfg;
    wm_error err;
    char a0[] = "serve", a1[] = "--token-file", a3[] = "--protect-reads";
    char *argv[] = {a0, a1, path, a3};
    assert_int_equal(load(&cfg, &err, argv, 4), WM_CONFIG_RUN);
    assert_string_equal(cfg.token, TOKEN);
    assert_true(cfg.protect_reads);
    setenv("WIREMETER_TOKEN", TOKEN, 1); /* given twice */
    assert_int_equal(load(&cfg, &err, argv, 3), -1);
    assert_string_equal(err.parameter, "token-file");
    unsetenv("WIREMETER_TOKEN");
    char *alone[] = {a0, a3}; /* nothing to protect with */
    assert_int_equal(load(&cfg, &err, alone, 2), -1);
    assert_string_equal(err.parameter, "protect-reads");
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(TOKEN "\nsecond line\n", f);
    fclose(f);
    assert_int_equal(load(&cfg, &err, argv, 3), -1);
    assert_string_equal(err.parameter, "token-file");
    unlink(path);
    assert_int_equal(load(&cfg, &err, argv, 3), -1); /* missing */
    assert_string_equal(err.parameter, "token-file");
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_token_on_the_command_line),
        cmocka_unit_test(test_weak_tokens),
        cmocka_unit_test(test_token_file_and_protect_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
