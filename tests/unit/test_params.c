/* Run parameters: every name, its accepted values, and that each bad value
 * is refused with an error naming the parameter and what is allowed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "wm_json_text.h"
#include "wm_params.h"
#include "wm_path.h"

static const wm_params_limits limits = {.max_size_bytes = 1ull << 30};

static wm_run_request fresh(void)
{
    wm_run_request request;
    wm_params_init(&request);
    return request;
}

static void test_defaults(void **state)
{
    (void)state;
    wm_run_request r = fresh();
    assert_int_equal(r.config.transfer.direction, WM_DOWNLOAD);
    assert_int_equal(r.config.transfer.chunk_bytes, WM_TRANSFER_DEFAULT_CHUNK);
    assert_false(r.config.transfer.nodelay);
    assert_false(r.size_given);
}

typedef struct good_case {
    const char *name, *value;
} good_case;

static void test_accepts_good_values(void **state)
{
    (void)state;
    static const good_case cases[] = {
        {"size", "1MB"},        {"size", "0"},          {"direction", "upload"},
        {"direction", "download"}, {"chunk", "1"},      {"chunk", "16MiB"},
        {"nodelay", "true"},    {"nodelay", "0"},       {"sndbuf", "0"},
        {"rcvbuf", "256KiB"},   {"mss", "0"},           {"mss", "1460"},
        {"congestion", "reno"}, {"ipv6", "yes"},        {"snaplen", "96"},
        {"snaplen", "full"},    {"timeout", "1"},       {"label", "lab 3, run a"},
        {"path", "link"},       {"path", "loopback"},   {"mtu", "576"},
        {"mtu", "65535"},       {"offload", "on"},      {"rate", "0"},
        {"rate", "1kbit"},      {"rate", "100gbit"},    {"rate", "2.5mbit"},
        {"queue", "0"},         {"queue", "64MiB"},     {"loss", "0"},
        {"loss", "50"},         {"loss", "0.01"},       {"delay", "10000"},
        {"jitter", "0"},        {"preset", "none"},     {"preset", "bufferbloat"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wm_run_request r = fresh();
        wm_error err = {0};
        if (wm_params_set(&r, cases[i].name, cases[i].value, &limits, &err) != 0)
            fail_msg("%s=%s refused: %s", cases[i].name, cases[i].value,
                     err.message);
    }
}

static void test_values_land_in_config(void **state)
{
    (void)state;
    wm_run_request r = fresh();
    assert_int_equal(wm_params_set(&r, "size", "1.5MB", &limits, NULL), 0);
    assert_int_equal(wm_params_set(&r, "chunk", "1KiB", &limits, NULL), 0);
    assert_int_equal(wm_params_set(&r, "mss", "1000", &limits, NULL), 0);
    assert_int_equal(wm_params_set(&r, "snaplen", "full", &limits, NULL), 0);
    assert_int_equal(wm_params_set(&r, "direction", "upload", &limits, NULL), 0);
    assert_int_equal(r.config.transfer.size_bytes, 1500000);
    assert_string_equal(r.size_text, "1.5MB");
    assert_int_equal(r.config.transfer.chunk_bytes, 1024);
    assert_int_equal(r.config.transfer.mss_bytes, 1000);
    assert_int_equal(r.config.capture.snaplen, 262144);
    assert_int_equal(r.config.transfer.direction, WM_UPLOAD);
}

typedef struct bad_case {
    const char *name, *value;
    wm_error_kind kind;
    const char *parameter;
} bad_case;

static void test_refuses_bad_values(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"size", "-1", WM_ERR_INVALID, "size"},
        {"size", "1XB", WM_ERR_INVALID, "size"},
        {"size", "99999999999999999999", WM_ERR_INVALID, "size"},
        {"size", "2GiB", WM_ERR_TOO_LARGE, "size"},
        {"direction", "sideways", WM_ERR_INVALID, "direction"},
        {"chunk", "0", WM_ERR_INVALID, "chunk"},
        {"chunk", "17MiB", WM_ERR_INVALID, "chunk"},
        {"nodelay", "maybe", WM_ERR_INVALID, "nodelay"},
        {"sndbuf", "1GiB", WM_ERR_INVALID, "sndbuf"},
        {"mss", "87", WM_ERR_INVALID, "mss"},
        {"mss", "65536", WM_ERR_INVALID, "mss"},
        {"mss", "-5", WM_ERR_INVALID, "mss"},
        {"congestion", "Reno!", WM_ERR_INVALID, "congestion"},
        {"congestion", "", WM_ERR_INVALID, "congestion"},
        {"snaplen", "95", WM_ERR_INVALID, "snaplen"},
        {"timeout", "0", WM_ERR_INVALID, "timeout"},
        {"label", "bell\a", WM_ERR_INVALID, "label"},
        {"szie", "1MB", WM_ERR_INVALID, "szie"},
        {"path", "wifi", WM_ERR_INVALID, "path"},
        {"mtu", "575", WM_ERR_INVALID, "mtu"},
        {"mtu", "65536", WM_ERR_INVALID, "mtu"},
        /* tc reads a bare number as bytes per second: a unit is asked */
        {"rate", "100", WM_ERR_INVALID, "rate"},
        {"rate", "0x10mbit", WM_ERR_INVALID, "rate"},
        {"rate", "1e3mbit", WM_ERR_INVALID, "rate"},
        {"rate", "0.5kbit", WM_ERR_INVALID, "rate"},
        {"rate", "101gbit", WM_ERR_INVALID, "rate"},
        {"rate", "100Mbps", WM_ERR_INVALID, "rate"},
        {"queue", "65MiB", WM_ERR_INVALID, "queue"},
        {"loss", "50.01", WM_ERR_INVALID, "loss"},
        {"loss", "1.234", WM_ERR_INVALID, "loss"},
        {"loss", "-1", WM_ERR_INVALID, "loss"},
        {"loss", "", WM_ERR_INVALID, "loss"},
        {"loss", "2%", WM_ERR_INVALID, "loss"},
        {"delay", "10001", WM_ERR_INVALID, "delay"},
        {"preset", "dsl", WM_ERR_INVALID, "preset"},
        {"preset", "", WM_ERR_INVALID, "preset"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wm_run_request r = fresh();
        wm_error err = {0};
        if (wm_params_set(&r, cases[i].name, cases[i].value, &limits, &err) == 0)
            fail_msg("%s=%s accepted", cases[i].name, cases[i].value);
        assert_int_equal(err.kind, cases[i].kind);
        assert_string_equal(err.parameter, cases[i].parameter);
        assert_non_null(strstr(err.message, cases[i].parameter));
    }
}

