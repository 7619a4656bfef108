/* The chart page's files under the web root at /, and Chart.js from the
 * Debian package at /vendor/chart.js.
 *
 * Refusal comes before any file system access: a path with a ".." or "."
 * segment, a hidden name, a backslash or an encoded NUL or slash is a 400,
 * whatever the file system would have made of it. Then realpath() must
 * land inside the (resolved) root, so a symlink cannot lead out either.
 * Directories are never listed: a directory answers its index.html or 404.
 * Only regular files are served: a FIFO, socket or device under the root
 * is a 404, found without blocking (open would wait for a FIFO's writer
 * and hold the connection's thread, and every connection polled by it).
 * Server paths stay in the log: an answer names only the request's path.
 * Caching: a strong ETag from size and mtime, and Last-Modified, with
 * If-None-Match (preferred) and If-Modified-Since answered by 304. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wm_handlers.h"

static const char *const content_types[][2] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
    {".webmanifest", "application/manifest+json"},
};

static const char *content_type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof content_types / sizeof *content_types;
             i++)
            if (!strcasecmp(dot, content_types[i][0]))
                return content_types[i][1];
    return "application/octet-stream";
}

/* The raw target's path, before libmicrohttpd decoded it: %00 and %2f
 * would otherwise be invisible or indistinguishable from a real '/'. */
static bool raw_path_ok(const char *raw)
{
    for (const char *p = raw; *p && *p != '?'; p++)
        if (*p == '%' && p[1] && p[2] &&
            ((p[1] == '0' && p[2] == '0') ||
             (p[1] == '2' && (p[2] == 'f' || p[2] == 'F')) ||
             (p[1] == '5' && (p[2] == 'c' || p[2] == 'C'))))
            return false;
    return true;
}

/* Each segment: not empty, not starting with '.', no backslash. */
static bool rel_path_ok(const char *rel)
{
    if (strchr(rel, '\\'))
        return false;
    const char *s = rel;
    while (*s) {
        const char *end = strchrnul(s, '/');
        if (end == s || *s == '.')
            return false;
        s = *end ? end + 1 : end;
    }
    return true;
}

static void http_date(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static bool not_modified(wm_http_request *req, const char *etag,
                         time_t mtime)
{
    const char *inm = wm_http_header(req, "If-None-Match");
    if (inm)
        return strstr(inm, etag) != NULL || !strcmp(inm, "*");
    const char *ims = wm_http_header(req, "If-Modified-Since");
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!ims || !strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm))
        return false;
    return mtime <= timegm(&tm);
}

/* A regular file opened for reading, or -1. O_NONBLOCK: opening a FIFO
 * returns at once (and is then refused), as nginx does; for a regular
 * file the flag changes nothing. */
static int open_regular(const char *path, struct stat *st)
{
    if (stat(path, st) != 0 || !S_ISREG(st->st_mode))
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    /* fstat again: the name may have been replaced in between. */
    if (fd >= 0 && (fstat(fd, st) != 0 || !S_ISREG(st->st_mode))) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Sends a regular file that is known to be allowed. */
static int serve_file(wm_http_request *req, const char *path,
                      const char *type, const char *cache_control)
{
    struct stat st;
    int fd = open_regular(path, &st);
    if (fd < 0) {
        char shown[220];
        return wm_http_send_error(req, 404, "not_found", "path",
                                  "no such file: %s",
                                  wm_error_quote(req->path, 200, shown,
                                                 sizeof shown));
    }
    char etag[64], modified[64];
    snprintf(etag, sizeof etag, "\"%" PRIx64 "-%" PRIx64 "\"",
             (uint64_t)st.st_size,
             (uint64_t)st.st_mtim.tv_sec * 1000000000u +
                 (uint64_t)st.st_mtim.tv_nsec);
    http_date(st.st_mtim.tv_sec, modified, sizeof modified);
    struct MHD_Response *resp = NULL;
    unsigned status = 200;
    if (not_modified(req, etag, st.st_mtim.tv_sec)) {
        close(fd);
        status = 304;
        resp = MHD_create_response_from_buffer(0, (void *)"",
                                               MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
        if (!resp)
            close(fd);
        else
            MHD_add_response_header(resp, "Content-Type", type);
    }
    if (!resp)
        return -1;
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Last-Modified", modified);
    MHD_add_response_header(resp, "Cache-Control", cache_control);
    return wm_http_queue(req, status, resp);
}

/* root/rel resolved; 0 when it is inside root, else an error sent. */
static int resolve(wm_http_request *req, const char *rel, char *out)
{
    const char *root = req->app->config->web_root;
    char root_real[PATH_MAX], joined[PATH_MAX], shown[220];
    if (!realpath(root, root_real)) {
        fprintf(stderr, "wiremeter: the web root %s is missing: %s\n", root,
                strerror(errno));
        return wm_http_send_error(req, 404, "not_found", "path",
                                  "the page is not installed on this server "
                                  "(its log says where it was looked for)")
                       == 0 ? 1 : -1;
    }
    int n = snprintf(joined, sizeof joined, "%s/%s", root_real, rel);
    struct stat st;
    if (n < 0 || (size_t)n >= sizeof joined || !realpath(joined, out))
        return wm_http_send_error(req, 404, "not_found", "path",
                                  "no such file: %s",
                                  wm_error_quote(req->path, 200, shown,
                                                 sizeof shown)) == 0 ? 1
                                                                     : -1;
    size_t root_len = strlen(root_real);
    if (strncmp(out, root_real, root_len) != 0 ||
        (out[root_len] != '/' && out[root_len] != '\0'))
        return wm_http_send_error(req, 400, "invalid_path", "path",
                                  "the path leads outside the web root") == 0
                   ? 1 : -1;
    if (stat(out, &st) == 0 && S_ISDIR(st.st_mode) &&
        strlen(out) + sizeof "/index.html" <= PATH_MAX)
        strcat(out, "/index.html");
    return 0;
}

int wm_handle_static(wm_http_request *req)
{
    const char *rel = req->rest && req->rest[0] ? req->rest : "index.html";
    if (!raw_path_ok(req->raw_uri) || !rel_path_ok(rel) ||
        strlen(rel) >= PATH_MAX / 2)
        return wm_http_send_error(req, 400, "invalid_path", "path",
                                  "the path is not allowed: no '..' or '.' "
                                  "segments, hidden names, backslashes or "
                                  "encoded NUL or slashes");
    char path[PATH_MAX];
    int rc = resolve(req, rel, path);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    return serve_file(req, path, content_type_of(path), "no-cache");
}

int wm_handle_chartjs(wm_http_request *req)
{
    const char *path = req->app->config->chartjs_path;
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "wiremeter: Chart.js is not at %s: %s\n", path,
                strerror(errno));
        return wm_http_send_error(req, 404, "not_found", "chartjs",
                                  "Chart.js is not installed where this "
                                  "server looks for it: install "
                                  "libjs-chart.js or set --chartjs "
                                  "(WIREMETER_CHARTJS)");
    }
    return serve_file(req, path, "text/javascript; charset=utf-8",
                      "public, max-age=86400");
}
