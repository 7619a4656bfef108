/* analyze_flow: the per-direction state Wireshark's packet-tcp.c keeps for
 * its sequence analysis, and the one step that advances it by a packet.
 *
 * Internal to wm_analyze (analyze.c groups packets into connections,
 * analyze_summary.h reads the finished connection). The state mirrors
 * tcp_analysis/tcp_flow_t field by field, quirks included (0 stands for
 * "not seen yet" in nextseq, lastack and the timestamps, as there), because
 * the point is that our marks equal tshark's, not that they are better. */
#ifndef WM_ANALYZE_FLOW_H
#define WM_ANALYZE_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "wm_analyze.h"

/* A segment sent and not yet acked: Wireshark's tcp_unacked_t. */
typedef struct wm_unacked {
    uint32_t frame, seq, nextseq;
    int64_t ts_ns;
} wm_unacked;

#define WM_BIF_SACK_BLOCKS 3 /* packet-tcp.c keeps the first three */

typedef struct wm_flow_state {
    bool base_set;
    uint32_t base_seq;        /* raw seq of relative 0 */
    int win_scale;            /* -1 unknown, -2 not in use, else shift */
    uint32_t nextseq;         /* highest seq + len seen, 0: none */
    int64_t nextseq_ts_ns;
    uint32_t maxseqtobeacked; /* highest contiguous nextseq, 0: none */
    uint32_t window;          /* last raw window sent */
    uint32_t lastack;         /* last raw ack sent, 0: none */
    int64_t lastack_ts_ns;
    int32_t dupacknum;        /* -1: an ACKed unseen segment was
                                 flagged by the peer's ACK (as there) */
    bool is_first_ack;        /* sent a SYN and no ACK since: the window
                                 it last sent is a SYN's, unscaled */
    uint32_t lastnondupack;   /* frame number */
    uint32_t lastsegmentflags;/* marks of the last packet sent */
    uint32_t nextseqframe;    /* frame that set nextseq */
    /* Segments awaiting their ACK, oldest first (Wireshark's list is
     * newest first; every use of it is order-free but "the eldest" and
     * "the last exact match", which are the first here). At most
     * WM_MAX_UNACKED_SEGMENTS. */
    wm_unacked *unacked;
    uint32_t unacked_count, unacked_capacity;
    uint64_t untracked;       /* segments the full table did not take */
    uint32_t span_lo, span_hi;/* lowest seq and highest nextseq in the
                                 table, relative: kept as it changes so
                                 that bytes in flight cost no scan */
    bool valid_bif;           /* bytes in flight can be trusted */
    bool push_set_last;       /* the last data segment had PSH */
    uint32_t push_bytes_sent;
    uint8_t sack_ranges;      /* of its last packet's SACK option, for
                                 the other direction's bytes in flight */
    uint32_t sack_left[WM_BIF_SACK_BLOCKS], sack_right[WM_BIF_SACK_BLOCKS];
} wm_flow_state;

typedef struct wm_conn_state {
    wm_flow_state flow[2];    /* by direction: 0 = first packet's sender */
    int64_t mru_syn_ts_ns;    /* most recent SYN, 0: none */
    int64_t first_rtt_ns;     /* SYN to the first pure ACK, 0: none */
    bool tfo_syn_data;        /* a SYN carried a cookie and data */
} wm_conn_state;

void wm_analyze_flow_init(wm_conn_state *state);

/* Frees the tables of unacked segments. */
void wm_analyze_flow_free(wm_conn_state *state);

/* Whether p (sent in direction dir) opens a new connection on a tuple
 * already in use: a SYN without ACK whose seq differs from the base seq of
 * its direction, Wireshark's "TCP port numbers reused". */
bool wm_analyze_flow_reuses(const wm_conn_state *state, int dir,
                            const wm_packet *p);

/* Advances the state by p and fills info's rel_seq, rel_ack,
 * next_rel_seq, window, the Wireshark marks (and dup ACK fields) and
 * the tcp.analysis values (ack RTT, bytes in flight, RTO, iRTT). */
void wm_analyze_flow_step(wm_conn_state *state, int dir, const wm_packet *p,
                          wm_packet_info *info);

#endif
