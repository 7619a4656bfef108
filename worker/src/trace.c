/* wm_trace: see wm_trace.h.
 *
 * Files are read by capfile.c, which converts every timestamp to ns since
 * 1970 and stops at one that does not fit below 2^62 (year 2116): kept,
 * it would overflow every time difference the analyser takes. */
#include "wm_trace.h"

#include <errno.h>
#include <pcap/pcap.h> /* the link types' names only */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capfile.h"
#include "reassembly.h"
#include "wm_dissect.h"

#define TRACE_INITIAL_CAPACITY 256

void wm_trace_init(wm_trace *trace, int linktype)
{
    memset(trace, 0, sizeof *trace);
    trace->linktype = linktype;
}

static int grow(wm_trace *trace, wm_error *err)
{
    size_t capacity = trace->capacity ? trace->capacity * 2
                                      : TRACE_INITIAL_CAPACITY;
    size_t bytes;
    if (capacity < trace->capacity ||
        __builtin_mul_overflow(capacity, sizeof *trace->packets, &bytes))
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "trace: too many packets to hold");
    wm_packet *packets = realloc(trace->packets, bytes);
    if (!packets)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "trace: out of memory for %zu packets", capacity);
    trace->packets = packets;
    trace->capacity = capacity;
    return 0;
}

/* Remembers a frame's link type among the trace's distinct ones. */
static void note_linktype(wm_trace *trace, int linktype)
{
    for (size_t i = 0; i < trace->linktype_count; i++)
        if (trace->linktypes[i] == linktype)
            return;
    if (trace->linktype_count < WM_TRACE_MAX_LINKTYPES)
        trace->linktypes[trace->linktype_count++] = linktype;
}

/* wm_trace_take_frame for a frame of this link type: a file's interfaces
 * may each have their own. One the dissector does not know is not TCP. */
static int take_frame_on(wm_trace *trace, int linktype, int64_t ts_ns,
                         const uint8_t *data, uint32_t cap_len,
                         uint32_t frame_len, wm_packet *packet, bool *tcp,
                         wm_error *err)
{
    *tcp = false;
    if (trace->frames >= UINT32_MAX) /* frame_no would wrap */
        return wm_error_set(err, WM_ERR_TOO_LARGE,
                            "trace: more than %u frames", UINT32_MAX);
    if (trace->frames == 0)
        trace->first_ts_ns = ts_ns;
    trace->frames++;
    if (trace->linktype_count == 0 || trace->linktypes[0] != linktype)
        note_linktype(trace, linktype);
    wm_dissect_status status = WM_DISSECT_NOT_TCP;
    if (wm_dissect_linktype_supported(linktype)) {
        /* the dissector takes the link type from the trace, whose frames
         * may each have their own in a pcapng */
        int first = trace->linktype;
        trace->linktype = linktype;
        status = wm_dissect_frame_trace(trace, data, cap_len, frame_len,
                                        packet);
        trace->linktype = first;
    }
    switch (status) {
    case WM_DISSECT_TCP:
        break;
    case WM_DISSECT_NO_MEMORY:
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "trace: out of memory for IP fragments");
    case WM_DISSECT_NOT_TCP:
        trace->not_tcp++;
        return 0;
    case WM_DISSECT_MALFORMED:
        trace->malformed++;
        return 0;
    }
    packet->frame_no = (uint32_t)trace->frames;
    packet->ts_ns = ts_ns;
    packet->frame_len = frame_len;
    packet->cap_len = cap_len;
    *tcp = true;
    return 0;
}

int wm_trace_take_frame(wm_trace *trace, int64_t ts_ns, const uint8_t *data,
                        uint32_t cap_len, uint32_t frame_len,
                        wm_packet *packet, bool *tcp, wm_error *err)
{
    return take_frame_on(trace, trace->linktype, ts_ns, data, cap_len,
                         frame_len, packet, tcp, err);
}

static int keep_packet(wm_trace *trace, const wm_packet *packet,
                       wm_error *err)
{
    if (trace->count == trace->capacity && grow(trace, err) != 0)
        return -1;
    trace->packets[trace->count++] = *packet;
    return 0;
}

int wm_trace_add_frame(wm_trace *trace, int64_t ts_ns, const uint8_t *data,
                       uint32_t cap_len, uint32_t frame_len, wm_error *err)
{
    wm_packet packet;
    bool tcp;
    if (wm_trace_take_frame(trace, ts_ns, data, cap_len, frame_len, &packet,
                            &tcp, err) != 0)
        return -1;
    return tcp ? keep_packet(trace, &packet, err) : 0;
}

void wm_trace_free(wm_trace *trace)
{
    free(trace->packets);
    wm_reasm_free(trace->reasm);
    wm_trace_init(trace, trace->linktype);
}

/* Where read packets go: the trace, or on_packet when it is set. */
typedef struct packet_sink {
    wm_packet_fn on_packet;
    void *ctx;
} packet_sink;

static int add_frame(wm_trace *trace, const packet_sink *sink,
                     const capfile_frame *f, wm_error *err)
{
    wm_packet packet;
    bool tcp;
    if (take_frame_on(trace, f->linktype, f->ts_ns, f->data, f->cap_len,
                      f->frame_len, &packet, &tcp, err) != 0)
        return -1;
    if (!tcp)
        return 0;
    return sink->on_packet
               ? sink->on_packet(sink->ctx, &packet, trace->first_ts_ns, err)
               : keep_packet(trace, &packet, err);
}

