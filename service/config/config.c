/* wm_config: see wm_config.h.
 *
 * One table describes every setting (flag, variable, kind, bounds,
 * default), so the usage text, the defaults, the environment and the flags
 * cannot drift apart: the defaults are applied through the same parser as
 * a flag, and the words of "allowed" are made from the bounds. */
#include "wm_config.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wm_budget.h"
#include "wm_series.h"
#include "wm_size.h"
#include "wm_transfer.h"
#include "wm_userns.h"

#define FALLBACK_WEB_ROOT "/usr/share/wiremeter/web"

typedef enum opt_kind {
    OPT_STRING, OPT_UINT, OPT_SIZE, OPT_BOOL, OPT_LISTEN
} opt_kind;

typedef struct opt_spec {
    const char *flag, *env;
    opt_kind kind;
    size_t offset;   /* into wm_config */
    size_t length;   /* buffer size for strings, field size for numbers */
    uint64_t min, max;   /* numbers: bounds; strings: least length */
    const char *def;     /* the default, as the flag would be given; NULL
                            when it depends on the machine (help says) */
    const char *help;
} opt_spec;

#define FIELD(f) offsetof(wm_config, f), sizeof(((wm_config *)0)->f)

static const opt_spec opts[] = {
    {"--listen", "WIREMETER_LISTEN", OPT_LISTEN, FIELD(listen), 1, 0,
     "127.0.0.1:8080", "ADDR:PORT to listen on, [::1]:PORT for IPv6"},
    {"--data-dir", "WIREMETER_DATA_DIR", OPT_STRING, FIELD(data_dir), 1, 0,
     NULL, "run store and pcaps ($XDG_DATA_HOME/wiremeter)"},
    {"--max-size", "WIREMETER_MAX_SIZE", OPT_SIZE, FIELD(max_size_bytes), 0,
     UINT64_MAX, NULL, "largest transfer a run may ask for"},
    {"--max-packets", "WIREMETER_MAX_PACKETS", OPT_UINT, FIELD(max_packets),
     1, WM_BUDGET_PACKETS_MAX, NULL, "packets a run may capture (its disk and time grow "
     "with them)"},
    {"--max-pcap", "WIREMETER_MAX_PCAP", OPT_SIZE, FIELD(max_pcap_bytes),
     WM_BUDGET_PCAP_MIN, UINT64_MAX, NULL, "largest pcap a run may write"},
    {"--max-duration", "WIREMETER_MAX_DURATION", OPT_UINT,
     FIELD(max_duration_s), 1, WM_BUDGET_DURATION_MAX_S, NULL, "seconds a run may take"},
    {"--series-samples", "WIREMETER_SERIES_SAMPLES", OPT_UINT,
     FIELD(series_samples), WM_SERIES_MIN_BOUND, WM_SERIES_MAX_SAMPLES, NULL,
     "TCP_INFO samples a run's time series keeps (truncated beyond)"},
    {"--series-points", "WIREMETER_SERIES_POINTS", OPT_UINT,
     FIELD(series_points), WM_SERIES_MIN_BOUND, WM_SERIES_MAX_POINTS, NULL,
     "rows of each capture table of a run's time series (truncated "
     "beyond)"},
    {"--workers", "WIREMETER_WORKERS", OPT_UINT, FIELD(workers), 1, 256,
     NULL, "concurrent runs (the number of cores)"},
    {"--queue", "WIREMETER_QUEUE", OPT_UINT, FIELD(queue_length), 1, 100000,
     "64", "runs waiting for a worker"},
    {"--max-wait", "WIREMETER_MAX_WAIT", OPT_UINT, FIELD(max_wait_s), 0,
     86400, "300", "longest wait= in seconds"},
    {"--history", "WIREMETER_HISTORY", OPT_UINT, FIELD(history_runs), 1,
     100000000, "1000", "runs kept before the oldest are removed, in "
     "batches of up to N/64 (at most 16) from 64 on (and as many uploaded "
     "captures, counted apart)"},
    {"--min-free", "WIREMETER_MIN_FREE", OPT_SIZE, FIELD(min_free_bytes), 0,
     UINT64_MAX, "64MiB",
     "free space the data directory keeps: new runs get 507 below it"},
    {"--inline-max", "WIREMETER_INLINE_MAX", OPT_SIZE, FIELD(inline_max_bytes),
     0, 16u << 20, "256KiB",
     "a run's pcap, packet rows or time series up to this size is kept in "
     "the database, not as a file (0: always files)"},
    {"--here-max", "WIREMETER_HERE_MAX", OPT_SIZE, FIELD(here_max_bytes), 0,
     WM_TRANSFER_ONE_THREAD_MAX_BYTES, "1KiB",
     "a POST /runs that waits for a loopback run up to this size runs it "
     "on the request's own thread when a worker is free and none waits "
     "(0: always a worker; at most 1KiB, the runs whose two ends share "
     "one thread)"},
    {"--token", "WIREMETER_TOKEN", OPT_STRING, FIELD(token), 1, 0, NULL,
     "bearer token that POST and DELETE require (16+ characters)"},
    {"--token-file", "WIREMETER_TOKEN_FILE", OPT_STRING, FIELD(token_file),
     1, 0, NULL, "file holding the token (safer than --token: ps shows "
     "arguments)"},
    {"--protect-reads", "WIREMETER_PROTECT_READS", OPT_BOOL,
     FIELD(protect_reads), 0, 1, "false",
     "the token guards reads too (all but /healthz and the page)"},
    {"--open", "WIREMETER_OPEN", OPT_BOOL, FIELD(open), 0, 1, "false",
     "accept running without a token on a non-loopback address"},
    {"--allowed-hosts", "WIREMETER_ALLOWED_HOSTS", OPT_STRING,
     FIELD(allowed_hosts), 0, 0, NULL,
     "Host names served besides localhost, 127.0.0.1, [::1] and the "
     "--listen host on its port: HOST[:PORT],... or * for any (421 else)"},
    {"--web-root", "WIREMETER_WEB_ROOT", OPT_STRING, FIELD(web_root), 1, 0,
     NULL, "directory of the chart page"},
    {"--chartjs", "WIREMETER_CHARTJS", OPT_STRING, FIELD(chartjs_path), 1, 0,
     "/usr/share/javascript/chart.js/chart.min.js",
     "Chart.js served at /vendor/chart.js"},
    {"--interface", "WIREMETER_INTERFACE", OPT_STRING, FIELD(interface), 1,
     0, "lo", "capture interface"},
    {"--user-namespace", "WIREMETER_USER_NAMESPACE", OPT_STRING,
     FIELD(user_namespace), 1, 0, "auto",
     "run in a user and network namespace of its own, where links and "
     "capture need no root (auto: only without CAP_SYS_ADMIN and "
     "CAP_NET_ADMIN; always: root too)"},
    {"--drain", "WIREMETER_DRAIN", OPT_UINT, FIELD(drain_s), 0, 86400, "30",
     "seconds running runs may finish at shutdown"},
    {"--max-body", "WIREMETER_MAX_BODY", OPT_SIZE, FIELD(max_body_bytes), 1,
     64u << 20, "64KiB", "largest request body"},
    {"--max-upload", "WIREMETER_MAX_UPLOAD", OPT_SIZE,
     FIELD(max_upload_bytes), 24, (uint64_t)1 << 40, "256MiB",
     "largest capture uploaded to POST /captures (streamed to the data "
     "directory, never held in memory)"},
    {"--capture-wait", "WIREMETER_CAPTURE_WAIT", OPT_UINT,
     FIELD(capture_wait_s), 0, 3600, "2",
     "seconds POST /captures waits for the analysis: 201 with it, else 202 "
     "and it goes on"},
    {"--max-url", "WIREMETER_MAX_URL", OPT_SIZE, FIELD(max_url_bytes), 64,
     16384, "4KiB", "longest request target"},
    {"--max-connections", "WIREMETER_MAX_CONNECTIONS", OPT_UINT,
     FIELD(max_connections), 1, 10000, "256", "concurrent HTTP connections"},
    {"--max-connections-per-ip", "WIREMETER_MAX_CONNECTIONS_PER_IP",
     OPT_UINT, FIELD(max_connections_per_ip), 1, 10000, "64",
     "concurrent HTTP connections from one client address (429 beyond)"},
    {"--header-timeout", "WIREMETER_HEADER_TIMEOUT", OPT_UINT,
     FIELD(header_timeout_s), 1, 3600, "10",
     "seconds a request head may take to arrive whole (408 after)"},
};

