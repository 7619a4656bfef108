/* wm_path: settings checked together, and a link's life: two hosts that
 * reach each other across the wire, and nothing held once it is closed.
 * The link tests skip where this host cannot make one (no privileges). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "wm_path.h"

static wm_path_options link_options(void)
{
    wm_path_options o;
    wm_path_options_default(&o);
    o.kind = WM_PATH_LINK;
    return o;
}

static void test_loopback_takes_no_link_setting(void **state)
{
    (void)state;
    wm_path_options o;
    wm_path_options_default(&o);
    assert_int_equal(wm_path_validate(&o, false, NULL), 0);
    o.rate_kbit = 1000;
    wm_error err = {0};
    assert_int_equal(wm_path_validate(&o, false, &err), -1);
    assert_string_equal(err.parameter, "path");
}

static void test_settings_that_do_not_fit(void **state)
{
    (void)state;
    wm_error err = {0};
    wm_path_options o = link_options();
    o.queue_bytes = 100000; /* no rate: no queue builds */
    assert_int_equal(wm_path_validate(&o, false, &err), -1);
    assert_string_equal(err.parameter, "queue");
    o = link_options();
    o.mtu_bytes = WM_PATH_MIN_MTU_IPV6 - 1;
    assert_int_equal(wm_path_validate(&o, true, &err), -1);
    assert_string_equal(err.parameter, "mtu");
    o = link_options();
    o.delay_ms = 5;
    o.jitter_ms = 6;
    assert_int_equal(wm_path_validate(&o, false, &err), -1);
    assert_string_equal(err.parameter, "jitter");
}

/* A direction's override wins over the both-ways value, that direction
 * only; a check that fails on an overridden setting names the override. */
static void test_each_way(void **state)
{
    (void)state;
    wm_path_options o = link_options();
    o.rate_kbit = 100000;
    o.loss_centi = 200;
    o.toward[WM_PATH_SERVER].rate_kbit = 2000;
    o.toward[WM_PATH_SERVER].loss_centi = 0;
    o.overridden[WM_PATH_SERVER] = WM_PATH_WAY_RATE | WM_PATH_WAY_LOSS;
    wm_path_way c = wm_path_toward(&o, WM_PATH_CLIENT);
    wm_path_way s = wm_path_toward(&o, WM_PATH_SERVER);
    assert_int_equal(c.rate_kbit, 100000);
    assert_int_equal(c.loss_centi, 200);
    assert_int_equal(s.rate_kbit, 2000);
    assert_int_equal(s.loss_centi, 0);
    assert_int_equal(s.queue_bytes, 0);
    wm_error err = {0};
    o = link_options();
    o.rate_kbit = 1000;
    o.toward[WM_PATH_CLIENT].rate_kbit = 0;
    o.toward[WM_PATH_CLIENT].queue_bytes = 5000;
    o.overridden[WM_PATH_CLIENT] = WM_PATH_WAY_RATE | WM_PATH_WAY_QUEUE;
    assert_int_equal(wm_path_validate(&o, false, &err), -1);
    assert_string_equal(err.parameter, "queue_to_client");
    o = link_options();
    o.delay_ms = 5;
    o.toward[WM_PATH_SERVER].jitter_ms = 6;
    o.overridden[WM_PATH_SERVER] = WM_PATH_WAY_JITTER;
    assert_int_equal(wm_path_validate(&o, false, &err), -1);
    assert_string_equal(err.parameter, "jitter_to_server");
}

/* Network namespaces this process's descriptors refer to. */
static int namespaces_held(void)
{
    DIR *dir = opendir("/proc/self/fd");
    assert_non_null(dir);
    int held = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        char path[300], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            held += strncmp(target, "net:[", 5) == 0;
        }
    }
    closedir(dir);
    return held;
}

static void test_link_connects_and_leaves_nothing(void **state)
{
    (void)state;
    const wm_path_caps *caps = wm_path_capabilities();
    if (!caps->link) {
        printf("skipped: this host cannot make a link: %s\n", caps->link_why);
        skip();
    }
    int before = namespaces_held();
    wm_path_options o = link_options();
    o.rate_kbit = 10000;
    wm_path *path = NULL;
    wm_error err = {0};
    if (wm_path_open(&o, false, &path, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(namespaces_held(), before + 3); /* two hosts, a wire */
    int server = wm_path_socket(path, WM_PATH_SERVER, AF_INET, SOCK_STREAM,
                                &err);
    assert_true(server >= 0);
    struct sockaddr_storage ss;
    socklen_t len = wm_path_address(path, WM_PATH_SERVER, 0, &ss);
    assert_int_equal(bind(server, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(listen(server, 1), 0);
    len = sizeof ss;
    assert_int_equal(getsockname(server, (struct sockaddr *)&ss, &len), 0);
    int client = wm_path_socket(path, WM_PATH_CLIENT, AF_INET, SOCK_STREAM,
                                &err);
    assert_true(client >= 0);
    assert_int_equal(connect(client, (struct sockaddr *)&ss, len), 0);
    int accepted = accept(server, NULL, NULL);
    assert_true(accepted >= 0);
    /* The server's address is not this thread's: it stayed where it was. */
    int here = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(here >= 0);
    assert_int_not_equal(bind(here, (struct sockaddr *)&ss, len), 0);
    close(here);
    close(accepted);
    close(client);
    close(server);
    wm_path_close(path);
    assert_int_equal(namespaces_held(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_takes_no_link_setting),
        cmocka_unit_test(test_settings_that_do_not_fit),
        cmocka_unit_test(test_each_way),
        cmocka_unit_test(test_link_connects_and_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
