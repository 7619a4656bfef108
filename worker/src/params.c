/* wm_params: see wm_params.h.
 *
 * A row says where its value lives (an offset into wm_run_request), how
 * its text is read (its kind, or a parser of its own) and its bounds; the
 * words of "allowed" and of the help, the list of names and the "params"
 * JSON are all made from the rows. The public wm_param_spec array is
 * filled from them once, on first use. */
#include "wm_params.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params_emit.h"
#include "wm_size.h"

typedef enum param_kind {
    KIND_SIZE,     /* the transfer's size: bytes, and the text as written */
    KIND_BYTES,    /* a size-valued option, uint32_t */
    KIND_UINT,     /* a whole number, uint32_t */
    KIND_BOOL,     /* bool */
    KIND_STRING,   /* char[], checked by the row's own parser */
    KIND_ENUM,     /* an enum whose names are the row's choices */
    KIND_RATE,     /* a bit rate: uint32_t kbit/s, written "100mbit" */
    KIND_PERCENT,  /* a percentage: uint32_t hundredths, written "0.5" */
} param_kind;

typedef struct param_row param_row;
typedef int (*param_parse_fn)(const param_row *row, wm_run_request *request,
                              const char *value, const wm_params_limits *lim,
                              wm_error *err);

struct param_row {
    const char *name;
    param_kind kind;
    size_t offset;          /* of the value in wm_run_request */
    size_t length;          /* its size in bytes */
    uint64_t min, max;      /* bounds of KIND_BYTES and KIND_UINT */
    bool zero_is_default;   /* 0 is allowed below min: "the kernel's" */
    const char *allowed;    /* words; {min} and {max} are filled in */
    const char *help;       /* what it does, without the default */
    const char *default_words; /* the default in words, when its value
                                  alone would not say it; "" for none */
    const char *metavar;    /* NULL for a switch */
    const char *const *choices;
    param_parse_fn parse;   /* NULL: by kind */
};

#define AT(f) offsetof(wm_run_request, f), sizeof(((wm_run_request *)0)->f)

/* A setting's override toward the client and toward the server. */
#define WAY_ROW(name, side, host, kind, member, min, max, zero, allowed,    \
                help, metavar, parse)                                        \
    {name "_to_" host, kind, AT(config.path.toward[side].member), min, max,  \
     zero, allowed, help " toward the " host " (what it receives), "         \
     "overriding " name, "as " name, metavar, NULL, parse}
#define WAY_ROWS(name, kind, member, min, max, zero, allowed, help, metavar, \
                 parse)                                                      \
    WAY_ROW(name, WM_PATH_CLIENT, "client", kind, member, min, max, zero,    \
            allowed, help, metavar, parse),                                  \
    WAY_ROW(name, WM_PATH_SERVER, "server", kind, member, min, max, zero,    \
            allowed, help, metavar, parse)

static const char *const directions[] = {"download", "upload", NULL};
static const char *const path_kinds[] = {"loopback", "link", NULL};
static const char *const bool_words[] = {"true", "false", "1", "0", "yes",
                                         "no", "on", "off", NULL};

static int parse_size(const param_row *row, wm_run_request *request,
                      const char *value, const wm_params_limits *limits,
                      wm_error *err);
static int parse_congestion(const param_row *row, wm_run_request *request,
                            const char *value, const wm_params_limits *lim,
                            wm_error *err);
static int parse_snaplen(const param_row *row, wm_run_request *request,
                         const char *value, const wm_params_limits *lim,
                         wm_error *err);
static int parse_label(const param_row *row, wm_run_request *request,
                       const char *value, const wm_params_limits *lim,
                       wm_error *err);
static int parse_rate(const param_row *row, wm_run_request *request,
                      const char *value, const wm_params_limits *lim,
                      wm_error *err);
static int parse_percent(const param_row *row, wm_run_request *request,
                         const char *value, const wm_params_limits *lim,
                         wm_error *err);
static int parse_preset(const param_row *row, wm_run_request *request,
                        const char *value, const wm_params_limits *lim,
                        wm_error *err);
static int parse_interval(const param_row *row, wm_run_request *request,
                          const char *value, const wm_params_limits *lim,
                          wm_error *err);

