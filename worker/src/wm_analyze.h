/* wm_analyze: TCP connections out of a trace, and what Wireshark would say
 * of each packet in them.
 *
 * The analysis streams: each packet is analysed the moment it is added
 * (wm_stream_add), as Wireshark does (it only looks backwards), and its
 * row goes to the connection's rows — kept in memory beside the trace
 * (wm_analyze_trace, `analyze FILE`, the tests) or written to a spool
 * file as it comes (a live run: rows_spool.h), so that a run's memory
 * does not grow with its packets. What only the end can tell (the roles
 * when no SYN came first, the handshake and closure) is decided by
 * wm_stream_finish from constant per-connection state and a few rows
 * read back, and patched into those rows. Both ways are the same code.
 *
 * Packets are grouped by their 4-tuple into connections (a new SYN after a
 * completed closure on the same tuple starts a new one). For each the
 * analyser finds who is client (the sender of the first SYN; when no SYN was
 * captured, the sender of the first packet, and roles_known is false), the
 * handshake, the closure, per-side counts, the timing, and per packet the
 * relative seq/ack, the scaled window, Wireshark's tcp.analysis values
 * (ACK RTT, bytes in flight, RTO, iRTT) and the analysis marks, following
 * Wireshark's packet-tcp.c definitions (retransmission, fast and spurious
 * retransmission, out-of-order, duplicate ACK with its number, lost
 * segment, keep-alive, window update, zero window), so that our numbers and
 * tshark's can be compared field by field.
 *
 * Where each part lives: analyze.c groups packets into connections;
 * analyze_flow.c is the sequence analysis (the marks, packet by packet);
 * analyze_summary.c keeps the counts as packets come and finds the roles,
 * the handshake, the closure and the timing of a finished connection;
 * analyze_rows.c reads and patches a connection's rows wherever they are. */
#ifndef WM_ANALYZE_H
#define WM_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wm_error.h"
#include "wm_trace.h"

typedef enum wm_side { WM_SIDE_CLIENT = 0, WM_SIDE_SERVER = 1 } wm_side;

enum wm_mark {
    WM_MARK_RETRANSMISSION = 1u << 0,
    WM_MARK_FAST_RETRANSMISSION = 1u << 1,
    WM_MARK_SPURIOUS_RETRANSMISSION = 1u << 2,
    WM_MARK_OUT_OF_ORDER = 1u << 3,
    WM_MARK_DUP_ACK = 1u << 4,
    WM_MARK_LOST_SEGMENT = 1u << 5,   /* "previous segment not captured" */
    WM_MARK_ACKED_UNSEEN = 1u << 6,   /* "ACKed segment that wasn't captured" */
    WM_MARK_KEEP_ALIVE = 1u << 7,
    WM_MARK_WINDOW_UPDATE = 1u << 8,
    WM_MARK_ZERO_WINDOW = 1u << 9,
    WM_MARK_WINDOW_FULL = 1u << 10,
    WM_MARK_ZERO_WINDOW_PROBE = 1u << 11,
    WM_MARK_KEEP_ALIVE_ACK = 1u << 14,
    WM_MARK_ZERO_WINDOW_PROBE_ACK = 1u << 15,
    WM_MARK_PORTS_REUSED = 1u << 16,  /* a SYN opening a new connection
                                         on a 4-tuple seen before */
    WM_MARK_TFO_SYN = 1u << 17,       /* a SYN with a Fast Open cookie */
    WM_MARK_TFO_ACK = 1u << 18,       /* a SYN-ACK acking the SYN's data */
    WM_MARK_TFO_IGNORED = 1u << 19,   /* a SYN-ACK not acking it */
    WM_MARK_DSACK = 1u << 20,         /* the first SACK block is a D-SACK
                                         (RFC 2883) */
    WM_MARK_HANDSHAKE = 1u << 12,     /* one of SYN, SYN-ACK, ACK */
    WM_MARK_CLOSURE = 1u << 13,       /* part of the FIN/RST exchange */
};

/* The three kinds Wireshark's "tcp.analysis.retransmission" filter
 * matches (and the totals count). */
