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
    uint32_t dupacknum;
    uint32_t lastnondupack;   /* frame number */
    uint32_t lastsegmentflags;/* marks of the last packet sent */
    bool unseen_acked;        /* the other side has ACKed data of ours not
                                 captured, and been marked for it */
} wm_flow_state;

typedef struct wm_conn_state {
    wm_flow_state flow[2];    /* by direction: 0 = first packet's sender */
    int64_t mru_syn_ts_ns;    /* most recent SYN, 0: none */
    int64_t first_rtt_ns;     /* SYN to the first pure ACK, 0: none */
} wm_conn_state;

void wm_analyze_flow_init(wm_conn_state *state);

/* Whether p (sent in direction dir) opens a new connection on a tuple
 * already in use: a SYN without ACK whose seq differs from the base seq of
 * its direction, Wireshark's "TCP port numbers reused". */
bool wm_analyze_flow_reuses(const wm_conn_state *state, int dir,
                            const wm_packet *p);

/* Advances the state by p and fills info's rel_seq, rel_ack,
 * next_rel_seq, window and the Wireshark marks (and dup ACK fields). */
void wm_analyze_flow_step(wm_conn_state *state, int dir, const wm_packet *p,
                          wm_packet_info *info);

#endif
