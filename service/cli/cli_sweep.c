/* `wiremeter sweep SIZE...`: the lab's tables for several sizes.
 *
 * Runs go in the engine's sweep order (wm_sweep_size_index says which and
 * why), the order the daemon's POST /sweeps uses too. A failed run is
 * reported on stderr, counted in its row, and the sweep goes on; the exit
 * status is then 1. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wm_capture.h"
#include "wm_cli.h"
#include "wm_cli_run.h"
#include "wm_cli_text.h"
#include "wm_engine.h"
#include "wm_size.h"
#include "wm_sweep.h"

#define MAX_REPEAT 1000u

typedef struct sweep_args {
    wm_cli_run_args run;
    unsigned repeat;
    char **sizes;            /* as written, argv entries */
    uint64_t *size_bytes;    /* parsed, same order */
    int size_count;
} sweep_args;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wiremeter sweep SIZE... [--repeat N] [options]\n"
            "\n"
            "Runs a captured transfer of each SIZE (N times each) and prints\n"
            "the lab's tables: size -> packets, size -> start, end and total\n"
            "time, with the average packet size; median [min..max] when N > 1.\n"
            "SIZE: %s\n"
            "\n",
            WM_SIZE_FORMS);
    char repeat[64];
    snprintf(repeat, sizeof repeat, "Runs per size (default 1, at most %u).",
             MAX_REPEAT);
    wm_cli_usage_line(out, "repeat", "N", repeat);
    wm_cli_run_usage(out, "size");
    wm_cli_usage_line(out, "pcap", "FILE",
                      "Not available: a sweep writes no pcap.");
    fprintf(out, "\nExit status: 0 every run done, 1 a run failed, 2 bad "
                 "arguments.\n");
}

static const struct option sweep_options[] = {
    {"repeat", required_argument, NULL, WM_OPT_REPEAT},
    {NULL, 0, NULL, 0},
};

static int parse_repeat(const char *value, unsigned *repeat, wm_error *err)
{
    char *end = NULL;
    unsigned long n = strtoul(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || *end || n < 1 || n > MAX_REPEAT)
        return wm_error_param(err, WM_ERR_INVALID, "repeat",
                              "repeat: '%.64s' is not valid; allowed: 1 to %u",
                              value, MAX_REPEAT);
    *repeat = (unsigned)n;
    return 0;
}

/* Every size is checked before the first run, so a typo in the last one
 * does not surface minutes into the sweep. */
static int parse_sizes(sweep_args *args, wm_error *err)
{
    if (args->size_count == 0)
        return wm_error_param(err, WM_ERR_INVALID, "size",
                              "at least one size is required; expected %s",
                              WM_SIZE_FORMS);
    args->size_bytes = calloc((size_t)args->size_count, sizeof(uint64_t));
    if (!args->size_bytes)
        return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    for (int i = 0; i < args->size_count; i++) {
        wm_run_request probe = args->run.request;
        if (wm_params_set(&probe, "size", args->sizes[i], &args->run.limits,
                          err) != 0 ||
            wm_params_check_budget(&probe, &args->run.limits.budget,
                                   err) != 0)
            return -1;
        args->size_bytes[i] = probe.config.transfer.size_bytes;
    }
    return 0;
}

