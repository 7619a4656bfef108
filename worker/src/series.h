/* series: the capture-derived tables of a run's time series, made from
 * the per-packet analysis (wm_analyze.h) of the sender's capture, and the
 * series document written from them and the kernel's samples.
 *
 * Nothing here analyses TCP again: every value is a field of the
 * analysis's rows, the ones that agree with tshark (ack_rtt, bytes in
 * flight, the scaled window, relative seq and ack, the retransmission
 * marks); this only sorts them into tables by who sent the packet and
 * sums bytes per interval. Tables are compact structs, bounded by
 * max_points rows each, and the document is written from them as a
 * stream, so no JSON tree of a long run is ever held. Private to the
 * engine. */
#ifndef SERIES_H
#define SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "series_kernel.h"
#include "wm_analyze.h"
#include "wm_error.h"

enum series_point_flag {
    SERIES_RETRANSMISSION = 1u << 0, /* any of tshark's three kinds */
    SERIES_LOST_ON_LINK = 1u << 1,   /* sent, never received (link) */
};

/* One row of a per-packet table. */
typedef struct series_point {
    int64_t t_ns;     /* since the tables' start_ns */
    int64_t value;    /* rtt_ns, in_flight or window bytes, rel seq or ack */
    uint32_t frame;   /* 1-based, in the capture analysed */
    uint32_t len;     /* a segment's payload bytes */
    uint32_t flags;   /* enum series_point_flag */
} series_point;

enum series_table {
    SERIES_RTT, SERIES_IN_FLIGHT, SERIES_WINDOW, SERIES_SEGMENTS,
    SERIES_ACKS, SERIES_TABLE_COUNT
};

typedef struct series_list {
    series_point *rows;
    size_t count, capacity;
} series_list;

typedef struct series_tables {
    int64_t start_ns;      /* epoch ns of the first SYN (or first packet) */
    int64_t interval_ns;   /* of throughput and goodput */
    uint64_t *sent_bytes;  /* throughput: the sender's payload bytes per
                              interval, retransmissions included */
    uint64_t *acked_bytes; /* goodput: new data acknowledged per interval */
    size_t intervals;
    series_list list[SERIES_TABLE_COUNT];
    size_t max_points;     /* the bound of every table */
    bool truncated;        /* a table reached max_points */
} series_tables;

/* The tables of conn, whose data sender is the side on sender_port.
 * lost_frames: the sender's frames lost on the link, ascending (may be
 * NULL with lost_count 0). */
int series_tables_build(const wm_connection *conn, uint16_t sender_port,
                        const uint32_t *lost_frames, size_t lost_count,
                        int64_t interval_ns, size_t max_points,
                        series_tables *out, wm_error *err);

void series_tables_free(series_tables *tables);

/* The document (docs/result.md "series") into f; kernel may be NULL (no
 * samples), source is "sender" or "receiver". */
int series_write(FILE *f, const series_tables *tables, const char *source,
                 const series_kernel *kernel, wm_error *err);

#endif
