/* Runs on a kept listener and capture handle (capture_station.h): a run
 * with a capture pool leaves its station to the next, which then runs on
 * the same port with the same filter. A kept port sees more than its
 * runs; these tests put a stranger's connection in its backlog and a
 * late frame of the last run's connection on the wire during the next
 * run, and a frame between the run's port numbers from another loopback
 * address, and check that the run neither takes the stranger for its client
 * nor counts, analyses or stores a frame that is not of its own 4-tuple.
 * Needs capture rights (the late frame is sent on a raw socket): without
 * them the program exits 77 (skip) with a message saying why, or 1 when
 * WIREMETER_REQUIRE_CAPTURE=1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skip_rule.h"
#include "wm_run.h"

static void run_ok(wm_capture_pool *pool, const char *pcap_path,
                   wm_progress_fn progress, void *progress_ctx,
                   wm_run_result *r)
{
    wm_run_config config;
    wm_run_config_default(&config);
    config.transfer.size_bytes = 13;
    config.capture.pool = pool;
    config.capture.pcap_path = pcap_path;
    wm_error err = {0};
    if (wm_run_execute(&config, progress, progress_ctx, r, &err) != 0)
        fail_msg("run failed: %s", err.message);
    assert_true(r->capture.complete);
    assert_true(r->transfer.integrity.verified);
}

/* Every frame the run kept is of its own connection: one connection in
 * the analysis, as many frames as it has packets, and (pcap_path) the
 * stored pcap holds nothing else. */
static void check_only_its_own(const wm_run_result *r, const char *pcap_path)
{
    assert_int_equal(r->analysis.count, 1);
    assert_non_null(r->connection);
    assert_int_equal(r->trace.frames, r->connection->packet_count);
    if (!pcap_path)
        return;
    wm_trace stored;
    wm_error err = {0};
    assert_int_equal(wm_trace_read_file(pcap_path, &stored, &err), 0);
    assert_int_equal(stored.frames, r->trace.frames);
    uint16_t server = r->transfer.server_port, client = r->transfer.client_port;
    for (size_t i = 0; i < stored.count; i++) {
        const wm_packet *p = &stored.packets[i];
        assert_true((p->src_port == server && p->dst_port == client) ||
                    (p->src_port == client && p->dst_port == server));
    }
    wm_trace_free(&stored);
}

static wm_capture_pool *new_pool(void)
{
    wm_capture_pool *pool = NULL;
    assert_int_equal(wm_capture_pool_new(WM_CAPTURE_POOL_DEFAULT_BYTES, &pool,
                                         NULL), 0);
    return pool;
}

/* The second run takes the first's station: same port, and a run of its
 * own all the same. */
static void test_station_is_kept(void **state)
{
    (void)state;
    wm_capture_pool *pool = new_pool();
    wm_run_result first, second;
    run_ok(pool, NULL, NULL, NULL, &first);
    run_ok(pool, NULL, NULL, NULL, &second);
    assert_int_equal(second.transfer.server_port, first.transfer.server_port);
    assert_int_not_equal(second.transfer.client_port,
                         first.transfer.client_port);
    check_only_its_own(&first, NULL);
    check_only_its_own(&second, NULL);
    wm_run_result_free(&first);
    wm_run_result_free(&second);
    wm_capture_pool_free(pool);
}

/* A connection to the kept port made between runs waits in its backlog,
 * with a request that is not wiremeter's: the run must not accept it as
 * its client, and the frames of its close (the run's server closes it)
 * are not the run's. */
static void test_stranger_in_the_backlog(void **state)
{
    (void)state;
    wm_capture_pool *pool = new_pool();
    wm_run_result first, second;
    run_ok(pool, NULL, NULL, NULL, &first);
    int stranger = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(stranger >= 0);
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons(first.transfer.server_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(stranger, (struct sockaddr *)&to, sizeof to), 0);
    const char hello[16] = "not a request!!";
    assert_int_equal(write(stranger, hello, sizeof hello), sizeof hello);
    char pcap_path[] = "/tmp/wm-test-station-XXXXXX";
    int fd = mkstemp(pcap_path);
    assert_true(fd >= 0);
    close(fd);
    run_ok(pool, pcap_path, NULL, NULL, &second);
    assert_int_equal(second.transfer.server_port, first.transfer.server_port);
    check_only_its_own(&second, pcap_path);
    close(stranger);
    unlink(pcap_path);
    wm_run_result_free(&first);
    wm_run_result_free(&second);
    wm_capture_pool_free(pool);
}

