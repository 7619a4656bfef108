/* wm_reasm: IPv4 and IPv6 fragments back into datagrams, as Wireshark's
 * reassemble.c does for IP (tshark 4.0's default "defragment" on).
 *
 * A datagram is complete when the fragments seen cover it from byte 0 to
 * the end given by the fragment without "more fragments"; the frame that
 * completes it carries the whole datagram, the others carry none. Where
 * fragments overlap, the bytes of the one with the lowest offset win (for
 * equal offsets, the one that came first), as in Wireshark's copy loop. A
 * completed datagram leaves the table: a fragment arriving after it with
 * the same key starts a new one.
 *
 * Memory is bounded by the constants below, here and nowhere else: when
 * a new datagram or a fragment's bytes would pass them, the datagrams
 * started longest ago are dropped first, and counted as incomplete. */
#ifndef WM_REASSEMBLY_H
#define WM_REASSEMBLY_H

#include <stdbool.h>
#include <stdint.h>

#include "wm_trace.h"

#define WM_REASM_MAX_DATAGRAMS 64           /* in progress at once */
#define WM_REASM_MAX_BYTES (1u << 20)       /* fragment bytes held, all
                                               datagrams together: 16 kB
                                               each on average when all
                                               slots are in use */
#define WM_REASM_MAX_DATAGRAM_BYTES 65535u  /* one datagram's payload:
                                               bytes past it are dropped */

typedef struct wm_reasm wm_reasm;

/* What identifies a datagram: Wireshark keys IPv4 on addresses, protocol
 * and ID, IPv6 on addresses and the fragment header's 32-bit ID. */
typedef struct wm_reasm_key {
    uint8_t family;     /* 4 or 6 */
    uint8_t proto;      /* IPv4 protocol; 0 for IPv6 */
    uint8_t src[16], dst[16];
    uint32_t id;
} wm_reasm_key;

typedef enum wm_reasm_status {
    WM_REASM_PENDING = 0, /* kept; the datagram is not complete yet */
    WM_REASM_DONE,        /* this fragment completed the datagram */
    WM_REASM_NO_MEMORY,
} wm_reasm_status;

wm_reasm *wm_reasm_new(void);
void wm_reasm_free(wm_reasm *r);

/* One fragment of len bytes (all captured) at byte offset `offset` of its
 * datagram's payload; `more` is its "more fragments" flag. On
 * WM_REASM_DONE, *out and *out_len are the datagram's payload, valid until
 * the next call. */
wm_reasm_status wm_reasm_add(wm_reasm *r, const wm_reasm_key *key,
                             uint32_t offset, const uint8_t *data,
                             uint32_t len, bool more, const uint8_t **out,
                             uint32_t *out_len);

/* The counts so far: fragments taken, datagrams reassembled, and
 * incomplete = dropped plus still in progress (cut stays 0: a cut
 * fragment never comes here). */
void wm_reasm_counts(const wm_reasm *r, wm_fragment_counts *counts);

#endif
