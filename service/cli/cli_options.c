/* wm_cli_run: see wm_cli_run.h. The options and their usage lines are
 * made from the run parameter table when a command starts. */
#include "wm_cli_run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "wm_engine.h"
#include "wm_series.h"
#include "wm_size.h"
#include "wm_userns.h"

#define USAGE_WIDTH 79
#define USAGE_INDENT 23 /* where the help column starts */

static const struct option shared_options[] = {
    {"interface", required_argument, NULL, WM_OPT_INTERFACE},
    {"pcap", required_argument, NULL, WM_OPT_PCAP},
    {"max-size", required_argument, NULL, WM_OPT_MAX_SIZE},
    {"max-packets", required_argument, NULL, WM_OPT_MAX_PACKETS},
    {"max-pcap", required_argument, NULL, WM_OPT_MAX_PCAP},
    {"max-duration", required_argument, NULL, WM_OPT_MAX_DURATION},
    {"series-samples", required_argument, NULL, WM_OPT_SERIES_SAMPLES},
    {"series-points", required_argument, NULL, WM_OPT_SERIES_POINTS},
    {"user-namespace", required_argument, NULL, WM_OPT_USER_NAMESPACE},
    {"json", no_argument, NULL, WM_OPT_JSON},
    {"packets", no_argument, NULL, WM_OPT_PACKETS},
    {"help", no_argument, NULL, WM_OPT_HELP},
};
#define SHARED_COUNT (sizeof shared_options / sizeof shared_options[0])

/* Appends one entry; a table too small for the parameters is a bug of
 * this build, not something a user can cause, so it stops the program. */
static void put(struct option *out, size_t cap, size_t *n, struct option o)
{
    if (*n + 1 >= cap) {
        fprintf(stderr, "wiremeter: WM_CLI_MAX_OPTIONS is too small\n");
        abort();
    }
    out[(*n)++] = o;
}

void wm_cli_run_options(char **argv, const char *command, struct option *out,
                        size_t cap, const struct option *own,
                        const char *without)
{
    optind = 0; /* glibc: a full reset, so a second call parses afresh */
    opterr = 1;
    argv[0] = (char *)command; /* getopt names argv[0] in its messages */
    size_t n = 0;
    for (size_t i = 0; own && own[i].name; i++)
        put(out, cap, &n, own[i]);
    const wm_param_spec *specs = wm_params_specs();
    for (int i = 0; specs[i].name; i++)
        if (!without || strcmp(specs[i].name, without) != 0)
            put(out, cap, &n,
                (struct option){specs[i].name,
                                specs[i].metavar ? required_argument
                                                 : no_argument,
                                NULL, WM_OPT_PARAM_FIRST + i});
    for (size_t i = 0; i < SHARED_COUNT; i++)
        put(out, cap, &n, shared_options[i]);
    out[n] = (struct option){0};
}

void wm_cli_usage_line(FILE *out, const char *flag, const char *metavar,
                       const char *text)
{
    char head[64];
    snprintf(head, sizeof head, "  %s%s%s%s", flag[0] == '-' ? "" : "--",
             flag, metavar ? " " : "", metavar ? metavar : "");
    int column = fprintf(out, "%-*s", USAGE_INDENT - 1, head);
    if (column > USAGE_INDENT - 1) /* a long head: its help goes below */
        column = fprintf(out, "\n%*s", USAGE_INDENT - 1, "") - 1;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (column + 1 + (int)word > USAGE_WIDTH && column > USAGE_INDENT)
            column = fprintf(out, "\n%*s", USAGE_INDENT - 1, "") - 1;
        column += fprintf(out, " %.*s", (int)word, text);
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', out);
}

