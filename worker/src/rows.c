/* rows: see rows.h. The records' layout is rows_format.h's; a file being
 * written as packets arrive is rows_spool.c's. */
#include "rows.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rows_format.h"
#include "rows_spool.h"
#include "wm_report.h"

#define WRITE_BUFFER_BYTES (256u * 1024u)

static void header_of(const wm_analysis *analysis, const wm_connection *conn,
                      rows_header *h)
{
    rows_header_init(h);
    h->count = conn->packet_count;
    h->first_ts_ns = analysis->first_ts_ns;
    for (int side = 0; side < 2; side++) {
        h->addr[side] = conn->side[side].addr;
        h->port[side] = conn->side[side].port;
    }
}

/* Every packet of a connection is between its two endpoints, the sender
 * being the side info names; a row rebuilt from the header says so too. */
static bool sent_by_side(const rows_header *h, const wm_packet *p,
                         const wm_packet_info *info)
{
    int from = info->from == WM_SIDE_SERVER ? 1 : 0;
    return p->src_port == h->port[from] && p->dst_port == h->port[!from] &&
           wm_addr_equal(&p->src, &h->addr[from]) &&
           wm_addr_equal(&p->dst, &h->addr[!from]);
}

/* No path in the messages: a run's error is read by anyone. */
static int write_error(wm_error *err, int errnum)
{
    return wm_error_set(err, errnum == ENOSPC || errnum == EDQUOT
                                 ? WM_ERR_NO_SPACE : WM_ERR_IO,
                        "writing the run's packet rows: %s",
                        strerror(errnum));
}

static int write_records(FILE *f, const rows_header *h,
                         const wm_trace *trace, const wm_connection *conn,
                         wm_error *err)
{
    if (fwrite(h, sizeof *h, 1, f) != 1)
        return write_error(err, errno);
    for (size_t i = 0; i < conn->packet_count; i++) {
        const wm_packet_info *info = &conn->packets[i];
        const wm_packet *p = &trace->packets[info->packet];
        if (!sent_by_side(h, p, info))
            return wm_error_set(err, WM_ERR_INTERNAL,
                                "rows: packet %zu is not between the "
                                "connection's endpoints", i);
        rows_record r;
        rows_record_of(p, info, &r);
        if (fwrite(&r, sizeof r, 1, f) != 1)
            return write_error(err, errno);
    }
    return 0;
}

int wm_rows_write(const char *path, const wm_trace *trace,
                  const wm_analysis *analysis, const wm_connection *conn,
                  wm_error *err)
{
    return wm_rows_write_held(path, trace, analysis, conn, 0, NULL, err);
}

int wm_rows_write_held(const char *path, const wm_trace *trace,
                       const wm_analysis *analysis,
                       const wm_connection *conn, size_t inline_max,
                       wm_blob *held, wm_error *err)
{
    if (conn->spool) /* a run's rows, written as its packets came */
        return rows_spool_commit(conn->spool, path, analysis->first_ts_ns,
                                 inline_max, held, err);
    if (!wm_connection_has_rows(conn))
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "rows: the connection's rows were not kept");
    FILE *f = fopen(path, "wb");
    if (!f)
        return write_error(err, errno);
    /* Fewer, larger writes: a million rows are 176 MB. */
    char *buffer = malloc(WRITE_BUFFER_BYTES);
    if (buffer)
        setvbuf(f, buffer, _IOFBF, WRITE_BUFFER_BYTES);
    rows_header h;
    header_of(analysis, conn, &h);
    int rc = write_records(f, &h, trace, conn, err);
    if (fclose(f) != 0 && rc == 0)
        rc = write_error(err, errno);
    free(buffer);
    if (rc != 0)
        unlink(path);
    return rc;
}

static int stale(const char *path, wm_error *err)
{
    return wm_error_set(err, WM_ERR_NOT_FOUND,
                        "rows: %s is not a rows file of this version", path);
}

/* Whether h, read from the start of a rows file of size bytes, is of
 * this layout and agrees with the size. */
