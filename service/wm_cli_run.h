/* wm_cli_run: the run options of the command line, shared by `wiremeter
 * run` and `wiremeter sweep`.
 *
 * Each flag that is a run parameter is handed to wm_params_set by name, so
 * that a bad --chunk is refused with the very words a bad ?chunk= gets from
 * the HTTP API. Values are applied only after all flags are read, because
 * --max-size may come after --size. */
#ifndef WM_CLI_RUN_H
#define WM_CLI_RUN_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "wm_error.h"
#include "wm_params.h"

/* Codes of the long options; above any character so no short option
 * collides. */
enum wm_cli_run_option {
    WM_OPT_HELP = 'h',
    WM_OPT_PARAM_FIRST = 256, /* size .. timeout: wm_params names */
    WM_OPT_SIZE = WM_OPT_PARAM_FIRST,
    WM_OPT_DIRECTION,
    WM_OPT_CHUNK,
    WM_OPT_NODELAY,
    WM_OPT_SNDBUF,
    WM_OPT_RCVBUF,
    WM_OPT_MSS,
    WM_OPT_CONGESTION,
    WM_OPT_IPV6,
    WM_OPT_SNAPLEN,
    WM_OPT_TIMEOUT,
    WM_OPT_PARAM_LAST = WM_OPT_TIMEOUT,
    WM_OPT_INTERFACE,
    WM_OPT_JSON,
    WM_OPT_PACKETS,
    WM_OPT_PCAP,
    WM_OPT_MAX_SIZE,
    WM_OPT_REPEAT, /* sweep only */
};

/* The getopt_long entries of the options above but --size and --repeat,
 * for a command to put in its own table. */
#define WM_CLI_RUN_LONG_OPTIONS                                        \
    {"direction", required_argument, NULL, WM_OPT_DIRECTION},         \
    {"chunk", required_argument, NULL, WM_OPT_CHUNK},                 \
    {"nodelay", no_argument, NULL, WM_OPT_NODELAY},                   \
    {"sndbuf", required_argument, NULL, WM_OPT_SNDBUF},               \
    {"rcvbuf", required_argument, NULL, WM_OPT_RCVBUF},               \
    {"mss", required_argument, NULL, WM_OPT_MSS},                     \
    {"congestion", required_argument, NULL, WM_OPT_CONGESTION},       \
    {"ipv6", no_argument, NULL, WM_OPT_IPV6},                         \
    {"snaplen", required_argument, NULL, WM_OPT_SNAPLEN},             \
    {"timeout", required_argument, NULL, WM_OPT_TIMEOUT},             \
    {"interface", required_argument, NULL, WM_OPT_INTERFACE},         \
    {"json", no_argument, NULL, WM_OPT_JSON},                         \
    {"packets", no_argument, NULL, WM_OPT_PACKETS},                   \
    {"pcap", required_argument, NULL, WM_OPT_PCAP},                   \
    {"max-size", required_argument, NULL, WM_OPT_MAX_SIZE},           \
    {"help", no_argument, NULL, WM_OPT_HELP}

/* The usage lines of those options. */
#define WM_CLI_RUN_OPTIONS_USAGE                                              \
    "  --direction download|upload  who sends the data (default download)\n"  \
    "  --chunk SIZE         application write size (default 64KiB)\n"        \
    "  --nodelay            TCP_NODELAY on both sockets\n"                    \
    "  --sndbuf SIZE        SO_SNDBUF of both sockets (0: kernel default)\n"  \
    "  --rcvbuf SIZE        SO_RCVBUF of both sockets (0: kernel default)\n"  \
    "  --mss N              TCP_MAXSEG in bytes (88..32767, 0: default)\n"    \
    "  --congestion NAME    a congestion control the kernel offers\n"         \
    "  --ipv6               use ::1 instead of 127.0.0.1\n"                   \
    "  --snaplen N|full     bytes captured per frame (default 160)\n"         \
    "  --timeout MS         deadline of each blocking step (default 10000)\n" \
    "  --interface NAME     capture interface (default lo)\n"                 \
    "  --max-size SIZE      largest size accepted (default 1GiB)\n"           \
    "  --json               print the result as JSON (docs/result.md)\n"      \
    "  --packets            include the whole packet list\n"                  \
    "  -h, --help           this help\n"

#define WM_CLI_RUN_MAX_PENDING 32

typedef struct wm_cli_run_args {
    wm_run_request request;
    wm_params_limits limits;
    const char *interface;   /* NULL: the capture default */
    const char *pcap_path;   /* NULL: no pcap written */
    bool json, packets;
    /* Parameters in the order given, applied by wm_cli_run_apply. */
    struct {
        const char *name, *value;
    } pending[WM_CLI_RUN_MAX_PENDING];
    unsigned pending_count;
} wm_cli_run_args;

void wm_cli_run_args_init(wm_cli_run_args *args);

/* Takes one option getopt_long returned. 0 when taken, 1 when the code is
 * not a run option (the caller's own), -1 on a bad value. */
int wm_cli_run_option(wm_cli_run_args *args, int code, const char *value,
                      wm_error *err);

/* Applies the pending parameters to args->request under args->limits. */
int wm_cli_run_apply(wm_cli_run_args *args, wm_error *err);

/* The "wiremeter CMD: message" line and a hint, on stderr; returns 2. */
int wm_cli_run_usage_error(const char *command, const wm_error *err);

/* One run: execute, report as JSON (flags from args), free the engine's
 * result. NULL on failure with err filled. */
json_t *wm_cli_run_once(const wm_cli_run_args *args,
                        const wm_run_request *request, wm_error *err);

#endif