#define WM_MARK_ANY_RETRANSMISSION \
    (WM_MARK_RETRANSMISSION | WM_MARK_FAST_RETRANSMISSION | \
     WM_MARK_SPURIOUS_RETRANSMISSION)

#define WM_NO_PACKET (-1) /* an index field that points at nothing */

/* Ordered so that no padding falls between the fields: one per packet. */
typedef struct wm_packet_info {
    uint32_t packet;        /* index into wm_trace.packets */
    wm_side from;           /* the side that sent it */
    int64_t rel_time_ns;    /* since the trace's first frame (Time column) */
    uint64_t window;        /* bytes: raw << sender's shift once both SYNs
                               agreed on scaling, raw otherwise */
    uint32_t rel_seq;       /* seq - sender's ISN (SYN = 0) */
    uint32_t rel_ack;       /* ack - receiver's ISN; 0 without ACK flag */
    uint32_t next_rel_seq;  /* rel_seq + len (+1 for SYN/FIN) */
    uint32_t marks;         /* enum wm_mark bits */
    uint32_t dup_ack_num;   /* the nth duplicate of dup_ack_frame's ACK */
    uint32_t dup_ack_frame; /* frame number of the ACK being duplicated */
    /* Wireshark's tcp.analysis fields, 0 where it shows none. */
    uint32_t acks_frame;    /* the frame whose segment this ACK acks */
    uint32_t bytes_in_flight; /* unacked bytes once this was sent */
    uint32_t push_bytes_sent; /* bytes sent since the last PSH */
    uint32_t rto_frame;     /* what a retransmission's rto_ns is from */
    int64_t ack_rtt_ns;     /* since acks_frame (negative if the capture's
                               clock stepped back) */
    int64_t initial_rtt_ns; /* SYN to the handshake's ACK, once known */
    int64_t rto_ns;         /* since the segment retransmitted */
} wm_packet_info;

typedef struct wm_side_info {
    wm_addr addr;
    uint16_t port;
    bool isn_known;         /* its SYN was captured */
    uint32_t isn;           /* raw initial sequence number */
    bool has_mss;
    uint16_t mss;           /* as announced in its SYN */
    int wscale;             /* shift announced in its SYN, -1 if none */
    bool sack_permitted, timestamps;
    uint64_t packets, data_packets, pure_acks;
    uint64_t wire_bytes;    /* frame lengths */
    uint64_t payload_bytes; /* TCP payload, retransmissions included */
    uint64_t retransmissions, dup_acks, out_of_order;
    uint64_t data_wire_bytes; /* frame lengths of its data packets */
    uint64_t stream_end;    /* relative seq just past its highest data
                               byte: 1 + the bytes of the stream, in 64
                               bits (the 32-bit sequence space unwrapped) */
    uint32_t stream_end32;  /* the same, mod 2^32: what the next segment's
                               end is unwrapped against */
    uint32_t syn_data;      /* payload bytes its SYN carried (Fast Open) */
    uint64_t bytes_in_flight_max;
} wm_side_info;

/* ACK round-trip times (tcp.analysis.ack_rtt) of a connection, both
 * directions; percentiles within 3.2 % (analyze_rtt.h). */
typedef struct wm_rtt_summary {
    uint64_t count;
    int64_t min_ns, mean_ns, p50_ns, p99_ns, max_ns;
    bool percentiles_known; /* false if their memory could not be had */
} wm_rtt_summary;

#define WM_MARK_BITS 32

/* Wireshark's limit on the segments it keeps per direction awaiting
 * their ACK (packet-tcp.c TCP_MAX_UNACKED_SEGMENTS): a segment sent
 * while that many are unacked is not tracked, so no ack_rtt is measured
 * for it. Ours is the same so that the fields agree with tshark's. */
#define WM_MAX_UNACKED_SEGMENTS 10000

typedef enum wm_close_kind {
    WM_CLOSE_NONE = 0, WM_CLOSE_FIN, WM_CLOSE_RST
} wm_close_kind;