static void test_path_values_land_in_config(void **state)
{
    (void)state;
    wm_run_request r = fresh();
    assert_int_equal(r.config.path.kind, WM_PATH_LOOPBACK);
    assert_int_equal(r.config.path.mtu_bytes, 1500);
    assert_false(r.config.path.offload);
    assert_int_equal(wm_params_set(&r, "path", "link", &limits, NULL), 0);
    assert_int_equal(wm_params_set(&r, "rate", "1.5gbit", &limits, NULL), 0);
    assert_int_equal(wm_params_set(&r, "loss", "0.29", &limits, NULL), 0);
    assert_int_equal(wm_params_set(&r, "queue", "1MB", &limits, NULL), 0);
    assert_int_equal(r.config.path.kind, WM_PATH_LINK);
    assert_int_equal(r.config.path.rate_kbit, 1500000);
    assert_int_equal(r.config.path.loss_centi, 29);
    assert_int_equal(r.config.path.queue_bytes, 1000000);
    json_t *doc = wm_params_json(&r);
    assert_non_null(doc);
    /* bits per second, as every throughput of the result */
    assert_int_equal(json_integer_value(json_object_get(doc, "rate")),
                     1500000000);
    assert_true(json_real_value(json_object_get(doc, "loss")) == 0.29);
    assert_string_equal(json_string_value(json_object_get(doc, "path")),
                        "link");
    assert_string_equal(json_string_value(json_object_get(doc, "interface")),
                        "wm0");
    json_decref(doc);
}

