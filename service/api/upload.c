/* wm_upload: see wm_upload.h.
 *
 * gzip is read with zlib (gzread), the one library added for this: a
 * capture is often shared as capture.pcapng.gz, and decompressing it
 * streaming, bounded, in the daemon is what makes a 413 for a bomb
 * possible. A form is taken apart by hand: only its file part matters,
 * and its end is found by streaming the body past a window as long as
 * the delimiter, so that a file of any size costs 64 KiB. */
#include "wm_upload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK_BYTES (64u * 1024u)
/* A form's part headers before the file's bytes must fit in this: a page's
 * form has a few small fields. */
#define FORM_HEAD_BYTES (16u * 1024u)
#define BOUNDARY_MAX 70u /* RFC 2046 5.1.1 */

static bool type_is(const char *type, const char *want)
{
    size_t n = strcspn(type, "; \t");
    return strlen(want) == n && !strncasecmp(type, want, n);
}

int wm_upload_check_headers(const char *content_type, const char *encoding,
                            wm_error *err)
{
    if (encoding && strcasecmp(encoding, "identity") &&
        strcasecmp(encoding, "gzip"))
        return wm_error_param(err, WM_ERR_INVALID, "Content-Encoding",
                              "Content-Encoding %.40s is not supported; "
                              "allowed: gzip or none", encoding);
    if (!content_type || type_is(content_type, "application/vnd.tcpdump.pcap")
        || type_is(content_type, "application/octet-stream") ||
        type_is(content_type, "multipart/form-data"))
        return 0;
    return wm_error_param(err, WM_ERR_INVALID, "Content-Type",
                          "Content-Type %.60s is not a capture; send the "
                          "file's bytes as " WM_UPLOAD_TYPES_TEXT
                          " (curl --data-binary @FILE -H 'Content-Type: "
                          "application/vnd.tcpdump.pcap')", content_type);
}

/* A new temporary file of dir, named as the HTTP layer names uploads so
 * that start-up removes it when left behind. */
static int new_file(const char *dir, char **path, wm_error *err)
{
    if (asprintf(path, "%s/upload-XXXXXX.tmp", dir) < 0) {
        *path = NULL;
        return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    }
    int fd = mkstemps(*path, 4);
    if (fd < 0) {
        int e = errno;
        free(*path);
        *path = NULL;
        return wm_error_set(err, e == ENOSPC ? WM_ERR_NO_SPACE : WM_ERR_IO,
                            "storing the upload: %s", strerror(e));
    }
    return fd;
}

static int write_all(int fd, const unsigned char *data, size_t len,
                     wm_error *err)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return wm_error_set(err, errno == ENOSPC ? WM_ERR_NO_SPACE
                                                     : WM_ERR_IO,
                                "storing the upload: %s", strerror(errno));
        data += w, len -= (size_t)w;
    }
    return 0;
}

/* Closes what an unpacking wrote; when it failed (rc != 0) its file is
 * removed too, so that a refused upload leaves nothing behind. */
static int finish_output(int fd, char **out_path, uint64_t total,
                         uint64_t *out_size, int rc)
{
    if (fd >= 0)
        close(fd);
    if (rc != 0 && *out_path) {
        unlink(*out_path);
        free(*out_path);
        *out_path = NULL;
    }
    *out_size = total;
    return rc;
}