#define N_OPTS (sizeof opts / sizeof opts[0])

/* Text settings that take only some words (NULL-ended lists, each kept
 * by the module that reads the setting). */
static const struct {
    const char *flag;
    const char *const *choices;
} choice_opts[] = {
    {"--user-namespace", wm_userns_policies},
};

static const char *const *choices_of(const opt_spec *o)
{
    for (size_t i = 0; i < sizeof choice_opts / sizeof choice_opts[0]; i++)
        if (strcmp(choice_opts[i].flag, o->flag) == 0)
            return choice_opts[i].choices;
    return NULL;
}

static const char *const bool_allowed = "1, 0, true, false, yes or no";

/* What a setting allows, in words made from its bounds. */
static void allowed_text(const opt_spec *o, char *buf, size_t len)
{
    char min[32], max[32];
    switch (o->kind) {
    case OPT_BOOL:
        snprintf(buf, len, "%s", bool_allowed);
        return;
    case OPT_LISTEN:
        snprintf(buf, len, "HOST:PORT, [IPv6]:PORT or :PORT");
        return;
    case OPT_STRING:
        if (choices_of(o)) {
            const char *const *c = choices_of(o);
            size_t used = 0;
            buf[0] = '\0';
            for (size_t i = 0; c[i] && used < len; i++)
                used += (size_t)snprintf(buf + used, len - used, "%s%s",
                                         i == 0 ? "" : c[i + 1] ? ", " : " or ",
                                         c[i]);
            return;
        }
        snprintf(buf, len, "a text of %" PRIu64 " to %zu bytes", o->min,
                 o->length - 1);
        return;
    case OPT_SIZE:
        /* Units are what a bad size most often gets wrong: name them. */
        wm_size_format(o->min, min, sizeof min);
        wm_size_format(o->max, max, sizeof max);
        if (o->max == UINT64_MAX)
            snprintf(buf, len, "%s or more, with a unit: B, kB, MB, GB, KiB, "
                               "MiB or GiB", min);
        else
            snprintf(buf, len, "%s to %s, with a unit: B, kB, MB, GB, KiB, "
                               "MiB or GiB", min, max);
        return;
    case OPT_UINT:
        snprintf(buf, len, "%" PRIu64 " to %" PRIu64, o->min, o->max);
        return;
    }
}

