/* analyze_summary: what a person asks of a finished connection — who is
 * the client, where the handshake and the closure are, how many packets
 * and bytes each side sent, how long each phase took. Internal to
 * wm_analyze: analyze.c tallies each packet as it comes, after the
 * sequence analysis (analyze_flow.h) marked it, and summarises each
 * connection once it has every packet.
 *
 * The tally is constant state per connection, kept by direction (0: the
 * first packet's sender) since the roles are known only at the end: the
 * counts and options of each direction and the first packet of each kind
 * the handshake and the closure start from. The summary then reads back
 * only the few rows after those (wm_connection_row). */
#ifndef WM_ANALYZE_SUMMARY_H
#define WM_ANALYZE_SUMMARY_H

#include "analyze_flow.h"
#include "analyze_rtt.h"

typedef struct wm_conn_tally {
    wm_side_info dir[2];     /* by direction: counts and SYN options */
    int64_t syn, syn_ack;    /* first SYN without ACK, first SYN-ACK */
    int syn_dir, syn_ack_dir;
    int64_t fin_or_rst;      /* first FIN or RST */
    int64_t fin[2];          /* first FIN of each direction */
    uint32_t fin_end[2];     /* raw seq just after it */
    int64_t rst;             /* first RST */
    int64_t first_ts_ns, last_ts_ns;
    wm_rtt_hist rtt;         /* every ack_rtt */
    uint64_t mark_count[WM_MARK_BITS];
} wm_conn_tally;

void wm_tally_init(wm_conn_tally *tally);

/* Frees what the tally allocated (the RTT histogram). */
void wm_tally_free(wm_conn_tally *tally);

/* Counts p, the index-th packet of the connection, sent in direction dir
 * and analysed into info. */
void wm_tally_packet(wm_conn_tally *tally, int dir, size_t index,
                     const wm_packet *p, const wm_packet_info *info);

/* Roles, handshake, closure, per-side counts and timing of conn, from its
 * tally, the flow state its packets left and its endpoints by direction.
 * The rows' from turns from a direction into a side, and the handshake
 * and closure rows get their marks. Without rows (wm_connection_has_rows)
 * only what the tally tells is filled. */
int wm_analyze_summarize(wm_connection *conn, const wm_conn_tally *tally,
                         const wm_conn_state *state, const wm_addr addr[2],
                         const uint16_t port[2], wm_error *err);

#endif
