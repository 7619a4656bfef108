/* spill: see spill.h. A fopencookie stream: stdio buffers as the caller
 * set it, and each buffer it writes out lands in spill_write, which
 * appends to memory or, past the bound, to the file. */
#include "spill.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void wm_blob_free(wm_blob *blob)
{
    if (!blob)
        return;
    free(blob->data);
    memset(blob, 0, sizeof *blob);
}

void wm_run_blobs_free(wm_run_blobs *blobs)
{
    if (!blobs)
        return;
    wm_blob_free(&blobs->pcap);
    wm_blob_free(&blobs->rows);
    wm_blob_free(&blobs->series);
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The file, with what memory held so far; the memory freed. */
static int to_file(spill *s)
{
    assert(s->fd < 0);
    s->fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (s->fd < 0)
        return -1;
    if (s->len && write_all(s->fd, s->mem, s->len) != 0)
        return -1;
    free(s->mem);
    s->mem = NULL;
    s->len = s->cap = 0;
    return 0;
}

static int hold(spill *s, const char *buf, size_t n)
{
    assert(n <= s->max - s->len);
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : s->max < 4096 ? s->max : 4096;
        while (cap < s->len + n)
            cap = cap > s->max / 2 ? s->max : cap * 2;
        unsigned char *mem = realloc(s->mem, cap);
        if (!mem) {
            errno = ENOMEM;
            return -1;
        }
        s->mem = mem;
        s->cap = cap;
    }
    memcpy(s->mem + s->len, buf, n);
    s->len += n;
    return 0;
}

/* fopencookie's contract: the bytes taken, 0 with errno set on failure
 * (stdio then sets the stream's error flag). */
static ssize_t spill_write(void *cookie, const char *buf, size_t n)
{
    spill *s = cookie;
    if (s->fd < 0 && n <= s->max - s->len)
        return hold(s, buf, n) == 0 ? (ssize_t)n : 0;
    if (s->fd < 0 && to_file(s) != 0)
        return 0;
    return write_all(s->fd, buf, n) == 0 ? (ssize_t)n : 0;
}

/* The file stays open until spill_take or spill_discard: the caller may
 * still fsync it after fclose flushed the last buffer. */
static int spill_close(void *cookie)
{
    (void)cookie;
    return 0;
}

FILE *spill_open(spill *s, const char *path, size_t max)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->max = max;
    s->path = strdup(path);
    if (!s->path) {
        errno = ENOMEM;
        return NULL;
    }
    if (max == 0 && to_file(s) != 0) {
        int errnum = errno;
        spill_discard(s);
        errno = errnum;
        return NULL;
    }
    cookie_io_functions_t io = {.write = spill_write, .close = spill_close};
    FILE *f = fopencookie(s, "w", io);
    if (!f) {
        int errnum = errno ? errno : ENOMEM;
        spill_discard(s);
        errno = errnum;
    }
    return f;
}

int spill_sync(spill *s)
{
    return s->fd < 0 ? 0 : fsync(s->fd);
}

long long spill_size(const spill *s)
{
    if (s->fd < 0)
        return (long long)s->len;
    struct stat st;
    return fstat(s->fd, &st) == 0 ? (long long)st.st_size : -1;
}

/* A spill never opened (zeroed: path NULL) holds nothing, fd 0 included. */
static void release(spill *s)
{
    if (s->path && s->fd >= 0)
        close(s->fd);
    free(s->mem);
    free(s->path);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

void spill_take(spill *s, wm_blob *out)
{
    memset(out, 0, sizeof *out);
    if (s->fd < 0 && s->path) {
        out->data = s->mem;
        out->len = s->len;
        out->held = true;
        s->mem = NULL;
    }
    release(s);
}

void spill_discard(spill *s)
{
    if (s->path && s->fd >= 0)
        unlink(s->path);
    release(s);
}