/* The table. Order is the order of usage text, OpenAPI and "params". */
static const param_row rows[] = {
    {"size", KIND_SIZE, AT(config.transfer.size_bytes), 0, 0, false,
     WM_SIZE_FORMS, "Bytes to transfer (required)", "", "SIZE", NULL,
     parse_size},
    {"direction", KIND_ENUM, AT(config.transfer.direction), 0, 0, false,
     "download or upload",
     "download: the server sends; upload: the client sends", NULL,
     "download|upload", directions, NULL},
    {"chunk", KIND_BYTES, AT(config.transfer.chunk_bytes), 1,
     WM_TRANSFER_MAX_CHUNK, false, "{min} to {max}, in the size forms",
     "Application write size", NULL, "SIZE", NULL, NULL},
    {"nodelay", KIND_BOOL, AT(config.transfer.nodelay), 0, 0, false,
     "true, false, 1, 0, yes or no", "Set TCP_NODELAY on both sockets", NULL,
     NULL, bool_words, NULL},
    {"sndbuf", KIND_BYTES, AT(config.transfer.sndbuf_bytes), 0,
     WM_TRANSFER_MAX_SOCKBUF, false, "0 (kernel default) to {max}",
     "SO_SNDBUF of both sockets", "0: the kernel's", "SIZE", NULL, NULL},
    {"rcvbuf", KIND_BYTES, AT(config.transfer.rcvbuf_bytes), 0,
     WM_TRANSFER_MAX_SOCKBUF, false, "0 (kernel default) to {max}",
     "SO_RCVBUF of both sockets", "0: the kernel's", "SIZE", NULL, NULL},
    {"mss", KIND_UINT, AT(config.transfer.mss_bytes), WM_TRANSFER_MIN_MSS,
     WM_TRANSFER_MAX_MSS, true, "0 (kernel default) or {min} to {max}",
     "TCP_MAXSEG of both sockets, in bytes", "0: the kernel's", "N", NULL,
     NULL},
    {"congestion", KIND_STRING, AT(config.transfer.congestion), 0, 0, false,
     "an algorithm the kernel offers (tcp_available_congestion_control)",
     "TCP congestion control", "the kernel's", "NAME", NULL,
     parse_congestion},
    {"ipv6", KIND_BOOL, AT(config.transfer.ipv6), 0, 0, false,
     "true, false, 1, 0, yes or no", "Use ::1 instead of 127.0.0.1", NULL,
     NULL, bool_words, NULL},
    {"snaplen", KIND_UINT, AT(config.capture.snaplen), WM_CAPTURE_MIN_SNAPLEN,
     WM_CAPTURE_MAX_SNAPLEN, false, "{min} to {max}, or \"full\"",
     "Bytes captured per frame", "{value}: headers only", "N|full", NULL,
     parse_snaplen},
    /* The send path (issue 14). */
    {"sendfile", KIND_BOOL, AT(config.transfer.sendfile), 0, 0, false,
     "true, false, 1, 0, yes or no",
     "The sender hands the kernel the pattern's pages (sendfile from a "
     "file, as iperf3 -Z) instead of copying them in with each write",
     NULL, NULL, bool_words, NULL},
    {"timeout", KIND_UINT, AT(config.transfer.io_timeout_ms), 1,
     WM_TRANSFER_MAX_TIMEOUT_MS, false, "{min} to {max} (milliseconds)",
     "Deadline of each blocking step of the transfer", NULL, "MS", NULL,
     NULL},
    /* A preset (wm_presets.h) fills the rows after it that were not
     * given; its choices are the presets' names (build_specs). */
    {"preset", KIND_STRING, AT(preset), 0, 0, false,
     "{choices} (GET /presets, `wiremeter presets`)",
     "A link by name: fills path and the link settings not given",
     NULL, "NAME", NULL, parse_preset},
    /* The path (wm_path.h): every setting after "path" is a link's. */
    {"path", KIND_ENUM, AT(config.path.kind), 0, 0, false,
     "loopback or link",
     "loopback: the host's lo; link: client and server in network "
     "namespaces of their own, joined through a third, the wire", NULL,
     "loopback|link", path_kinds, NULL},
    {"mtu", KIND_UINT, AT(config.path.mtu_bytes), WM_PATH_MIN_MTU,
     WM_PATH_MAX_MTU, false, "{min} to {max} bytes (1280 at least with "
     "ipv6)", "The link's MTU", NULL, "N", NULL, NULL},
    {"offload", KIND_BOOL, AT(config.path.offload), 0, 0, false,
     "true, false, 1, 0, yes or no",
     "Segmentation and receive offload on the link's veths (off: every "
     "frame is one a wire would carry)", NULL, NULL, bool_words, NULL},
    {"rate", KIND_RATE, AT(config.path.rate_kbit), 1, WM_PATH_MAX_RATE_KBIT,
     true, "0 (unlimited) or {min} to {max}, in kbit, mbit or gbit",
     "The link's bit rate, each direction alike (tbf)", "0: unlimited",
     "RATE", NULL, parse_rate},
    {"queue", KIND_BYTES, AT(config.path.queue_bytes), 0,
     WM_PATH_MAX_QUEUE_BYTES, false, "0 or up to {max}, in the size forms",
     "The bottleneck's buffer behind the rate, each direction",
     "0: 50 ms at the rate", "SIZE", NULL, NULL},
    {"loss", KIND_PERCENT, AT(config.path.loss_centi), 0,
     WM_PATH_MAX_LOSS_CENTI, false,
     "0 to {max} (percent, two decimals at most)",
     "Random loss of TCP frames on the link, each direction (an eBPF "
     "filter)", NULL, "PERCENT", NULL, parse_percent},
    {"seed", KIND_UINT, AT(config.path.seed), 0, UINT32_MAX, false,
     "{min} to {max}",
     "The loss's random generator's seed: the same seed drops the same "
     "frames", NULL, "N", NULL, NULL},
    {"delay", KIND_UINT, AT(config.path.delay_ms), 0, WM_PATH_MAX_DELAY_MS,
     false, "{min} to {max} (milliseconds; needs sch_netem)",
     "One-way delay on the link, each direction", NULL, "MS", NULL, NULL},
    {"jitter", KIND_UINT, AT(config.path.jitter_ms), 0, WM_PATH_MAX_DELAY_MS,
     false, "0 to the delay (milliseconds; needs sch_netem)",
     "Spread of the delay", NULL, "MS", NULL, NULL},
    /* Each direction's overrides of the five above (wm_path_way): the
     * same kind, bounds and parser, at config.path.toward[side]. */
    WAY_ROWS("rate", KIND_RATE, rate_kbit, 1, WM_PATH_MAX_RATE_KBIT, true,
             "0 (unlimited) or {min} to {max}, in kbit, mbit or gbit",
             "The link's bit rate", "RATE", parse_rate),
    WAY_ROWS("queue", KIND_BYTES, queue_bytes, 0, WM_PATH_MAX_QUEUE_BYTES,
             false, "0 or up to {max}, in the size forms",
             "The bottleneck's buffer", "SIZE", NULL),
    WAY_ROWS("loss", KIND_PERCENT, loss_centi, 0, WM_PATH_MAX_LOSS_CENTI,
             false, "0 to {max} (percent, two decimals at most)",
             "Random loss of TCP frames", "PERCENT", parse_percent),
    WAY_ROWS("delay", KIND_UINT, delay_ms, 0, WM_PATH_MAX_DELAY_MS, false,
             "{min} to {max} (milliseconds; needs sch_netem)",
             "One-way delay", "MS", NULL),
    WAY_ROWS("jitter", KIND_UINT, jitter_ms, 0, WM_PATH_MAX_DELAY_MS, false,
             "0 to the delay (milliseconds; needs sch_netem)",
             "Spread of the delay", "MS", NULL),
    /* The time series (wm_series.h). */
    {"interval", KIND_UINT, AT(config.series_interval_us),
     WM_SERIES_MIN_INTERVAL_US, WM_SERIES_MAX_INTERVAL_US, true,
     "auto (or 0), or {min} to {max} (microseconds)",
     "Interval of the time series: the sender's TCP_INFO sampled, the "
     "capture's throughput summed", "auto: about 500 samples a run",
     "US|auto", NULL, parse_interval},
    {"label", KIND_STRING, AT(label), 0, WM_LABEL_MAX, false,
     "up to {max} bytes of printable UTF-8 text",
     "A free text stored with the run",
     "", "TEXT", NULL, parse_label},
};