static void finish_fails_on(const char *const *pairs, const char *parameter)
{
    wm_run_request r = fresh();
    assert_int_equal(wm_params_set(&r, "size", "1kB", &limits, NULL), 0);
    for (size_t i = 0; pairs[i]; i += 2)
        assert_int_equal(
            wm_params_set(&r, pairs[i], pairs[i + 1], &limits, NULL), 0);
    wm_error err = {0};
    assert_int_equal(wm_params_finish(&r, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_string_equal(err.parameter, parameter);
}

/* Settings that do not fit together are refused before any link is
 * made, so these need no privilege. */
static void test_path_settings_checked_together(void **state)
{
    (void)state;
    finish_fails_on((const char *const[]){"mtu", "9000", NULL}, "path");
    finish_fails_on((const char *const[]){"rate", "1mbit", NULL}, "path");
    finish_fails_on((const char *const[]){"path", "link", "queue", "1MB",
                                          NULL}, "queue");
    finish_fails_on((const char *const[]){"path", "link", "delay", "5",
                                          "jitter", "6", NULL}, "jitter");
    finish_fails_on((const char *const[]){"path", "link", "ipv6", "true",
                                          "mtu", "1279", NULL}, "mtu");
    wm_run_request r = fresh();
    assert_int_equal(wm_params_set(&r, "size", "1kB", &limits, NULL), 0);
    assert_int_equal(wm_params_finish(&r, NULL), 0);
    assert_string_equal(r.config.capture.interface, "lo");
}

static void test_unknown_parameter_lists_allowed(void **state)
{
    (void)state;
    wm_run_request r = fresh();
    wm_error err = {0};
    assert_int_equal(wm_params_set(&r, "bogus", "1", &limits, &err), -1);
    assert_non_null(strstr(err.message, "unknown parameter 'bogus'"));
    assert_non_null(strstr(err.message, "direction"));
}

static void test_label_too_long(void **state)
{
    (void)state;
    char label[WM_LABEL_MAX + 2];
    memset(label, 'x', sizeof label - 1);
    label[sizeof label - 1] = '\0';
    wm_run_request r = fresh();
    assert_int_equal(wm_params_set(&r, "label", label, &limits, NULL), -1);
    label[WM_LABEL_MAX] = '\0';
    assert_int_equal(wm_params_set(&r, "label", label, &limits, NULL), 0);
}

static void test_size_is_required(void **state)
{
    (void)state;
    wm_run_request r = fresh();
    wm_error err = {0};
    assert_int_equal(wm_params_finish(&r, &err), -1);
    assert_string_equal(err.parameter, "size");
}

static void test_max_size_is_configurable(void **state)
{
    (void)state;
    const wm_params_limits small = {.max_size_bytes = 1000};
    wm_run_request r = fresh();
    wm_error err = {0};
    assert_int_equal(wm_params_set(&r, "size", "1kB", &small, &err), 0);
    assert_int_equal(wm_params_set(&r, "size", "1001", &small, &err), -1);
    assert_int_equal(err.kind, WM_ERR_TOO_LARGE);
}

/* A direction's override wins wherever it is written in the request, and
 * the result's params show each direction's value. */
static void test_override_in_any_order(void **state)
{
    (void)state;
    static const char *const orders[2][2] = {{"rate", "rate_to_server"},
                                             {"rate_to_server", "rate"}};
    static const char *const values[2][2] = {{"50mbit", "2mbit"},
                                             {"2mbit", "50mbit"}};
    for (int k = 0; k < 2; k++) {
        wm_run_request r = fresh();
        wm_error err = {0};
        assert_int_equal(wm_params_set(&r, "path", "link", NULL, &err), 0);
        for (int i = 0; i < 2; i++)
            assert_int_equal(wm_params_set(&r, orders[k][i], values[k][i],
                                           NULL, &err), 0);
        wm_path_way c = wm_path_toward(&r.config.path, WM_PATH_CLIENT);
        wm_path_way s = wm_path_toward(&r.config.path, WM_PATH_SERVER);
        assert_int_equal(c.rate_kbit, 50000);
        assert_int_equal(s.rate_kbit, 2000);
        json_t *doc = wm_params_json(&r);
        assert_int_equal(json_integer_value(json_object_get(
                             doc, "rate_to_client")), 50000000);
        assert_int_equal(json_integer_value(json_object_get(
                             doc, "rate_to_server")), 2000000);
        json_decref(doc);
    }
}

/* The stored params' text, written without a tree, is byte for byte the
 * tree's text, for the defaults, a link with its two rates, a preset,
 * sizes as written, booleans, a full snaplen and a label. */
static void test_params_text_is_the_trees(void **state)
{
    (void)state;
    static const char *const sets[][2][2] = {
        {{"size", "13B"}, {NULL, NULL}},
        {{"size", "1MB"}, {"sendfile", "yes"}},
        {{"size", "1GiB"}, {"snaplen", "full"}},
        {{"path", "link"}, {"rate_to_client", "50mbit"}},
        {{"preset", "lossy-wifi"}, {"size", "10MB"}},
        {{"size", "5MB"}, {"chunk", "1B"}},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        wm_run_request r = fresh();
        wm_error err = {0};
        for (int k = 0; k < 2 && sets[i][k][0]; k++)
            if (wm_params_set(&r, sets[i][k][0], sets[i][k][1], NULL,
                              &err) != 0)
                fail_msg("%s=%s: %s", sets[i][k][0], sets[i][k][1],
                         err.message);
        snprintf(r.label, sizeof r.label, "run \"%zu\" \xc3\xa9", i);
        size_t len = 0;
        char *text = wm_params_text(&r, &len);
        json_t *doc = wm_params_json(&r);
        char *tree = wm_json_text(doc, NULL);
        assert_non_null(text);
        assert_non_null(tree);
        assert_int_equal(len, strlen(text));
        assert_string_equal(text, tree);
        free(text);
        free(tree);
        json_decref(doc);
    }
}

static void test_specs_match_names(void **state)
{
    (void)state;
    const char *names = wm_params_names();
    size_t count = 0;
    for (const wm_param_spec *spec = wm_params_specs(); spec->name; spec++) {
        assert_non_null(strstr(names, spec->name));
        assert_non_null(spec->allowed);
        count++;
    }
    assert_int_equal(count, 34);
}

/* Every preset's settings are run parameters of a link, each given at
 * most once, in a form the table takes: a preset asks for nothing a
 * caller could not. */
static void test_presets_table(void **state)
{
    (void)state;
    const char *const *names = wm_presets_names();
    assert_string_equal(names[0], WM_PRESET_NONE);
    size_t count = 0;
    for (const wm_preset *p = wm_presets(); p->name; p++, count++) {
        assert_string_equal(names[count + 1], p->name);
        assert_ptr_equal(wm_presets_find(p->name), p);
        assert_true(p->title[0] && p->description[0]);
        wm_run_request r = fresh();
        for (const wm_preset_setting *s = p->settings; s->name; s++) {
            wm_error err = {0};
            if (wm_params_set(&r, s->name, s->value, &limits, &err) != 0)
                fail_msg("preset %s: %s=%s refused: %s", p->name, s->name,
                         s->value, err.message);
            assert_true(strcmp(s->name, "preset") != 0);
            for (const wm_preset_setting *t = p->settings; t < s; t++)
                assert_true(strcmp(s->name, t->name) != 0);
        }
        assert_int_equal(r.config.path.kind, WM_PATH_LINK);
    }
    assert_null(names[count + 1]);
    assert_int_equal(count, 4);
    assert_null(wm_presets_find(WM_PRESET_NONE));
}

/* Finishing also checks that this host can make a link: where it cannot,
 * only "path" may be refused; the filled settings are there either way. */
static void finish_anywhere(wm_run_request *r)
{
    wm_error err = {0};
    if (wm_params_finish(r, &err) != 0)
        assert_string_equal(err.parameter, "path");
}

static void test_preset_fills_what_is_not_given(void **state)
{
    (void)state;
    /* The explicit rate wins whether it comes before or after. */
    for (int order = 0; order < 2; order++) {
        wm_run_request r = fresh();
        assert_int_equal(wm_params_set(&r, "size", "1kB", &limits, NULL), 0);
        if (order == 0)
            assert_int_equal(wm_params_set(&r, "rate", "10mbit", &limits,
                                           NULL), 0);
        assert_int_equal(wm_params_set(&r, "preset", "bufferbloat", &limits,
                                       NULL), 0);
        if (order == 1)
            assert_int_equal(wm_params_set(&r, "rate", "10mbit", &limits,
                                           NULL), 0);
        finish_anywhere(&r);
        assert_int_equal(r.config.path.kind, WM_PATH_LINK);
        assert_int_equal(r.config.path.rate_kbit, 10000);
        assert_int_equal(r.config.path.queue_bytes, 5000000);
        /* A second finish (a sweep's each run) changes nothing. */
        finish_anywhere(&r);
        assert_int_equal(r.config.path.rate_kbit, 10000);
        json_t *doc = wm_params_json(&r);
        assert_string_equal(json_string_value(json_object_get(doc, "preset")),
                            "bufferbloat");
        assert_int_equal(json_integer_value(json_object_get(doc, "queue")),
                         5000000);
        json_decref(doc);
    }
    /* A direction's override from the preset, unless the caller gave
     * the both-ways setting: then that is each direction's. */
    for (int given = 0; given < 2; given++) {
        wm_run_request r = fresh();
        assert_int_equal(wm_params_set(&r, "size", "1kB", &limits, NULL), 0);
        assert_int_equal(wm_params_set(&r, "preset", "home-broadband",
                                       &limits, NULL), 0);
        assert_int_equal(wm_params_set(&r, "delay", "0", &limits, NULL), 0);
        if (given)
            assert_int_equal(wm_params_set(&r, "rate", "10mbit", &limits,
                                           NULL), 0);
        wm_error err = {0};
        (void)wm_params_finish(&r, &err);
        json_t *doc = wm_params_json(&r);
        assert_int_equal(
            json_integer_value(json_object_get(doc, "rate_to_server")),
            given ? 10000000 : 20000000);
        assert_int_equal(
            json_integer_value(json_object_get(doc, "rate_to_client")),
            given ? 10000000 : 100000000);
        json_decref(doc);
    }
    wm_run_request r = fresh();
    assert_int_equal(wm_params_set(&r, "size", "1kB", &limits, NULL), 0);
    finish_anywhere(&r);
    assert_string_equal(r.preset, WM_PRESET_NONE);
    assert_int_equal(r.config.path.kind, WM_PATH_LOOPBACK);
}

/* A refusal caused by a setting the caller never wrote says where it came
 * from and how to override it; one caused by the caller's own does not. */
static void test_preset_refusal_names_the_preset(void **state)
{
    (void)state;
    wm_run_request r = fresh();
    wm_error err = {0};
    assert_int_equal(wm_params_set(&r, "size", "1kB", &limits, NULL), 0);
    assert_int_equal(wm_params_set(&r, "preset", "lossy-wifi", &limits, NULL),
                     0);
    assert_int_equal(wm_params_set(&r, "delay", "1", &limits, NULL), 0);
    assert_int_equal(wm_params_finish(&r, &err), -1);
    assert_string_equal(err.parameter, "jitter"); /* 2 ms > 1 ms */
    assert_non_null(strstr(err.message, "set by preset lossy-wifi"));
    finish_fails_on((const char *const[]){"preset", "lossy-wifi", "jitter",
                                          "9", NULL}, "jitter");
    r = fresh();
    assert_int_equal(wm_params_set(&r, "size", "1kB", &limits, NULL), 0);
    assert_int_equal(wm_params_set(&r, "preset", "lossy-wifi", &limits, NULL),
                     0);
    assert_int_equal(wm_params_set(&r, "jitter", "9", &limits, NULL), 0);
    assert_int_equal(wm_params_finish(&r, &err), -1);
    assert_null(strstr(err.message, "set by preset"));
    /* A preset is a link's: with path=loopback given, it is refused. */
    finish_fails_on((const char *const[]){"preset", "ethernet-1g", "path",
                                          "loopback", NULL}, "path");
}

/* The series' interval: "auto" and 0 are the same (0 in the config and
 * in "params"), the bounds are wm_series.h's, and a bad one names them. */
static void test_interval(void **state)
{
    (void)state;
    wm_run_request r = fresh();
    wm_error err = {0};
    assert_int_equal(r.config.series_interval_us, 0);
    assert_int_equal(wm_params_set(&r, "interval", "100", &limits, &err), 0);
    assert_int_equal(r.config.series_interval_us, 100);
    assert_int_equal(wm_params_set(&r, "interval", "auto", &limits, &err), 0);
    assert_int_equal(r.config.series_interval_us, 0);
    assert_int_equal(wm_params_set(&r, "interval", "10000000", &limits, &err),
                     0);
    assert_int_equal(wm_params_set(&r, "interval", "0", &limits, &err), 0);
    assert_int_equal(r.config.series_interval_us, 0);
    static const char *const bad[] = {"99", "10000001", "fast", "-1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(wm_params_set(&r, "interval", bad[i], &limits, &err),
                         -1);
        assert_string_equal(err.parameter, "interval");
        assert_non_null(strstr(err.message, "auto (or 0), or 100 to "
                                            "10000000 (microseconds)"));
    }
    json_t *doc = wm_params_json(&r);
    assert_int_equal(json_integer_value(json_object_get(doc, "interval")), 0);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_override_in_any_order),
        cmocka_unit_test(test_accepts_good_values),
        cmocka_unit_test(test_values_land_in_config),
        cmocka_unit_test(test_refuses_bad_values),
        cmocka_unit_test(test_unknown_parameter_lists_allowed),
        cmocka_unit_test(test_label_too_long),
        cmocka_unit_test(test_size_is_required),
        cmocka_unit_test(test_max_size_is_configurable),
        cmocka_unit_test(test_specs_match_names),
        cmocka_unit_test(test_path_values_land_in_config),
        cmocka_unit_test(test_path_settings_checked_together),
        cmocka_unit_test(test_presets_table),
        cmocka_unit_test(test_preset_fills_what_is_not_given),
        cmocka_unit_test(test_preset_refusal_names_the_preset),
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_params_text_is_the_trees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
