/* wm_public_text: see wm_public_text.h. */
#include "wm_public_text.h"

#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Where a path may begin: the start, or after one of these. */
static bool opens_path(const char *message, const char *at)
{
    return at == message || strchr(" '\"`(=[", at[-1]) != NULL;
}

/* Where it ends: a space, a quote, a bracket, a comma or semicolon, or a
 * colon or full stop that ends a clause ("...x.pcap: No space left"). */
static size_t path_length(const char *p)
{
    size_t n = 0;
    while (p[n] && !strchr(" \t\n'\"`),;]", p[n]) &&
           !((p[n] == ':' || p[n] == '.') &&
             (p[n + 1] == '\0' || p[n + 1] == ' ')))
        n++;
    return n;
}

static bool ends_with(const char *p, size_t n, const char *suffix)
{
    size_t s = strlen(suffix);
    return n >= s && !memcmp(p + n - s, suffix, s);
}

static bool is_self(const char *p, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe);
    return len > 0 && (size_t)len == n && !memcmp(exe, p, n);
}

/* The role of the file at p[0..n), in words. */
static const char *role_of(const char *p, size_t n)
{
    if (is_self(p, n))
        return "<the wiremeter binary>";
    if (ends_with(p, n, ".pcap") || ends_with(p, n, ".pcap.tmp"))
        return "the run's capture file";
    if (ends_with(p, n, "/pcaps") || ends_with(p, n, "/pcaps/"))
        return "the capture directory";
    if (ends_with(p, n, ".db") || ends_with(p, n, ".db-wal") ||
        ends_with(p, n, ".db-shm") || ends_with(p, n, ".db-journal"))
        return "the store's database";
    return "a file of the server";
}

/* A path worth hiding: absolute, more than "/", and not a kernel
 * interface (/proc, /sys), which every Linux host has alike. */
static bool hidden_path(const char *p, size_t n)
{
    return n > 1 && p[1] != '/' && p[1] != ' ' &&
           strncmp(p, "/proc/", 6) != 0 && strncmp(p, "/sys/", 5) != 0;
}

const char *wm_public_message(const char *message, char *buf, size_t len)
{
    assert(buf && len > 0);
    char joined[1024];
    size_t out = 0;
    for (const char *p = message; *p && out + 1 < sizeof joined;) {
        size_t n = *p == '/' && opens_path(message, p) ? path_length(p) : 0;
        if (n && hidden_path(p, n)) {
            int w = snprintf(joined + out, sizeof joined - out, "%s",
                             role_of(p, n));
            out = w > 0 && (size_t)w < sizeof joined - out
                      ? out + (size_t)w : sizeof joined - 1;
            p += n;
        } else {
            joined[out++] = *p++;
        }
    }
    joined[out] = '\0';
    /* Made safe too: a message may quote anything a client sent. */
    return wm_error_quote(joined, len > 4 ? len - 4 : 0, buf, len);
}

static bool of_the_server(wm_error_kind kind)
{
    return kind == WM_ERR_IO || kind == WM_ERR_INTERNAL ||
           kind == WM_ERR_NONE;
}

int wm_api_send_error(wm_http_request *req, const wm_error *err)
{
    wm_error shown = *err;
    if (of_the_server(err->kind)) {
        char path[220];
        fprintf(stderr, "wiremeter: %s %s: %s: %s\n", req->method,
                wm_error_quote(req->path, 200, path, sizeof path),
                wm_error_code(err->kind),
                err->message[0] ? err->message : "no message");
        snprintf(shown.message, sizeof shown.message,
                 "the server failed to answer this request (%s); its log "
                 "has the details", wm_error_code(err->kind));
        if (err->kind == WM_ERR_NONE)
            shown.kind = WM_ERR_INTERNAL;
    } else {
        wm_public_message(err->message, shown.message, sizeof shown.message);
    }
    return wm_http_send_wm_error(req, &shown);
}
