/* wm_dissect: see wm_dissect.h.
 *
 * Each layer is a function that takes the bytes left and returns where the
 * next layer starts; every read goes through a length check first. Lengths
 * come in two kinds that must not be confused: what was captured (bounds
 * every read) and what the IP header says was sent (gives payload_len, so
 * a headers-only snaplen still yields the real segment length). When the
 * IP length is 0 (TSO/GSO on loopback hands libpcap super-frames whose IP
 * length field is left unset) the length on the wire stands in for it. */
#include "wm_dissect.h"

#include <assert.h>
#include <pcap/dlt.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "reassembly.h"
#include "tcp_options.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100   /* 802.1Q */
#define ETHERTYPE_QINQ 0x88a8   /* 802.1ad */
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETH_HEADER_BYTES 14
#define VLAN_TAG_BYTES 4
#define SLL_HEADER_BYTES 16
#define SLL2_HEADER_BYTES 20
#define NULL_HEADER_BYTES 4
#define IPV4_MIN_HEADER_BYTES 20
#define IPV6_HEADER_BYTES 40
#define TCP_MIN_HEADER_BYTES 20
#define IPPROTO_TCP_NUM 6
#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff
#define IPV6_FRAGMENT_HEADER 44
#define IPV6_FRAGMENT_HEADER_BYTES 8

/* Where fragments go: the trace's reassembly, or nowhere (a frame
 * dissected alone), when fragments are what a cut one is to tshark. */
typedef struct frag_env {
    wm_trace *trace;      /* NULL: no reassembly */
    bool no_memory;
} frag_env;

/* The network layer found under the link layer. */
typedef struct net_start {
    int version;     /* 4, 6, or 0 for something that is not IP */
    uint32_t offset; /* where its header starts in the frame */
} net_start;

/* The TCP segment found under the network layer. */
typedef struct tcp_start {
    const uint8_t *base;  /* the IP payload it is in: the frame's, or a
                             reassembled datagram's */
    uint32_t avail;       /* bytes of base captured */
    uint32_t offset;      /* in base */
    uint32_t segment_len; /* TCP header + payload, from the IP lengths */
} tcp_start;

static uint16_t read16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t read32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static int ethertype_version(uint16_t ethertype)
{
    return ethertype == ETHERTYPE_IPV4 ? 4
         : ethertype == ETHERTYPE_IPV6 ? 6 : 0;
}

/* Ethernet from the type field on: skips any stack of VLAN tags. */
static wm_dissect_status ether_payload(const uint8_t *data, uint32_t cap_len,
                                       uint32_t type_at, net_start *net)
{
    for (;;) {
        if (cap_len < 2 || type_at > cap_len - 2)
            return WM_DISSECT_MALFORMED;
        uint16_t type = read16(data + type_at);
        if (type != ETHERTYPE_VLAN && type != ETHERTYPE_QINQ &&
            type != ETHERTYPE_QINQ_OLD) {
            net->version = ethertype_version(type);
            net->offset = type_at + 2;
            return WM_DISSECT_TCP;
        }
        type_at += VLAN_TAG_BYTES; /* TCI, then the inner type */
    }
}

/* BSD loopback: the address family of the sender's OS, 4 bytes. */
static wm_dissect_status loopback_payload(int linktype, const uint8_t *data,
                                          uint32_t cap_len, net_start *net)
{
    if (cap_len < NULL_HEADER_BYTES)
        return WM_DISSECT_MALFORMED;
    uint32_t family;
    if (linktype == DLT_LOOP) {
        family = read32(data);
    } else {
        /* Host order of the machine that captured, which need not be
         * ours: families are small, so a value with high bits set is the
         * other byte order (Wireshark reads it the same way). */
        memcpy(&family, data, sizeof family);
        if (family & 0xffff0000u)
            family = __builtin_bswap32(family);
    }
    net->offset = NULL_HEADER_BYTES;
    switch (family) {
    case 2: net->version = 4; break;
    case 10: case 24: case 28: case 30: net->version = 6; break;
    default: net->version = 0; break;
    }
    return WM_DISSECT_TCP;
}

static wm_dissect_status raw_payload(int linktype, const uint8_t *data,
                                     uint32_t cap_len, net_start *net)
{
    if (cap_len < 1)
        return WM_DISSECT_MALFORMED;
    int version = data[0] >> 4;
    if ((linktype == DLT_IPV4 && version != 4) ||
        (linktype == DLT_IPV6 && version != 6) ||
        (version != 4 && version != 6))
        return WM_DISSECT_MALFORMED;
    net->version = version;
    net->offset = 0;
    return WM_DISSECT_TCP;
}