static void default_data_dir(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        snprintf(buf, len, "%s/wiremeter", xdg);
    else if (home && home[0])
        snprintf(buf, len, "%s/.local/share/wiremeter", home);
    else
        snprintf(buf, len, "/var/lib/wiremeter");
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The page shipped with the source tree when run from a build, the
 * installed copy beside the binary, then the Debian location. */
static void default_web_root(char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (is_dir(WM_DEFAULT_WEB_ROOT)) {
        snprintf(buf, len, "%s", WM_DEFAULT_WEB_ROOT);
        return;
    }
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            int w = snprintf(buf, len, "%s/../share/wiremeter/web", exe);
            if (w > 0 && (size_t)w < len && is_dir(buf))
                return;
        }
    }
    snprintf(buf, len, "%s", FALLBACK_WEB_ROOT);
}

static int bad(wm_error *err, const opt_spec *o, const char *source,
               const char *value)
{
    char allowed[160];
    allowed_text(o, allowed, sizeof allowed);
    return wm_error_param(err, WM_ERR_INVALID, o->flag + 2,
                          "%s: '%.64s' is not valid; allowed: %s", source,
                          value, allowed);
}

static int parse_number(const opt_spec *o, const char *source,
                        const char *value, uint64_t *out, wm_error *err)
{
    uint64_t n = 0;
    if (o->kind == OPT_SIZE) {
        if (wm_size_parse(value, UINT64_MAX, &n, NULL) != 0)
            return bad(err, o, source, value);
    } else {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (value[0] < '0' || value[0] > '9' || errno || *end)
            return bad(err, o, source, value);
        n = v;
    }
    if (n < o->min || n > o->max)
        return bad(err, o, source, value);
    *out = n;
    return 0;
}

static int store_number(wm_config *cfg, const opt_spec *o, uint64_t n)
{
    char *field = (char *)cfg + o->offset;
    if (o->length == sizeof(uint64_t)) {
        uint64_t v = n;
        memcpy(field, &v, sizeof v);
    } else {
        unsigned v = (unsigned)n;
        memcpy(field, &v, sizeof v);
    }
    return 0;
}

