/* rows_spool: see rows_spool.h.
 *
 * Two buffers of records, so that neither writing nor the analysis's few
 * look-ups cost a system call per row: the tail not yet written (every
 * row from `flushed` on, appended to and patched in memory) and a window
 * of the file read back (the summary scans forward from a handshake or a
 * FIN, so one read serves many rows). A patch of rows already written is
 * a read, a change and a write of each window they span. */
/* O_TMPFILE and mkostemp need _GNU_SOURCE, which the build defines. */
#include "rows_spool.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rows_format.h"

#define WRITE_RECORDS 1024u /* about 100 KiB */
#define READ_RECORDS 256u
#define COPY_BYTES (256u * 1024u)

struct rows_spool {
    int fd;                  /* -1 until the tail first fills */
    bool linkable;           /* O_TMPFILE: linkat puts it in place */
    char *dir;               /* where the file is made */
    rows_header head;        /* endpoints by the records' `from` */
    uint64_t count;          /* rows appended */
    uint64_t flushed;        /* rows [0, flushed) are in the file */
    uint64_t window_first;   /* window holds rows [window_first, */
    size_t window_count;     /*  window_first + window_count) */
    /* The buffers last: what precedes them is zeroed at the start. */
    rows_record tail[WRITE_RECORDS];  /* rows [flushed, count) */
    rows_record window[READ_RECORDS];
};

/* No path in the messages: a run's error is read by anyone. */
static int io_error(wm_error *err, int errnum)
{
    return wm_error_set(err, errnum == ENOSPC || errnum == EDQUOT
                                 ? WM_ERR_NO_SPACE : WM_ERR_IO,
                        "writing the run's packet rows: %s",
                        strerror(errnum));
}

static off_t offset_of(uint64_t row)
{
    return (off_t)(sizeof(rows_header) + row * sizeof(rows_record));
}