#define ROW_COUNT (sizeof rows / sizeof rows[0])
_Static_assert(ROW_COUNT <= 64, "wm_run_request.given has a bit per row");

static wm_param_spec specs[ROW_COUNT + 1];
static char allowed_texts[ROW_COUNT][160];
static char descriptions[ROW_COUNT][224];
static char names_text[ROW_COUNT * 16];
static pthread_once_t specs_once = PTHREAD_ONCE_INIT;

static void *field(const param_row *row, wm_run_request *request)
{
    return (char *)request + row->offset;
}

static const void *field_of(const param_row *row,
                            const wm_run_request *request)
{
    return (const char *)request + row->offset;
}

static const struct {
    const char *unit;
    uint32_t kbit;
} rate_units[] = {{"gbit", 1000000}, {"mbit", 1000}, {"kbit", 1}};

/* kbit/s in its shortest exact form: 100000 is "100mbit". */
static void rate_text(uint64_t kbit, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof rate_units / sizeof rate_units[0]; i++)
        if (kbit && kbit % rate_units[i].kbit == 0) {
            snprintf(buf, len, "%" PRIu64 "%s", kbit / rate_units[i].kbit,
                     rate_units[i].unit);
            return;
        }
    snprintf(buf, len, "0");
}

/* Hundredths of a percent as a decimal: 250 is "2.5". */
static void percent_text(uint64_t centi, char *buf, size_t len)
{
    if (centi % 100 == 0)
        snprintf(buf, len, "%" PRIu64, centi / 100);
    else if (centi % 10 == 0)
        snprintf(buf, len, "%" PRIu64 ".%" PRIu64, centi / 100,
                 centi % 100 / 10);
    else
        snprintf(buf, len, "%" PRIu64 ".%02" PRIu64, centi / 100,
                 centi % 100);
}