static int parse_bool(const opt_spec *o, const char *source,
                      const char *value, bool *out, wm_error *err)
{
    if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes"))
        *out = true;
    else if (!strcmp(value, "0") || !strcmp(value, "false") ||
             !strcmp(value, "no") || !strcmp(value, ""))
        *out = false;
    else
        return bad(err, o, source, value);
    return 0;
}

/* Sets one option from a flag (source "--x") or a variable (source "X"). */
static int apply(wm_config *cfg, const opt_spec *o, const char *source,
                 const char *value, wm_error *err)
{
    char *field = (char *)cfg + o->offset;
    uint64_t n = 0;
    switch (o->kind) {
    case OPT_BOOL:
        return parse_bool(o, source, value, (bool *)(void *)field, err);
    case OPT_UINT:
    case OPT_SIZE:
        if (parse_number(o, source, value, &n, err) != 0)
            return -1;
        return store_number(cfg, o, n);
    case OPT_STRING:
    case OPT_LISTEN:
        if (strlen(value) < o->min || strlen(value) >= o->length)
            return bad(err, o, source, value);
        for (const char *const *c = choices_of(o); c && strcmp(value, *c);)
            if (!*++c)
                return bad(err, o, source, value);
        memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    return 0;
}

/* The table's defaults, then those that depend on the machine. A default
 * the table cannot parse is a bug of this build, caught by the tests. */
static int set_defaults(wm_config *cfg, wm_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_OPTS; i++)
        if (opts[i].def && apply(cfg, &opts[i], "default", opts[i].def,
                                 err) != 0)
            return -1;
    cfg->max_size_bytes = WM_SIZE_DEFAULT_MAX; /* the engine's own */
    wm_budget budget; /* the engine's too, the command line's as well */
    wm_budget_default(&budget);
    cfg->max_packets = budget.max_packets;
    cfg->max_pcap_bytes = budget.max_pcap_bytes;
    cfg->max_duration_s = budget.max_duration_ms / 1000;
    cfg->series_samples = budget.max_series_samples;
    cfg->series_points = budget.max_series_points;
    default_data_dir(cfg->data_dir, sizeof cfg->data_dir);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->workers = cores > 0 && cores <= 256 ? (unsigned)cores : 1;
    default_web_root(cfg->web_root, sizeof cfg->web_root);
    return 0;
}

static int load_env(wm_config *cfg, wm_error *err)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        const char *value = getenv(opts[i].env);
        if (value && apply(cfg, &opts[i], opts[i].env, value, err) != 0)
            return -1;
    }
    return 0;
}

static const opt_spec *find_flag(const char *arg, size_t len)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strlen(opts[i].flag) == len && !strncmp(opts[i].flag, arg, len))
            return &opts[i];
    return NULL;
}

/* "--flag value" and "--flag=value"; --open alone means true. */
static int load_args(wm_config *cfg, int argc, char **argv, wm_error *err)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--print-routes")) {
            cfg->print_routes = true;
            continue;
        }
        if (!strcmp(arg, "--print-openapi")) {
            cfg->print_openapi = true;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const opt_spec *o = find_flag(arg, len);
        if (!o)
            return wm_error_param(err, WM_ERR_INVALID, "serve",
                                  "unknown option '%.64s' (see "
                                  "`wiremeter serve --help`)", arg);
        const char *value = eq ? eq + 1 : NULL;
        if (!value && o->kind == OPT_BOOL)
            value = "1";
        else if (!value && i + 1 < argc)
            value = argv[++i];
        else if (!value)
            return wm_error_param(err, WM_ERR_INVALID, o->flag + 2,
                                  "%s needs a value: %s", o->flag, o->help);
        if (apply(cfg, o, o->flag, value, err) != 0)
            return -1;
        if (o->offset == offsetof(wm_config, token))
            wm_config_hide_argument((char *)value);
    }
    return 0;
}