static bool header_ok(const rows_header *h, uint64_t size)
{
    return !memcmp(h->magic, ROWS_MAGIC, sizeof h->magic) &&
           h->version == ROWS_VERSION &&
           h->record_bytes == sizeof(rows_record) &&
           h->count <= (UINT64_MAX - sizeof *h) / sizeof(rows_record) &&
           size == sizeof *h + h->count * sizeof(rows_record);
}

/* Opens the file and checks its header against its size. */
static int open_rows(const char *path, rows_header *h, wm_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wm_error_set(err, errno == ENOENT ? WM_ERR_NOT_FOUND
                                                 : WM_ERR_IO,
                            "rows: %s: %s", path, strerror(errno));
    struct stat st;
    bool ok = fstat(fd, &st) == 0 &&
              pread(fd, h, sizeof *h, 0) == (ssize_t)sizeof *h &&
              header_ok(h, (uint64_t)st.st_size);
    if (!ok) {
        close(fd);
        return stale(path, err);
    }
    return fd;
}

static json_t *render(const rows_header *h, const rows_record *records,
                      size_t count)
{
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < count; i++) {
        wm_packet p;
        wm_packet_info info;
        rows_packet_of(h, &records[i], &p, &info);
        if (json_array_append_new(
                rows, wm_report_packet_row(&p, &info, h->first_ts_ns)) != 0) {
            json_decref(rows);
            rows = NULL;
        }
    }
    return rows;
}

/* How many rows of h a page at offset of at most limit rows holds. */
static size_t page_count(const rows_header *h, size_t offset, size_t limit)
{
    if (offset >= h->count)
        return 0;
    return h->count - offset < limit ? (size_t)(h->count - offset) : limit;
}

/* Where a page's records come from: a rows file (fd) or its bytes held
 * in memory (data), already checked against their header. */
typedef struct rows_source {
    const char *name;          /* for the error of a file cut short */
    int fd;                    /* -1: read data instead */
    const unsigned char *data;
} rows_source;

/* The bytes of a rows file need not be aligned for its records (a
 * database hands them out as it likes): records are copied out of held
 * bytes, as pread would. 0, or -1 when the file is shorter than its
 * header said (cut since it was opened). */
static int read_records(const rows_source *src, void *dst, size_t at,
                        size_t len)
{
    if (src->fd < 0) {
        memcpy(dst, src->data + at, len);
        return 0;
    }
    return pread(src->fd, dst, len, (off_t)at) == (ssize_t)len ? 0 : -1;
}

static json_t *page(const rows_source *src, const rows_header *h,
                    size_t offset, size_t limit, size_t *total,
                    wm_error *err)
{
    size_t count = page_count(h, offset, limit);
    rows_record *records = count ? calloc(count, sizeof *records) : NULL;
    json_t *rows = NULL;
    if (count && !records) {
        wm_error_set(err, WM_ERR_INTERNAL, "rows: out of memory");
    } else if (count &&
               read_records(src, records, sizeof *h + offset * sizeof *records,
                            count * sizeof *records) != 0) {
        stale(src->name, err);
    } else if (!(rows = render(h, records, count))) {
        wm_error_set(err, WM_ERR_INTERNAL, "rows: out of memory");
    } else {
        *total = (size_t)h->count;
    }
    free(records);
    return rows;
}

json_t *wm_rows_page(const char *path, size_t offset, size_t limit,
                     size_t *total, wm_error *err)
{
    rows_header h;
    int fd = open_rows(path, &h, err);
    if (fd < 0)
        return NULL;
    rows_source src = {.name = path, .fd = fd};
    json_t *rows = page(&src, &h, offset, limit, total, err);
    close(fd);
    return rows;
}

json_t *wm_rows_page_held(const void *data, size_t len, size_t offset,
                          size_t limit, size_t *total, wm_error *err)
{
    rows_header h;
    if (len >= sizeof h)
        memcpy(&h, data, sizeof h);
    if (len < sizeof h || !header_ok(&h, len)) {
        stale("(held rows)", err);
        return NULL;
    }
    rows_source src = {.name = "(held rows)", .fd = -1, .data = data};
    return page(&src, &h, offset, limit, total, err);
}
