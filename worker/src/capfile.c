/* capfile: see capfile.h.
 *
 * Formats, as Wireshark reads them:
 * - classic pcap: a 24-byte header whose magic gives the byte order and
 *   whether the fraction is µs (0xa1b2c3d4) or ns (0xa1b23c4d), then
 *   records of a 16-byte header (seconds, fraction, captured and original
 *   length) and the data. The seconds are unsigned: up to 2106.
 * - pcapng: blocks of type, total length, body, total length again. A
 *   Section Header Block (its byte-order magic decides how the section is
 *   read) starts each section and forgets the interfaces of the one
 *   before; Interface Description Blocks give each interface its link type
 *   and, as options, its timestamp resolution (if_tsresol: 10^-n or 2^-n
 *   s) and offset (if_tsoffset: seconds). Frames come in Enhanced, Simple
 *   and the obsolete Packet blocks; every other block is skipped.
 *
 * A block is read whole into one buffer (bounded by max_record_bytes) and
 * parsed there, so that a length inside it can only point inside it. */
#include "capfile.h"

#include <assert.h>
#include <pcap/dlt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_HEADER_BYTES 24u
#define PCAP_RECORD_BYTES 16u

#define NG_SHB 0x0a0d0d0au
#define NG_IDB 0x00000001u
#define NG_PB 0x00000002u  /* obsolete Packet Block */
#define NG_SPB 0x00000003u
#define NG_EPB 0x00000006u
#define NG_BYTE_ORDER_MAGIC 0x1a2b3c4du
#define NG_BLOCK_MIN_BYTES 12u /* type, length, length */
#define NG_OPT_TSRESOL 9u
#define NG_OPT_TSOFFSET 14u

#define READ_BUFFER_BYTES (1u << 20)

__extension__ typedef unsigned __int128 u128;

typedef struct interface {
    int linktype;
    uint32_t snaplen;
    bool binary;        /* resolution 2^-exponent s, else 10^-exponent */
    uint8_t exponent;
    int64_t offset_s;   /* if_tsoffset */
} interface;

struct capfile {
    FILE *file;
    char *name;
    uint32_t max_record_bytes;
    bool ng;            /* pcapng, else classic pcap */
    bool swapped;       /* the file's byte order is not ours */
    bool ns;            /* classic: the fraction is in ns */
    uint64_t offset;    /* bytes consumed */
    interface *ifaces;  /* the current section's (classic: one) */
    uint32_t iface_count, iface_capacity;
    int first_linktype;
    capfile_stop stop;
    uint64_t stop_offset;
    uint8_t *buf;       /* the current record or block */
    uint32_t buf_capacity;
    char *iobuf;        /* stdio's buffer */
};