static bool addr_is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (every interface). */
static int resolve_listen(wm_config *cfg, wm_error *err)
{
    static const char *allowed = "HOST:PORT, [IPv6]:PORT or :PORT, e.g. "
                                 "127.0.0.1:8080 or [::1]:8080";
    char host[128];
    const char *colon = strrchr(cfg->listen, ':');
    const char *text = cfg->listen;
    if (!colon)
        return wm_error_param(err, WM_ERR_INVALID, "listen",
                              "--listen: '%s' is not valid; allowed: %s",
                              text, allowed);
    size_t hlen = (size_t)(colon - text);
    if (hlen >= 2 && text[0] == '[' && text[hlen - 1] == ']')
        text++, hlen -= 2;
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end || errno || port > 65535)
        return wm_error_param(err, WM_ERR_INVALID, "listen",
                              "--listen: port '%s' is not valid; allowed: "
                              "0 to 65535", colon + 1);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(hlen ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0 || !res)
        return wm_error_param(err, WM_ERR_INVALID, "listen",
                              "--listen: cannot resolve '%s': %s; allowed: %s",
                              host, gai_strerror(rc), allowed);
    memcpy(&cfg->addr, res->ai_addr, res->ai_addrlen);
    cfg->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    cfg->loopback = addr_is_loopback(&cfg->addr);
    return 0;
}

/* A setting's value in cfg, as its flag would give it ("none" when
 * empty). */
static void value_text(const wm_config *cfg, const opt_spec *o, char *buf,
                       size_t len)
{
    const char *field = (const char *)cfg + o->offset;
    uint64_t n = 0;
    unsigned u = 0;
    switch (o->kind) {
    case OPT_BOOL:
        snprintf(buf, len, "%s", *(const bool *)(const void *)field ? "true"
                                                                    : "false");
        return;
    case OPT_STRING:
    case OPT_LISTEN:
        snprintf(buf, len, "%s", field[0] ? field : "none");
        return;
    case OPT_SIZE:
    case OPT_UINT:
        if (o->length == sizeof n)
            memcpy(&n, field, sizeof n);
        else
            memcpy(&u, field, sizeof u), n = u;
        if (o->kind == OPT_SIZE)
            wm_size_format(n, buf, len);
        else
            snprintf(buf, len, "%" PRIu64, n);
        return;
    }
}

void wm_config_budget(const wm_config *cfg, wm_budget *out)
{
    out->max_packets = cfg->max_packets;
    out->max_pcap_bytes = cfg->max_pcap_bytes;
    out->max_duration_ms = cfg->max_duration_s * 1000u;
    out->max_series_samples = cfg->series_samples;
    out->max_series_points = cfg->series_points;
}

void wm_config_usage(FILE *out)
{
    wm_config defaults;
    if (set_defaults(&defaults, NULL) != 0)
        memset(&defaults, 0, sizeof defaults);
    fprintf(out, "usage: wiremeter serve [options]\n\n"
                 "Each option may also be set by its environment variable; "
                 "the option wins. Defaults are this machine's.\n\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        char allowed[160], value[PATH_MAX], text[PATH_MAX + 256];
        allowed_text(&opts[i], allowed, sizeof allowed);
        value_text(&defaults, &opts[i], value, sizeof value);
        snprintf(text, sizeof text, "default %s; allowed: %s", value,
                 allowed);
        fprintf(out, "  %-18s %-26s %s\n  %-45s %s\n", opts[i].flag,
                opts[i].env, opts[i].help, "", text);
    }
    fprintf(out, "  %-18s %-26s %s\n", "--print-routes", "",
            "list the HTTP routes and exit");
    fprintf(out, "  %-18s %-26s %s\n", "--print-openapi", "",
            "print the OpenAPI document (docs/openapi.json) and exit");
}

int wm_config_load(wm_config *cfg, int argc, char **argv, wm_error *err)
{
    if (set_defaults(cfg, err) != 0)
        return -1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            wm_config_usage(stdout);
            return WM_CONFIG_EXIT;
        }
    if (load_env(cfg, err) != 0 || load_args(cfg, argc, argv, err) != 0 ||
        wm_config_access_load(cfg, err) != 0)
        return -1;
    return resolve_listen(cfg, err) != 0 ? -1 : WM_CONFIG_RUN;
}

int wm_config_check_exposure(const wm_config *cfg, wm_error *err)
{
    if (cfg->loopback || cfg->token[0] || cfg->open)
        return 0;
    return wm_error_param(
        err, WM_ERR_INVALID, "listen",
        "refusing to listen on %s, which is not a loopback address, without "
        "a token: anyone who can reach it could start captures. Set --token "
        "(WIREMETER_TOKEN) so that POST and DELETE need it, or pass --open "
        "(WIREMETER_OPEN=1) to accept an open service",
        cfg->listen);
}
