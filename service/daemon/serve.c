/* `wiremeter serve`: start-up, the wait for a signal, and an orderly
 * shutdown.
 *
 * Signals are blocked in every thread (they are created after the mask is
 * set) and taken synchronously by sigwait() in the main thread, so that
 * shutdown is ordinary code, not a handler restricted to async-signal-safe
 * calls. Shutdown order: refuse new work (503), stop accepting
 * connections, let running runs finish up to --drain (the pool marks the
 * rest "interrupted by shutdown"), let the requests in flight (a POST that
 * waited for its run) be answered, then close connections and the store.
 *
 * Start-up order matters once: the listening socket is made first, in the
 * host's network namespace, then the daemon may move into a user and
 * network namespace of its own (wm_userns.h), which the kernel allows
 * only to a process of one thread, and only then does anything probe
 * capture or paths, or start a thread. */
#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wm_capture.h"
#include "wm_capture_jobs.h"
#include "wm_captures_doc.h"
#include "wm_clock.h"
#include "wm_serve.h"
#include "wm_config.h"
#include "wm_handlers.h"
#include "wm_http.h"
#include "wm_jobs.h"
#include "wm_metrics.h"
#include "wm_openapi.h"
#include "wm_path.h"
#include "wm_router.h"
#include "wm_run_cache.h"
#include "wm_store.h"
#include "wm_userns.h"

/* Documents of ended runs kept for GET /runs/{id}: a few MiB at most. */
#define RUN_CACHE_SLOTS 256u

/* How long answers in flight at shutdown may take to be sent: what is
 * left of --drain, but at least RESPONSE_GRACE_MIN_MS, so that the POSTs
 * whose runs were just interrupted still get their answer. A slow reader
 * (a pcap download) is cut then: the drain bounds the exit. */
#define RESPONSE_GRACE_MIN_MS 1000u

typedef struct serve_state {
    wm_config config;
    wm_app app;
    wm_http_daemon *http;
    int listen_fd;      /* made before the namespaces; the gate's once
                           wm_http_start succeeds */
    unsigned port;
} serve_state;

static int fail(const char *what, const wm_error *err)
{
    fprintf(stderr, "wiremeter serve: %s%s\n", what, err->message);
    return 1;
}

static void url_of(const wm_config *cfg, unsigned port, char *buf,
                   size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (cfg->addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)&cfg->addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(buf, len, "http://[%s]:%u", host, port);
    } else {
        const struct sockaddr_in *in = (const void *)&cfg->addr;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(buf, len, "http://%s:%u", host, port);
    }
}

static void announce(const serve_state *s)
{
    const wm_config *cfg = &s->config;
    char url[128];
    struct stat st;
    url_of(cfg, s->port, url, sizeof url);
    printf("wiremeter %s listening on %s%s\n", WM_VERSION, url,
           cfg->token[0] ? " (POST and DELETE need the bearer token)"
           : cfg->loopback ? "" : " (OPEN: no token, non-loopback address)");
    if (!cfg->loopback && !cfg->allowed_hosts[0])
        printf("  hosts:     only localhost, 127.0.0.1, [::1] and the --listen "
               "host are served (421 else): set --allowed-hosts to the names "
               "clients use\n");
    printf("  data:      %s\n", cfg->data_dir);
    printf("  web root:  %s%s\n", cfg->web_root,
           stat(cfg->web_root, &st) == 0 ? "" : " (MISSING: the page will 404)");
    printf("  chart.js:  %s%s\n", cfg->chartjs_path,
           stat(cfg->chartjs_path, &st) == 0
               ? "" : " (MISSING: apt-get install libjs-chart.js)");
    printf("  runs:      %u workers, queue %u, up to %" PRIu64 " bytes, "
           "history %u\n", cfg->workers, cfg->queue_length,
           cfg->max_size_bytes, cfg->history_runs);
    printf("  budget:    %" PRIu64 " packets, %" PRIu64 " pcap bytes, %u s "
           "per run\n", cfg->max_packets, cfg->max_pcap_bytes,
           cfg->max_duration_s);
    printf("  rights:    %s: %s\n", wm_userns_mode_name(s->app.userns.mode),
           s->app.userns.why);
    if (s->app.capture_permitted)
        printf("  capture:   permitted on %s\n", cfg->interface);
    else
        printf("  capture:   NOT permitted on %s; runs will fail until it "
               "is granted: %s\n", cfg->interface, s->app.capture_reason);
    const wm_path_caps *paths = wm_path_capabilities();
    printf("  paths:     loopback%s%s\n",
           paths->link ? ", link (namespaces, veth, bridge, tbf)"
                       : "; link NOT available: ",
           paths->link ? "" : paths->link_why);
    if (paths->link)
        printf("  link:      loss %s%s; delay and jitter %s%s\n",
               paths->loss ? "yes (eBPF)" : "NO: ", paths->loss_why,
               paths->netem ? "yes (netem)" : "NO: ", paths->netem_why);
    fflush(stdout);
}

