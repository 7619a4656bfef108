/* rows_format: the layout of a rows file (rows.h says why it exists) —
 * its header and its fixed-size records — and the two conversions
 * between a record and the (wm_packet, wm_packet_info) pair a row is
 * rendered from. Shared by rows.c (a whole connection written at once,
 * pages read) and rows_spool.c (records appended as packets arrive).
 * Private to the engine. */
#ifndef WM_ROWS_FORMAT_H
#define WM_ROWS_FORMAT_H

#include <stdint.h>

#include "wm_analyze.h"

#define ROWS_MAGIC "WMROWS\r\n"  /* a text transfer would mangle it */
#define ROWS_VERSION 1u          /* bumped whenever a record changes */

/* Option flags of a record. */
enum {
    OPT_MSS = 1u << 0, OPT_WSCALE = 1u << 1, OPT_SACK_PERM = 1u << 2,
    OPT_TIMESTAMPS = 1u << 3, OPT_EOL = 1u << 4, OPT_TRUNCATED = 1u << 5,
    OPT_TS_VAL_CUT = 1u << 6,
};

typedef struct rows_header {
    char magic[8];
    uint32_t version, record_bytes;
    uint64_t count;
    int64_t first_ts_ns;
    wm_addr addr[2];      /* by side: client, server */
    uint16_t port[2];
} rows_header;

/* Ordered so that no padding falls inside (104 bytes). */
typedef struct rows_record {
    int64_t ts_ns;
    uint32_t frame_no, frame_len, seq, ack, payload_len;
    uint32_t rel_seq, rel_ack;
    uint32_t window;      /* scaled: at most 65535 << 14, below 2^30 */
    uint32_t marks, dup_ack_num, dup_ack_frame;
    uint32_t ts_val, ts_ecr;
    uint32_t sack[WM_TCP_MAX_SACK_BLOCKS][2];
    uint16_t window_raw, mss;
    uint8_t flags, from, opt_bits, wscale;
    uint8_t sack_count, nop_count, unknown_count;
    uint8_t anomalies;    /* wm_packet's: 0 in files written before
                             it, which was "unused" and zero */
} rows_record;

_Static_assert(sizeof(rows_record) == 104, "a record has no padding");

/* The record of a row. */
void rows_record_of(const wm_packet *p, const wm_packet_info *info,
                    rows_record *r);

/* The two records a row is rendered from, back from a record: the
 * addresses and ports are h's, by the record's side. */
void rows_packet_of(const rows_header *h, const rows_record *r,
                    wm_packet *p, wm_packet_info *info);

/* A header of this layout with no rows and no endpoints yet. */
void rows_header_init(rows_header *h);

#endif
