/* The transfer's request ("hello") as a peer that is not wiremeter may send
 * it: each field it checks refused on its own — the magic, the version,
 * a direction that is neither download (0) nor upload (1) — with the
 * field named, before any data moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wm_transfer.h"

typedef struct serve_ctx {
    wm_transfer *t;
    int rc;
    wm_error err;
} serve_ctx;

static void *serve(void *arg)
{
    serve_ctx *c = arg;
    wm_transfer_result r;
    c->rc = wm_transfer_serve(c->t, NULL, NULL, &r, &c->err);
    return NULL;
}

/* Serves one connection whose client sends `hello` and then waits for the
 * server to end it; returns the server's error message. */
static void serve_hello(const uint8_t hello[WM_TRANSFER_REQUEST_BYTES],
                        char *message, size_t len)
{
    wm_transfer_options opts;
    wm_transfer_options_default(&opts);
    opts.io_timeout_ms = 3000;
    serve_ctx c = {0};
    uint16_t port = 0;
    if (wm_transfer_open(&opts, &c.t, &port, &c.err) != 0)
        fail_msg("open: %s", c.err.message);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, serve, &c), 0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(send(fd, hello, WM_TRANSFER_REQUEST_BYTES, 0),
                     WM_TRANSFER_REQUEST_BYTES);
    char sink[4096];
    while (read(fd, sink, sizeof sink) > 0) /* until the server closes */
        ;
    close(fd);
    pthread_join(th, NULL);
    wm_transfer_close(c.t);
    assert_int_equal(c.rc, -1);
    snprintf(message, len, "%s", c.err.message);
}

static void test_fields_refused_one_at_a_time(void **state)
{
    (void)state;
    char msg[512];
    uint8_t hello[WM_TRANSFER_REQUEST_BYTES];

    wm_transfer_request_encode(WM_DOWNLOAD, 13, hello);
    hello[5] = 2; /* neither download nor upload */
    serve_hello(hello, msg, sizeof msg);
    if (!strstr(msg, "unsupported request") || !strstr(msg, "direction 2"))
        fail_msg("direction 2: %s", msg);

    wm_transfer_request_encode(WM_UPLOAD, 13, hello);
    hello[4] = WM_TRANSFER_PROTOCOL_VERSION + 1;
    serve_hello(hello, msg, sizeof msg);
    if (!strstr(msg, "unsupported request"))
        fail_msg("version %u: %s", WM_TRANSFER_PROTOCOL_VERSION + 1, msg);

    wm_transfer_request_encode(WM_DOWNLOAD, 13, hello);
    hello[0] = 'X';
    serve_hello(hello, msg, sizeof msg);
    if (!strstr(msg, "bad magic"))
        fail_msg("magic: %s", msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_refused_one_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
