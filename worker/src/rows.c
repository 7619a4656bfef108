/* rows: see rows.h. A record keeps exactly what wm_report_packet_row
 * reads; the addresses and ports are the connection's, kept once in the
 * header and given back to each row by the side that sent it. */
#include "rows.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wm_report.h"

#define ROWS_MAGIC "WMROWS\r\n"  /* a text transfer would mangle it */
#define ROWS_VERSION 1u          /* bumped whenever a record changes */
#define WRITE_BUFFER_BYTES (256u * 1024u)

/* Option flags of a record. */
enum {
    OPT_MSS = 1u << 0, OPT_WSCALE = 1u << 1, OPT_SACK_PERM = 1u << 2,
    OPT_TIMESTAMPS = 1u << 3, OPT_EOL = 1u << 4, OPT_TRUNCATED = 1u << 5,
};

typedef struct rows_header {
    char magic[8];
    uint32_t version, record_bytes;
    uint64_t count;
    int64_t first_ts_ns;
    wm_addr addr[2];      /* by side: client, server */
    uint16_t port[2];
} rows_header;

/* Ordered so that no padding falls inside (104 bytes). */
typedef struct rows_record {
    int64_t ts_ns;
    uint32_t frame_no, frame_len, seq, ack, payload_len;
    uint32_t rel_seq, rel_ack;
    uint32_t window;      /* scaled: at most 65535 << 14, below 2^30 */
    uint32_t marks, dup_ack_num, dup_ack_frame;
    uint32_t ts_val, ts_ecr;
    uint32_t sack[WM_TCP_MAX_SACK_BLOCKS][2];
    uint16_t window_raw, mss;
    uint8_t flags, from, opt_bits, wscale;
    uint8_t sack_count, nop_count, unknown_count, unused;
} rows_record;

_Static_assert(sizeof(rows_record) == 104, "a record has no padding");

static void record_of(const wm_packet *p, const wm_packet_info *info,
                      rows_record *r)
{
    const wm_tcp_options *o = &p->opts;
    assert(info->window <= UINT32_MAX); /* the shift is at most 14 */
    assert(o->sack_count <= WM_TCP_MAX_SACK_BLOCKS);
    *r = (rows_record){
        .ts_ns = p->ts_ns, .frame_no = p->frame_no,
        .frame_len = p->frame_len, .seq = p->seq, .ack = p->ack,
        .payload_len = p->payload_len, .rel_seq = info->rel_seq,
        .rel_ack = info->rel_ack, .window = (uint32_t)info->window,
        .marks = info->marks, .dup_ack_num = info->dup_ack_num,
        .dup_ack_frame = info->dup_ack_frame, .ts_val = o->ts_val,
        .ts_ecr = o->ts_ecr, .window_raw = p->window, .mss = o->mss,
        .flags = p->flags, .from = (uint8_t)info->from,
        .wscale = o->wscale, .sack_count = o->sack_count,
        .nop_count = o->nop_count, .unknown_count = o->unknown_count,
    };
    r->opt_bits = (uint8_t)((o->has_mss ? OPT_MSS : 0) |
                            (o->has_wscale ? OPT_WSCALE : 0) |
                            (o->sack_permitted ? OPT_SACK_PERM : 0) |
                            (o->has_timestamps ? OPT_TIMESTAMPS : 0) |
                            (o->has_eol ? OPT_EOL : 0) |
                            (o->truncated ? OPT_TRUNCATED : 0));
    for (unsigned i = 0; i < o->sack_count; i++) {
        r->sack[i][0] = o->sack[i].left;
        r->sack[i][1] = o->sack[i].right;
    }
}