/* A bound as the row's kind writes it: 16777216 is "16MiB" for a size. */
static void bound_text(const param_row *row, uint64_t value, char *buf,
                       size_t len)
{
    if (row->kind == KIND_BYTES && value > 0)
        wm_size_format(value, buf, len);
    else if (row->kind == KIND_RATE)
        rate_text(value, buf, len);
    else if (row->kind == KIND_PERCENT)
        percent_text(value, buf, len);
    else
        snprintf(buf, len, "%" PRIu64, value);
}

/* The row's value in request, in the form wm_params_set takes. */
static void value_text(const param_row *row, const wm_run_request *request,
                       char *buf, size_t len)
{
    const void *at = field_of(row, request);
    uint32_t n = 0;
    switch (row->kind) {
    case KIND_SIZE:
        snprintf(buf, len, "%s", request->size_text);
        return;
    case KIND_BOOL:
        snprintf(buf, len, "%s", *(const bool *)at ? "true" : "false");
        return;
    case KIND_STRING:
        snprintf(buf, len, "%s", (const char *)at);
        return;
    case KIND_ENUM:
        memcpy(&n, at, sizeof n);
        snprintf(buf, len, "%s", row->choices[n]);
        return;
    case KIND_BYTES:
    case KIND_UINT:
    case KIND_RATE:
    case KIND_PERCENT:
        memcpy(&n, at, sizeof n);
        bound_text(row, n, buf, len);
        return;
    }
}

/* Copies template into buf with each {min}, {max}, {value} and
 * {choices} filled. */
static void fill_words(const char *template, const char *min, const char *max,
                       const char *value, const char *choices, char *buf,
                       size_t len)
{
    static const char *const keys[] = {"{min}", "{max}", "{value}",
                                       "{choices}"};
    const char *values[] = {min, max, value, choices};
    size_t out = 0;
    while (*template && out + 1 < len) {
        size_t k = 0;
        while (k < 4 && strncmp(template, keys[k], strlen(keys[k])) != 0)
            k++;
        if (k == 4) {
            buf[out++] = *template++;
            continue;
        }
        out += (size_t)snprintf(buf + out, len - out, "%s", values[k]);
        out = out < len ? out : len - 1;
        template += strlen(keys[k]);
    }
    buf[out] = '\0';
}

/* The row's choices: its own, or the presets' names for "preset". */
static const char *const *row_choices(const param_row *row)
{
    return row->parse == parse_preset ? wm_presets_names() : row->choices;
}

/* The choices as words: "a, b or c". */
static void choices_text(const char *const *choices, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; choices && choices[i] && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s",
                                 i == 0 ? "" : choices[i + 1] ? ", " : " or ",
                                 choices[i]);
    assert(used < len);
}