static wm_dissect_status link_layer(int linktype, const uint8_t *data,
                                    uint32_t cap_len, net_start *net)
{
    switch (linktype) {
    case DLT_EN10MB:
        if (cap_len < ETH_HEADER_BYTES)
            return WM_DISSECT_MALFORMED;
        return ether_payload(data, cap_len, 12, net);
    case DLT_LINUX_SLL:
        if (cap_len < SLL_HEADER_BYTES)
            return WM_DISSECT_MALFORMED;
        return ether_payload(data, cap_len, 14, net);
    case DLT_LINUX_SLL2:
        if (cap_len < SLL2_HEADER_BYTES)
            return WM_DISSECT_MALFORMED;
        net->version = ethertype_version(read16(data));
        net->offset = SLL2_HEADER_BYTES;
        return WM_DISSECT_TCP;
    case DLT_NULL:
    case DLT_LOOP:
        return loopback_payload(linktype, data, cap_len, net);
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
        return raw_payload(linktype, data, cap_len, net);
    default:
        return WM_DISSECT_MALFORMED;
    }
}

/* A fragment into the trace's reassembly. Wireshark reassembles only a
 * fragment captured whole and with a payload; one it cannot (no trace
 * here, or cut by the snaplen) is not TCP, except a first IPv4 fragment
 * (first_alone), which packet-ip.c dissects alone with its segment
 * length unknown (packet-ipv6.c does not). On
 * WM_DISSECT_TCP, *done holds the reassembled payload, or is NULL for a
 * first fragment shown alone. */
static wm_dissect_status fragment(frag_env *env, const wm_reasm_key *key,
                                  uint32_t offset, bool more,
                                  const uint8_t *data, uint32_t len,
                                  bool whole, bool first_alone,
                                  wm_packet *out, const uint8_t **done,
                                  uint32_t *done_len)
{
    *done = NULL;
    if (env->trace)
        env->trace->fragments.fragments++;
    if (!env->trace || !whole || len == 0) {
        if (env->trace)
            env->trace->fragments.cut++;
        if (offset != 0 || !first_alone)
            return WM_DISSECT_NOT_TCP;
        out->anomalies |= WM_PKT_NO_SEGLEN;
        return WM_DISSECT_TCP;
    }
    wm_trace *trace = env->trace;
    if (!trace->reasm && !(trace->reasm = wm_reasm_new())) {
        env->no_memory = true;
        return WM_DISSECT_NOT_TCP;
    }
    wm_reasm_status st = wm_reasm_add(trace->reasm, key, offset, data, len,
                                      more, done, done_len);
    wm_fragment_counts counts;
    wm_reasm_counts(trace->reasm, &counts);
    trace->fragments.reassembled = counts.reassembled;
    trace->fragments.incomplete = counts.incomplete;
    if (st == WM_REASM_NO_MEMORY)
        env->no_memory = true;
    if (st != WM_REASM_DONE)
        return WM_DISSECT_NOT_TCP;
    out->anomalies |= WM_PKT_REASSEMBLED;
    return WM_DISSECT_TCP;
}

/* ip: the header, avail captured bytes of it; wire_left the bytes sent
 * from here on, 0 when unknown. */