/* Decompresses path into a new file, at most max_bytes of output. */
static int gunzip(const char *dir, const char *path, uint64_t max_bytes,
                  char **out_path, uint64_t *out_size, wm_error *err)
{
    gzFile in = gzopen(path, "rb");
    if (!in)
        return wm_error_set(err, WM_ERR_IO, "reading the upload: %s",
                            strerror(errno));
    int fd = new_file(dir, out_path, err);
    unsigned char *buf = malloc(CHUNK_BYTES);
    int rc = fd < 0 ? -1 : 0;
    if (rc == 0 && !buf)
        rc = wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    uint64_t total = 0;
    while (rc == 0) {
        int n = gzread(in, buf, CHUNK_BYTES);
        if (n < 0) {
            int code = 0;
            const char *why = gzerror(in, &code);
            rc = wm_error_param(err, WM_ERR_INVALID, "body",
                                "the gzip stream is damaged or cut short "
                                "after %llu bytes of output: %s",
                                (unsigned long long)total, why);
        } else if (n == 0) {
            /* A stream cut short reads as an end: zlib says so apart. */
            int code = Z_OK;
            const char *why = gzerror(in, &code);
            if (code != Z_OK)
                rc = wm_error_param(err, WM_ERR_INVALID, "body",
                                    "the gzip stream is cut short or "
                                    "damaged after %llu bytes of output "
                                    "(%s); `gunzip -c` keeps what can be "
                                    "read: upload that",
                                    (unsigned long long)total, why);
            break;
        } else if ((total += (uint64_t)n) > max_bytes) {
            rc = wm_error_param(err, WM_ERR_TOO_LARGE, "body",
                                "the capture is over %llu bytes once "
                                "decompressed; allowed: up to %llu "
                                "(--max-upload)", (unsigned long long)max_bytes,
                                (unsigned long long)max_bytes);
        } else {
            rc = write_all(fd, buf, (size_t)n, err);
        }
    }
    free(buf);
    gzclose(in);
    return finish_output(fd, out_path, total, out_size, rc);
}

/* The boundary parameter of a multipart Content-Type, maybe quoted. */
static int form_boundary(const char *type, char *out, size_t size,
                         wm_error *err)
{
    const char *b = strcasestr(type, "boundary=");
    size_t n = 0;
    if (b) {
        b += strlen("boundary=");
        bool quoted = *b == '"';
        b += quoted;
        n = quoted ? strcspn(b, "\"") : strcspn(b, "; \t");
    }
    if (n == 0 || n > BOUNDARY_MAX || n >= size)
        return wm_error_param(err, WM_ERR_INVALID, "Content-Type",
                              "multipart/form-data needs a boundary of 1 to "
                              "%u characters", BOUNDARY_MAX);
    memcpy(out, b, n);
    out[n] = '\0';
    return 0;
}

/* Where the bytes of the form's file part begin (the part whose
 * Content-Disposition names a filename), within head (len bytes, the
 * form's first FORM_HEAD_BYTES); 0 when there is none there. */
static size_t file_part_start(const char *head, size_t len,
                              const char *delim)
{
    size_t dlen = strlen(delim);
    /* The first delimiter may begin the body: it is searched for without
     * its CRLF. */
    const char *p = memmem(head, len, delim + 2, dlen - 2);
    if (!p)
        return 0;
    p += dlen - 2;
    for (;;) {
        const char *end = memmem(p, len - (size_t)(p - head), "\r\n\r\n", 4);
        if (!end)
            return 0;
        if (memmem(p, (size_t)(end - p), "filename=", 9))
            return (size_t)(end + 4 - head);
        const char *next = memmem(end, len - (size_t)(end - head), delim,
                                  dlen);
        if (!next)
            return 0;
        p = next + dlen;
    }
}

/* Copies the bytes of the form's file part into a new file: from its
 * start to the first CRLF--boundary, searched across chunks. */