typedef struct wm_connection {
    wm_side_info side[2];   /* indexed by wm_side */
    bool roles_known;       /* client found by its SYN, not guessed */
    /* The rows, one per packet in capture order: packets[] (indexes into
     * trace->packets) when kept in memory, else in spool (a live run);
     * neither for a connection whose rows a run did not keep. */
    wm_packet_info *packets;
    const wm_trace *trace;
    struct rows_spool *spool;
    size_t packet_count;

    /* Handshake: indexes into packets[], or WM_NO_PACKET. */
    int64_t syn, syn_ack, handshake_ack;
    bool handshake_complete;
    int64_t handshake_ns;   /* SYN to its ACK */
    int wscale_shift[2];    /* shift applied to each side's windows, -1 if
                               scaling is not known to be in effect */

    /* Closure: from the first FIN or RST to the ACK of the last FIN. */
    wm_close_kind close_kind;
    wm_side closed_by;      /* sender of the first FIN/RST */
    bool simultaneous_close;/* each sent its FIN before seeing the other's */
    int64_t closure_first, closure_last; /* indexes, or WM_NO_PACKET */
    bool closure_complete;  /* both FINs and the final ACK, or an RST */
    int64_t closure_ns;

    /* Wireshark's analysis over the whole connection. */
    wm_rtt_summary rtt;
    int64_t initial_rtt_ns; /* tcp.analysis.initial_rtt, 0: none */
    uint64_t mark_count[WM_MARK_BITS]; /* packets with each wm_mark bit */
    uint64_t untracked_segments; /* sent while WM_MAX_UNACKED_SEGMENTS
                               were awaiting their ACK */

    int64_t first_ts_ns, last_ts_ns;       /* absolute */
    int64_t transfer_start_ns, transfer_end_ns; /* end of handshake to
                               start of closure (first/last packet when
                               either is missing); absolute */
} wm_connection;

typedef struct wm_analysis {
    wm_connection *connections; /* by first packet */
    size_t count;
    int64_t first_ts_ns;        /* copy of the trace's, the zero of time */
} wm_analysis;

/* Every connection of a whole trace, rows in memory (conn->packets). */
int wm_analyze_trace(const wm_trace *trace, wm_analysis *out, wm_error *err);

/* The streaming analysis, packet by packet. */
typedef struct wm_stream wm_stream;

/* Rows in memory beside trace, whose packets are then added by index;
 * or (trace NULL) written to spool files in spool_dir (NULL: $TMPDIR),
 * at most max_spools connections' (the others keep no rows). */
int wm_stream_new(const wm_trace *trace, const char *spool_dir,
                  size_t max_spools, wm_stream **out, wm_error *err);

/* Spools only for connections between these two ports (in either
 * order), the one whose rows are wanted. */
void wm_stream_keep_ports(wm_stream *stream, uint16_t port_a,
                          uint16_t port_b);

/* Analyses p (index: its place in the trace, for rows in memory);
 * first_ts_ns is the first frame's, the zero of the Time column. */
int wm_stream_add(wm_stream *stream, const wm_packet *p, uint32_t index,
                  int64_t first_ts_ns, wm_error *err);

/* Summarises every connection into out (which then owns their rows) and
 * frees the stream, whatever the outcome. */
int wm_stream_finish(wm_stream *stream, int64_t first_ts_ns,
                     wm_analysis *out, wm_error *err);

/* Frees a stream that will not be finished. NULL is fine. */
void wm_stream_free(wm_stream *stream);

/* Whether conn's rows were kept. */
bool wm_connection_has_rows(const wm_connection *conn);

/* Row i of conn (< packet_count): the packet and its analysis. */
int wm_connection_row(const wm_connection *conn, size_t i, wm_packet *p,
                      wm_packet_info *info, wm_error *err);

/* The connection whose two ports are these (in either order), or NULL. */
const wm_connection *wm_analysis_find(const wm_analysis *analysis,
                                      uint16_t port_a, uint16_t port_b);

/* Totals over both sides. */
uint64_t wm_connection_packets(const wm_connection *conn);
uint64_t wm_connection_wire_bytes(const wm_connection *conn);
uint64_t wm_connection_payload_bytes(const wm_connection *conn);
int64_t wm_connection_total_ns(const wm_connection *conn);

/* Wireshark's flag text: "SYN", "SYN, ACK", "FIN, ACK", "PSH, ACK"... */
void wm_tcp_flags_format(uint8_t flags, char *buf, size_t buflen);

void wm_analysis_free(wm_analysis *analysis);

#endif
