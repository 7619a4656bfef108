/* When the capture calls a connection's closure complete: only once BOTH
 * FINs are acknowledged (or on a RST). A half-closed connection — the
 * client's FIN sent and acknowledged, the server's not yet sent — is not
 * complete: the capture must wait for the rest (up to its grace) rather
 * than stop and lose the server's FIN. Needs capture on lo: exits 77
 * without it, or fails under WIREMETER_REQUIRE_CAPTURE=1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skip_rule.h"
#include "wm_capture.h"
#include "wm_trace.h"

static size_t count_fins(const wm_trace *trace)
{
    size_t n = 0;
    for (size_t i = 0; i < trace->count; i++)
        n += (trace->packets[i].flags & WM_TCP_FIN) != 0;
    return n;
}

/* Captures a connection whose client half-closes (its FIN, read by the
 * server as EOF) and whose server never does, with the given grace and
 * block time; the trace and stats of the capture come back. */
static void capture_half_close(uint32_t grace_ms, uint32_t block_ms,
                               wm_trace *trace, wm_capture_stats *stats)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(lfd, 1), 0);
    socklen_t len = sizeof sin;
    getsockname(lfd, (struct sockaddr *)&sin, &len);
    wm_capture_options copts;
    wm_capture_options_default(&copts);
    copts.port = ntohs(sin.sin_port);
    copts.grace_ms = grace_ms;
    copts.block_ms = block_ms;
    wm_capture *cap = NULL;
    wm_error err = {0};
    assert_int_equal(wm_capture_start(&copts, &cap, &err), 0);
    int cfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(cfd, (struct sockaddr *)&sin, sizeof sin), 0);
    int sfd = accept(lfd, NULL, NULL);
    assert_true(sfd >= 0);
    assert_int_equal(shutdown(cfd, SHUT_WR), 0); /* the client's FIN */
    char c;
    assert_int_equal(read(sfd, &c, 1), 0); /* the server has it (EOF) */
    assert_int_equal(wm_capture_finish(cap, trace, stats, &err), 0);
    wm_capture_free(cap);
    close(sfd);
    close(cfd);
    close(lfd);
}

static void test_half_close_is_not_complete(void **state)
{
    (void)state;
    wm_trace trace;
    wm_capture_stats stats;
    capture_half_close(500, 0, &trace, &stats);
    assert_int_equal(count_fins(&trace), 1);
    assert_false(stats.complete); /* the server's FIN never came */
    wm_trace_free(&trace);
}

/* Read in blocks, a capture whose closure never comes still ends with
 * every frame the kernel took: the last block, handed over only a block's
 * time after its first frame, is waited for (here 300 ms, well past the
 * 50 ms grace) rather than left unread. */
static void test_last_block_is_read(void **state)
{
    (void)state;
    wm_trace trace;
    wm_capture_stats stats;
    capture_half_close(50, 300, &trace, &stats);
    /* SYN, SYN-ACK, ACK, the client's FIN and its ACK. */
    assert_int_equal(trace.count, 5);
    assert_int_equal(count_fins(&trace), 1);
    assert_false(stats.complete);
    wm_trace_free(&trace);
}

int main(void)
{
    WM_TEST_EXIT_UNLESS_CAPTURE();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_close_is_not_complete),
        cmocka_unit_test(test_last_block_is_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