static int form_file(const char *dir, const char *path, const char *type,
                     char **out_path, uint64_t *out_size, wm_error *err)
{
    char boundary[BOUNDARY_MAX + 1], delim[BOUNDARY_MAX + 8];
    if (form_boundary(type, boundary, sizeof boundary, err) != 0)
        return -1;
    snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    size_t dlen = strlen(delim);
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return wm_error_set(err, WM_ERR_IO, "reading the upload: %s",
                            strerror(errno));
    unsigned char *buf = malloc(CHUNK_BYTES + FORM_HEAD_BYTES);
    if (!buf) {
        close(in);
        return wm_error_set(err, WM_ERR_INTERNAL, "out of memory");
    }
    ssize_t got = read(in, buf, FORM_HEAD_BYTES);
    size_t start = got > 0 ? file_part_start((const char *)buf,
                                             (size_t)got, delim) : 0;
    int rc = 0, fd = -1;
    if (start == 0)
        rc = wm_error_param(err, WM_ERR_INVALID, "body",
                            "the form has no file part (a part whose "
                            "Content-Disposition has a filename) within "
                            "its first %u bytes", FORM_HEAD_BYTES);
    else
        fd = new_file(dir, out_path, err), rc = fd < 0 ? -1 : 0;
    /* held: bytes of buf not yet written, which may begin a delimiter. */
    size_t held = 0;
    if (rc == 0) {
        held = (size_t)got - start;
        memmove(buf, buf + start, held);
    }
    uint64_t total = 0;
    bool found = false;
    while (rc == 0 && !found) {
        unsigned char *hit = memmem(buf, held, delim, dlen);
        size_t safe = hit ? (size_t)(hit - buf)
                          : (held >= dlen ? held - (dlen - 1) : 0);
        found = hit != NULL;
        rc = write_all(fd, buf, safe, err);
        total += safe;
        memmove(buf, buf + safe, held - safe);
        held -= safe;
        if (found || rc != 0)
            break;
        ssize_t n = read(in, buf + held, CHUNK_BYTES);
        if (n < 0)
            rc = wm_error_set(err, WM_ERR_IO, "reading the upload: %s",
                              strerror(errno));
        else if (n == 0)
            rc = wm_error_param(err, WM_ERR_INVALID, "body",
                                "the form ends before the boundary that "
                                "closes its file part");
        else
            held += (size_t)n;
    }
    free(buf);
    close(in);
    return finish_output(fd, out_path, total, out_size, rc);
}

/* The first four bytes of a pcap (either byte order, micro- or
 * nanosecond) or of a pcapng (its Section Header Block type). */
static bool capture_magic(const unsigned char m[4])
{
    static const unsigned char magics[][4] = {
        {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4},
        {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d},
        {0x0a, 0x0d, 0x0d, 0x0a},
    };
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (!memcmp(m, magics[i], 4))
            return true;
    return false;
}

static void first_bytes(const char *path, unsigned char m[4])
{
    memset(m, 0, 4);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (read(fd, m, 4) != 4)
        memset(m, 0, 4);
    close(fd);
}

/* Replaces *cur (owned when it is not orig) by next. */
static void step(char **cur, const char *orig, char *next)
{
    if (*cur != orig) {
        unlink(*cur);
        free(*cur);
    }
    *cur = next;
}

int wm_upload_unwrap(const char *dir, const char *path, uint64_t size,
                     const char *content_type, const char *encoding,
                     uint64_t max_bytes, char **out_path, uint64_t *out_size,
                     int *unsupported, wm_error *err)
{
    char *cur = (char *)path, *next = NULL;
    uint64_t cur_size = size;
    *unsupported = 0;
    if (content_type && type_is(content_type, "multipart/form-data")) {
        if (form_file(dir, cur, content_type, &next, &cur_size, err) != 0)
            return -1;
        step(&cur, path, next);
    }
    unsigned char m[4];
    first_bytes(cur, m);
    bool gzipped = (encoding && !strcasecmp(encoding, "gzip")) ||
                   (m[0] == 0x1f && m[1] == 0x8b);
    if (gzipped) {
        if (gunzip(dir, cur, max_bytes, &next, &cur_size, err) != 0) {
            step(&cur, path, NULL);
            return -1;
        }
        step(&cur, path, next);
        first_bytes(cur, m);
    }
    if (!capture_magic(m)) {
        step(&cur, path, NULL);
        *unsupported = 1;
        return wm_error_param(
            err, WM_ERR_INVALID, "body",
            "the %s is not a pcap or pcapng file: it begins with %02x %02x "
            "%02x %02x; a pcap begins with a1 b2 c3 d4 (or a1 b2 3c 4d, "
            "either byte order), a pcapng with 0a 0d 0d 0a",
            gzipped ? "decompressed body" : "body", m[0], m[1], m[2], m[3]);
    }
    *out_path = cur;
    *out_size = cur_size;
    return 0;
}