/* Strangers that fill the kept port's backlog while it is parked: the
 * run closes them before it connects, so its SYN is taken at once,
 * not dropped for a full queue and sent again a second later (a SYN
 * retransmission in its capture). */
static void test_backlog_full_of_strangers(void **state)
{
    (void)state;
    wm_capture_pool *pool = new_pool();
    wm_run_result first, second;
    run_ok(pool, NULL, NULL, NULL, &first);
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons(first.transfer.server_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    enum { STRANGERS = 8 }; /* more than the listener's backlog holds */
    int strangers[STRANGERS];
    for (int i = 0; i < STRANGERS; i++) {
        strangers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        assert_true(strangers[i] >= 0);
        int rc = connect(strangers[i], (struct sockaddr *)&to, sizeof to);
        assert_true(rc == 0 || errno == EINPROGRESS);
    }
    run_ok(pool, NULL, NULL, NULL, &second);
    assert_int_equal(second.transfer.server_port, first.transfer.server_port);
    check_only_its_own(&second, NULL);
    assert_int_equal(
        second.connection->side[WM_SIDE_CLIENT].retransmissions, 0);
    for (int i = 0; i < STRANGERS; i++)
        close(strangers[i]);
    wm_run_result_free(&first);
    wm_run_result_free(&second);
    wm_capture_pool_free(pool);
}

/* A bare ACK from port sport (at address from, host order; INADDR_ANY:
 * the kernel's choice, 127.0.0.1) to 127.0.0.1 port dport, sent on a raw
 * socket: a segment no socket of the run sent. */
static void send_raw_ack(uint32_t from, uint16_t sport, uint16_t dport)
{
    int raw = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
    if (raw < 0)
        fail_msg("raw socket: %s", strerror(errno));
    struct sockaddr_in src = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(from)};
    if (from != INADDR_ANY &&
        bind(raw, (struct sockaddr *)&src, sizeof src) != 0)
        fail_msg("binding to %08x: %s", from, strerror(errno));
    struct tcphdr th = {0};
    th.th_sport = htons(sport);
    th.th_dport = htons(dport);
    th.th_seq = htonl(1000);
    th.th_ack = htonl(2000);
    th.th_off = sizeof th / 4;
    th.th_flags = TH_ACK;
    th.th_win = htons(512);
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (sendto(raw, &th, sizeof th, 0, (struct sockaddr *)&to, sizeof to) !=
        (ssize_t)sizeof th)
        fail_msg("sending a raw ACK: %s", strerror(errno));
    close(raw);
}

/* The last run's 4-tuple, for the late frame. */
typedef struct late_frame {
    uint16_t server_port, old_client_port;
    bool sent;
} late_frame;

/* An ACK from the last run's client port to the kept port, as a late or
 * duplicated segment of that connection would be, sent on a raw socket
 * while the next run sends its data (its progress callback). The kernel
 * may answer it from the old connection's TIME_WAIT: that too is a frame
 * of the old connection. */
static void send_late_frame(void *ctx, uint64_t bytes_done)
{
    (void)bytes_done;
    late_frame *late = ctx;
    if (late->sent)
        return;
    late->sent = true;
    send_raw_ack(INADDR_ANY, late->old_client_port, late->server_port);
}

static void test_late_frame_of_the_last_run(void **state)
{
    (void)state;
    wm_capture_pool *pool = new_pool();
    wm_run_result first, second;
    run_ok(pool, NULL, NULL, NULL, &first);
    late_frame late = {.server_port = first.transfer.server_port,
                       .old_client_port = first.transfer.client_port};
    char pcap_path[] = "/tmp/wm-test-station-XXXXXX";
    int fd = mkstemp(pcap_path);
    assert_true(fd >= 0);
    close(fd);
    run_ok(pool, pcap_path, send_late_frame, &late, &second);
    assert_true(late.sent);
    assert_int_equal(second.transfer.server_port, first.transfer.server_port);
    check_only_its_own(&second, pcap_path);
    unlink(pcap_path);
    wm_run_result_free(&first);
    wm_run_result_free(&second);
    wm_capture_pool_free(pool);
}