static void build_specs(void)
{
    wm_run_request defaults;
    wm_params_init(&defaults);
    size_t used = 0;
    for (size_t i = 0; i < ROW_COUNT; i++) {
        const param_row *row = &rows[i];
        char min[32], max[32], value[64], words[96], choices[128];
        bound_text(row, row->min, min, sizeof min);
        bound_text(row, row->max, max, sizeof max);
        value_text(row, &defaults, value, sizeof value);
        choices_text(row_choices(row), choices, sizeof choices);
        fill_words(row->allowed, min, max, value, choices, allowed_texts[i],
                   sizeof allowed_texts[i]);
        fill_words(row->default_words ? row->default_words : "{value}", min,
                   max, value, choices, words, sizeof words);
        snprintf(descriptions[i], sizeof descriptions[i],
                 words[0] ? "%s (default %s)." : "%s.", row->help, words);
        specs[i] = (wm_param_spec){
            .name = row->name,
            .type = row->kind == KIND_SIZE || row->kind == KIND_BYTES ? "size"
                    : row->kind == KIND_UINT                         ? "integer"
                    : row->kind == KIND_BOOL                         ? "boolean"
                    : row->kind == KIND_ENUM || row_choices(row)     ? "enum"
                    : row->kind == KIND_RATE                         ? "rate"
                    : row->kind == KIND_PERCENT                      ? "number"
                                                                     : "string",
            .allowed = allowed_texts[i],
            .description = descriptions[i],
            .metavar = row->kind == KIND_BOOL ? NULL : row->metavar,
            .choices = row->kind == KIND_BOOL ? NULL : row_choices(row),
            .max_length = row->kind == KIND_STRING && !row_choices(row)
                              ? row->length - 1 : 0,
            .required = row->kind == KIND_SIZE,
        };
        used += (size_t)snprintf(names_text + used, sizeof names_text - used,
                                 "%s%s", i ? ", " : "", row->name);
        assert(used < sizeof names_text);
    }
    specs[ROW_COUNT] = (wm_param_spec){0};
}

const wm_param_spec *wm_params_specs(void)
{
    pthread_once(&specs_once, build_specs);
    return specs;
}

const char *wm_params_names(void)
{
    pthread_once(&specs_once, build_specs);
    return names_text;
}

