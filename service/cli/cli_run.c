/* `wiremeter run`: one captured transfer, printed as a report or JSON.
 *
 * The text report is rendered from the same JSON document --json prints
 * (wm_cli_text), so the two can never disagree. Exit status: 0 done, 1 the
 * run failed (a timeout, capture not permitted...), 2 bad arguments. */
#include "wm_cli_run.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wm_series.h"

#include "wm_cli.h"
#include "wm_cli_text.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wiremeter run --size SIZE [options]\n"
            "\n"
            "One TCP transfer of SIZE bytes over loopback, captured with\n"
            "libpcap and analysed: endpoints, handshake, closure, totals,\n"
            "timing, average packet size.\n"
            "\n");
    wm_cli_usage_line(out, "pcap", "FILE", "Write the capture to FILE.");
    wm_cli_usage_line(out, "pcap-sender", "FILE",
                      "With --path link: also capture at the sender's end "
                      "of the link and write it to FILE (--pcap is the "
                      "receiver's end).");
    wm_cli_usage_line(out, "series", "FILE",
                      "Write the run's time series to FILE: JSON "
                      "(docs/result.md), or the kernel's samples as CSV "
                      "when FILE ends in .csv.");
    wm_cli_run_usage(out, NULL);
    fprintf(out, "\nExit status: 0 done, 1 the run failed, 2 bad arguments.\n");
}

static const struct option run_options[] = {
    {"pcap-sender", required_argument, NULL, WM_OPT_PCAP_SENDER},
    {"series", required_argument, NULL, WM_OPT_SERIES},
    {0},
};

/* --pcap-sender needs a sender's end: a link. */
static int check_sender_pcap(const wm_cli_run_args *args,
                             const char *sender_pcap, wm_error *err)
{
    if (sender_pcap && args->request.config.path.kind != WM_PATH_LINK)
        return wm_error_param(err, WM_ERR_INVALID, "pcap-sender",
                              "pcap-sender: a capture at the sender's end "
                              "needs a link; allowed: with --path link");
    return 0;
}

/* --series FILE, and whether it asks for CSV. */
typedef struct series_out {
    const char *path;
    bool csv;
    char json_tmp[PATH_MAX]; /* where the engine writes the JSON, for CSV */
} series_out;

static bool ends_with_csv(const char *path)
{
    size_t len = strlen(path);
    return len >= 4 && strcmp(path + len - 4, ".csv") == 0;
}

/* 0 to go on, or the exit status when parsing ends the command. */
static int parse(int argc, char **argv, wm_cli_run_args *args,
                 series_out *series)
{
    wm_error err = {0};
    int code;
    const char *sender_pcap = NULL;
    struct option options[WM_CLI_MAX_OPTIONS];
    wm_cli_run_options(argv, "wiremeter run", options, WM_CLI_MAX_OPTIONS,
                       run_options, NULL);
    while ((code = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (code == WM_OPT_HELP)
            return usage(stdout), -1;
        if (code == '?' || code == ':') {
            usage(stderr);
            return 2;
        }
        if (code == WM_OPT_PCAP_SENDER) {
            sender_pcap = optarg;
            continue;
        }
        if (code == WM_OPT_SERIES) {
            series->path = optarg;
            series->csv = ends_with_csv(optarg);
            continue;
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
    if (wm_cli_run_rights(args, "run", &err) != 0) {
        fprintf(stderr, "wiremeter run: %s\n", err.message);
        return 1;
    }
    if (wm_cli_run_apply(args, &err) != 0 ||
        wm_params_finish(&args->request, &err) != 0 ||
        check_sender_pcap(args, sender_pcap, &err) != 0 ||
        wm_params_check_budget(&args->request, &args->limits.budget,
                               &err) != 0)
        return wm_cli_run_usage_error("run", &err);
    args->request.config.sender_pcap_path = sender_pcap;
    args->request.config.series_path = series->path;
    return 0;
}

/* The engine writes JSON; a .csv FILE gets the kernel's table of it,
 * through a temporary file. */
static int series_begin(series_out *series, wm_run_request *request)
{
    if (!series->path || !series->csv)
        return 0;
    const char *dir = getenv("TMPDIR");
    snprintf(series->json_tmp, sizeof series->json_tmp,
             "%s/wiremeter-series-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(series->json_tmp);
    if (fd < 0) {
        fprintf(stderr, "wiremeter run: cannot make a temporary file for "
                        "the series in $TMPDIR\n");
        series->json_tmp[0] = '\0';
        return -1;
    }
    close(fd);
    request->config.series_path = series->json_tmp;
    return 0;
}

static int series_end(const series_out *series)
{
    if (!series->path || !series->csv)
        return 0;
    wm_error err = {0};
    json_t *doc = json_load_file(series->json_tmp, 0, NULL);
    char *csv = doc ? wm_series_csv(doc, "kernel", &err) : NULL;
    json_decref(doc);
    FILE *f = csv ? fopen(series->path, "w") : NULL;
    int rc = f && fputs(csv, f) >= 0 ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "wiremeter run: cannot write the series to %s\n",
                series->path);
    free(csv);
    return rc;
}

int wm_cli_run(int argc, char **argv)
{
    wm_cli_run_args *args = malloc(sizeof *args);
    if (!args)
        return fprintf(stderr, "wiremeter run: out of memory\n"), 1;
    wm_cli_run_args_init(args);
    series_out series = {0};
    int status = parse(argc, argv, args, &series);
    if (status != 0) {
        free(args);
        return status < 0 ? 0 : status;
    }
    if (series_begin(&series, &args->request) != 0) {
        free(args);
        return 1;
    }
    wm_error err = {0};
    json_t *report = wm_cli_run_once(args, &args->request, &err);
    if (!report || series_end(&series) != 0) {
        if (!report)
            fprintf(stderr, "wiremeter run: %s\n", err.message);
        if (series.json_tmp[0])
            unlink(series.json_tmp);
        json_decref(report);
        free(args);
        return 1;
    }
    if (series.json_tmp[0])
        unlink(series.json_tmp);
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
