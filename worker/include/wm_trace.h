/* wm_trace: the dissected packets of one capture, in capture order, with
 * the counts of frames that were not TCP or were malformed.
 *
 * Live capture appends frames as they arrive — or, for a run, only counts
 * them and hands each TCP packet on (wm_trace_take_frame) to the
 * streaming analysis, so that a run holds no packet; wm_trace_read_file
 * fills one
 * from a pcap or pcapng file through libpcap, at nanosecond precision, so
 * that a run and the offline analysis of its pcap read the same numbers. */
#ifndef WM_TRACE_H
#define WM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_error.h"
#include "wm_packet.h"

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
    int linktype;         /* DLT_ value */
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

/* Reads a pcap or pcapng file into trace (initialised here). An unsupported
 * link type, an unreadable or cut-short file, or a timestamp outside
 * 1970..2116 is an error naming the file, and leaves trace empty (freeing it
 * stays safe); malformed frames are only counted. A missing file is
 * WM_ERR_NOT_FOUND. */
int wm_trace_read_file(const char *path, wm_trace *trace, wm_error *err);

/* The same, refusing (WM_ERR_TOO_LARGE, trace left empty) a file of more
 * than max_frames frames (0: no bound) before it holds them all: what a
 * file costs to read grows with its frames (wm_budget.h). */
int wm_trace_read_file_max(const char *path, uint64_t max_frames,
                           wm_trace *trace, wm_error *err);

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

/* The same, from a buffer holding a whole pcap file (fuzzing, tests). */
int wm_trace_read_memory(const uint8_t *data, size_t size, wm_trace *trace,
                         wm_error *err);

void wm_trace_free(wm_trace *trace);

#endif
