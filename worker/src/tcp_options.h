/* wm_tcpopt: the options of a TCP header, read as tshark reads them.
 *
 * Options are read in order as far as the snaplen lets: one the cut
 * falls in is read as far as tshark shows it (a TSval, whole SACK
 * blocks) and ends the options, marked truncated. A malformed option
 * (a length below 2, or past the header) ends them too, flagged in the
 * packet's anomalies; what came before it stays. EOL ends them. */
#ifndef WM_TCP_OPTIONS_H
#define WM_TCP_OPTIONS_H

#include <stdint.h>

#include "wm_packet.h"

/* The options at opts: header_len bytes were sent, cap_len (maybe fewer)
 * captured. Fills *o (zeroed by the caller), may set
 * WM_PKT_OPTION_SHORT or WM_PKT_OPTION_PAST_END in *anomalies. */
void wm_tcpopt_parse(const uint8_t *opts, uint32_t header_len,
                     uint32_t cap_len, wm_tcp_options *o, uint8_t *anomalies);

#endif