/* The run's client port, as the kernel lists the client's socket
 * (/proc/net/tcp: local 127.0.0.1:port, remote the server's port,
 * established); 0 when not found. */
static uint16_t client_port_of(uint16_t server_port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned local_addr, local_port, remote_port, st;
    uint16_t found = 0;
    while (!found && fgets(line, sizeof line, f))
        if (sscanf(line, " %*u: %8X:%4X %*8X:%4X %2X", &local_addr,
                   &local_port, &remote_port, &st) == 4 &&
            remote_port == server_port && local_port != server_port &&
            st == 1 && local_addr == htonl(INADDR_LOOPBACK) &&
            local_port != 0)
            found = (uint16_t)local_port;
    fclose(f);
    return found;
}

/* A frame between the run's two port numbers, but from another loopback
 * address (127.0.0.2), sent while the run sends its data: not the run's
 * 4-tuple, although a check of the ports alone would take it. */
typedef struct other_address {
    uint16_t server_port, client_port;
    bool sent;
} other_address;

static void send_from_other_address(void *ctx, uint64_t bytes_done)
{
    (void)bytes_done;
    other_address *o = ctx;
    if (o->sent)
        return;
    o->sent = true;
    o->client_port = client_port_of(o->server_port);
    if (o->client_port == 0)
        fail_msg("the run's client socket is not in /proc/net/tcp");
    send_raw_ack(0x7f000002, o->client_port, o->server_port);
}

static void test_same_ports_other_address(void **state)
{
    (void)state;
    wm_capture_pool *pool = new_pool();
    wm_run_result first, second;
    run_ok(pool, NULL, NULL, NULL, &first);
    other_address o = {.server_port = first.transfer.server_port};
    char pcap_path[] = "/tmp/wm-test-station-XXXXXX";
    int fd = mkstemp(pcap_path);
    assert_true(fd >= 0);
    close(fd);
    run_ok(pool, pcap_path, send_from_other_address, &o, &second);
    assert_true(o.sent);
    assert_int_equal(o.client_port, second.transfer.client_port);
    check_only_its_own(&second, pcap_path);
    unlink(pcap_path);
    wm_run_result_free(&first);
    wm_run_result_free(&second);
    wm_capture_pool_free(pool);
}

/* Runs with other socket options make their own listener, and leave the
 * default's station where it was. */
static void test_other_options_other_station(void **state)
{
    (void)state;
    wm_capture_pool *pool = new_pool();
    wm_run_result a, b, c;
    run_ok(pool, NULL, NULL, NULL, &a);
    wm_run_config config;
    wm_run_config_default(&config);
    config.transfer.size_bytes = 13;
    config.transfer.nodelay = !config.transfer.nodelay;
    config.capture.pool = pool;
    wm_error err = {0};
    if (wm_run_execute(&config, NULL, NULL, &b, &err) != 0)
        fail_msg("run failed: %s", err.message);
    assert_int_not_equal(b.transfer.server_port, a.transfer.server_port);
    run_ok(pool, NULL, NULL, NULL, &c);
    assert_int_equal(c.transfer.server_port, a.transfer.server_port);
    check_only_its_own(&c, NULL);
    wm_run_result_free(&a);
    wm_run_result_free(&b);
    wm_run_result_free(&c);
    wm_capture_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_station_is_kept),
        cmocka_unit_test(test_stranger_in_the_backlog),
        cmocka_unit_test(test_late_frame_of_the_last_run),
        cmocka_unit_test(test_backlog_full_of_strangers),
        cmocka_unit_test(test_same_ports_other_address),
        cmocka_unit_test(test_other_options_other_station),
    };
    WM_TEST_EXIT_UNLESS_CAPTURE();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