/* The two records a row is rendered from, back from a record. */
static void packet_of(const rows_header *h, const rows_record *r,
                      wm_packet *p, wm_packet_info *info)
{
    memset(p, 0, sizeof *p);
    memset(info, 0, sizeof *info);
    int from = r->from ? 1 : 0;
    p->ts_ns = r->ts_ns;
    p->frame_no = r->frame_no;
    p->frame_len = r->frame_len;
    p->src = h->addr[from];
    p->dst = h->addr[!from];
    p->src_port = h->port[from];
    p->dst_port = h->port[!from];
    p->seq = r->seq;
    p->ack = r->ack;
    p->payload_len = r->payload_len;
    p->window = r->window_raw;
    p->flags = r->flags;
    wm_tcp_options *o = &p->opts;
    o->has_mss = r->opt_bits & OPT_MSS;
    o->mss = r->mss;
    o->has_wscale = r->opt_bits & OPT_WSCALE;
    o->wscale = r->wscale;
    o->sack_permitted = r->opt_bits & OPT_SACK_PERM;
    o->has_timestamps = r->opt_bits & OPT_TIMESTAMPS;
    o->ts_val = r->ts_val;
    o->ts_ecr = r->ts_ecr;
    o->sack_count = r->sack_count <= WM_TCP_MAX_SACK_BLOCKS
                        ? r->sack_count : WM_TCP_MAX_SACK_BLOCKS;
    for (unsigned i = 0; i < o->sack_count; i++)
        o->sack[i] = (wm_sack_block){r->sack[i][0], r->sack[i][1]};
    o->nop_count = r->nop_count;
    o->has_eol = r->opt_bits & OPT_EOL;
    o->unknown_count = r->unknown_count;
    o->truncated = r->opt_bits & OPT_TRUNCATED;
    info->from = (wm_side)from;
    info->rel_seq = r->rel_seq;
    info->rel_ack = r->rel_ack;
    info->window = r->window;
    info->marks = r->marks;
    info->dup_ack_num = r->dup_ack_num;
    info->dup_ack_frame = r->dup_ack_frame;
}

static void header_of(const wm_analysis *analysis, const wm_connection *conn,
                      rows_header *h)
{
    memset(h, 0, sizeof *h); /* padding too: the file has no stray bytes */
    memcpy(h->magic, ROWS_MAGIC, sizeof h->magic);
    h->version = ROWS_VERSION;
    h->record_bytes = sizeof(rows_record);
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
        record_of(p, info, &r);
        if (fwrite(&r, sizeof r, 1, f) != 1)
            return write_error(err, errno);
    }
    return 0;
}

int wm_rows_write(const char *path, const wm_trace *trace,
                  const wm_analysis *analysis, const wm_connection *conn,
                  wm_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return write_error(err, errno);
    /* Fewer, larger writes: a million rows are 104 MB. */
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
              !memcmp(h->magic, ROWS_MAGIC, sizeof h->magic) &&
              h->version == ROWS_VERSION &&
              h->record_bytes == sizeof(rows_record) &&
              h->count <= (UINT64_MAX - sizeof *h) / sizeof(rows_record) &&
              (uint64_t)st.st_size ==
                  sizeof *h + h->count * sizeof(rows_record);
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
        packet_of(h, &records[i], &p, &info);
        if (json_array_append_new(
                rows, wm_report_packet_row(&p, &info, h->first_ts_ns)) != 0) {
            json_decref(rows);
            rows = NULL;
        }
    }
    return rows;
}

json_t *wm_rows_page(const char *path, size_t offset, size_t limit,
                     size_t *total, wm_error *err)
{
    rows_header h;
    int fd = open_rows(path, &h, err);
    if (fd < 0)
        return NULL;
    size_t count = 0;
    if (offset < h.count)
        count = h.count - offset < limit ? (size_t)(h.count - offset) : limit;
    rows_record *records = count ? calloc(count, sizeof *records) : NULL;
    json_t *rows = NULL;
    if (count && !records) {
        wm_error_set(err, WM_ERR_INTERNAL, "rows: out of memory");
    } else if (count &&
               pread(fd, records, count * sizeof *records,
                     (off_t)(sizeof h + offset * sizeof *records)) !=
                   (ssize_t)(count * sizeof *records)) {
        stale(path, err); /* shorter than its header said: cut since */
    } else if (!(rows = render(&h, records, count))) {
        wm_error_set(err, WM_ERR_INTERNAL, "rows: out of memory");
    } else {
        *total = (size_t)h.count;
    }
    free(records);
    close(fd);
    return rows;
}