/* The budget's options, their defaults the engine's (wm_budget.h). */
static void budget_usage(FILE *out)
{
    wm_budget b;
    wm_budget_default(&b);
    char pcap[32], text[160];
    wm_size_format(b.max_pcap_bytes, pcap, sizeof pcap);
    snprintf(text, sizeof text, "Packets the run may capture (default %"
             PRIu64 "); more fail it, and a size that must make more is "
             "refused.", b.max_packets);
    wm_cli_usage_line(out, "max-packets", "N", text);
    snprintf(text, sizeof text, "Largest pcap the run may write (default "
             "%s).", pcap);
    wm_cli_usage_line(out, "max-pcap", "SIZE", text);
    snprintf(text, sizeof text, "Seconds the run may take (default %u).",
             b.max_duration_ms / 1000);
    wm_cli_usage_line(out, "max-duration", "SECONDS", text);
    snprintf(text, sizeof text, "TCP_INFO samples its time series keeps "
             "(default and most %u); past them it is truncated.",
             b.max_series_samples);
    wm_cli_usage_line(out, "series-samples", "N", text);
    snprintf(text, sizeof text, "Rows of each capture table of its time "
             "series (default and most %u); past them it is truncated.",
             b.max_series_points);
    wm_cli_usage_line(out, "series-points", "N", text);
}

void wm_cli_run_usage(FILE *out, const char *without)
{
    for (const wm_param_spec *s = wm_params_specs(); s->name; s++) {
        if (without && strcmp(s->name, without) == 0)
            continue;
        char text[512];
        /* A switch's allowed words are its own spelling: leave them out. */
        snprintf(text, sizeof text, s->metavar ? "%s Allowed: %s." : "%s",
                 s->description, s->allowed);
        wm_cli_usage_line(out, s->name, s->metavar, text);
    }
    wm_run_request defaults;
    wm_params_init(&defaults);
    char max[32], text[96];
    wm_size_format(WM_SIZE_DEFAULT_MAX, max, sizeof max);
    snprintf(text, sizeof text, "Capture interface (default %s).",
             defaults.config.capture.interface);
    wm_cli_usage_line(out, "interface", "NAME", text);
    snprintf(text, sizeof text, "Largest size accepted (default %s).", max);
    wm_cli_usage_line(out, "max-size", "SIZE", text);
    budget_usage(out);
    wm_cli_usage_line(out, "user-namespace", "POLICY",
                      "auto (default), always or never: run in a user and "
                      "network namespace of this process's own, where link "
                      "paths and capture need no root (auto: only without "
                      "CAP_SYS_ADMIN and CAP_NET_ADMIN; always: root too), "
                      "as `wiremeter serve` does.");
    wm_cli_usage_line(out, "json", NULL, "Print the result as JSON (docs/result.md).");
    wm_cli_usage_line(out, "packets", NULL, "Include the whole packet list.");
    wm_cli_usage_line(out, "-h, --help", NULL, "This help.");
}

void wm_cli_run_args_init(wm_cli_run_args *args)
{
    memset(args, 0, sizeof *args);
    wm_params_init(&args->request);
    args->limits.max_size_bytes = WM_SIZE_DEFAULT_MAX;
    wm_budget_default(&args->limits.budget);
    args->user_namespace = WM_USERNS_AUTO;
}

