/* wm_capture: libpcap on the loopback interface, for one run's port.
 *
 * The handle is activated (immediate mode, or blocks for a fast link's
 * large ring: see WM_CAPTURE_BLOCKS_MIN_BUFFER; nanosecond timestamps, the
 * run's snaplen, a filter on the server port) before the client connects,
 * and read by a thread of its own that dissects frames as they arrive
 * (or, for a small run, by the caller once the transfer is over). The
 * capture ends when the closure is seen complete — both FINs and the ACK of
 * the last, or an RST — or when the grace period after the transfer ends
 * runs out; never after a fixed sleep alone. pcap_stats() counters are
 * kept so that a run can say whether the kernel dropped anything. */
#ifndef WM_CAPTURE_H
#define WM_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_budget.h"
#include "wm_error.h"
#include "wm_trace.h"

#define WM_CAPTURE_DEFAULT_SNAPLEN 160u   /* link + IP + TCP headers with
                                             options, for IPv4 and IPv6 */
/* Bounds of the snaplen: the least that holds a link header, an IPv6
 * header and a TCP header with some options; libpcap's own maximum. */
#define WM_CAPTURE_MIN_SNAPLEN 96u
#define WM_CAPTURE_MAX_SNAPLEN 262144u
#define WM_CAPTURE_DEFAULT_GRACE_MS 500u
#define WM_CAPTURE_DEFAULT_BUFFER (32u * 1024u * 1024u)

/* A fast link's capture with a large ring is read in blocks (TPACKET_V3)
 * rather than frame by frame (immediate mode, TPACKET_V2): at 1500-byte
 * frames and no rate limit, the kernel's frame-by-frame hand-over (each
 * slot's status shared with the reader, a wake-up per frame) at both ends
 * of the link cost the transfer a third of its speed. A block is handed
 * over when full or WM_CAPTURE_LINK_BLOCK_MS after its first frame.
 * libpcap's blocks are 256 KiB whatever the ring, and a slow link's
 * blocks are retired by the timer holding a few frames each: a 1 MiB
 * ring (a small run's) is then 4 blocks, and the kernel drops frames as
 * soon as the reader is 4 blocks late; a 32 MiB ring at 20 Mbit/s holds
 * half a second where frame by frame it holds a minute. So blocks only
 * where they pay: a ring of at least WM_CAPTURE_BLOCKS_MIN_BUFFER and
 * data at no rate limit or at least WM_CAPTURE_BLOCKS_MIN_KBIT. Never
 * on loopback, where a small run's closure would wait for its block. */
#define WM_CAPTURE_BLOCKS_MIN_BUFFER (16u * 1024u * 1024u)
#define WM_CAPTURE_BLOCKS_MIN_KBIT 1000000u
#define WM_CAPTURE_LINK_BLOCK_MS 4u

/* Activated handles kept from one capture to the next (capture_pool.h
 * says why): owned by whoever runs many captures, shared by their
 * threads. */
typedef struct wm_capture_pool wm_capture_pool;

#define WM_CAPTURE_POOL_DEFAULT_BYTES (64u * 1024u * 1024u) /* of rings */

int wm_capture_pool_new(uint64_t max_bytes, wm_capture_pool **out,
                        wm_error *err);

/* Closes the parked handles. Captures using the pool must have been
 * freed. NULL is fine. */
void wm_capture_pool_free(wm_capture_pool *pool);

typedef struct wm_capture_options {
    const char *interface;   /* "lo" */
    uint16_t port;           /* BPF: tcp port N */
    bool ipv6;               /* the run's family, for the filter */
    uint32_t snaplen;        /* bytes kept per frame */
    uint32_t buffer_bytes;   /* kernel ring size */
    uint32_t grace_ms;       /* wait for the closure after the transfer */
    uint32_t block_ms;       /* 0: frame by frame; more: the ring in
                                blocks, each handed over when full or
                                block_ms after its first frame (see
                                wm_capture_link_block_ms) */
    const char *pcap_path;   /* written when not NULL */
    size_t pcap_inline_max;  /* with pcap_inline: a pcap of at most this
                                many bytes is kept there (wm_blob.h) and
                                no file made at pcap_path; 0: the file */
    struct wm_blob *pcap_inline;
    wm_capture_pool *pool;   /* NULL: open and close a handle of its own */
    const struct wm_path *path; /* when set, the capture is opened on the
                                   interface in this link's host: */
    int path_side;           /* a wm_path_side; never pooled */
    const struct wm_cancel *cancel; /* fired: the capture stops at once and
                                       finishes with WM_ERR_CANCELLED */
    wm_budget budget;        /* what it may keep (wm_budget.h): past it
                                the capture keeps nothing more and
                                finishes with WM_ERR_BUDGET */
    void (*over_budget)(void *ctx); /* called once, from the reader
                                thread (read_after: from the finish),
                                when the budget is spent: the run stops
                                its transfer; may be NULL */
    void *over_budget_ctx;
    /* When set, each TCP packet is handed to it as it is dissected, from
     * the reader thread (read_after: the finish's), and not kept in the trace (which then only
     * counts frames): a run's streaming analysis. first_ts_ns is the
     * capture's first frame's. Failing (-1, err filled) stops the
     * capture, which then finishes with that error. */
    wm_packet_fn on_packet;
    void *on_packet_ctx;
    /* No reader thread: the ring is read by the caller's own thread in
     * wm_capture_finish, after the transfer (hooks then run there). Only
     * for a capture whose frames all fit the ring unread, which the caller
     * bounds (wm_run: a small loopback run); frame by frame only. The
     * kernel's drop count is read as ever, so an overflow still shows. */
    bool read_after;
} wm_capture_options;

typedef struct wm_capture_stats {
    char interface[32];
    uint64_t received;       /* pcap_stats ps_recv */
    uint64_t dropped;        /* ps_drop: dropped by the kernel buffer */
    uint64_t if_dropped;     /* ps_ifdrop */
    uint32_t snaplen;
    bool complete;           /* the closure was seen before the grace ran out */
} wm_capture_stats;

typedef struct wm_capture wm_capture;

void wm_capture_options_default(wm_capture_options *opts);

/* The block_ms of a link's capture whose data comes at rate_kbit (0:
 * unlimited) into a ring of buffer_bytes: WM_CAPTURE_LINK_BLOCK_MS where
 * blocks pay, 0 (frame by frame) elsewhere. */
uint32_t wm_capture_link_block_ms(uint32_t rate_kbit, uint32_t buffer_bytes);

/* Opens, filters, activates and starts reading. WM_ERR_PERMISSION with a
 * message saying how to grant CAP_NET_RAW when the kernel refuses. */
int wm_capture_start(const wm_capture_options *opts, wm_capture **out,
                     wm_error *err);

/* Waits for the closure (or the grace period), stops, and hands over the
 * trace (no packets in it with on_packet) and counters. The trace then
 * belongs to the caller. */
int wm_capture_finish(wm_capture *capture, wm_trace *trace,
                      wm_capture_stats *stats, wm_error *err);

/* Frees a capture that was started, finished or not. */
void wm_capture_free(wm_capture *capture);

/* Whether this process may capture on the interface; when not, why (the
 * pcap error and how to fix it) goes into err. */
bool wm_capture_permitted(const char *interface, wm_error *err);

#endif
