/* analyze_summary: where the handshake and the closure are found, and the
 * rest of what a person asks of a finished connection — who is the
 * client, how many packets and bytes each side sent, how long each phase
 * took. Internal to wm_analyze: analyze.c calls it once a connection has
 * every packet, after the sequence analysis (analyze_flow.h) marked them. */
#ifndef WM_ANALYZE_SUMMARY_H
#define WM_ANALYZE_SUMMARY_H

#include "analyze_flow.h"

/* Roles, handshake, closure, per-side counts and timing of conn, from its
 * packets and the flow state they left. info.from holds the direction (0:
 * the first packet's sender) until then, the side after. */
void wm_analyze_summarize(wm_connection *conn, const wm_trace *trace,
                          const wm_conn_state *state);

#endif