static int unsupported(const char *name, int linktype, wm_error *err)
{
    const char *lt_name = pcap_datalink_val_to_name(linktype);
    return wm_error_set(err, WM_ERR_INVALID,
                        "%s: link type %s (%d) is not supported; supported: "
                        "EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, "
                        "NULL, LOOP", name, lt_name ? lt_name : "unknown",
                        linktype);
}

/* Reading stopped early (err says why): the frames read stay the trace,
 * unless there are none. */
static int stopped(const capfile *r, wm_trace *trace, wm_error *err)
{
    capfile_stop why = capfile_stopped(r);
    if (!why || trace->frames == 0)
        return -1; /* not a stop of the file's (memory, a callback) */
    wm_read_error *e = &trace->read_error;
    e->stopped = true;
    e->cut_short = why == CAPFILE_CUT_SHORT;
    e->offset = capfile_stop_offset(r);
    e->after_frame = trace->frames;
    snprintf(e->reason, sizeof e->reason, "%s", err->message);
    *err = (wm_error){0};
    return 0;
}

static int read_frames(capfile *r, const char *name,
                       const wm_trace_limits *limits, const packet_sink *sink,
                       wm_trace *trace, wm_error *err)
{
    capfile_frame f;
    int rc;
    uint64_t supported = 0;
    while ((rc = capfile_next(r, &f, err)) == 1) {
        if (limits->max_frames && trace->frames >= limits->max_frames)
            return wm_error_set(err, WM_ERR_TOO_LARGE,
                                "%s: more than %llu frames", name,
                                (unsigned long long)limits->max_frames);
        supported += wm_dissect_linktype_supported(f.linktype) != 0;
        if (add_frame(trace, sink, &f, err) != 0) {
            char prefix[256];
            snprintf(prefix, sizeof prefix, "%s: ", name);
            return wm_error_prefix(err, prefix);
        }
    }
    if (rc != 0 && stopped(r, trace, err) != 0)
        return -1;
    if (trace->frames && !supported) /* no frame could be analysed */
        return unsupported(name, trace->linktypes[0], err);
    return 0;
}

/* Reads a whole pcap or pcapng stream; closes file. */
static int read_stream(FILE *file, const char *name, bool on_disk,
                       const wm_trace_limits *limits, const packet_sink *sink,
                       wm_trace *trace, wm_error *err)
{
    wm_trace_init(trace, 0);
    uint32_t max_record = limits && limits->max_record_bytes
                              ? limits->max_record_bytes
                              : WM_TRACE_DEFAULT_MAX_RECORD_BYTES;
    static const wm_trace_limits none = {0};
    if (!limits)
        limits = &none;
    capfile *r;
    if (capfile_open(file, name, max_record, on_disk, &r, err) != 0)
        return -1;
    int rc = read_frames(r, name, limits, sink, trace, err);
    /* the file is read: datagrams still open stay counted as incomplete,
     * and the trace handed back holds no reassembly */
    wm_reasm_free(trace->reasm);
    trace->reasm = NULL;
    /* the first frame's, or the first interface's in a file of none */
    trace->linktype = trace->frames ? trace->linktypes[0]
                                    : capfile_first_linktype(r);
    if (trace->linktype < 0) /* a pcapng without interfaces */
        trace->linktype = 0;
    capfile_close(r);
    if (rc != 0)
        wm_trace_free(trace);
    return rc;
}

int wm_trace_read_file(const char *path, wm_trace *trace, wm_error *err)
{
    return wm_trace_read_file_max(path, 0, trace, err);
}

int wm_trace_read_file_max(const char *path, uint64_t max_frames,
                           wm_trace *trace, wm_error *err)
{
    return wm_trace_stream_file(path, max_frames, NULL, NULL, trace, err);
}

int wm_trace_stream_file(const char *path, uint64_t max_frames,
                         wm_packet_fn on_packet, void *ctx, wm_trace *trace,
                         wm_error *err)
{
    const wm_trace_limits limits = {.max_frames = max_frames};
    return wm_trace_stream_file_limited(path, &limits, on_packet, ctx, trace,
                                        err);
}

int wm_trace_stream_file_limited(const char *path,
                                 const wm_trace_limits *limits,
                                 wm_packet_fn on_packet, void *ctx,
                                 wm_trace *trace, wm_error *err)
{
    const packet_sink sink = {.on_packet = on_packet, .ctx = ctx};
    wm_trace_init(trace, 0);
    FILE *file = fopen(path, "rb");
    if (!file)
        return wm_error_set(err, errno == ENOENT ? WM_ERR_NOT_FOUND
                                                 : WM_ERR_IO,
                            "%s: %s", path, strerror(errno));
    return read_stream(file, path, true, limits, &sink, trace, err);
}

int wm_trace_read_memory(const uint8_t *data, size_t size, wm_trace *trace,
                         wm_error *err)
{
    static const char name[] = "capture";
    wm_trace_init(trace, 0);
    if (size == 0)
        return wm_error_set(err, WM_ERR_INVALID, "%s: empty", name);
    /* read-only mode: fmemopen never writes through the pointer */
    FILE *file = fmemopen((void *)data, size, "r");
    if (!file)
        return wm_error_set(err, WM_ERR_INTERNAL, "%s: fmemopen: %s", name,
                            strerror(errno));
    static const packet_sink keep = {.on_packet = NULL};
    return read_stream(file, name, false, NULL, &keep, trace, err);
}