static const param_row *find_row(const char *name)
{
    for (size_t i = 0; i < ROW_COUNT; i++)
        if (strcmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

const wm_param_spec *wm_params_find(const char *name)
{
    const param_row *row = find_row(name);
    return row ? &wm_params_specs()[row - rows] : NULL;
}

void wm_params_init(wm_run_request *request)
{
    memset(request, 0, sizeof *request);
    wm_transfer_options_default(&request->config.transfer);
    wm_capture_options_default(&request->config.capture);
    wm_path_options_default(&request->config.path);
    snprintf(request->preset, sizeof request->preset, "%s", WM_PRESET_NONE);
    _Static_assert(sizeof(wm_direction) == sizeof(uint32_t),
                   "an enum row is stored as a uint32_t");
    _Static_assert(sizeof(wm_path_kind) == sizeof(uint32_t),
                   "an enum row is stored as a uint32_t");
}

/* Input quoted in a message is cut short and made safe: it may be
 * anything. */
static int invalid(const param_row *row, const char *value, wm_error *err)
{
    char shown[80];
    return wm_error_param(err, WM_ERR_INVALID, row->name,
                          "%s: '%s' is not valid; allowed: %s", row->name,
                          wm_error_quote(value, 64, shown, sizeof shown),
                          wm_params_specs()[row - rows].allowed);
}

static int parse_uint(const char *value, uint64_t *out)
{
    if (value[0] < '0' || value[0] > '9')
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long parsed = strtoull(value, &end, 10);
    if (errno || *end != '\0')
        return -1;
    *out = parsed;
    return 0;
}

static int parse_by_kind(const param_row *row, wm_run_request *request,
                         const char *value, wm_error *err)
{
    void *at = field(row, request);
    uint64_t n = 0;
    if (row->kind == KIND_BOOL || row->kind == KIND_ENUM) {
        for (size_t i = 0; row->choices[i]; i++)
            if (strcmp(value, row->choices[i]) == 0) {
                if (row->kind == KIND_BOOL)
                    *(bool *)at = i % 2 == 0; /* true, false, 1, 0... */
                else
                    memcpy(at, &(uint32_t){(uint32_t)i}, sizeof(uint32_t));
                return 0;
            }
        return invalid(row, value, err);
    }
    int rc = row->kind == KIND_BYTES
                 ? wm_size_parse(value, UINT64_MAX, &n, NULL)
                 : parse_uint(value, &n);
    bool in_range = n >= row->min || (row->zero_is_default && n == 0);
    if (rc != 0 || !in_range || n > row->max)
        return invalid(row, value, err);
    assert(row->length == sizeof(uint32_t));
    memcpy(at, &(uint32_t){(uint32_t)n}, sizeof(uint32_t));
    return 0;
}

static int parse_size(const param_row *row, wm_run_request *request,
                      const char *value, const wm_params_limits *limits,
                      wm_error *err)
{
    uint64_t max = limits ? limits->max_size_bytes : WM_SIZE_DEFAULT_MAX;
    /* size_text echoes the size as written: a longer text would be cut,
     * and no value is ever silently changed. */
    if (strlen(value) >= sizeof request->size_text)
        return wm_error_param(err, WM_ERR_INVALID, row->name,
                              "%s: the text is %zu bytes long; allowed: up "
                              "to %zu bytes (%s)", row->name, strlen(value),
                              sizeof request->size_text - 1, WM_SIZE_FORMS);
    if (wm_size_parse(value, max, &request->config.transfer.size_bytes,
                      err) != 0)
        return -1;
    snprintf(request->size_text, sizeof request->size_text, "%s", value);
    request->size_given = true;
    return 0;
}

static int parse_congestion(const param_row *row, wm_run_request *request,
                            const char *value, const wm_params_limits *lim,
                            wm_error *err)
{
    (void)lim;
    size_t len = strlen(value);
    if (len == 0 || len >= row->length)
        return invalid(row, value, err);
    for (size_t i = 0; i < len; i++)
        if (!((value[i] >= 'a' && value[i] <= 'z') ||
              (value[i] >= '0' && value[i] <= '9') || value[i] == '_'))
            return invalid(row, value, err);
    memcpy(field(row, request), value, len + 1);
    return 0;
}

static int parse_snaplen(const param_row *row, wm_run_request *request,
                         const char *value, const wm_params_limits *lim,
                         wm_error *err)
{
    (void)lim;
    if (strcmp(value, "full") == 0) {
        request->config.capture.snaplen = (uint32_t)row->max;
        return 0;
    }
    return parse_by_kind(row, request, value, err);
}

static int parse_label(const param_row *row, wm_run_request *request,
                       const char *value, const wm_params_limits *lim,
                       wm_error *err)
{
    (void)lim;
    size_t len = strlen(value);
    if (len > row->max)
        return invalid(row, "(too long)", err);
    /* Stored, rendered as JSON and shown on the page: it must be text. */
    size_t valid = wm_text_valid_prefix(value);
    if (valid < len)
        return wm_error_param(err, WM_ERR_INVALID, row->name,
                              "%s: byte %zu is not valid UTF-8 or is a "
                              "control character; allowed: %s", row->name,
                              valid + 1,
                              wm_params_specs()[row - rows].allowed);
    assert(len < row->length);
    memcpy(field(row, request), value, len + 1);
    return 0;
}

/* "100mbit", "1.5gbit", "0": whole kbit only, so the rate the link
 * gets is the one written. tc's own bare numbers mean bytes per second;
 * a unit is required so that nobody is off by eight. */
static int parse_rate(const param_row *row, wm_run_request *request,
                      const char *value, const wm_params_limits *lim,
                      wm_error *err)
{
    (void)lim;
    if (strcmp(value, "0") == 0) {
        memcpy(field(row, request), &(uint32_t){0}, sizeof(uint32_t));
        return 0;
    }
    char *end = NULL;
    errno = 0;
    /* Digits and a point only: strtod would also take "0x10" or "1e3". */
    size_t number_len = strspn(value, "0123456789.");
    double number = value[0] >= '0' && value[0] <= '9'
                        ? strtod(value, &end) : -1.0;
    if (end != value + number_len)
        number = -1.0;
    for (size_t i = 0; number >= 0 && !errno &&
                       i < sizeof rate_units / sizeof rate_units[0]; i++) {
        if (strcmp(end, rate_units[i].unit) != 0)
            continue;
        double kbit = number * rate_units[i].kbit;
        if (kbit < (double)row->min || kbit > (double)row->max ||
            kbit != (double)(uint32_t)kbit)
            break;
        memcpy(field(row, request), &(uint32_t){(uint32_t)kbit},
               sizeof(uint32_t));
        return 0;
    }
    return invalid(row, value, err);
}

/* "2", "0.5", "12.25": at most two decimals, read as text so that 0.29
 * is 29 hundredths and not 28.999... */
static int parse_percent(const param_row *row, wm_run_request *request,
                         const char *value, const wm_params_limits *lim,
                         wm_error *err)
{
    (void)lim;
    uint64_t whole = 0, centi = 0;
    const char *p = value;
    size_t digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
        whole = whole * 10 + (uint64_t)(*p - '0');
    if (digits == 0)
        return invalid(row, value, err);
    if (*p == '.') {
        p++;
        for (int i = 0; i < 2; i++)
            centi = centi * 10 +
                    (*p >= '0' && *p <= '9' ? (uint64_t)(*p++ - '0') : 0);
    }
    uint64_t total = whole * 100 + centi;
    if (*p != '\0' || total > row->max)
        return invalid(row, value, err);
    memcpy(field(row, request), &(uint32_t){(uint32_t)total},
           sizeof(uint32_t));
    return 0;
}

/* A direction's override (WAY_ROWS): its side, its bit in
 * config.path.overridden, and the both-ways row it overrides. */
static bool way_override(const param_row *row, wm_path_side *side,
                         uint32_t *bit, const param_row **both)
{
    size_t base = offsetof(wm_run_request, config.path.toward);
    size_t rel = row->offset - base;
    if (row->offset < base ||
        rel >= sizeof(((wm_path_options *)0)->toward))
        return false;
    *side = (wm_path_side)(rel / sizeof(wm_path_way));
    *bit = 1u << (rel % sizeof(wm_path_way) / sizeof(uint32_t));
    const char *to = strstr(row->name, "_to_");
    assert(to);
    char name[16];
    snprintf(name, sizeof name, "%.*s", (int)(to - row->name), row->name);
    *both = find_row(name);
    assert(*both && (*both)->kind == row->kind);
    return true;
}

/* What a row shows: an override not given shows its both-ways value. */
static const void *shown_field(const param_row *row,
                               const wm_run_request *request)
{
    wm_path_side side;
    uint32_t bit;
    const param_row *both;
    if (way_override(row, &side, &bit, &both) &&
        !(request->config.path.overridden[side] & bit))
        return field_of(both, request);
    return field_of(row, request);
}

/* "auto" is 0, which the row also takes as a number. */
static int parse_interval(const param_row *row, wm_run_request *request,
                          const char *value, const wm_params_limits *lim,
                          wm_error *err)
{
    (void)lim;
    if (strcmp(value, "auto") == 0) {
        memcpy(field(row, request), &(uint32_t){0}, sizeof(uint32_t));
        return 0;
    }
    return parse_by_kind(row, request, value, err);
}

/* One row from its text, a direction's override marked as given (what
 * the caller writes and what a preset fills alike). */
static int set_row(const param_row *row, wm_run_request *request,
                   const char *value, const wm_params_limits *limits,
                   wm_error *err)
{
    int rc = row->parse ? row->parse(row, request, value, limits, err)
                        : parse_by_kind(row, request, value, err);
    wm_path_side side;
    uint32_t bit;
    const param_row *both;
    if (rc == 0 && way_override(row, &side, &bit, &both))
        request->config.path.overridden[side] |= bit;
    return rc;
}

int wm_params_set(wm_run_request *request, const char *name,
                  const char *value, const wm_params_limits *limits,
                  wm_error *err)
{
    if (!name || !value)
        return wm_error_set(err, WM_ERR_INVALID, "empty parameter");
    const param_row *row = find_row(name);
    char shown[48];
    if (!row)
        return wm_error_param(err, WM_ERR_INVALID,
                              wm_error_quote(name, 24, shown, sizeof shown),
                              "unknown parameter '%s'; allowed: %s", shown,
                              wm_params_names());
    int rc = set_row(row, request, value, limits, err);
    if (rc == 0)
        request->given |= UINT64_C(1) << (row - rows);
    return rc;
}

static int parse_preset(const param_row *row, wm_run_request *request,
                        const char *value, const wm_params_limits *lim,
                        wm_error *err)
{
    (void)lim;
    if (strcmp(value, WM_PRESET_NONE) != 0 && !wm_presets_find(value))
        return invalid(row, value, err);
    assert(strlen(value) < row->length);
    snprintf(request->preset, sizeof request->preset, "%s", value);
    return 0;
}

/* The preset's settings the caller did not give. Its table is checked by
 * the unit tests, so a failure here is a bug of the table; it is still
 * reported, naming the preset, rather than run with half of it. The
 * filled rows are not marked given: a second call fills them again with
 * the same values. */
static int apply_preset(wm_run_request *request, uint64_t *filled,
                        wm_error *err)
{
    const wm_preset *preset = wm_presets_find(request->preset);
    *filled = 0;
    if (!preset)
        return 0;
    for (const wm_preset_setting *s = preset->settings; s->name; s++) {
        const param_row *row = find_row(s->name);
        assert(row && row->parse != parse_preset);
        uint64_t bit = UINT64_C(1) << (row - rows);
        /* A direction's override yields to its both-ways row given: the
         * caller's rate=10mbit is each direction's. */
        wm_path_side side;
        uint32_t way_bit;
        const param_row *both = NULL;
        bool both_given =
            way_override(row, &side, &way_bit, &both) &&
            (request->given & (UINT64_C(1) << (both - rows)));
        if ((request->given & bit) || both_given)
            continue;
        if (set_row(row, request, s->value, NULL, err) != 0) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "preset %s: ", preset->name);
            return wm_error_prefix(err, prefix);
        }
        *filled |= bit;
    }
    return 0;
}

