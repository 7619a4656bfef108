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

#include "wm_error.h"

#define WM_CONFIG_TOKEN_MAX 256

typedef struct wm_config {
    char listen[128];             /* as given: "127.0.0.1:8080" */
    struct sockaddr_storage addr; /* resolved listen address */
    socklen_t addr_len;
    bool loopback;                /* addr is 127.0.0.0/8 or ::1 */
    char data_dir[PATH_MAX];
    uint64_t max_size_bytes;      /* largest transfer a run may ask for */
    unsigned workers;             /* concurrent runs */
    unsigned queue_length;        /* runs waiting for a worker */
    unsigned max_wait_s;          /* longest `wait` a request may ask for */
    unsigned history_runs;        /* runs kept before the oldest go */
    char token[WM_CONFIG_TOKEN_MAX]; /* "" when none */
    bool open;                    /* operator accepts an open service */
    char web_root[PATH_MAX];
    char chartjs_path[PATH_MAX];
    char interface[32];           /* capture interface */
    unsigned drain_s;             /* deadline for running runs at exit */
    size_t max_body_bytes;        /* request bodies above: 413 */
    size_t max_url_bytes;         /* request targets above: 414 */
    unsigned max_connections;     /* concurrent HTTP connections */
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

void wm_config_usage(FILE *out);

#endif
