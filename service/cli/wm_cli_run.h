/* wm_cli_run: the run options of the command line, shared by `wiremeter
 * run` and `wiremeter sweep`, made from the engine's table of run
 * parameters (wm_params.h): each row is a long option named as the
 * parameter, with the row's metavar, help and allowed values in the usage
 * text, so a parameter added to the table is an option here at once.
 *
 * Each such flag is handed to wm_params_set by name, so that a bad --chunk
 * is refused with the very words a bad ?chunk= gets from the HTTP API.
 * Values are applied only after all flags are read, because --max-size
 * may come after --size. */
#ifndef WM_CLI_RUN_H
#define WM_CLI_RUN_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "wm_error.h"
#include "wm_params.h"

/* Codes of the options that are not run parameters; above any character
 * so no short option collides. A run parameter's code is
 * WM_OPT_PARAM_FIRST plus its index in wm_params_specs(). */
enum wm_cli_run_option {
    WM_OPT_HELP = 'h',
    WM_OPT_INTERFACE = 256,
    WM_OPT_JSON,
    WM_OPT_PACKETS,
    WM_OPT_PCAP,
    WM_OPT_MAX_SIZE,
    WM_OPT_MAX_PACKETS,
    WM_OPT_MAX_PCAP,
    WM_OPT_MAX_DURATION,
    WM_OPT_SERIES_SAMPLES,
    WM_OPT_SERIES_POINTS,
    WM_OPT_REPEAT, /* sweep only */
    WM_OPT_PCAP_SENDER, /* run only: a link's sender-end capture */
    WM_OPT_SERIES, /* run only: the time series' file */
    WM_OPT_USER_NAMESPACE,
    WM_OPT_PARAM_FIRST = 512,
};

/* Room for every getopt_long entry a command builds. */
#define WM_CLI_MAX_OPTIONS 64
#define WM_CLI_RUN_MAX_PENDING 32

/* Readies getopt_long for a command: resets its state (so a second call
 * parses afresh), names the command in its messages (argv[0] becomes
 * "wiremeter COMMAND") and fills out (cap entries) with the command's own
 * entries (own, ended by a zero entry; may be NULL), one per run
 * parameter except the one named without (may be NULL), then the options
 * both commands share (--interface, --pcap, --max-size, --max-packets,
 * --max-pcap, --max-duration, --user-namespace, --json, --packets,
 * --help), and a zero entry. */
void wm_cli_run_options(char **argv, const char *command, struct option *out,
                        size_t cap, const struct option *own,
                        const char *without);

/* The usage lines of the same run parameters and shared options. */
void wm_cli_run_usage(FILE *out, const char *without);

/* One usage line: "  --flag METAVAR" (flag as given when it starts with
 * '-'), then text folded under the help column. metavar may be NULL. */
void wm_cli_usage_line(FILE *out, const char *flag, const char *metavar,
                       const char *text);

typedef struct wm_cli_run_args {
    wm_run_request request;
    wm_params_limits limits;
    const char *interface;   /* NULL: the capture default */
    const char *pcap_path;   /* NULL: no pcap written */
    bool json, packets;
    int user_namespace;      /* wm_userns_policy */
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

/* Applies the pending parameters to args->request under args->limits,
 * and the budget of args->limits to its capture. */
int wm_cli_run_apply(wm_cli_run_args *args, wm_error *err);

/* Where the command's runs live (wm_userns.h): applies
 * args->user_namespace, and says on stderr, as the daemon does at start,
 * with what right when it is not the host's root (a user namespace, or
 * none). Must come before any thread and before a link is validated, so
 * that the path's capabilities are probed where the runs will be. 0, or
 * -1 when the process can do nothing (err says why). */
int wm_cli_run_rights(const wm_cli_run_args *args, const char *command,
                      wm_error *err);

/* The "wiremeter CMD: message" line and a hint, on stderr; returns 2. */
int wm_cli_run_usage_error(const char *command, const wm_error *err);

/* One run of request through the engine, as JSON (docs/result.md; the
 * packet list when args->packets). NULL on failure with err filled. */
json_t *wm_cli_run_once(const wm_cli_run_args *args,
                        const wm_run_request *request, wm_error *err);

#endif