int wm_params_finish(wm_run_request *request, wm_error *err)
{
    if (!request->size_given)
        return wm_error_param(err, WM_ERR_INVALID, "size",
                              "size is required; allowed: %s", WM_SIZE_FORMS);
    uint64_t filled = 0;
    if (apply_preset(request, &filled, err) != 0)
        return -1;
    if (wm_transfer_validate(&request->config.transfer, err) != 0)
        return -1;
    if (wm_path_validate(&request->config.path,
                         request->config.transfer.ipv6, err) == 0)
        return 0;
    /* A setting the caller never wrote must be explained: it came from
     * the preset, and giving it explicitly overrides it. */
    const param_row *row = find_row(err->parameter);
    if (row && (filled & (UINT64_C(1) << (row - rows)))) {
        char said[sizeof err->message];
        snprintf(said, sizeof said, "%s", err->message);
        wm_error_param(err, err->kind, row->name, "%s (set by preset %s: "
                       "give %s explicitly to override it)", said,
                       request->preset, row->name);
    }
    return -1;
}

/* One row's value, under its name, into the document being written
 * (json_emit.h): the number, boolean or text the run uses. */
static void row_emit(emit *e, const param_row *row,
                     const wm_run_request *request)
{
    const void *at = shown_field(row, request);
    uint32_t n = 0;
    switch (row->kind) {
    case KIND_SIZE:
        emit_int(e, row->name,
                 (json_int_t)request->config.transfer.size_bytes);
        return;
    case KIND_BOOL:
        emit_bool(e, row->name, *(const bool *)at);
        return;
    case KIND_STRING:
        emit_string(e, row->name, (const char *)at);
        return;
    case KIND_ENUM:
        memcpy(&n, at, sizeof n);
        emit_string(e, row->name, row->choices[n]);
        return;
    case KIND_BYTES:
    case KIND_UINT:
        memcpy(&n, at, sizeof n);
        emit_int(e, row->name, n);
        return;
    case KIND_RATE: /* bits per second, as throughput is given */
        memcpy(&n, at, sizeof n);
        emit_int(e, row->name, (json_int_t)n * 1000);
        return;
    case KIND_PERCENT:
        memcpy(&n, at, sizeof n);
        emit_real(e, row->name, n / 100.0);
        return;
    }
    e->failed = true; /* a kind without its case */
}