static wm_dissect_status ipv4(frag_env *env, const uint8_t *ip,
                              uint32_t avail, uint32_t wire_left,
                              wm_packet *out, tcp_start *tcp)
{
    if (avail < IPV4_MIN_HEADER_BYTES || ip[0] >> 4 != 4)
        return WM_DISSECT_MALFORMED;
    uint32_t header_len = (uint32_t)(ip[0] & 0x0f) * 4;
    if (header_len < IPV4_MIN_HEADER_BYTES || header_len > avail)
        return WM_DISSECT_MALFORMED;
    uint32_t total_len = read16(ip + 2);
    if (total_len == 0) /* TSO: the length was never filled in */
        total_len = wire_left ? wire_left : avail;
    if (total_len < header_len || (wire_left && total_len > wire_left))
        return WM_DISSECT_MALFORMED;
    if (ip[9] != IPPROTO_TCP_NUM)
        return WM_DISSECT_NOT_TCP;
    out->src.family = out->dst.family = 4;
    memcpy(out->src.bytes, ip + 12, 4);
    memcpy(out->dst.bytes, ip + 16, 4);
    *tcp = (tcp_start){.base = ip, .avail = avail, .offset = header_len,
                       .segment_len = total_len - header_len};
    uint16_t frag = read16(ip + 6);
    if ((frag & (IPV4_MF | IPV4_OFFSET_MASK)) == 0)
        return WM_DISSECT_TCP;
    wm_reasm_key key = {.family = 4, .proto = ip[9], .id = read16(ip + 4)};
    memcpy(key.src, ip + 12, 4);
    memcpy(key.dst, ip + 16, 4);
    const uint8_t *done;
    uint32_t done_len;
    wm_dissect_status st = fragment(
        env, &key, (uint32_t)(frag & IPV4_OFFSET_MASK) * 8,
        (frag & IPV4_MF) != 0, ip + header_len, total_len - header_len,
        avail >= total_len, true, out, &done, &done_len);
    if (st == WM_DISSECT_TCP && done)
        *tcp = (tcp_start){.base = done, .avail = done_len, .offset = 0,
                           .segment_len = done_len};
    return st;
}

/* Walks the extension headers from `next` at base[at] to TCP: end bounds
 * the walk as sent, avail as captured. */
static wm_dissect_status ipv6_walk(frag_env *env, const uint8_t *base,
                                   uint32_t avail, uint32_t at, uint32_t end,
                                   uint8_t next, wm_packet *out,
                                   tcp_start *tcp)
{
    for (;;) {
        uint32_t len;
        switch (next) {
        case IPPROTO_TCP_NUM:
            *tcp = (tcp_start){.base = base, .avail = avail, .offset = at,
                               .segment_len = end - at};
            return WM_DISSECT_TCP;
        case 0: case 43: case 60: case 51: case IPV6_FRAGMENT_HEADER:
            break;
        default: /* 50 ESP, 59 no next header, UDP, ICMPv6... */
            return WM_DISSECT_NOT_TCP;
        }
        if (end - at < 8 || at > avail || avail - at < 8)
            return WM_DISSECT_MALFORMED;
        const uint8_t *h = base + at;
        if (next == IPV6_FRAGMENT_HEADER) {
            uint16_t offlg = read16(h + 2);
            uint32_t offset = offlg & 0xfff8;
            bool more = offlg & 1;
            at += IPV6_FRAGMENT_HEADER_BYTES;
            next = h[0];
            if (offset == 0 && !more)
                continue; /* an atomic fragment: the whole datagram */
            wm_reasm_key key = {.family = 6, .id = read32(h + 4)};
            memcpy(key.src, out->src.bytes, 16);
            memcpy(key.dst, out->dst.bytes, 16);
            const uint8_t *done;
            uint32_t done_len;
            wm_dissect_status st = fragment(env, &key, offset, more,
                                            base + at, end - at,
                                            avail >= end, false, out, &done,
                                            &done_len);
            if (st != WM_DISSECT_TCP)
                return st;
            assert(done);
            /* Further fragment headers inside are not reassembled again. */
            frag_env inner = {.trace = NULL};
            return ipv6_walk(&inner, done, done_len, 0, done_len, next, out,
                             tcp);
        }
        if (next == 51)
            len = ((uint32_t)h[1] + 2) * 4; /* AH counts 4-byte words */
        else
            len = ((uint32_t)h[1] + 1) * 8;
        next = h[0];
        if (len > end - at)
            return WM_DISSECT_MALFORMED;
        at += len;
    }
}

static wm_dissect_status ipv6(frag_env *env, const uint8_t *ip,
                              uint32_t avail, uint32_t wire_left,
                              wm_packet *out, tcp_start *tcp)
{
    if (avail < IPV6_HEADER_BYTES || ip[0] >> 4 != 6)
        return WM_DISSECT_MALFORMED;
    uint32_t payload_len = read16(ip + 4);
    uint32_t sent_left = wire_left ? wire_left : avail;
    if (payload_len == 0) /* TSO, or a jumbogram: take what was sent */
        payload_len = sent_left - IPV6_HEADER_BYTES;
    if (wire_left && payload_len > wire_left - IPV6_HEADER_BYTES)
        return WM_DISSECT_MALFORMED;
    out->src.family = out->dst.family = 6;
    memcpy(out->src.bytes, ip + 8, 16);
    memcpy(out->dst.bytes, ip + 24, 16);
    return ipv6_walk(env, ip, avail, IPV6_HEADER_BYTES,
                     IPV6_HEADER_BYTES + payload_len, ip[6], out, tcp);
}