static int write_at(int fd, const void *data, size_t len, off_t off,
                    wm_error *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return io_error(err, n < 0 ? errno : EIO);
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

static int read_at(int fd, void *data, size_t len, off_t off, wm_error *err)
{
    char *p = data;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return wm_error_set(err, WM_ERR_IO,
                                "reading the run's packet rows: %s",
                                n < 0 ? strerror(errno) : "cut short");
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

static int open_anonymous(const char *dir, bool *linkable)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
    *linkable = fd >= 0;
    if (fd >= 0)
        return fd;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/.wm-rows-XXXXXX", dir) >=
        (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* The file is made when the tail first fills, not before: the rows of
 * a small run never leave memory, and a run whose rows are kept in
 * memory (rows_spool_commit's inline_max) makes no inode at all. */
int rows_spool_open(const char *dir, rows_spool **out, wm_error *err)
{
    *out = NULL;
    if (!dir) {
        dir = getenv("TMPDIR");
        if (!dir || !dir[0])
            dir = "/tmp";
    }
    rows_spool *s = malloc(sizeof *s);
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        return wm_error_set(err, WM_ERR_INTERNAL, "rows: out of memory");
    }
    char *kept = s->dir;
    memset(s, 0, offsetof(rows_spool, tail)); /* the buffers need not be */
    s->dir = kept;
    s->fd = -1;
    rows_header_init(&s->head);
    *out = s;
    return 0;
}

uint64_t rows_spool_count(const rows_spool *spool)
{
    return spool->count;
}

static int flush_tail(rows_spool *s, wm_error *err)
{
    size_t n = (size_t)(s->count - s->flushed);
    if (n && s->fd < 0) {
        s->fd = open_anonymous(s->dir, &s->linkable);
        if (s->fd < 0)
            return io_error(err, errno);
    }
    if (n && write_at(s->fd, s->tail, n * sizeof *s->tail,
                      offset_of(s->flushed), err) != 0)
        return -1;
    s->flushed = s->count;
    return 0;
}

/* Records the endpoints with the first row; every later row must be
 * between them, the sender being the side it names. */
static bool between_endpoints(rows_spool *s, const wm_packet *p, int from)
{
    rows_header *h = &s->head;
    if (s->count == 0) {
        h->addr[from] = p->src;
        h->addr[!from] = p->dst;
        h->port[from] = p->src_port;
        h->port[!from] = p->dst_port;
    }
    return p->src_port == h->port[from] && p->dst_port == h->port[!from] &&
           wm_addr_equal(&p->src, &h->addr[from]) &&
           wm_addr_equal(&p->dst, &h->addr[!from]);
}

int rows_spool_append(rows_spool *s, const wm_packet *p,
                      const wm_packet_info *info, wm_error *err)
{
    int from = info->from == WM_SIDE_SERVER ? 1 : 0;
    if (!between_endpoints(s, p, from))
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "rows: packet %llu is not between the "
                            "connection's endpoints",
                            (unsigned long long)s->count);
    if (s->count - s->flushed == WRITE_RECORDS && flush_tail(s, err) != 0)
        return -1;
    rows_record_of(p, info, &s->tail[s->count - s->flushed]);
    s->count++;
    return 0;
}

/* The window holding row i (< flushed), read when it does not. */
static const rows_record *in_window(rows_spool *s, uint64_t i, wm_error *err)
{
    assert(i < s->flushed);
    if (i >= s->window_first && i - s->window_first < s->window_count)
        return &s->window[i - s->window_first];
    uint64_t n = s->flushed - i < READ_RECORDS ? s->flushed - i
                                               : READ_RECORDS;
    s->window_count = 0;
    if (read_at(s->fd, s->window, (size_t)n * sizeof *s->window,
                offset_of(i), err) != 0)
        return NULL;
    s->window_first = i;
    s->window_count = (size_t)n;
    return s->window;
}

int rows_spool_get(rows_spool *s, uint64_t i, wm_packet *p,
                   wm_packet_info *info, wm_error *err)
{
    assert(i < s->count);
    const rows_record *r = i >= s->flushed ? &s->tail[i - s->flushed]
                                           : in_window(s, i, err);
    if (!r)
        return -1;
    rows_packet_of(&s->head, r, p, info);
    return 0;
}

typedef void (*record_op)(rows_record *r, uint32_t arg);

static void add_marks(rows_record *r, uint32_t marks)
{
    r->marks |= marks;
}

static void flip_side(rows_record *r, uint32_t unused)
{
    (void)unused;
    r->from = r->from ? 0 : 1;
}

/* op on rows [first, end): the written ones a window at a time. */
static int update(rows_spool *s, uint64_t first, uint64_t end, record_op op,
                  uint32_t arg, wm_error *err)
{
    assert(first <= end && end <= s->count);
    for (uint64_t i = first; i < end && i < s->flushed;) {
        rows_record *r = (rows_record *)in_window(s, i, err);
        if (!r)
            return -1;
        size_t n = s->window_count - (size_t)(i - s->window_first);
        if (n > end - i)
            n = (size_t)(end - i);
        for (size_t k = 0; k < n; k++)
            op(&r[k], arg);
        if (write_at(s->fd, r, n * sizeof *r, offset_of(i), err) != 0) {
            s->window_count = 0; /* the file may differ from it now */
            return -1;
        }
        i += n;
    }
    for (uint64_t i = first > s->flushed ? first : s->flushed; i < end; i++)
        op(&s->tail[i - s->flushed], arg);
    return 0;
}

int rows_spool_mark(rows_spool *s, uint64_t first, uint64_t end,
                    uint32_t marks, wm_error *err)
{
    return update(s, first, end, add_marks, marks, err);
}

int rows_spool_flip(rows_spool *s, wm_error *err)
{
    rows_header *h = &s->head;
    wm_addr addr = h->addr[0];
    uint16_t port = h->port[0];
    h->addr[0] = h->addr[1];
    h->port[0] = h->port[1];
    h->addr[1] = addr;
    h->port[1] = port;
    return update(s, 0, s->count, flip_side, 0, err);
}

/* The whole file into a new one at path (no O_TMPFILE to link). */
static int copy_to(rows_spool *s, const char *path, wm_error *err)
{
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (out < 0)
        return io_error(err, errno);
    char *buf = malloc(COPY_BYTES);
    int rc = buf ? 0 : wm_error_set(err, WM_ERR_INTERNAL,
                                    "rows: out of memory");
    off_t total = offset_of(s->count);
    for (off_t off = 0; rc == 0 && off < total;) {
        size_t n = total - off < (off_t)COPY_BYTES ? (size_t)(total - off)
                                                   : COPY_BYTES;
        rc = read_at(s->fd, buf, n, off, err);
        if (rc == 0)
            rc = write_at(out, buf, n, off, err);
        off += (off_t)n;
    }
    free(buf);
    if (close(out) != 0 && rc == 0)
        rc = io_error(err, errno);
    return rc;
}

/* The rows file's bytes into out, when they are all still in memory
 * and no more than max: header then tail. */
static bool hold(rows_spool *s, size_t max, wm_blob *out)
{
    uint64_t bytes = (uint64_t)offset_of(s->count);
    if (s->flushed != 0 || bytes > max)
        return false;
    assert(s->fd < 0);
    unsigned char *data = malloc((size_t)bytes);
    if (!data)
        return false; /* the file then, as for a large one */
    memcpy(data, &s->head, sizeof s->head);
    memcpy(data + sizeof s->head, s->tail, (size_t)bytes - sizeof s->head);
    *out = (wm_blob){.data = data, .len = (size_t)bytes, .held = true};
    return true;
}

int rows_spool_commit(rows_spool *s, const char *path, int64_t first_ts_ns,
                      size_t inline_max, wm_blob *held, wm_error *err)
{
    s->head.count = s->count;
    s->head.first_ts_ns = first_ts_ns;
    if (held && hold(s, inline_max, held))
        return 0;
    if (s->count == s->flushed && s->fd < 0) {
        /* No row yet: the file is the header alone. */
        s->fd = open_anonymous(s->dir, &s->linkable);
        if (s->fd < 0)
            return io_error(err, errno);
    }
    if (flush_tail(s, err) != 0 ||
        write_at(s->fd, &s->head, sizeof s->head, 0, err) != 0)
        return -1;
    if (unlink(path) != 0 && errno != ENOENT)
        return io_error(err, errno);
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", s->fd);
    if (s->linkable &&
        linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    if (copy_to(s, path, err) == 0)
        return 0;
    unlink(path);
    return -1;
}

void rows_spool_free(rows_spool *spool)
{
    if (!spool)
        return;
    if (spool->fd >= 0)
        close(spool->fd);
    free(spool->dir);
    free(spool);
}