void params_emit(emit *e, const char *key, const wm_run_request *request)
{
    emit_object(e, key);
    for (size_t i = 0; i < ROW_COUNT; i++) {
        row_emit(e, &rows[i], request);
        if (rows[i].kind == KIND_SIZE) {
            /* The size as the user wrote it, or its shortest form. */
            char text[WM_SIZE_TEXT_MAX];
            if (request->size_text[0])
                snprintf(text, sizeof text, "%s", request->size_text);
            else
                wm_size_format(request->config.transfer.size_bytes, text,
                               sizeof text);
            emit_string(e, "size_text", text);
        }
    }
    /* A link's capture is on its veth whatever the daemon's --interface
     * (wm_run). */
    const char *interface = request->config.path.kind == WM_PATH_LINK
                                ? WM_PATH_INTERFACE
                                : request->config.capture.interface;
    emit_string(e, "interface", interface ? interface : "");
    emit_end(e);
}

json_t *wm_params_json(const wm_run_request *request)
{
    emit e;
    emit_start(&e, true);
    params_emit(&e, NULL, request);
    return emit_tree(&e);
}

char *wm_params_text(const wm_run_request *request, size_t *len)
{
    emit e;
    emit_start(&e, false);
    params_emit(&e, NULL, request);
    return emit_finish_text(&e, len);
}

int wm_params_check_preset(const wm_preset *preset, wm_error *err)
{
    assert(preset);
    wm_run_request request;
    wm_params_init(&request);
    /* A size is required; any will do, the link is what is checked. */
    if (wm_params_set(&request, "size", "1B", NULL, err) != 0 ||
        wm_params_set(&request, "preset", preset->name, NULL, err) != 0)
        return -1;
    return wm_params_finish(&request, err);
}
