/* wm_transfer's options: their defaults, and the check of every option
 * against what is allowed (the kernel's congestion controls included),
 * each error naming the parameter. Apart from the exchange (transfer.c)
 * because it is read by whoever validates a request, before any socket. */
#include "wm_transfer.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_SOCKBUF_BYTES ((uint32_t)WM_TRANSFER_MAX_SOCKBUF)
#define MIN_MSS_BYTES ((uint32_t)WM_TRANSFER_MIN_MSS)
#define MAX_MSS_BYTES ((uint32_t)WM_TRANSFER_MAX_MSS)
#define MAX_TIMEOUT_MS ((uint32_t)WM_TRANSFER_MAX_TIMEOUT_MS)

void wm_transfer_options_default(wm_transfer_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->direction = WM_DOWNLOAD;
    opts->chunk_bytes = WM_TRANSFER_DEFAULT_CHUNK;
    opts->io_timeout_ms = WM_TRANSFER_DEFAULT_TIMEOUT_MS;
}

static int check_congestion(const char *name, wm_error *err)
{
    if (strnlen(name, 16) == 16)
        return wm_error_param(err, WM_ERR_INVALID, "congestion",
                              "congestion: name longer than 15 characters");
    if (name[0] == '\0')
        return 0;
    char offered[256] = "";
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_congestion_control",
                    "r");
    if (!f) /* no procfs: the kernel's own setsockopt will judge */
        return 0;
    if (!fgets(offered, sizeof offered, f))
        offered[0] = '\0';
    fclose(f);
    offered[strcspn(offered, "\n")] = '\0';
    size_t len = strlen(name);
    for (const char *p = offered; (p = strstr(p, name)) != NULL; p += len) {
        bool starts = p == offered || p[-1] == ' ';
        bool ends = p[len] == '\0' || p[len] == ' ';
        if (starts && ends)
            return 0;
    }
    return wm_error_param(err, WM_ERR_INVALID, "congestion",
                          "congestion: '%s' is not offered by this kernel; "
                          "available: %s", name, offered);
}

int wm_transfer_validate(const wm_transfer_options *opts, wm_error *err)
{
    if (opts->direction != WM_DOWNLOAD && opts->direction != WM_UPLOAD)
        return wm_error_param(err, WM_ERR_INVALID, "direction",
                              "direction: allowed: download or upload");
    if (opts->chunk_bytes < 1 || opts->chunk_bytes > WM_TRANSFER_MAX_CHUNK)
        return wm_error_param(err, WM_ERR_INVALID, "chunk",
                              "chunk: %u bytes is not allowed; allowed: 1 to "
                              "%u bytes", opts->chunk_bytes,
                              WM_TRANSFER_MAX_CHUNK);
    if (opts->sndbuf_bytes > MAX_SOCKBUF_BYTES)
        return wm_error_param(err, WM_ERR_INVALID, "sndbuf",
                              "sndbuf: allowed: 0 (kernel default) to %u "
                              "bytes", MAX_SOCKBUF_BYTES);
    if (opts->rcvbuf_bytes > MAX_SOCKBUF_BYTES)
        return wm_error_param(err, WM_ERR_INVALID, "rcvbuf",
                              "rcvbuf: allowed: 0 (kernel default) to %u "
                              "bytes", MAX_SOCKBUF_BYTES);
    if (opts->mss_bytes != 0 && (opts->mss_bytes < MIN_MSS_BYTES ||
                                 opts->mss_bytes > MAX_MSS_BYTES))
        return wm_error_param(err, WM_ERR_INVALID, "mss",
                              "mss: %u is not allowed; allowed: 0 (kernel "
                              "default) or %u to %u bytes (the kernel's "
                              "TCP_MAXSEG range)", opts->mss_bytes,
                              MIN_MSS_BYTES, MAX_MSS_BYTES);
    if (opts->io_timeout_ms < 1 || opts->io_timeout_ms > MAX_TIMEOUT_MS)
        return wm_error_param(err, WM_ERR_INVALID, "timeout",
                              "timeout: allowed: 1 to %u ms", MAX_TIMEOUT_MS);
    return check_congestion(opts->congestion, err);
}
