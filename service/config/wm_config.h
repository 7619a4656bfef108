/* wm_config: the daemon's settings, from flags and environment variables.
 *
 * Every limit of `wiremeter serve` is here, each with a flag and a
 * WIREMETER_* variable (the flag wins), so that a container is configured
 * by its environment and a shell user by flags, with the same names and
 * the same error text. A bad value is refused at start, naming the flag or
 * variable and what is allowed: a daemon that silently ran with a default
 * instead of the limit its operator asked for would be worse than none. */
#ifndef WM_CONFIG_H
#define WM_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "wm_budget.h"
#include "wm_error.h"

#define WM_CONFIG_TOKEN_MAX 256

typedef struct wm_config {
    char listen[128];             /* as given: "127.0.0.1:8080" */
    struct sockaddr_storage addr; /* resolved listen address */
    socklen_t addr_len;
    bool loopback;                /* addr is 127.0.0.0/8 or ::1 */
    char data_dir[PATH_MAX];
    uint64_t max_size_bytes;      /* largest transfer a run may ask for */
    uint64_t max_packets;         /* a run's budget (wm_budget.h): frames, */
    uint64_t max_pcap_bytes;      /* pcap bytes */
    unsigned max_duration_s;      /* and seconds */
    unsigned series_samples;      /* its time series' bounds: kernel */
    unsigned series_points;       /* samples, rows of each other table */
    unsigned workers;             /* concurrent runs */
    unsigned queue_length;        /* runs waiting for a worker */
    unsigned max_wait_s;          /* longest `wait` a request may ask for */
    unsigned history_runs;        /* runs kept before the oldest go, and
                                     as many captures */
    uint64_t min_free_bytes;      /* free-space reserve of the data dir */
    size_t inline_max_bytes;      /* a run output up to this size goes to
                                     the database, not to a file */
    uint64_t here_max_bytes;      /* a waited-for loopback run up to this
                                     size may run on the request's thread */
    char token[WM_CONFIG_TOKEN_MAX]; /* "" when none */
    char token_file[PATH_MAX];    /* the token read from a file instead */
    bool protect_reads;           /* every GET but /healthz and the page
                                     needs the token too */
    bool open;                    /* operator accepts an open service */
    char allowed_hosts[512];      /* Host names served; "" the defaults */
    char web_root[PATH_MAX];
    char chartjs_path[PATH_MAX];
    char interface[32];           /* capture interface */
    char user_namespace[16];      /* wm_userns_policy, as written */
    unsigned drain_s;             /* deadline for running runs at exit */
    size_t max_body_bytes;        /* request bodies above: 413 */
    size_t max_upload_bytes;      /* POST /captures bodies above: 413 */
    unsigned capture_wait_s;      /* POST /captures waits this for its
                                     analysis, then answers 202 */
    size_t max_url_bytes;         /* request targets above: 414 */
    unsigned max_connections;     /* concurrent HTTP connections */
    unsigned max_connections_per_ip; /* of those, from one address */
    unsigned header_timeout_s;    /* for a whole request head */
    bool print_routes;            /* --print-routes: list and exit */
    bool print_openapi;           /* --print-openapi: print and exit */
} wm_config;

/* Outcome of wm_config_load besides errors. */
enum { WM_CONFIG_RUN = 0, WM_CONFIG_EXIT = 1 };

/* Fills cfg from defaults, then the environment, then argv (the
 * arguments after "serve"). Returns WM_CONFIG_RUN, WM_CONFIG_EXIT when
 * --help was printed, or -1 with err naming the flag or variable. */
int wm_config_load(wm_config *cfg, int argc, char **argv, wm_error *err);

/* Refuses a non-loopback listen address without a token or --open. */
int wm_config_check_exposure(const wm_config *cfg, wm_error *err);

/* config_access.c: who may use the daemon. */

/* After flags and variables: reads --token-file, refuses a weak token
 * (under WM_CONFIG_TOKEN_MIN characters, or with spaces or controls), a
 * token given twice, --protect-reads without a token and a malformed
 * --allowed-hosts. */
#define WM_CONFIG_TOKEN_MIN 16
int wm_config_access_load(wm_config *cfg, wm_error *err);

/* Overwrites a secret given on the command line in place, so that ps and
 * /proc/PID/cmdline stop showing it, and warns on stderr. */
void wm_config_hide_argument(char *arg);

/* Whether authority ("host", "host:port", "[v6]:port", as in a Host
 * header or an Origin) names this daemon: localhost, 127.0.0.1, [::1] or
 * the --listen host, on port (the one bound), or an entry of
 * --allowed-hosts (one without a port matches any port). default_port is
 * the port an authority without one means (80 for Host and http, 443 for
 * https). */
bool wm_config_host_allowed(const wm_config *cfg, unsigned port,
                            const char *authority, unsigned default_port);

/* The run budget of --max-packets, --max-pcap, --max-duration,
 * --series-samples and --series-points. */
void wm_config_budget(const wm_config *cfg, wm_budget *out);

void wm_config_usage(FILE *out);

#endif