/* 0 to go on, -1 after --help, or the exit status of a usage error. */
static int parse(int argc, char **argv, sweep_args *args)
{
    wm_error err = {0};
    int code;
    struct option options[WM_CLI_MAX_OPTIONS];
    wm_cli_run_options(argv, "wiremeter sweep", options, WM_CLI_MAX_OPTIONS, sweep_options, "size");
    while ((code = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        int rc = 0;
        if (code == WM_OPT_HELP)
            return usage(stdout), -1;
        if (code == '?' || code == ':')
            return usage(stderr), 2;
        if (code == WM_OPT_REPEAT)
            rc = parse_repeat(optarg, &args->repeat, &err);
        else if (code == WM_OPT_PCAP)
            rc = wm_error_param(&err, WM_ERR_INVALID, "pcap",
                                "--pcap is not available for a sweep; use "
                                "wiremeter run --pcap");
        else if (wm_cli_run_option(&args->run, code, optarg, &err) == 1)
            rc = wm_error_set(&err, WM_ERR_INVALID, "unexpected option");
        if (rc != 0)
            return wm_cli_run_usage_error("sweep", &err);
    }
    args->sizes = argv + optind;
    args->size_count = argc - optind;
    if (wm_cli_run_rights(&args->run, "sweep", &err) != 0) {
        fprintf(stderr, "wiremeter sweep: %s\n", err.message);
        return 1;
    }
    if (wm_cli_run_apply(&args->run, &err) != 0 || parse_sizes(args, &err))
        return wm_cli_run_usage_error("sweep", &err);
    /* The whole set is checked once, with the first size, before any run. */
    wm_run_request probe = args->run.request;
    if (wm_params_set(&probe, "size", args->sizes[0], &args->run.limits,
                      &err) != 0 ||
        wm_params_finish(&probe, &err) != 0)
        return wm_cli_run_usage_error("sweep", &err);
    return 0;
}

static int run_one(sweep_args *args, int index, unsigned round,
                   wm_sweep_table *table)
{
    wm_error err = {0};
    wm_run_request request = args->run.request;
    const char *text = args->sizes[index];
    uint64_t bytes = args->size_bytes[index];
    json_t *report = NULL;
    if (wm_params_set(&request, "size", text, &args->run.limits, &err) == 0 &&
        wm_params_finish(&request, &err) == 0)
        report = wm_cli_run_once(&args->run, &request, &err);
    int rc = report ? wm_sweep_table_add(table, bytes, text, report, &err)
                    : -1;
    json_decref(report);
    if (rc != 0) {
        fprintf(stderr, "wiremeter sweep: %s, run %u: %s\n", text, round + 1,
                err.message);
        wm_sweep_table_add_failed(table, bytes, text, NULL);
        return -1;
    }
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "wiremeter sweep: %s, run %u of %u done\n", text,
                round + 1, args->repeat);
    return 0;
}

/* The tables as JSON, or as text printed from that same JSON. */
static int print(const sweep_args *args, const wm_sweep_table *table)
{
    json_t *rows = wm_sweep_table_json(table);
    json_t *doc = rows ? json_pack("{s:i,s:I,s:o}", "schema",
                                   WM_ENGINE_SCHEMA, "repeat",
                                   (json_int_t)args->repeat, "table", rows)
                       : NULL;
    if (!doc)
        return fprintf(stderr, "wiremeter sweep: out of memory\n"), -1;
    if (args->run.json) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        wm_cli_text_sweep(json_object_get(doc, "table"), stdout);
    }
    json_decref(doc);
    return 0;
}

static int sweep(sweep_args *args)
{
    wm_sweep_table *table = wm_sweep_table_new();
    if (!table)
        return fprintf(stderr, "wiremeter sweep: out of memory\n"), 1;
    /* One capture handle serves every run: opening one costs more than
     * a small run (wm_capture_pool). */
    wm_capture_pool *pool = NULL;
    wm_error err = {0};
    if (wm_capture_pool_new(WM_CAPTURE_POOL_DEFAULT_BYTES, &pool, &err) != 0)
        fprintf(stderr, "wiremeter sweep: %s; each run opens its own\n",
                err.message);
    args->run.request.config.capture.pool = pool;
    int failed = 0;
    /* Rows appear in the order the sizes were given, failed or not. */
    size_t count = (size_t)args->size_count;
    for (size_t k = 0; k < count * args->repeat; k++)
        failed |= run_one(args, (int)wm_sweep_size_index(k, count),
                          (unsigned)(k / count), table) != 0;
    args->run.request.config.capture.pool = NULL;
    wm_capture_pool_free(pool);
    int rc = print(args, table);
    wm_sweep_table_free(table);
    return failed || rc || fflush(stdout) != 0 ? 1 : 0;
}

int wm_cli_sweep(int argc, char **argv)
{
    sweep_args *args = calloc(1, sizeof *args);
    if (!args)
        return fprintf(stderr, "wiremeter sweep: out of memory\n"), 1;
    wm_cli_run_args_init(&args->run);
    args->repeat = 1;
    int status = parse(argc, argv, args);
    if (status == 0)
        status = sweep(args);
    else if (status < 0)
        status = 0;
    free(args->size_bytes);
    free(args);
    return status;
}
