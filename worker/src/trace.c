/* wm_trace: see wm_trace.h.
 *
 * Files go through libpcap, which reads pcap and pcapng alike and converts
 * every timestamp to the nanosecond precision we ask for. A timestamp
 * libpcap cannot fit in nanoseconds since 1970 up to 2^62 (year 2116)
 * marks a corrupt file: kept, it would overflow every time difference the
 * analyser takes, so the file is refused instead. */
#include "wm_trace.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reassembly.h"
#include "wm_dissect.h"

#define TRACE_INITIAL_CAPACITY 256
#define TRACE_MAX_TS_NS (INT64_C(1) << 62)

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

int wm_trace_take_frame(wm_trace *trace, int64_t ts_ns, const uint8_t *data,
                        uint32_t cap_len, uint32_t frame_len,
                        wm_packet *packet, bool *tcp, wm_error *err)
{
    *tcp = false;
    if (trace->frames >= UINT32_MAX) /* frame_no would wrap */
        return wm_error_set(err, WM_ERR_TOO_LARGE,
                            "trace: more than %u frames", UINT32_MAX);
    if (trace->frames == 0)
        trace->first_ts_ns = ts_ns;
    trace->frames++;
    switch (wm_dissect_frame_trace(trace, data, cap_len, frame_len,
                                   packet)) {
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

int wm_trace_add_frame(wm_trace *trace, int64_t ts_ns, const uint8_t *data,
                       uint32_t cap_len, uint32_t frame_len, wm_error *err)
{
    wm_packet packet;
    bool tcp;
    if (wm_trace_take_frame(trace, ts_ns, data, cap_len, frame_len, &packet,
                            &tcp, err) != 0)
        return -1;
    if (!tcp)
        return 0;
    if (trace->count == trace->capacity && grow(trace, err) != 0)
        return -1;
    trace->packets[trace->count++] = packet;
    return 0;
}

void wm_trace_free(wm_trace *trace)
{
    free(trace->packets);
    wm_reasm_free(trace->reasm);
    wm_trace_init(trace, trace->linktype);
}

/* libpcap's timestamp (tv_usec holds ns at nanosecond precision) in ns;
 * false when it is outside [0, 2^62). */
static bool timestamp_ns(const struct pcap_pkthdr *header, int64_t *ts_ns)
{
    int64_t sec = (int64_t)header->ts.tv_sec;
    int64_t ns = (int64_t)header->ts.tv_usec;
    if (sec < 0 || ns < 0 || sec > TRACE_MAX_TS_NS / 1000000000)
        return false;
    *ts_ns = sec * 1000000000 + ns;
    return *ts_ns < TRACE_MAX_TS_NS;
}

/* Where read packets go: the trace, or on_packet when it is set. */
typedef struct packet_sink {
    wm_packet_fn on_packet;
    void *ctx;
} packet_sink;

static int add_frame(wm_trace *trace, const packet_sink *sink, int64_t ts_ns,
                     const u_char *data, const struct pcap_pkthdr *header,
                     wm_error *err)
{
    if (!sink->on_packet)
        return wm_trace_add_frame(trace, ts_ns, data, header->caplen,
                                  header->len, err);
    wm_packet packet;
    bool tcp;
    if (wm_trace_take_frame(trace, ts_ns, data, header->caplen, header->len,
                            &packet, &tcp, err) != 0)
        return -1;
    return tcp ? sink->on_packet(sink->ctx, &packet, trace->first_ts_ns, err)
               : 0;
}

static int read_frames(pcap_t *pcap, const char *name, uint64_t max_frames,
                       const packet_sink *sink, wm_trace *trace,
                       wm_error *err)
{
    struct pcap_pkthdr *header;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(pcap, &header, &data)) == 1) {
        if (max_frames && trace->frames >= max_frames)
            return wm_error_set(err, WM_ERR_TOO_LARGE,
                                "%s: more than %llu frames", name,
                                (unsigned long long)max_frames);
        int64_t ts_ns;
        if (!timestamp_ns(header, &ts_ns))
            return wm_error_set(err, WM_ERR_INVALID,
                                "%s: frame %llu has a timestamp out of "
                                "range", name,
                                (unsigned long long)trace->frames + 1);
        if (add_frame(trace, sink, ts_ns, data, header, err) != 0) {
            char prefix[256];
            snprintf(prefix, sizeof prefix, "%s: ", name);
            return wm_error_prefix(err, prefix);
        }
    }
    if (rc == PCAP_ERROR_BREAK) /* PCAP_ERROR_BREAK (-2): end of file */
        return 0;
    return wm_error_set(err, WM_ERR_INVALID, "%s: unreadable after %llu "
                        "frames: %s", name,
                        (unsigned long long)trace->frames, pcap_geterr(pcap));
}

/* Reads everything from an open handle; closes it. */
static int read_pcap(pcap_t *pcap, const char *name, uint64_t max_frames,
                     const packet_sink *sink, wm_trace *trace, wm_error *err)
{
    int linktype = pcap_datalink(pcap);
    wm_trace_init(trace, linktype);
    if (!wm_dissect_linktype_supported(linktype)) {
        const char *lt_name = pcap_datalink_val_to_name(linktype);
        pcap_close(pcap);
        return wm_error_set(err, WM_ERR_INVALID,
                            "%s: link type %s (%d) is not supported; "
                            "supported: EN10MB, LINUX_SLL, LINUX_SLL2, RAW, "
                            "IPV4, IPV6, NULL, LOOP",
                            name, lt_name ? lt_name : "unknown", linktype);
    }
    int rc = read_frames(pcap, name, max_frames, sink, trace, err);
    pcap_close(pcap);
    /* the file is read: datagrams still open stay counted as incomplete,
     * and the trace handed back holds no reassembly */
    wm_reasm_free(trace->reasm);
    trace->reasm = NULL;
    if (rc != 0)
        wm_trace_free(trace);
    return rc;
}

/* Reads a whole pcap or pcapng stream; closes file. */
static int read_stream(FILE *file, const char *name, uint64_t max_frames,
                       const packet_sink *sink, wm_trace *trace,
                       wm_error *err)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pcap = pcap_fopen_offline_with_tstamp_precision(
        file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!pcap) {
        fclose(file); /* libpcap leaves it to us when it fails */
        return wm_error_set(err, WM_ERR_INVALID,
                            "%s: not a pcap or pcapng file: %s", name,
                            errbuf);
    }
    return read_pcap(pcap, name, max_frames, sink, trace, err);
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
    const packet_sink sink = {.on_packet = on_packet, .ctx = ctx};
    wm_trace_init(trace, 0);
    FILE *file = fopen(path, "rb");
    if (!file)
        return wm_error_set(err, errno == ENOENT ? WM_ERR_NOT_FOUND
                                                 : WM_ERR_IO,
                            "%s: %s", path, strerror(errno));
    return read_stream(file, path, max_frames, &sink, trace, err);
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
    return read_stream(file, name, 0, &keep, trace, err);
}
