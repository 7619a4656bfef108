/* wm_dissect: raw frames into wm_packet records.
 *
 * Link types: Ethernet (with 802.1Q tags), Linux cooked v1 and v2 (SLL,
 * SLL2), raw IP (DLT_RAW, LINKTYPE_IPV4/IPV6) and BSD loopback (DLT_NULL,
 * DLT_LOOP). IPv4 with options, IPv6 with its extension headers skipped,
 * then TCP with its options. Every read is bounds-checked against the
 * captured length: a truncated or malformed frame is reported as such and
 * never read past. IP fragments are reassembled (reassembly.h) when a
 * frame is dissected as part of a trace; dissected alone, a fragment is
 * what a fragment that cannot be reassembled is to tshark: a first IPv4
 * one shown with no segment length, the others not TCP. A malformed TCP
 * option ends the options and keeps the packet, flagged (wm_packet's
 * anomalies), as tshark does. */
#ifndef WM_DISSECT_H
#define WM_DISSECT_H

#include <stdint.h>

#include "wm_packet.h"
#include "wm_trace.h"

typedef enum wm_dissect_status {
    WM_DISSECT_TCP = 0,    /* *out is filled */
    WM_DISSECT_NOT_TCP,    /* a valid frame of something else (ARP, UDP...) */
    WM_DISSECT_MALFORMED,  /* truncated or inconsistent: counted, skipped */
    WM_DISSECT_NO_MEMORY,  /* reassembly could not hold a fragment */
} wm_dissect_status;

/* linktype is a pcap DLT_ value (pcap_datalink()). frame_no, ts_ns and the
 * lengths are copied into *out by the caller's wm_trace, not here. */
wm_dissect_status wm_dissect_frame(int linktype, const uint8_t *data,
                                   uint32_t cap_len, wm_packet *out);

/* The same, knowing the frame's length on the wire (pcap "len"; 0 when
 * unknown): it stands in for an IP length left at 0 by TSO/GSO, and an IP
 * length beyond it marks the frame malformed. wm_dissect_frame is this
 * with frame_len 0. */
wm_dissect_status wm_dissect_frame_wire(int linktype, const uint8_t *data,
                                        uint32_t cap_len, uint32_t frame_len,
                                        wm_packet *out);

/* The same as one frame of trace (its link type): fragments go into
 * the trace's reassembly (made at the first) and its fragment counts; a
 * frame that completes a datagram gives its whole TCP segment. */
wm_dissect_status wm_dissect_frame_trace(wm_trace *trace,
                                         const uint8_t *data,
                                         uint32_t cap_len,
                                         uint32_t frame_len, wm_packet *out);

/* True for the link types above. */
int wm_dissect_linktype_supported(int linktype);

#endif
