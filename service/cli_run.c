/* `wiremeter run`: one captured transfer, printed as a report or JSON.
 *
 * The text report is rendered from the same JSON document --json prints
 * (wm_cli_text), so the two can never disagree. Exit status: 0 done, 1 the
 * run failed (a timeout, capture not permitted...), 2 bad arguments. */
#include "wm_cli_run.h"

#include <stdlib.h>
#include <string.h>

#include "wm_cli.h"
#include "wm_cli_text.h"
#include "wm_report.h"
#include "wm_run.h"
#include "wm_size.h"

/* wm_params names of WM_OPT_PARAM_FIRST..WM_OPT_PARAM_LAST, in order. */
static const char *const param_names[] = {
    "size", "direction", "chunk", "nodelay", "sndbuf", "rcvbuf",
    "mss",  "congestion", "ipv6", "snaplen", "timeout",
};

void wm_cli_run_args_init(wm_cli_run_args *args)
{
    memset(args, 0, sizeof *args);
    wm_params_init(&args->request);
    args->limits.max_size_bytes = WM_SIZE_DEFAULT_MAX;
}

static int pend(wm_cli_run_args *args, const char *name, const char *value,
                wm_error *err)
{
    if (args->pending_count == WM_CLI_RUN_MAX_PENDING)
        return wm_error_set(err, WM_ERR_INVALID,
                            "too many options (at most %d)",
                            WM_CLI_RUN_MAX_PENDING);
    args->pending[args->pending_count].name = name;
    args->pending[args->pending_count].value = value;
    args->pending_count++;
    return 0;
}

static int set_max_size(wm_cli_run_args *args, const char *value,
                        wm_error *err)
{
    uint64_t bytes = 0;
    if (wm_size_parse(value, UINT64_MAX, &bytes, NULL) != 0 || bytes == 0)
        return wm_error_param(err, WM_ERR_INVALID, "max-size",
                              "max-size: '%.64s' is not valid; expected a "
                              "positive size, %s",
                              value, WM_SIZE_FORMS);
    args->limits.max_size_bytes = bytes;
    return 0;
}

int wm_cli_run_option(wm_cli_run_args *args, int code, const char *value,
                      wm_error *err)
{
    if (code >= WM_OPT_PARAM_FIRST && code <= WM_OPT_PARAM_LAST) {
        const char *name = param_names[code - WM_OPT_PARAM_FIRST];
        /* The switches take no value; the table spells them as booleans. */
        if (code == WM_OPT_NODELAY || code == WM_OPT_IPV6)
            value = "true";
        return pend(args, name, value, err);
    }
    switch (code) {
    case WM_OPT_INTERFACE:
        args->interface = value;
        return 0;
    case WM_OPT_PCAP:
        args->pcap_path = value;
        return 0;
    case WM_OPT_JSON:
        args->json = true;
        return 0;
    case WM_OPT_PACKETS:
        args->packets = true;
        return 0;
    case WM_OPT_MAX_SIZE:
        return set_max_size(args, value, err);
    default:
        return 1;
    }
}

int wm_cli_run_apply(wm_cli_run_args *args, wm_error *err)
{
    for (unsigned i = 0; i < args->pending_count; i++)
        if (wm_params_set(&args->request, args->pending[i].name,
                          args->pending[i].value, &args->limits, err) != 0)
            return -1;
    if (args->interface) {
        if (args->interface[0] == '\0' || strlen(args->interface) >= 32)
            return wm_error_param(err, WM_ERR_INVALID, "interface",
                                  "interface: '%.64s' is not a valid "
                                  "interface name",
                                  args->interface);
        args->request.config.capture.interface = args->interface;
    }
    args->request.config.capture.pcap_path = args->pcap_path;
    return 0;
}

int wm_cli_run_usage_error(const char *command, const wm_error *err)
{
    fprintf(stderr, "wiremeter %s: %s\n", command, err->message);
    fprintf(stderr, "Try 'wiremeter %s --help'.\n", command);
    return 2;
}

json_t *wm_cli_run_once(const wm_cli_run_args *args,
                        const wm_run_request *request, wm_error *err)
{
    wm_run_result result;
    if (wm_run_execute(&request->config, NULL, NULL, &result, err) != 0)
        return NULL;
    unsigned flags = args->packets ? WM_REPORT_PACKETS : 0;
    json_t *report = wm_report_run(&request->config, &result, flags);
    wm_run_result_free(&result);
    if (!report) {
        wm_error_set(err, WM_ERR_INTERNAL, "out of memory rendering the result");
        return NULL;
    }
    /* The user's spelling of the size, as the HTTP API stores it. */
    json_t *params = json_object_get(report, "params");
    if (json_is_object(params) && request->size_text[0])
        json_object_set_new(params, "size_text",
                            json_string(request->size_text));
    return report;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wiremeter run --size SIZE [options]\n"
            "\n"
            "One TCP transfer of SIZE bytes over loopback, captured with\n"
            "libpcap and analysed: endpoints, handshake, closure, totals,\n"
            "timing, average packet size.\n"
            "\n"
            "  --size SIZE          bytes to transfer (required):\n"
            "                       %s\n"
            "  --pcap FILE          write the capture to FILE\n"
            "%s"
            "\n"
            "Exit status: 0 done, 1 the run failed, 2 bad arguments.\n",
            WM_SIZE_FORMS, WM_CLI_RUN_OPTIONS_USAGE);
}

static const struct option run_options[] = {
    {"size", required_argument, NULL, WM_OPT_SIZE},
    WM_CLI_RUN_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

/* 0 to go on, or the exit status when parsing ends the command. */
static int parse(int argc, char **argv, wm_cli_run_args *args)
{
    wm_error err = {0};
    int code;
    optind = 0; /* glibc: a full reset, so a second call parses afresh */
    /* getopt names argv[0] in its messages: make it the command. */
    argv[0] = (char *)"wiremeter run";
    opterr = 1;
    while ((code = getopt_long(argc, argv, "h", run_options, NULL)) != -1) {
        if (code == WM_OPT_HELP)
            return usage(stdout), -1;
        if (code == '?' || code == ':') {
            usage(stderr);
            return 2;
        }
        int rc = wm_cli_run_option(args, code, optarg, &err);
        if (rc == 1)
            wm_error_set(&err, WM_ERR_INVALID, "unexpected option");
        if (rc != 0)
            return wm_cli_run_usage_error("run", &err);
    }
    if (optind < argc) {
        wm_error_set(&err, WM_ERR_INVALID, "unexpected argument '%.64s'",
                     argv[optind]);
        return wm_cli_run_usage_error("run", &err);
    }
    if (wm_cli_run_apply(args, &err) != 0 ||
        wm_params_finish(&args->request, &err) != 0)
        return wm_cli_run_usage_error("run", &err);
    return 0;
}

int wm_cli_run(int argc, char **argv)
{
    wm_cli_run_args *args = malloc(sizeof *args);
    if (!args)
        return fprintf(stderr, "wiremeter run: out of memory\n"), 1;
    wm_cli_run_args_init(args);
    int status = parse(argc, argv, args);
    if (status != 0) {
        free(args);
        return status < 0 ? 0 : status;
    }
    wm_error err = {0};
    json_t *report = wm_cli_run_once(args, &args->request, &err);
    if (!report) {
        fprintf(stderr, "wiremeter run: %s\n", err.message);
        free(args);
        return 1;
    }
    if (args->json) {
        json_dumpf(report, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        wm_cli_text_run(report, stdout);
    }
    json_decref(report);
    free(args);
    return fflush(stdout) == 0 ? 0 : 1;
}