static uint32_t get32(const capfile *r, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return r->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t get16(const capfile *r, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return r->swapped ? __builtin_bswap16(v) : v;
}

/* Stops reading at offset; the message names the file, the offset and
 * the reason. */
static int stop(capfile *r, capfile_stop why, uint64_t offset, wm_error *err,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int stop(capfile *r, capfile_stop why, uint64_t offset, wm_error *err,
                const char *fmt, ...)
{
    char reason[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    r->stop = why;
    r->stop_offset = offset;
    return wm_error_set(err, why == CAPFILE_IO ? WM_ERR_IO : WM_ERR_INVALID,
                        "%s: %s", r->name, reason);
}

/* Reads len bytes; how many it got (short only at end of file or on an
 * error, which ferror tells). */
static size_t read_some(capfile *r, void *dst, size_t len)
{
    size_t got = fread(dst, 1, len, r->file);
    r->offset += got;
    return got;
}

static int ensure_buffer(capfile *r, uint32_t len, wm_error *err)
{
    assert(len <= r->max_record_bytes);
    if (len <= r->buf_capacity)
        return 0;
    uint32_t capacity = r->buf_capacity ? r->buf_capacity : 4096;
    while (capacity < len)
        capacity = capacity > r->max_record_bytes / 2 ? r->max_record_bytes
                                                      : capacity * 2;
    uint8_t *buf = realloc(r->buf, capacity);
    if (!buf)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "%s: out of memory for a record of %u bytes",
                            r->name, len);
    r->buf = buf;
    r->buf_capacity = capacity;
    return 0;
}

/* The rest of a record or block that started at start: got of its len
 * bytes are read. -1 when the file ends or fails first. */
static int read_rest(capfile *r, uint64_t start, uint8_t *dst, size_t got,
                     size_t len, const char *what, wm_error *err)
{
    size_t more = read_some(r, dst + got, len - got);
    if (got + more == len)
        return 0;
    if (ferror(r->file))
        return stop(r, CAPFILE_IO, start, err, "reading %s at offset %llu: "
                    "%s", what, (unsigned long long)start, strerror(errno));
    return stop(r, CAPFILE_CUT_SHORT, start, err,
                "cut short in the middle of %s at offset %llu (%zu of its "
                "%zu bytes are in the file)", what,
                (unsigned long long)start, got + more, len);
}

static int too_long(capfile *r, uint64_t start, const char *what,
                    uint64_t len, wm_error *err)
{
    return stop(r, CAPFILE_CORRUPT, start, err,
                "%s at offset %llu claims %llu bytes, more than the %u "
                "allowed (--max-record-bytes)", what,
                (unsigned long long)start, (unsigned long long)len,
                r->max_record_bytes);
}

/* A file's LINKTYPE_ value as the DLT_ value the dissector takes: they
 * differ, of our link types, only for raw IP (as libpcap maps them). */
static int dlt_of(uint32_t linktype)
{
    return linktype == 101 ? DLT_RAW : (int)linktype;
}

static int add_interface(capfile *r, const interface *iface, uint64_t start,
                         wm_error *err)
{
    if (r->iface_count == CAPFILE_MAX_INTERFACES)
        return stop(r, CAPFILE_CORRUPT, start, err,
                    "more than %u interfaces in a section at offset %llu",
                    CAPFILE_MAX_INTERFACES, (unsigned long long)start);
    if (r->iface_count == r->iface_capacity) {
        uint32_t capacity = r->iface_capacity ? r->iface_capacity * 2 : 4;
        interface *ifaces = realloc(r->ifaces, capacity * sizeof *ifaces);
        if (!ifaces)
            return wm_error_set(err, WM_ERR_INTERNAL,
                                "%s: out of memory for interfaces", r->name);
        r->ifaces = ifaces;
        r->iface_capacity = capacity;
    }
    r->ifaces[r->iface_count++] = *iface;
    if (r->first_linktype < 0)
        r->first_linktype = iface->linktype;
    return 0;
}

/* ---- classic pcap ---- */

static int classic_header(capfile *r, const uint8_t *head, wm_error *err)
{
    uint32_t magic;
    memcpy(&magic, head, sizeof magic);
    r->swapped = magic == __builtin_bswap32(PCAP_MAGIC_US) ||
                 magic == __builtin_bswap32(PCAP_MAGIC_NS);
    r->ns = get32(r, head) == PCAP_MAGIC_NS;
    uint8_t rest[PCAP_HEADER_BYTES];
    memcpy(rest, head, 8);
    if (read_rest(r, 0, rest, 8, PCAP_HEADER_BYTES, "the pcap file header",
                  err) != 0)
        return -1;
    interface iface = {.linktype = dlt_of(get32(r, rest + 20) & 0x0fffffffu),
                       .snaplen = get32(r, rest + 16),
                       .exponent = r->ns ? 9 : 6};
    return add_interface(r, &iface, 0, err);
}

static int classic_next(capfile *r, capfile_frame *frame, wm_error *err)
{
    uint64_t start = r->offset;
    uint8_t head[PCAP_RECORD_BYTES];
    size_t got = read_some(r, head, sizeof head);
    if (got == 0 && !ferror(r->file))
        return 0;
    if (read_rest(r, start, head, got, sizeof head, "a record header",
                  err) != 0)
        return -1;
    uint32_t cap_len = get32(r, head + 8);
    if (cap_len > r->max_record_bytes - PCAP_RECORD_BYTES)
        return too_long(r, start, "a record", cap_len, err);
    if (ensure_buffer(r, cap_len ? cap_len : 1, err) != 0 ||
        read_rest(r, start, r->buf, 0, cap_len, "a record's data", err) != 0)
        return -1;
    /* Both fields unsigned: 2^32 - 1 s and a fraction of up to 2^32 - 1
     * µs stay below 2^62 ns, so no classic timestamp is out of range. */
    uint64_t sec = get32(r, head), frac = get32(r, head + 4);
    *frame = (capfile_frame){
        .offset = start, .linktype = r->ifaces[0].linktype,
        .ts_ns = (int64_t)(sec * 1000000000u + frac * (r->ns ? 1u : 1000u)),
        .data = r->buf, .cap_len = cap_len, .frame_len = get32(r, head + 12)};
    return 1;
}

/* ---- pcapng ---- */

/* Walks the options in [p, end), calling fn for each. A list cut short
 * just ends the walk: the block's frame is still good. */
typedef void (*option_fn)(capfile *r, uint16_t code, const uint8_t *value,
                          uint16_t len, void *ctx);

static void walk_options(capfile *r, const uint8_t *p, const uint8_t *end,
                         option_fn fn, void *ctx)
{
    while (end - p >= 4) {
        uint16_t code = get16(r, p), len = get16(r, p + 2);
        if (code == 0) /* opt_endofopt */
            return;
        size_t padded = ((size_t)len + 3u) & ~(size_t)3u;
        if ((size_t)(end - p - 4) < len)
            return;
        fn(r, code, p + 4, len, ctx);
        if ((size_t)(end - p - 4) < padded)
            return;
        p += 4 + padded;
    }
}

static void idb_option(capfile *r, uint16_t code, const uint8_t *value,
                       uint16_t len, void *ctx)
{
    interface *iface = ctx;
    if (code == NG_OPT_TSRESOL && len >= 1) {
        iface->binary = (value[0] & 0x80u) != 0;
        iface->exponent = value[0] & 0x7fu;
    } else if (code == NG_OPT_TSOFFSET && len >= 8) {
        uint64_t raw; /* in the section's byte order */
        memcpy(&raw, value, sizeof raw);
        iface->offset_s = (int64_t)(r->swapped ? __builtin_bswap64(raw)
                                               : raw);
    }
}

/* A timestamp in the interface's units as ns since 1970; false when it
 * falls outside [0, 2^62). */
static bool ng_timestamp(const interface *iface, uint64_t units,
                         int64_t *ts_ns)
{
    u128 ns;
    if (iface->binary) { /* units * 10^9 < 2^94; exponent < 128 */
        ns = ((u128)units * 1000000000u) >> iface->exponent;
    } else if (iface->exponent <= 9) {
        u128 scale = 1;
        for (int i = iface->exponent; i < 9; i++)
            scale *= 10;
        ns = (u128)units * scale;
    } else {
        u128 scale = 1;
        for (int i = 9; i < iface->exponent && scale <= UINT64_MAX; i++)
            scale *= 10;
        ns = (u128)units / scale;
    }
    __extension__ __int128 total =
        (__int128)ns + (__int128)iface->offset_s * 1000000000;
    if (total < 0 || total >= ((__int128)1 << 62))
        return false;
    *ts_ns = (int64_t)total;
    return true;
}

/* A Section Header Block after its 12 first bytes (type, length, magic):
 * the byte order, then the rest of the block skipped. */
static int ng_section(capfile *r, uint64_t start, const uint8_t *first,
                      wm_error *err)
{
    uint32_t magic;
    memcpy(&magic, first + 8, sizeof magic);
    if (magic != NG_BYTE_ORDER_MAGIC &&
        magic != __builtin_bswap32(NG_BYTE_ORDER_MAGIC))
        return stop(r, CAPFILE_CORRUPT, start, err,
                    "a section header at offset %llu has no byte-order "
                    "magic", (unsigned long long)start);
    r->swapped = magic != NG_BYTE_ORDER_MAGIC;
    r->iface_count = 0; /* a section's interfaces are its own */
    uint32_t len = get32(r, first + 4);
    if (len < 28 || len % 4)
        return stop(r, CAPFILE_CORRUPT, start, err,
                    "a section header at offset %llu has the impossible "
                    "length %u", (unsigned long long)start, len);
    if (len > r->max_record_bytes)
        return too_long(r, start, "a section header", len, err);
    if (ensure_buffer(r, len, err) != 0)
        return -1;
    memcpy(r->buf, first, 12);
    if (read_rest(r, start, r->buf, 12, len, "a section header", err) != 0)
        return -1;
    if (get16(r, r->buf + 12) != 1)
        return stop(r, CAPFILE_CORRUPT, start, err,
                    "the section at offset %llu is pcapng version %u, not 1",
                    (unsigned long long)start, get16(r, r->buf + 12));
    return 0;
}

static int ng_interface(capfile *r, uint64_t start, const uint8_t *body,
                        uint32_t body_len, wm_error *err)
{
    if (body_len < 8)
        return stop(r, CAPFILE_CORRUPT, start, err,
                    "an interface description at offset %llu is too short",
                    (unsigned long long)start);
    interface iface = {.linktype = dlt_of(get16(r, body)),
                       .snaplen = get32(r, body + 4), .exponent = 6};
    walk_options(r, body + 8, body + body_len, idb_option, &iface);
    return add_interface(r, &iface, start, err);
}

/* A frame of an EPB, PB or SPB whose fields are read: checks them and
 * fills *frame. */
static int ng_frame(capfile *r, uint64_t start, uint32_t id, uint64_t units,
                    bool has_ts, const uint8_t *data, uint32_t cap_len,
                    uint32_t room, uint32_t frame_len, capfile_frame *frame,
                    wm_error *err)
{
    if (id >= r->iface_count)
        return stop(r, CAPFILE_CORRUPT, start, err,
                    "the frame at offset %llu names interface %u, but its "
                    "section describes %u", (unsigned long long)start, id,
                    r->iface_count);
    if (cap_len > room)
        return stop(r, CAPFILE_CORRUPT, start, err,
                    "the frame at offset %llu claims %u captured bytes in a "
                    "block of %u", (unsigned long long)start, cap_len, room);
    const interface *iface = &r->ifaces[id];
    int64_t ts_ns = 0; /* a Simple Packet Block has none, as in Wireshark */
    if (has_ts && !ng_timestamp(iface, units, &ts_ns))
        return stop(r, CAPFILE_CORRUPT, start, err,
                    "the frame at offset %llu has a timestamp outside "
                    "1970..2116", (unsigned long long)start);
    *frame = (capfile_frame){.offset = start, .interface = id,
                             .linktype = iface->linktype, .ts_ns = ts_ns,
                             .data = data, .cap_len = cap_len,
                             .frame_len = frame_len};
    return 1;
}

/* The body of a block of type `type` (the buffer holds the whole
 * block): 1 with a frame, 0 for a block without one. */
static int ng_block(capfile *r, uint64_t start, uint32_t type,
                    uint32_t body_len, capfile_frame *frame, wm_error *err)
{
    const uint8_t *body = r->buf + 8;
    switch (type) {
    case NG_IDB:
        return ng_interface(r, start, body, body_len, err);
    case NG_EPB:
        if (body_len < 20)
            break;
        return ng_frame(r, start, get32(r, body),
                        (uint64_t)get32(r, body + 4) << 32 |
                            get32(r, body + 8),
                        true, body + 20, get32(r, body + 12), body_len - 20,
                        get32(r, body + 16), frame, err);
    case NG_PB:
        if (body_len < 20)
            break;
        return ng_frame(r, start, get16(r, body),
                        (uint64_t)get32(r, body + 4) << 32 |
                            get32(r, body + 8),
                        true, body + 20, get32(r, body + 12), body_len - 20,
                        get32(r, body + 16), frame, err);
    case NG_SPB: {
        if (body_len < 4)
            break;
        uint32_t frame_len = get32(r, body), room = body_len - 4;
        uint32_t cap_len = frame_len < room ? frame_len : room;
        if (r->iface_count && r->ifaces[0].snaplen &&
            cap_len > r->ifaces[0].snaplen)
            cap_len = r->ifaces[0].snaplen;
        return ng_frame(r, start, 0, 0, false, body + 4, cap_len, room,
                        frame_len, frame, err);
    }
    default:
        return 0; /* NRB, ISB, DSB, custom, unknown: nothing to analyse */
    }
    return stop(r, CAPFILE_CORRUPT, start, err,
                "a block of type %u at offset %llu is too short for its type",
                type, (unsigned long long)start);
}

static int ng_next(capfile *r, capfile_frame *frame, wm_error *err)
{
    for (;;) {
        uint64_t start = r->offset;
        uint8_t head[12];
        size_t got = read_some(r, head, 8);
        if (got == 0 && !ferror(r->file))
            return 0;
        if (read_rest(r, start, head, got, 8, "a block header", err) != 0)
            return -1;
        uint32_t type;
        memcpy(&type, head, sizeof type); /* a palindrome for the SHB */
        if (type == NG_SHB) {
            if (read_rest(r, start, head, 8, 12, "a section header",
                          err) != 0 ||
                ng_section(r, start, head, err) != 0)
                return -1;
            continue;
        }
        type = get32(r, head);
        uint32_t len = get32(r, head + 4);
        if (len < NG_BLOCK_MIN_BYTES || len % 4)
            return stop(r, CAPFILE_CORRUPT, start, err,
                        "a block at offset %llu has the impossible length "
                        "%u", (unsigned long long)start, len);
        if (len > r->max_record_bytes)
            return too_long(r, start, "a block", len, err);
        if (ensure_buffer(r, len, err) != 0)
            return -1;
        memcpy(r->buf, head, 8);
        if (read_rest(r, start, r->buf, 8, len, "a block", err) != 0)
            return -1;
        if (get32(r, r->buf + len - 4) != len)
            return stop(r, CAPFILE_CORRUPT, start, err,
                        "the block at offset %llu ends with a length other "
                        "than its own", (unsigned long long)start);
        int rc = ng_block(r, start, type, len - NG_BLOCK_MIN_BYTES, frame,
                          err);
        if (rc != 0)
            return rc;
    }
}

/* ---- the file ---- */

int capfile_open(FILE *file, const char *name, uint32_t max_record_bytes,
                 bool buffered, capfile **out, wm_error *err)
{
    assert(max_record_bytes >= WM_TRACE_MIN_MAX_RECORD_BYTES &&
           max_record_bytes <= WM_TRACE_MAX_MAX_RECORD_BYTES);
    *out = NULL;
    capfile *r = calloc(1, sizeof *r);
    if (!r || !(r->name = strdup(name))) {
        free(r);
        fclose(file);
        return wm_error_set(err, WM_ERR_INTERNAL, "%s: out of memory", name);
    }
    r->file = file;
    r->max_record_bytes = max_record_bytes;
    r->first_linktype = -1;
    r->iobuf = buffered ? malloc(READ_BUFFER_BYTES) : NULL;
    if (r->iobuf)
        setvbuf(file, r->iobuf, _IOFBF, READ_BUFFER_BYTES);
    uint8_t head[12];
    size_t got = read_some(r, head, 8);
    uint32_t magic = 0;
    if (got >= 4)
        memcpy(&magic, head, sizeof magic);
    int rc;
    if (magic == NG_SHB) {
        r->ng = true;
        rc = read_rest(r, 0, head, got, 12, "the section header", err);
        if (rc == 0)
            rc = ng_section(r, 0, head, err);
    } else if (got == 8 && (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS ||
                            magic == __builtin_bswap32(PCAP_MAGIC_US) ||
                            magic == __builtin_bswap32(PCAP_MAGIC_NS))) {
        rc = classic_header(r, head, err);
    } else {
        rc = wm_error_set(err, WM_ERR_INVALID,
                          "%s: not a pcap or pcapng file (%s)", name,
                          got < 8 ? "shorter than any file header"
                                  : "no pcap or pcapng magic number");
    }
    if (rc != 0) {
        capfile_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

int capfile_next(capfile *r, capfile_frame *frame, wm_error *err)
{
    if (r->stop)
        return wm_error_set(err, WM_ERR_INVALID, "%s: already stopped",
                            r->name);
    return r->ng ? ng_next(r, frame, err) : classic_next(r, frame, err);
}

capfile_stop capfile_stopped(const capfile *r)
{
    return r->stop;
}

uint64_t capfile_stop_offset(const capfile *r)
{
    return r->stop_offset;
}

int capfile_first_linktype(const capfile *r)
{
    return r->first_linktype;
}

void capfile_close(capfile *r)
{
    if (!r)
        return;
    if (r->file)
        fclose(r->file);
    free(r->iobuf);
    free(r->ifaces);
    free(r->buf);
    free(r->name);
    free(r);
}
