/* wm_params: see wm_params.h. */
#include "wm_params.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wm_size.h"

#define MIN_SNAPLEN 96u      /* link + IPv6 + a TCP header with options */
#define MAX_SNAPLEN 262144u
#define MIN_MSS ((uint64_t)WM_TRANSFER_MIN_MSS)
#define MAX_MSS ((uint64_t)WM_TRANSFER_MAX_MSS)
#define MAX_SOCKBUF ((uint64_t)WM_TRANSFER_MAX_SOCKBUF)
#define MAX_TIMEOUT_MS ((uint64_t)WM_TRANSFER_MAX_TIMEOUT_MS)
#define QUOTE(x) #x
#define NUMBER(x) QUOTE(x) /* a macro's value as text */

static const wm_param_spec specs[] = {
    {"size", "size", WM_SIZE_FORMS, "Bytes to transfer (required)."},
    {"direction", "enum", "download or upload",
     "download: the server sends (default); upload: the client sends."},
    {"chunk", "size", "1B to 16MiB, in the size forms",
     "Application write size (default 64KiB)."},
    {"nodelay", "boolean", "true, false, 1, 0, yes or no",
     "Set TCP_NODELAY on both sockets (default false)."},
    {"sndbuf", "size", "0 (kernel default) to 256MiB",
     "SO_SNDBUF of both sockets."},
    {"rcvbuf", "size", "0 (kernel default) to 256MiB",
     "SO_RCVBUF of both sockets."},
    {"mss", "integer",
     "0 (kernel default) or " NUMBER(WM_TRANSFER_MIN_MSS) " to "
     NUMBER(WM_TRANSFER_MAX_MSS),
     "TCP_MAXSEG of both sockets, in bytes."},
    {"congestion", "string",
     "an algorithm the kernel offers (tcp_available_congestion_control)",
     "TCP congestion control (default: the kernel's)."},
    {"ipv6", "boolean", "true, false, 1, 0, yes or no",
     "Use ::1 instead of 127.0.0.1 (default false)."},
    {"snaplen", "integer", "96 to 262144, or \"full\"",
     "Bytes captured per frame (default 160: headers only)."},
    {"timeout", "integer",
     "1 to " NUMBER(WM_TRANSFER_MAX_TIMEOUT_MS) " (milliseconds)",
     "Deadline of each blocking step of the transfer (default 10000)."},
    {"label", "string", "up to 100 printable characters",
     "A free text stored with the run."},
    {NULL, NULL, NULL, NULL},
};

const wm_param_spec *wm_params_specs(void)
{
    return specs;
}

const char *wm_params_names(void)
{
    return "size, direction, chunk, nodelay, sndbuf, rcvbuf, mss, "
           "congestion, ipv6, snaplen, timeout, label";
}

void wm_params_init(wm_run_request *request)
{
    memset(request, 0, sizeof *request);
    wm_run_config_default(&request->config);
}

static int invalid(wm_error *err, const char *name, const char *value)
{
    for (const wm_param_spec *spec = specs; spec->name; spec++)
        if (strcmp(spec->name, name) == 0)
            return wm_error_param(err, WM_ERR_INVALID, name,
                                  "%s: '%.64s' is not valid; allowed: %s",
                                  name, value, spec->allowed);
    return wm_error_param(err, WM_ERR_INVALID, name,
                          "unknown parameter '%.32s'; allowed: %s", name,
                          wm_params_names());
}

static int parse_bool(const char *name, const char *value, bool *out,
                      wm_error *err)
{
    static const char *yes[] = {"true", "1", "yes", "on"};
    static const char *no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(value, yes[i]) == 0)
            return *out = true, 0;
        if (strcmp(value, no[i]) == 0)
            return *out = false, 0;
    }
    return invalid(err, name, value);
}

static int parse_uint(const char *name, const char *value, uint64_t min,
                      uint64_t max, uint64_t *out, wm_error *err)
{
    if (value[0] < '0' || value[0] > '9')
        return invalid(err, name, value);
    errno = 0;
    char *end = NULL;
    unsigned long long parsed = strtoull(value, &end, 10);
    if (errno || *end != '\0' || parsed < min || parsed > max)
        return invalid(err, name, value);
    *out = parsed;
    return 0;
}

/* A size-valued parameter within [min, max]; the size module's own error
 * is replaced so that the message names this parameter, not "size". */
static int parse_bounded_size(const char *name, const char *value,
                              uint64_t min, uint64_t max, uint64_t *out,
                              wm_error *err)
{
    uint64_t bytes = 0;
    if (wm_size_parse(value, UINT64_MAX, &bytes, NULL) != 0 || bytes < min ||
        bytes > max)
        return invalid(err, name, value);
    *out = bytes;
    return 0;
}

