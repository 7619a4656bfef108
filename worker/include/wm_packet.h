/* wm_packet: one TCP segment as the dissector saw it — the record every
 * later stage reads. Raw values only (raw seq/ack, unscaled window): what a
 * value means in its connection (relative seq, scaled window, marks) is the
 * analyser's business, kept in wm_analysis. */
#ifndef WM_PACKET_H
#define WM_PACKET_H

#include <stdbool.h>
#include <stdint.h>

enum wm_tcp_flag {
    WM_TCP_FIN = 0x01,
    WM_TCP_SYN = 0x02,
    WM_TCP_RST = 0x04,
    WM_TCP_PSH = 0x08,
    WM_TCP_ACK = 0x10,
    WM_TCP_URG = 0x20,
    WM_TCP_ECE = 0x40,
    WM_TCP_CWR = 0x80,
};

#define WM_TCP_MAX_SACK_BLOCKS 4

typedef struct wm_sack_block {
    uint32_t left, right; /* raw sequence numbers */
} wm_sack_block;

typedef struct wm_tcp_options {
    bool has_mss;
    uint16_t mss;          /* bytes */
    bool has_wscale;
    uint8_t wscale;        /* shift count, as sent (may exceed 14) */
    bool sack_permitted;
    bool has_timestamps;
    uint32_t ts_val, ts_ecr;
    uint8_t sack_count;
    wm_sack_block sack[WM_TCP_MAX_SACK_BLOCKS];
    uint8_t nop_count;
    bool has_eol;
    uint8_t unknown_count; /* well-formed options of other kinds */
    bool truncated;        /* the snaplen cut the options short: those
                              after the cut are unknown, not absent */
    bool ts_val_cut;       /* the cut fell in a timestamps option after
                              its TSval: ts_val is read, ts_ecr is not */
} wm_tcp_options;

/* What the dissector noticed about a packet beyond its fields (bits of
 * wm_packet.anomalies). */
enum wm_packet_anomaly {
    WM_PKT_REASSEMBLED = 1u << 0,   /* the segment came in IP fragments;
                                       this is the frame that completed it */
    WM_PKT_NO_SEGLEN = 1u << 1,     /* a first fragment the snaplen cut,
                                       shown alone: its segment length is
                                       unknown, so (as in tshark) it gets
                                       no sequence analysis */
    WM_PKT_OPTION_SHORT = 1u << 2,  /* an option's length below 2, or no
                                       room for it: options stop there */
    WM_PKT_OPTION_PAST_END = 1u << 3, /* an option's length runs past the
                                       header: options stop there */
    WM_PKT_BAD_HEADER_LEN = 1u << 4, /* data offset below 5 (header_len
                                       holds it): tshark's "bogus TCP
                                       header length"; the segment is
                                       analysed with it, its marks not shown */
};

typedef struct wm_addr {
    uint8_t family;     /* 4 or 6 */
    uint8_t bytes[16];  /* IPv4 in the first 4 */
} wm_addr;

/* Fields ordered so that no padding falls between them: a run holds one
 * of these per packet (wm_budget.h counts them). */
typedef struct wm_packet {
    int64_t ts_ns;        /* ns since the Unix epoch */
    uint32_t frame_no;    /* 1-based position in the capture: Wireshark's No. */
    uint32_t frame_len;   /* bytes on the wire (pcap "len") */
    uint32_t cap_len;     /* bytes captured (pcap "caplen") */
    wm_addr src, dst;
    uint16_t src_port, dst_port;
    uint8_t anomalies;    /* enum wm_packet_anomaly bits */
    uint8_t unused;
    uint32_t seq, ack;    /* raw, as on the wire */
    uint32_t payload_len; /* TCP payload bytes, from the IP lengths, so
                             right even when the snaplen cut the payload */
    uint16_t window;      /* raw, unscaled */
    uint8_t flags;        /* enum wm_tcp_flag bits */
    uint8_t header_len;   /* TCP header bytes, options included */
    wm_tcp_options opts;
} wm_packet;

/* "127.0.0.1" or "::1" into buf (>= 46 bytes). */
void wm_addr_format(const wm_addr *addr, char *buf, unsigned buflen);
bool wm_addr_equal(const wm_addr *a, const wm_addr *b);

#endif