/* The fixed header must be captured; options cut by the snaplen are read
 * as far as they go, as Wireshark does, so that a short snaplen still
 * shows the handshake. */
static wm_dissect_status tcp(const uint8_t *seg, uint32_t avail,
                             uint32_t segment_len, wm_packet *out)
{
    if (avail < TCP_MIN_HEADER_BYTES || segment_len < TCP_MIN_HEADER_BYTES)
        return WM_DISSECT_MALFORMED;
    uint32_t header_len = (uint32_t)(seg[12] >> 4) * 4;
    if (header_len > segment_len)
        return WM_DISSECT_MALFORMED;
    out->src_port = read16(seg);
    out->dst_port = read16(seg + 2);
    out->seq = read32(seg + 4);
    out->ack = read32(seg + 8);
    out->flags = seg[13];
    out->window = read16(seg + 14);
    out->header_len = (uint8_t)header_len;
    /* A first fragment shown alone: tshark knows no segment length. */
    out->payload_len = (out->anomalies & WM_PKT_NO_SEGLEN)
                           ? 0 : segment_len - header_len;
    if (header_len < TCP_MIN_HEADER_BYTES) {
        /* tshark still analyses it, with the length the header gives */
        out->anomalies |= WM_PKT_BAD_HEADER_LEN;
        return WM_DISSECT_TCP;
    }
    uint32_t captured = avail < header_len ? avail : header_len;
    wm_tcpopt_parse(seg + TCP_MIN_HEADER_BYTES,
                    header_len - TCP_MIN_HEADER_BYTES,
                    captured - TCP_MIN_HEADER_BYTES, &out->opts,
                    &out->anomalies);
    return WM_DISSECT_TCP;
}

static wm_dissect_status dissect(frag_env *env, int linktype,
                                 const uint8_t *data, uint32_t cap_len,
                                 uint32_t frame_len, wm_packet *out)
{
    memset(out, 0, sizeof *out);
    net_start net;
    wm_dissect_status status = link_layer(linktype, data, cap_len, &net);
    if (status != WM_DISSECT_TCP)
        return status;
    if (net.version == 0)
        return WM_DISSECT_NOT_TCP;
    if (net.offset > cap_len)
        return WM_DISSECT_MALFORMED;
    /* A wire length below the captured one is a broken record: trust the
     * bytes we have. */
    uint32_t wire_len = frame_len > cap_len ? frame_len : cap_len;
    uint32_t wire_left = frame_len ? wire_len - net.offset : 0;
    const uint8_t *ip = data + net.offset;
    uint32_t avail = cap_len - net.offset;
    tcp_start seg;
    status = net.version == 4 ? ipv4(env, ip, avail, wire_left, out, &seg)
                              : ipv6(env, ip, avail, wire_left, out, &seg);
    if (env->no_memory)
        return WM_DISSECT_NO_MEMORY;
    if (status != WM_DISSECT_TCP)
        return status;
    if (seg.offset > seg.avail)
        return WM_DISSECT_MALFORMED;
    return tcp(seg.base + seg.offset, seg.avail - seg.offset,
               seg.segment_len, out);
}

wm_dissect_status wm_dissect_frame_wire(int linktype, const uint8_t *data,
                                        uint32_t cap_len, uint32_t frame_len,
                                        wm_packet *out)
{
    frag_env alone = {.trace = NULL};
    return dissect(&alone, linktype, data, cap_len, frame_len, out);
}

wm_dissect_status wm_dissect_frame(int linktype, const uint8_t *data,
                                   uint32_t cap_len, wm_packet *out)
{
    return wm_dissect_frame_wire(linktype, data, cap_len, 0, out);
}

wm_dissect_status wm_dissect_frame_trace(wm_trace *trace,
                                         const uint8_t *data,
                                         uint32_t cap_len,
                                         uint32_t frame_len, wm_packet *out)
{
    frag_env env = {.trace = trace};
    return dissect(&env, trace->linktype, data, cap_len, frame_len, out);
}

int wm_dissect_linktype_supported(int linktype)
{
    switch (linktype) {
    case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2:
    case DLT_NULL: case DLT_LOOP:
    case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
        return 1;
    default:
        return 0;
    }
}