static int set_size(wm_run_request *request, const char *value,
                    const wm_params_limits *limits, wm_error *err)
{
    uint64_t max = limits ? limits->max_size_bytes : WM_SIZE_DEFAULT_MAX;
    if (wm_size_parse(value, max, &request->config.transfer.size_bytes,
                      err) != 0)
        return -1;
    snprintf(request->size_text, sizeof request->size_text, "%s", value);
    request->size_given = true;
    return 0;
}

static int set_label(wm_run_request *request, const char *value,
                     wm_error *err)
{
    size_t len = strlen(value);
    if (len > WM_LABEL_MAX)
        return invalid(err, "label", "(too long)");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
            return invalid(err, "label", "(control character)");
    memcpy(request->label, value, len + 1);
    return 0;
}

static int set_direction(wm_transfer_options *t, const char *value,
                         wm_error *err)
{
    if (strcmp(value, "download") == 0)
        t->direction = WM_DOWNLOAD;
    else if (strcmp(value, "upload") == 0)
        t->direction = WM_UPLOAD;
    else
        return invalid(err, "direction", value);
    return 0;
}

static int set_congestion(wm_transfer_options *t, const char *value,
                          wm_error *err)
{
    size_t len = strlen(value);
    if (len == 0 || len >= sizeof t->congestion)
        return invalid(err, "congestion", value);
    for (size_t i = 0; i < len; i++)
        if (!((value[i] >= 'a' && value[i] <= 'z') ||
              (value[i] >= '0' && value[i] <= '9') || value[i] == '_'))
            return invalid(err, "congestion", value);
    memcpy(t->congestion, value, len + 1);
    return 0;
}

static int set_snaplen(wm_capture_options *c, const char *value,
                       wm_error *err)
{
    uint64_t snaplen = MAX_SNAPLEN;
    if (strcmp(value, "full") != 0 &&
        parse_uint("snaplen", value, MIN_SNAPLEN, MAX_SNAPLEN, &snaplen,
                   err) != 0)
        return -1;
    c->snaplen = (uint32_t)snaplen;
    return 0;
}

/* Parameters of the socket exchange itself. Returns 1 when the name is not
 * one of them. */
static int set_transfer_param(wm_transfer_options *t, const char *name,
                              const char *value, wm_error *err)
{
    uint64_t n = 0;
    int rc = 1;
    if (strcmp(name, "direction") == 0)
        return set_direction(t, value, err);
    if (strcmp(name, "congestion") == 0)
        return set_congestion(t, value, err);
    if (strcmp(name, "nodelay") == 0)
        return parse_bool(name, value, &t->nodelay, err);
    if (strcmp(name, "ipv6") == 0)
        return parse_bool(name, value, &t->ipv6, err);
    if (strcmp(name, "chunk") == 0 &&
        (rc = parse_bounded_size(name, value, 1, WM_TRANSFER_MAX_CHUNK, &n,
                                 err)) == 0)
        t->chunk_bytes = (uint32_t)n;
    else if (strcmp(name, "sndbuf") == 0 &&
             (rc = parse_bounded_size(name, value, 0, MAX_SOCKBUF, &n,
                                      err)) == 0)
        t->sndbuf_bytes = (uint32_t)n;
    else if (strcmp(name, "rcvbuf") == 0 &&
             (rc = parse_bounded_size(name, value, 0, MAX_SOCKBUF, &n,
                                      err)) == 0)
        t->rcvbuf_bytes = (uint32_t)n;
    else if (strcmp(name, "mss") == 0 &&
             (rc = parse_uint(name, value, 0, MAX_MSS, &n, err)) == 0) {
        if (n != 0 && n < MIN_MSS)
            return invalid(err, name, value);
        t->mss_bytes = (uint32_t)n;
    } else if (strcmp(name, "timeout") == 0 &&
               (rc = parse_uint(name, value, 1, MAX_TIMEOUT_MS, &n,
                                err)) == 0)
        t->io_timeout_ms = (uint32_t)n;
    return rc;
}

int wm_params_set(wm_run_request *request, const char *name,
                  const char *value, const wm_params_limits *limits,
                  wm_error *err)
{
    if (!name || !value)
        return wm_error_set(err, WM_ERR_INVALID, "empty parameter");
    if (strcmp(name, "size") == 0)
        return set_size(request, value, limits, err);
    if (strcmp(name, "label") == 0)
        return set_label(request, value, err);
    if (strcmp(name, "snaplen") == 0)
        return set_snaplen(&request->config.capture, value, err);
    int rc = set_transfer_param(&request->config.transfer, name, value, err);
    if (rc == 1)
        return invalid(err, name, value);
    return rc;
}

int wm_params_finish(wm_run_request *request, wm_error *err)
{
    if (!request->size_given)
        return wm_error_param(err, WM_ERR_INVALID, "size",
                              "size is required; allowed: %s", WM_SIZE_FORMS);
    return wm_transfer_validate(&request->config.transfer, err);
}