static int analyse_capture(void *ctx, int64_t id, wm_error *err)
{
    serve_state *s = ctx;
    return wm_captures_analyse(s->app.store, id, s->config.max_packets, err);
}

/* The analysis pool, bounded as the runs' (--workers, --queue, --history),
 * and the uploads the last process left unanalysed queued again. */
static int start_capture_jobs(serve_state *s, wm_error *err)
{
    unsigned workers = s->config.workers;
    if (workers == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        workers = cores > 0 ? (unsigned)cores : 1;
    }
    wm_capture_jobs_options co = {
        .workers = workers,
        .queue_max = s->config.queue_length,
        .history_max = s->config.history_runs,
        .analyse = analyse_capture,
        .ctx = s,
    };
    if (wm_capture_jobs_start(s->app.store, &co, &s->app.capture_jobs,
                              err) != 0)
        return -1;
    uint64_t resumed = 0;
    if (wm_capture_jobs_resume(s->app.capture_jobs, &resumed, err) != 0)
        return -1;
    if (resumed)
        printf("wiremeter: %" PRIu64 " uploaded capture(s) left unanalysed "
               "by the last process analysed again\n", resumed);
    return 0;
}

static int open_backends(serve_state *s, wm_error *err)
{
    wm_store_options so;
    wm_store_options_default(&so);
    so.data_dir = s->config.data_dir;
    so.min_free_bytes = s->config.min_free_bytes;
    uint64_t recovered = 0;
    if (wm_store_open(&so, &s->app.store, err) != 0)
        return wm_error_prefix(err, "store: ");
    if (wm_store_recover(s->app.store, &recovered, err) != 0)
        return wm_error_prefix(err, "recovering runs: ");
    if (recovered)
        printf("wiremeter: %" PRIu64 " run(s) left unfinished by the last "
               "process marked failed (\"%s\")\n", recovered,
               WM_STORE_MSG_RESTART);
    wm_store_health health;
    wm_store_health_get(s->app.store, &health);
    if (health.read_only)
        printf("wiremeter: the store is READ-ONLY (%s): runs are served, "
               "none started or deleted (503)\n", health.reason);
    wm_jobs_options jo;
    wm_jobs_options_default(&jo);
    jo.workers = s->config.workers;
    jo.queue_max = s->config.queue_length;
    jo.history_max = s->config.history_runs;
    jo.inline_max = s->config.inline_max_bytes;
    jo.here_max = s->config.here_max_bytes;
    if (wm_jobs_start(s->app.store, &jo, &s->app.jobs, err) != 0)
        return wm_error_prefix(err, "workers: ");
    if (start_capture_jobs(s, err) != 0)
        return wm_error_prefix(err, "capture analyses: ");
    size_t routes = 0;
    wm_router_routes(&routes);
    s->app.metrics = wm_metrics_new((unsigned)routes);
    s->app.run_cache = wm_run_cache_new(RUN_CACHE_SLOTS);
    if (!s->app.metrics || !s->app.run_cache)
        return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    return 0;
}

static int start_http(serve_state *s, wm_error *err)
{
    wm_http_options ho = {
        .addr = (const struct sockaddr *)&s->config.addr,
        .addr_len = (unsigned)s->config.addr_len,
        .listen_fd_given = true,
        .listen_fd = s->listen_fd,
        .max_body_bytes = s->config.max_body_bytes,
        .max_upload_bytes = s->config.max_upload_bytes,
        .upload_dir = wm_store_capture_dir(s->app.store),
        .streams = wm_router_streams,
        .max_url_bytes = s->config.max_url_bytes,
        .max_connections = s->config.max_connections,
        .max_connections_per_ip = s->config.max_connections_per_ip,
        .header_timeout_s = s->config.header_timeout_s,
        .app = &s->app,
        .dispatch = wm_router_dispatch,
        .count = wm_metrics_count_http,
        .count_ctx = s->app.metrics,
    };
    /* The Host check needs the port from the first request on; with
     * port 0 it is known only once bound, and then stored again. */
    const struct sockaddr_in *in = (const void *)&s->config.addr;
    const struct sockaddr_in6 *in6 = (const void *)&s->config.addr;
    atomic_store(&s->app.port, ntohs(s->config.addr.ss_family == AF_INET6
                                         ? in6->sin6_port : in->sin_port));
    int started = wm_http_start(&ho, &s->http, &s->port, err);
    s->listen_fd = -1; /* the gate's now, or closed by it on failure */
    if (started != 0) {
        char prefix[200];
        snprintf(prefix, sizeof prefix, "listening on %s: ", s->config.listen);
        return wm_error_prefix(err, prefix);
    }
    atomic_store(&s->app.port, s->port);
    return 0;
}