static int set_user_namespace(wm_cli_run_args *args, const char *value,
                              wm_error *err)
{
    int policy = wm_userns_policy_parse(value);
    if (policy < 0) {
        char allowed[64] = "";
        for (int i = 0; wm_userns_policies[i]; i++) {
            size_t used = strlen(allowed);
            snprintf(allowed + used, sizeof allowed - used, "%s%s",
                     i ? ", " : "", wm_userns_policies[i]);
        }
        return wm_error_param(err, WM_ERR_INVALID, "user-namespace",
                              "user-namespace: '%.64s' is not valid; "
                              "allowed: %s", value, allowed);
    }
    args->user_namespace = policy;
    return 0;
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

/* --max-packets N, --max-pcap SIZE, --max-duration SECONDS,
 * --series-samples N, --series-points N: the same bounds as the daemon's
 * flags. */
static int set_budget(wm_budget *b, int code, const char *value,
                      wm_error *err)
{
    uint64_t n = 0;
    char *end = NULL;
    bool number = value[0] >= '0' && value[0] <= '9';
    if (code == WM_OPT_MAX_PCAP) {
        if (wm_size_parse(value, UINT64_MAX, &n, NULL) != 0 || n < WM_BUDGET_PCAP_MIN)
            return wm_error_param(err, WM_ERR_INVALID, "max-pcap",
                                  "max-pcap: '%.64s' is not valid; expected "
                                  "1KiB or more, %s", value, WM_SIZE_FORMS);
        b->max_pcap_bytes = n;
        return 0;
    }
    uint64_t min = 1, max = WM_BUDGET_DURATION_MAX_S;
    const char *name = "max-duration";
    if (code == WM_OPT_MAX_PACKETS)
        max = WM_BUDGET_PACKETS_MAX, name = "max-packets";
    else if (code == WM_OPT_SERIES_SAMPLES)
        min = WM_SERIES_MIN_BOUND, max = WM_SERIES_MAX_SAMPLES,
        name = "series-samples";
    else if (code == WM_OPT_SERIES_POINTS)
        min = WM_SERIES_MIN_BOUND, max = WM_SERIES_MAX_POINTS,
        name = "series-points";
    errno = 0;
    n = number ? strtoull(value, &end, 10) : 0;
    if (!number || errno || *end || n < min || n > max)
        return wm_error_param(err, WM_ERR_INVALID, name,
                              "%s: '%.64s' is not valid; allowed: %" PRIu64
                              " to %" PRIu64, name, value, min, max);
    if (code == WM_OPT_MAX_PACKETS)
        b->max_packets = n;
    else if (code == WM_OPT_SERIES_SAMPLES)
        b->max_series_samples = (uint32_t)n;
    else if (code == WM_OPT_SERIES_POINTS)
        b->max_series_points = (uint32_t)n;
    else
        b->max_duration_ms = (uint32_t)n * 1000u;
    return 0;
}

int wm_cli_run_option(wm_cli_run_args *args, int code, const char *value,
                      wm_error *err)
{
    if (code >= WM_OPT_PARAM_FIRST) {
        const wm_param_spec *spec =
            &wm_params_specs()[code - WM_OPT_PARAM_FIRST];
        /* A switch takes no value; the table spells it as a boolean. */
        return pend(args, spec->name, spec->metavar ? value : "true", err);
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
    case WM_OPT_USER_NAMESPACE:
        return set_user_namespace(args, value, err);
    case WM_OPT_MAX_PACKETS:
    case WM_OPT_MAX_PCAP:
    case WM_OPT_MAX_DURATION:
    case WM_OPT_SERIES_SAMPLES:
    case WM_OPT_SERIES_POINTS:
        return set_budget(&args->limits.budget, code, value, err);
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
    args->request.config.capture.budget = args->limits.budget;
    return 0;
}

int wm_cli_run_rights(const wm_cli_run_args *args, const char *command,
                      wm_error *err)
{
    wm_userns_state state;
    wm_userns_enter((wm_userns_policy)args->user_namespace, &state);
    if (state.stranded)
        return wm_error_set(err, WM_ERR_INTERNAL, "entering a user namespace "
                            "failed half way (%.400s): try --user-namespace "
                            "never", state.why);
    /* Root on the host is what the command line always was: nothing to
     * say. Otherwise a failed capture or link would not say why. */
    if (state.mode != WM_USERNS_MODE_HOST)
        fprintf(stderr, "wiremeter %s: rights: %s: %s\n", command,
                wm_userns_mode_name(state.mode), state.why);
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
    return wm_engine_run(request, NULL, NULL,
                         args->packets ? WM_ENGINE_PACKETS : 0, err);
}
