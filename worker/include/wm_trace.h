/* wm_trace: the dissected packets of one capture, in capture order, with
 * the counts of frames that were not TCP or were malformed.
 *
 * Live capture appends frames as they arrive — or, for a run, only counts
 * them and hands each TCP packet on (wm_trace_take_frame) to the
 * streaming analysis, so that a run holds no packet. wm_trace_read_file
 * fills one from a pcap or pcapng file (our own reader, capfile.h: every
 * pcapng interface with its own link type and timestamp resolution), at
 * nanosecond precision, so that a run and the offline analysis of its
 * pcap read the same numbers.
 *
 * A file cut short (a killed tcpdump, a full disk, a file still being
 * written) or damaged after some frames is not refused: the frames before
 * the damage are the trace, and read_error says where and why reading
 * stopped, as tshark warns and shows what it could read. */
#ifndef WM_TRACE_H
#define WM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_error.h"
#include "wm_packet.h"

/* Where and why reading a file stopped before its end. */
typedef struct wm_read_error {
    bool stopped;          /* false: the file was read to its end */
    bool cut_short;        /* the file ends inside a record or block
                              (else: a record that cannot be right, or an
                              I/O error) */
    uint64_t offset;       /* bytes: where the unread record begins */
    uint64_t after_frame;  /* the last frame read whole (0: none) */
    char reason[480];      /* for people: names the file and the offset */
} wm_read_error;

/* Distinct link types a trace's frames came with, in order of first use;
 * more are not listed. */
#define WM_TRACE_MAX_LINKTYPES 8

/* IP fragments (reassembled as Wireshark does: the segment is in the
 * frame that completes its datagram; the other fragments are not TCP). */
typedef struct wm_fragment_counts {
    uint64_t fragments;   /* fragment frames put into reassembly */
    uint64_t reassembled; /* datagrams completed */
    uint64_t incomplete;  /* datagrams never completed: dropped to stay
                             within bounds, or still open */
    uint64_t cut;         /* fragments the snaplen cut: not reassembled,
                             a first one shown alone (tshark does so) */
} wm_fragment_counts;

struct wm_reasm;

typedef struct wm_trace {
    wm_packet *packets;   /* TCP packets only, in capture order */
    size_t count, capacity;
    uint64_t frames;      /* every frame seen, TCP or not */
    uint64_t not_tcp;
    uint64_t malformed;
    int linktype;         /* DLT_ value: the first frame's (while a
                             file is read, the frame's in dissection) */
    int linktypes[WM_TRACE_MAX_LINKTYPES]; /* of the frames read */
    size_t linktype_count;
    wm_read_error read_error; /* a file's, when reading stopped early */
    int64_t first_ts_ns;  /* first frame of any kind: the zero of the
                             relative Time column, as in Wireshark */
    wm_fragment_counts fragments;
    struct wm_reasm *reasm; /* datagrams in progress; NULL until the
                               first fragment */
} wm_trace;

void wm_trace_init(wm_trace *trace, int linktype);

/* Dissects one frame and appends it when it is TCP; counts it otherwise.
 * Fails only when memory runs out. */
int wm_trace_add_frame(wm_trace *trace, int64_t ts_ns, const uint8_t *data,
                       uint32_t cap_len, uint32_t frame_len, wm_error *err);

/* The same without keeping the packet: a TCP frame is dissected into
 * *packet (its frame_no, ts_ns and lengths set) and *tcp set; any frame
 * is counted. */
int wm_trace_take_frame(wm_trace *trace, int64_t ts_ns, const uint8_t *data,
                        uint32_t cap_len, uint32_t frame_len,
                        wm_packet *packet, bool *tcp, wm_error *err);

/* Reads a pcap or pcapng file into trace (initialised here). A file that
 * is not a capture, holds no frame of a supported link type, or is damaged
 * or cut short before its first frame is an error naming the file, and
 * leaves trace empty (freeing it stays safe); damage after some frames
 * only stops reading there (trace->read_error); malformed frames are only
 * counted. A missing file is WM_ERR_NOT_FOUND. */
int wm_trace_read_file(const char *path, wm_trace *trace, wm_error *err);

/* The same, refusing (WM_ERR_TOO_LARGE, trace left empty) a file of more
 * than max_frames frames (0: no bound) before it holds them all: what a
 * file costs to read grows with its frames (wm_budget.h). */
int wm_trace_read_file_max(const char *path, uint64_t max_frames,
                           wm_trace *trace, wm_error *err);

/* What reading a file may cost. */
typedef struct wm_trace_limits {
    uint64_t max_frames;       /* more is WM_ERR_TOO_LARGE; 0: no bound */
    uint32_t max_record_bytes; /* a longer record or block stops reading;
                                  0: WM_TRACE_DEFAULT_MAX_RECORD_BYTES */
} wm_trace_limits;

/* The longest record or pcapng block read by default (bytes, block
 * header and options included): Wireshark's largest snaplen, 262144, with
 * room for a block's header and options; and the range a caller may set. */
#define WM_TRACE_DEFAULT_MAX_RECORD_BYTES (320u * 1024u)
#define WM_TRACE_MIN_MAX_RECORD_BYTES 128u
#define WM_TRACE_MAX_MAX_RECORD_BYTES (256u * 1024u * 1024u)

/* Where a packet goes when it is not kept in a trace (a run's capture,
 * wm_trace_stream_file): the streaming analysis. first_ts_ns is the
 * first frame's, the zero of the Time column. -1 (err filled) stops. */
typedef int (*wm_packet_fn)(void *ctx, const wm_packet *p,
                            int64_t first_ts_ns, wm_error *err);

/* wm_trace_read_file_max handing each TCP packet to on_packet instead of
 * keeping it (NULL: keeping it): the trace only counts frames, so reading
 * costs no memory per frame. */
int wm_trace_stream_file(const char *path, uint64_t max_frames,
                         wm_packet_fn on_packet, void *ctx, wm_trace *trace,
                         wm_error *err);

/* The same within limits (NULL: the defaults). */
int wm_trace_stream_file_limited(const char *path,
                                 const wm_trace_limits *limits,
                                 wm_packet_fn on_packet, void *ctx,
                                 wm_trace *trace, wm_error *err);

/* The same, from a buffer holding a whole pcap or pcapng file (fuzzing,
 * tests). */
int wm_trace_read_memory(const uint8_t *data, size_t size, wm_trace *trace,
                         wm_error *err);

void wm_trace_free(wm_trace *trace);

#endif