static void shut_down(serve_state *s, int sig)
{
    int64_t drain_end = wm_clock_monotonic_ns() +
                        (int64_t)s->config.drain_s * 1000000000;
    printf("wiremeter: %s: no new runs; letting running runs finish "
           "(up to %u s)\n", strsignal(sig), s->config.drain_s);
    fflush(stdout);
    atomic_store(&s->app.draining, true);
    if (s->http)
        wm_http_quiesce(s->http);
    atomic_store(&s->app.closed, true);
    uint64_t interrupted = 0;
    wm_error err;
    if (s->app.jobs &&
        wm_jobs_shutdown(s->app.jobs, s->config.drain_s * 1000u,
                         &interrupted, &err) != 0)
        fprintf(stderr, "wiremeter: shutdown: %s\n", err.message);
    if (interrupted)
        printf("wiremeter: %" PRIu64 " run(s) marked \"%s\"\n", interrupted,
               WM_STORE_MSG_SHUTDOWN);
    /* Every run has ended now, so the POSTs that waited for one are
     * answering; they get a moment to finish before connections close. */
    int64_t left_ms = (drain_end - wm_clock_monotonic_ns()) / 1000000;
    unsigned grace_ms = left_ms > RESPONSE_GRACE_MIN_MS ? (unsigned)left_ms
                                                        : RESPONSE_GRACE_MIN_MS;
    if (s->http && !wm_http_drain(s->http, grace_ms))
        printf("wiremeter: requests still unanswered after %u ms are cut\n",
               grace_ms);
}

static void release(serve_state *s)
{
    wm_http_stop(s->http);
    wm_jobs_free(s->app.jobs);
    wm_capture_jobs_free(s->app.capture_jobs);
    wm_store_close(s->app.store);
    wm_metrics_free(s->app.metrics);
    wm_run_cache_free(s->app.run_cache);
}

/* How often the main thread tries to write what a full or read-only
 * store could not (wm_store_retry) while it waits for a signal. */
#define STORE_RETRY_S 2

/* Waits for a signal; meanwhile, every STORE_RETRY_S, retries the
 * store's unwritten states, so a disk that has room again is used again
 * without a restart. */
static int wait_for_signal(const sigset_t *set, wm_store *store)
{
    const struct timespec tick = {.tv_sec = STORE_RETRY_S};
    bool writable = true;
    for (;;) {
        int sig = sigtimedwait(set, NULL, &tick);
        if (sig > 0)
            return sig;
        wm_error err;
        bool was = writable;
        if (wm_store_retry(store, &writable, &err) != 0 && was)
            fprintf(stderr, "wiremeter: store: %s\n", err.message);
    }
}

int wm_serve_main(int argc, char **argv)
{
    serve_state *s = calloc(1, sizeof *s);
    wm_error err;
    wm_error_clear(&err);
    if (!s)
        return 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = wm_config_load(&s->config, argc, argv, &err);
    if (rc != WM_CONFIG_RUN || s->config.print_routes ||
        s->config.print_openapi) {
        if (s->config.print_routes && rc == WM_CONFIG_RUN)
            wm_router_print(stdout);
        size_t len = 0;
        const char *openapi = wm_openapi_document(&len);
        if (s->config.print_openapi && rc == WM_CONFIG_RUN && openapi)
            fwrite(openapi, 1, len, stdout);
        free(s);
        return rc < 0 ? (fprintf(stderr, "wiremeter serve: %s\n",
                                 err.message), 2) : 0;
    }
    if (wm_config_check_exposure(&s->config, &err) != 0) {
        free(s);
        return fail("", &err), 2;
    }
    /* Before any thread, and before the namespaces (see the top). */
    s->listen_fd = wm_http_listen((const struct sockaddr *)&s->config.addr,
                                  (unsigned)s->config.addr_len, &err);
    if (s->listen_fd < 0) {
        char prefix[200];
        snprintf(prefix, sizeof prefix, "listening on %s: ", s->config.listen);
        wm_error_prefix(&err, prefix);
        free(s);
        return fail("", &err);
    }
    int policy = wm_userns_policy_parse(s->config.user_namespace);
    assert(policy >= 0); /* the config table allows only these */
    wm_userns_enter((wm_userns_policy)policy, &s->app.userns);
    if (s->app.userns.stranded) {
        fprintf(stderr, "wiremeter serve: entering a user namespace failed "
                "half way (%s): try --user-namespace never\n",
                s->app.userns.why);
        close(s->listen_fd);
        free(s);
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    s->app.config = &s->config;
    s->app.started_ns = wm_clock_wall_ns();
    wm_error why;
    wm_error_clear(&why);
    s->app.capture_permitted = wm_capture_permitted(s->config.interface, &why);
    snprintf(s->app.capture_reason, sizeof s->app.capture_reason, "%s",
             why.message);
    /* Probed before serving, so that no request waits on it. */
    wm_path_capabilities();
    rc = 0;
    if (open_backends(s, &err) != 0 || start_http(s, &err) != 0) {
        rc = fail("", &err);
    } else {
        announce(s);
        shut_down(s, wait_for_signal(&set, s->app.store));
        printf("wiremeter: stopped\n");
    }
    release(s);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    free(s);
    return rc;
}
