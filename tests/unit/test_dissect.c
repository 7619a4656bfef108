/* Dissector: hand-built frames of every link type over IPv4 and IPv6, every
 * TCP option, and frames cut at every length or full of garbage, each read
 * from a buffer of exactly its captured size so that the sanitizers and
 * valgrind catch any read past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/dlt.h>

#include "wm_dissect.h"

#define MAX_FRAME 4096

typedef struct bytes {
    uint8_t b[MAX_FRAME];
    uint32_t len;
} bytes;

static void put(bytes *f, const void *data, size_t len)
{
    assert_true(f->len + len <= MAX_FRAME);
    if (len == 0)
        return;
    memcpy(f->b + f->len, data, len);
    f->len += (uint32_t)len;
}

static void put8(bytes *f, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(f, &b, 1);
}

static void put16(bytes *f, unsigned v)
{
    put8(f, v >> 8);
    put8(f, v);
}

static void put32(bytes *f, uint32_t v)
{
    put16(f, v >> 16);
    put16(f, v & 0xffff);
}

static void set16(bytes *f, uint32_t at, unsigned v)
{
    f->b[at] = (uint8_t)(v >> 8);
    f->b[at + 1] = (uint8_t)v;
}

/* A TCP segment: ports 40000 -> 5201, seq/ack/flags/window fixed, the given
 * options (padded to 4 bytes with EOL) and payload_len bytes of data. */
static bytes tcp_segment(const uint8_t *opts, uint32_t opts_len,
                         uint32_t payload_len)
{
    bytes s = {0};
    uint32_t padded = (opts_len + 3) & ~3u;
    put16(&s, 40000);
    put16(&s, 5201);
    put32(&s, 0x11223344);
    put32(&s, 0xaabbccdd);
    put8(&s, ((20 + padded) / 4) << 4);
    put8(&s, 0x18); /* PSH, ACK */
    put16(&s, 65483);
    put16(&s, 0); /* checksum: not checked by us */
    put16(&s, 0);
    put(&s, opts, opts_len);
    for (uint32_t i = opts_len; i < padded; i++)
        put8(&s, 0);
    for (uint32_t i = 0; i < payload_len; i++)
        put8(&s, 'a' + i % 26);
    return s;
}

static bytes plain_segment(uint32_t payload_len)
{
    return tcp_segment(NULL, 0, payload_len);
}

static bytes ipv4_packet(const bytes *payload, uint8_t proto,
                         uint32_t ip_opts_len)
{
    bytes p = {0};
    uint32_t header = 20 + ip_opts_len;
    put8(&p, 0x40 | (header / 4));
    put8(&p, 0);
    put16(&p, header + payload->len);
    put32(&p, 0x12344000); /* id, DF */
    put8(&p, 64);
    put8(&p, proto);
    put16(&p, 0);
    put32(&p, 0x7f000001);
    put32(&p, 0x7f000002);
    for (uint32_t i = 0; i < ip_opts_len; i++)
        put8(&p, 1); /* IP NOP options */
    put(&p, payload->b, payload->len);
    return p;
}

/* ext: extension headers already chained, first_next the type of the
 * first header after the fixed one. */
static bytes ipv6_packet(const bytes *payload, uint8_t first_next,
                         const bytes *ext)
{
    bytes p = {0};
    static const uint8_t loopback[16] = {[15] = 1};
    static const uint8_t other[16] = {0xfd, [15] = 2};
    put32(&p, 0x60000000);
    put16(&p, (ext ? ext->len : 0) + payload->len);
    put8(&p, first_next);
    put8(&p, 64);
    put(&p, loopback, 16);
    put(&p, other, 16);
    if (ext)
        put(&p, ext->b, ext->len);
    put(&p, payload->b, payload->len);
    return p;
}

static bytes ipv4_tcp(uint32_t payload_len)
{
    bytes seg = plain_segment(payload_len);
    return ipv4_packet(&seg, 6, 0);
}

static bytes ipv6_tcp(uint32_t payload_len)
{
    bytes seg = plain_segment(payload_len);
    return ipv6_packet(&seg, 6, NULL);
}

static void put_host32(bytes *f, uint32_t v)
{
    put(f, &v, sizeof v);
}

/* The link layer of linktype around an IP packet of version 4 or 6. */
static bytes link_frame(int linktype, int version, const bytes *ip)
{
    bytes f = {0};
    unsigned ethertype = version == 4 ? 0x0800 : 0x86dd;
    static const uint8_t mac[6] = {0};
    switch (linktype) {
    case DLT_EN10MB:
        put(&f, mac, 6);
        put(&f, mac, 6);
        put16(&f, ethertype);
        break;
    case DLT_LINUX_SLL:
        put16(&f, 0);     /* packet type: to us */
        put16(&f, 772);   /* ARPHRD_LOOPBACK */
        put16(&f, 6);
        put(&f, mac, 6);
        put16(&f, 0);
        put16(&f, ethertype);
        break;
    case DLT_LINUX_SLL2:
        put16(&f, ethertype);
        put16(&f, 0);
        put32(&f, 1);     /* ifindex */
        put16(&f, 772);
        put8(&f, 0);
        put8(&f, 6);
        put(&f, mac, 6);
        put16(&f, 0);
        break;
    case DLT_NULL:
        put_host32(&f, version == 4 ? 2 : 30);
        break;
    case DLT_LOOP:
        put32(&f, version == 4 ? 2 : 24);
        break;
    default: /* raw */
        break;
    }
    put(&f, ip->b, ip->len);
    return f;
}

/* Dissects from a heap copy of exactly cap_len bytes: one byte past is a
 * sanitizer or valgrind error. */
static wm_dissect_status dissect_len(int linktype, const bytes *f,
                                     uint32_t cap_len, uint32_t frame_len,
                                     wm_packet *out)
{
    uint8_t *copy = malloc(cap_len ? cap_len : 1);
    assert_non_null(copy);
    memcpy(copy, f->b, cap_len);
    wm_dissect_status status =
        frame_len ? wm_dissect_frame_wire(linktype, copy, cap_len, frame_len,
                                          out)
                  : wm_dissect_frame(linktype, copy, cap_len, out);
    free(copy);
    return status;
}

static wm_dissect_status dissect(int linktype, const bytes *f, wm_packet *out)
{
    return dissect_len(linktype, f, f->len, 0, out);
}

static const int all_linktypes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
                                    DLT_NULL,   DLT_LOOP,      DLT_RAW,
                                    DLT_IPV4,   DLT_IPV6};
#define LINKTYPE_COUNT (sizeof all_linktypes / sizeof all_linktypes[0])

static bool linktype_carries(int linktype, int version)
{
    return !(linktype == DLT_IPV4 && version == 6) &&
           !(linktype == DLT_IPV6 && version == 4);
}

static void check_common_fields(const wm_packet *p, int version,
                                uint32_t payload_len)
{
    assert_int_equal(p->src.family, version);
    assert_int_equal(p->dst.family, version);
    assert_int_equal(p->src_port, 40000);
    assert_int_equal(p->dst_port, 5201);
    assert_int_equal(p->seq, 0x11223344);
    assert_int_equal(p->ack, 0xaabbccdd);
    assert_int_equal(p->flags, WM_TCP_PSH | WM_TCP_ACK);
    assert_int_equal(p->window, 65483);
    assert_int_equal(p->header_len, 20);
    assert_int_equal(p->payload_len, payload_len);
    char src[64], dst[64];
    wm_addr_format(&p->src, src, sizeof src);
    wm_addr_format(&p->dst, dst, sizeof dst);
    assert_string_equal(src, version == 4 ? "127.0.0.1" : "::1");
    assert_string_equal(dst, version == 4 ? "127.0.0.2" : "fd00::2");
}

static void test_every_linktype(void **state)
{
    (void)state;
    for (size_t i = 0; i < LINKTYPE_COUNT; i++) {
        int lt = all_linktypes[i];
        assert_true(wm_dissect_linktype_supported(lt));
        for (int version = 4; version <= 6; version += 2) {
            bytes ip = version == 4 ? ipv4_tcp(13) : ipv6_tcp(13);
            bytes f = link_frame(lt, version, &ip);
            wm_packet p;
            wm_dissect_status st = dissect(lt, &f, &p);
            if (!linktype_carries(lt, version)) {
                assert_int_equal(st, WM_DISSECT_MALFORMED);
                continue;
            }
            assert_int_equal(st, WM_DISSECT_TCP);
            check_common_fields(&p, version, 13);
        }
    }
    assert_false(wm_dissect_linktype_supported(DLT_IEEE802_11));
    assert_false(wm_dissect_linktype_supported(-1));
    bytes ip = ipv4_tcp(0);
    wm_packet p;
    assert_int_equal(dissect(DLT_IEEE802_11, &ip, &p), WM_DISSECT_MALFORMED);
}

static void test_vlan_tags(void **state)
{
    (void)state;
    static const unsigned tpids[][2] = {
        {0x8100, 0}, {0x88a8, 0x8100}, {0x9100, 0x8100}};
    for (size_t i = 0; i < 3; i++) {
        bytes ip = ipv6_tcp(100);
        bytes f = {0};
        uint8_t mac[12] = {0};
        put(&f, mac, 12);
        for (int t = 0; t < 2 && tpids[i][t]; t++) {
            put16(&f, tpids[i][t]);
            put16(&f, 42); /* VLAN id */
        }
        put16(&f, 0x86dd);
        put(&f, ip.b, ip.len);
        wm_packet p;
        assert_int_equal(dissect(DLT_EN10MB, &f, &p), WM_DISSECT_TCP);
        check_common_fields(&p, 6, 100);
    }
}

static void test_ipv4_options(void **state)
{
    (void)state;
    bytes seg = plain_segment(7);
    bytes ip = ipv4_packet(&seg, 6, 40);
    wm_packet p;
    assert_int_equal(dissect(DLT_RAW, &ip, &p), WM_DISSECT_TCP);
    check_common_fields(&p, 4, 7);

    bytes bad = ip;
    bad.b[0] = 0x44; /* IHL 4 < 5 */
    assert_int_equal(dissect(DLT_RAW, &bad, &p), WM_DISSECT_MALFORMED);
    bad = ip;
    set16(&bad, 2, 59); /* total length below IHL (60) */
    assert_int_equal(dissect(DLT_RAW, &bad, &p), WM_DISSECT_MALFORMED);
    bad = ip;
    set16(&bad, 2, 60 + 19); /* room for less than a TCP header */
    assert_int_equal(dissect(DLT_RAW, &bad, &p), WM_DISSECT_MALFORMED);
    bad = ip;
    bad.b[0] = 0x45; /* IHL says 20 bytes: options are read as TCP */
    assert_int_not_equal(dissect(DLT_RAW, &bad, &p), WM_DISSECT_NOT_TCP);
}

static void test_ipv4_fragments_and_tso(void **state)
{
    (void)state;
    bytes ip = ipv4_tcp(1000);
    wm_packet p;
    bytes frag = ip;
    set16(&frag, 6, 0x2000); /* MF, offset 0: the first fragment is TCP */
    assert_int_equal(dissect(DLT_RAW, &frag, &p), WM_DISSECT_TCP);
    set16(&frag, 6, 0x00b9); /* offset 185 * 8: no TCP header here */
    assert_int_equal(dissect(DLT_RAW, &frag, &p), WM_DISSECT_NOT_TCP);

    bytes tso = ip;
    set16(&tso, 2, 0); /* TSO: the length comes from the wire */
    assert_int_equal(dissect_len(DLT_RAW, &tso, 80, 65000, &p),
                     WM_DISSECT_TCP);
    assert_int_equal(p.payload_len, 65000 - 40);
    assert_int_equal(dissect(DLT_RAW, &tso, &p), WM_DISSECT_TCP);
    assert_int_equal(p.payload_len, 1000); /* from the captured bytes */

    /* headers-only snaplen: payload_len still from the IP length */
    assert_int_equal(dissect_len(DLT_RAW, &ip, 40, 0, &p), WM_DISSECT_TCP);
    assert_int_equal(p.payload_len, 1000);
    assert_int_equal(dissect_len(DLT_RAW, &ip, 40, ip.len, &p),
                     WM_DISSECT_TCP);
    assert_int_equal(p.payload_len, 1000);
    /* an IP length beyond what went on the wire is inconsistent */
    assert_int_equal(dissect_len(DLT_RAW, &ip, 40, ip.len - 1, &p),
                     WM_DISSECT_MALFORMED);
    /* Ethernet padding after a short packet is fine */
    bytes small = ipv4_tcp(0);
    bytes eth = link_frame(DLT_EN10MB, 4, &small);
    for (int i = 0; i < 6; i++)
        put8(&eth, 0);
    assert_int_equal(dissect(DLT_EN10MB, &eth, &p), WM_DISSECT_TCP);
    assert_int_equal(p.payload_len, 0);
}

static void test_ipv6_extension_headers(void **state)
{
    (void)state;
    bytes seg = plain_segment(5);
    bytes ext = {0};
    /* hop-by-hop (8) -> routing (24) -> fragment (8, offset 0) -> AH (16)
     * -> destination options (16) -> TCP */
    put8(&ext, 43); put8(&ext, 0);
    for (int i = 0; i < 6; i++) put8(&ext, 1);
    put8(&ext, 44); put8(&ext, 2);
    for (int i = 0; i < 22; i++) put8(&ext, 0);
    put8(&ext, 51); put8(&ext, 0); put16(&ext, 0x0001); put32(&ext, 7);
    put8(&ext, 60); put8(&ext, 2); /* AH: (2 + 2) * 4 = 16 bytes */
    for (int i = 0; i < 14; i++) put8(&ext, 0);
    put8(&ext, 6); put8(&ext, 1);
    for (int i = 0; i < 14; i++) put8(&ext, 1);
    bytes ip = ipv6_packet(&seg, 0, &ext);
    wm_packet p;
    /* a first fragment (M set) dissected alone is what tshark shows of
     * an IPv6 one it cannot reassemble: not TCP */
    assert_int_equal(dissect(DLT_RAW, &ip, &p), WM_DISSECT_NOT_TCP);
    set16(&ip, 40 + 8 + 24 + 2, 0x0000); /* atomic: offset 0, no M */
    assert_int_equal(dissect(DLT_RAW, &ip, &p), WM_DISSECT_TCP);
    check_common_fields(&p, 6, 5);

    bytes later = ip;
    set16(&later, 40 + 8 + 24 + 2, 0x0008); /* fragment offset 1 */
    assert_int_equal(dissect(DLT_RAW, &later, &p), WM_DISSECT_NOT_TCP);

    static const uint8_t not_tcp[] = {50, 59, 17, 58};
    for (size_t i = 0; i < sizeof not_tcp; i++) {
        bytes other = ipv6_packet(&seg, not_tcp[i], NULL);
        assert_int_equal(dissect(DLT_RAW, &other, &p), WM_DISSECT_NOT_TCP);
    }
    /* an extension header claiming more than the payload */
    bytes big = ip;
    big.b[40 + 1] = 200;
    assert_int_equal(dissect(DLT_RAW, &big, &p), WM_DISSECT_MALFORMED);
    /* payload length 0: TSO or jumbogram, taken from the wire */
    bytes tso = ipv6_tcp(3000);
    set16(&tso, 4, 0);
    assert_int_equal(dissect_len(DLT_RAW, &tso, 80, 40 + 20 + 3000, &p),
                     WM_DISSECT_TCP);
    assert_int_equal(p.payload_len, 3000);
    bytes v4 = ipv6_tcp(0);
    v4.b[0] = 0x45;
    assert_int_equal(dissect(DLT_IPV6, &v4, &p), WM_DISSECT_MALFORMED);
}

static wm_dissect_status dissect_options(const uint8_t *opts, uint32_t len,
                                         wm_packet *p)
{
    bytes seg = tcp_segment(opts, len, 0);
    bytes ip = ipv4_packet(&seg, 6, 0);
    return dissect(DLT_RAW, &ip, p);
}

static void test_tcp_options_syn(void **state)
{
    (void)state;
    /* Linux's SYN: MSS, SACK_PERM, TS, NOP, WS */
    static const uint8_t syn[] = {2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1,
                                  0, 0, 0, 0, 1, 3, 3, 7};
    wm_packet p;
    assert_int_equal(dissect_options(syn, sizeof syn, &p), WM_DISSECT_TCP);
    assert_int_equal(p.header_len, 40);
    assert_true(p.opts.has_mss);
    assert_int_equal(p.opts.mss, 65495);
    assert_true(p.opts.sack_permitted);
    assert_true(p.opts.has_timestamps);
    assert_int_equal(p.opts.ts_val, 1);
    assert_int_equal(p.opts.ts_ecr, 0);
    assert_int_equal(p.opts.nop_count, 1);
    assert_true(p.opts.has_wscale);
    assert_int_equal(p.opts.wscale, 7);
    assert_false(p.opts.has_eol);
    assert_int_equal(p.opts.unknown_count, 0);
    assert_int_equal(p.opts.sack_count, 0);
}

static void test_tcp_sack_blocks(void **state)
{
    (void)state;
    for (uint8_t blocks = 1; blocks <= 4; blocks++) {
        uint8_t opts[40] = {1, 1, 5, (uint8_t)(2 + 8 * blocks)};
        for (uint8_t i = 0; i < blocks; i++) {
            opts[4 + 8 * i + 3] = (uint8_t)(10 * i + 1);
            opts[4 + 8 * i + 7] = (uint8_t)(10 * i + 2);
        }
        wm_packet p;
        assert_int_equal(dissect_options(opts, 4 + 8u * blocks, &p),
                         WM_DISSECT_TCP);
        assert_int_equal(p.opts.sack_count, blocks);
        assert_int_equal(p.opts.nop_count, 2);
        for (uint8_t i = 0; i < blocks; i++) {
            assert_int_equal(p.opts.sack[i].left, 10 * i + 1);
            assert_int_equal(p.opts.sack[i].right, 10 * i + 2);
        }
    }
}

static void test_tcp_options_eol_unknown_wrong_length(void **state)
{
    (void)state;
    wm_packet p;
    /* EOL ends the list: the bytes after it are padding, even junk */
    static const uint8_t eol[] = {1, 0, 0xff, 0x01};
    assert_int_equal(dissect_options(eol, sizeof eol, &p), WM_DISSECT_TCP);
    assert_true(p.opts.has_eol);
    assert_int_equal(p.opts.nop_count, 1);
    /* unknown kinds (MPTCP 30, TFO 34) and known kinds at a wrong length */
    static const uint8_t odd[] = {30, 4, 0, 0, 34, 2, 2, 3, 0, 3, 2, 5, 3, 1};
    assert_int_equal(dissect_options(odd, sizeof odd, &p), WM_DISSECT_TCP);
    assert_int_equal(p.opts.unknown_count, 5);
    assert_false(p.opts.has_mss);
    assert_false(p.opts.has_wscale);
    assert_int_equal(p.opts.sack_count, 0);
    static const uint8_t ts_ws[] = {8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 3, 3, 14};
    assert_int_equal(dissect_options(ts_ws, sizeof ts_ws, &p),
                     WM_DISSECT_TCP);
    assert_int_equal(p.opts.ts_val, 0x01020304);
    assert_int_equal(p.opts.ts_ecr, 0x05060708);
    assert_int_equal(p.opts.wscale, 14);
}

static void test_tcp_options_malformed(void **state)
{
    (void)state;
    /* tshark keeps the packet, flags the option and reads no further */
    static const struct {
        uint8_t opts[8];
        uint32_t len;
        uint8_t anomaly;
    } bad[] = {
        {{2, 0, 0, 0}, 4, WM_PKT_OPTION_SHORT},        /* length 0 */
        {{2, 1, 0, 0}, 4, WM_PKT_OPTION_SHORT},        /* length 1 */
        {{1, 1, 1, 2}, 4, WM_PKT_OPTION_SHORT},        /* no room for it */
        {{2, 6, 1}, 3, WM_PKT_OPTION_PAST_END},        /* MSS too long */
        {{8, 10, 1, 2, 3, 4}, 8, WM_PKT_OPTION_PAST_END}, /* timestamps */
        {{30, 9, 1, 1}, 4, WM_PKT_OPTION_PAST_END},    /* unknown kind */
        {{2, 4, 5, 180, 8, 0}, 8, WM_PKT_OPTION_SHORT}, /* after an MSS */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wm_packet p;
        bytes seg = tcp_segment(bad[i].opts, bad[i].len, 0);
        bytes ip = ipv4_packet(&seg, 6, 0);
        if (dissect(DLT_RAW, &ip, &p) != WM_DISSECT_TCP)
            fail_msg("case %zu is not kept", i);
        if (p.anomalies != bad[i].anomaly)
            fail_msg("case %zu: anomalies %#x", i, p.anomalies);
        assert_false(p.opts.has_timestamps);
    }
    wm_packet p;
    bytes seg = tcp_segment(bad[6].opts, bad[6].len, 0);
    bytes mss_first = ipv4_packet(&seg, 6, 0);
    assert_int_equal(dissect(DLT_RAW, &mss_first, &p), WM_DISSECT_TCP);
    assert_true(p.opts.has_mss); /* what came before the bad one stays */
    assert_int_equal(p.opts.mss, 1460);
}

static void test_tcp_header_bounds(void **state)
{
    (void)state;
    bytes ip = ipv4_tcp(10);
    wm_packet p;
    bytes bad = ip;
    bad.b[20 + 12] = 4 << 4; /* data offset 4: kept, as tshark does */
    assert_int_equal(dissect(DLT_RAW, &bad, &p), WM_DISSECT_TCP);
    assert_int_equal(p.anomalies, WM_PKT_BAD_HEADER_LEN);
    assert_int_equal(p.header_len, 16);
    assert_int_equal(p.payload_len, 30 - 16); /* what tshark analyses */
    assert_int_equal(p.seq, 0x11223344);
    bad = ip;
    bad.b[20 + 12] = 15 << 4; /* 60 bytes, only 30 in the segment */
    assert_int_equal(dissect(DLT_RAW, &bad, &p), WM_DISSECT_MALFORMED);
    /* header beyond the captured bytes while the IP length allows it */
    bytes big = ipv4_tcp(100);
    big.b[20 + 12] = 15 << 4;
    assert_int_equal(dissect_len(DLT_RAW, &big, 60, 0, &p), WM_DISSECT_TCP);
    assert_true(p.opts.truncated || p.anomalies != 0);
}

static void test_not_tcp(void **state)
{
    (void)state;
    wm_packet p;
    bytes udp = plain_segment(8);
    bytes ip4 = ipv4_packet(&udp, 17, 0);
    bytes ip6 = ipv6_packet(&udp, 17, NULL);
    for (size_t i = 0; i < LINKTYPE_COUNT; i++) {
        int lt = all_linktypes[i];
        if (linktype_carries(lt, 4)) {
            bytes f = link_frame(lt, 4, &ip4);
            assert_int_equal(dissect(lt, &f, &p), WM_DISSECT_NOT_TCP);
        }
        if (linktype_carries(lt, 6)) {
            bytes f = link_frame(lt, 6, &ip6);
            assert_int_equal(dissect(lt, &f, &p), WM_DISSECT_NOT_TCP);
        }
    }
    bytes arp = link_frame(DLT_EN10MB, 4, &ip4);
    set16(&arp, 12, 0x0806);
    assert_int_equal(dissect(DLT_EN10MB, &arp, &p), WM_DISSECT_NOT_TCP);
    bytes llc = link_frame(DLT_EN10MB, 4, &ip4);
    set16(&llc, 12, 100); /* 802.3 length field */
    assert_int_equal(dissect(DLT_EN10MB, &llc, &p), WM_DISSECT_NOT_TCP);
    bytes sll2 = link_frame(DLT_LINUX_SLL2, 4, &ip4);
    set16(&sll2, 0, 0x0806);
    assert_int_equal(dissect(DLT_LINUX_SLL2, &sll2, &p), WM_DISSECT_NOT_TCP);
    bytes null = link_frame(DLT_LOOP, 4, &ip4);
    null.b[3] = 7; /* an address family that is not IP */
    assert_int_equal(dissect(DLT_LOOP, &null, &p), WM_DISSECT_NOT_TCP);
}

static void test_loopback_families(void **state)
{
    (void)state;
    static const uint32_t v6_families[] = {10, 24, 28, 30};
    bytes ip6 = ipv6_tcp(1);
    bytes ip4 = ipv4_tcp(1);
    wm_packet p;
    for (size_t i = 0; i < 4; i++) {
        bytes f = {0};
        put32(&f, v6_families[i]); /* network order: DLT_LOOP */
        put(&f, ip6.b, ip6.len);
        assert_int_equal(dissect(DLT_LOOP, &f, &p), WM_DISSECT_TCP);
        /* DLT_NULL from a machine of the other byte order */
        assert_int_equal(dissect(DLT_NULL, &f, &p), WM_DISSECT_TCP);
        bytes h = {0};
        put_host32(&h, v6_families[i]);
        put(&h, ip6.b, ip6.len);
        assert_int_equal(dissect(DLT_NULL, &h, &p), WM_DISSECT_TCP);
    }
    bytes f = {0};
    put32(&f, 2);
    put(&f, ip4.b, ip4.len);
    assert_int_equal(dissect(DLT_NULL, &f, &p), WM_DISSECT_TCP);
    assert_int_equal(p.src.family, 4);
}

/* Every frame cut at every length: TCP once the fixed TCP header is in
 * (options cut by the snaplen are read as far as they go and flagged
 * truncated, as Wireshark shows them), malformed before, never a read past
 * the end. */
static void test_truncated_everywhere(void **state)
{
    (void)state;
    static const uint8_t syn[] = {2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1,
                                  0, 0, 0, 0, 1, 3, 3, 7};
    bytes seg = tcp_segment(syn, sizeof syn, 50);
    uint32_t tcp_header = 40;
    for (size_t i = 0; i < LINKTYPE_COUNT; i++) {
        int lt = all_linktypes[i];
        for (int version = 4; version <= 6; version += 2) {
            if (!linktype_carries(lt, version))
                continue;
            bytes ip = version == 4 ? ipv4_packet(&seg, 6, 12)
                                    : ipv6_packet(&seg, 6, NULL);
            bytes f = link_frame(lt, version, &ip);
            uint32_t headers = f.len - 50;
            for (uint32_t cap = 0; cap <= f.len; cap++) {
                wm_packet p;
                wm_dissect_status st = dissect_len(lt, &f, cap, 0, &p);
                uint32_t fixed = headers - (tcp_header - 20);
                wm_dissect_status want = cap >= fixed ? WM_DISSECT_TCP
                                                      : WM_DISSECT_MALFORMED;
                if (st != want)
                    fail_msg("link %d v%d cap %u: status %d", lt, version,
                             cap, st);
                if (st == WM_DISSECT_TCP) {
                    assert_int_equal(p.payload_len, 50);
                    assert_int_equal(p.header_len, tcp_header);
                    assert_int_equal(p.opts.truncated, cap < headers);
                    /* the MSS, first option, is whole from 4 bytes on */
                    assert_int_equal(p.opts.has_mss, cap >= fixed + 4);
                }
                st = dissect_len(lt, &f, cap, f.len, &p);
                assert_int_equal(st, want);
            }
        }
    }
}

static uint32_t next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Random bytes, and valid frames with random bytes changed: whatever the
 * status, no read strays (the sanitizers and valgrind are the judges) and
 * a TCP verdict is self-consistent. */
static void test_garbage(void **state)
{
    (void)state;
    uint32_t seed = 2463534242u;
    for (size_t i = 0; i < LINKTYPE_COUNT; i++) {
        int lt = all_linktypes[i];
        int version = lt == DLT_IPV6 ? 6 : 4;
        bytes ip = version == 4 ? ipv4_tcp(30) : ipv6_tcp(30);
        bytes valid = link_frame(lt, version, &ip);
        for (int round = 0; round < 3000; round++) {
            bytes f = valid;
            if (round % 2) {
                f.len = next_random(&seed) % 120;
                for (uint32_t k = 0; k < f.len; k++)
                    f.b[k] = (uint8_t)next_random(&seed);
            } else {
                int flips = 1 + next_random(&seed) % 4;
                for (int k = 0; k < flips; k++)
                    f.b[next_random(&seed) % f.len] =
                        (uint8_t)next_random(&seed);
            }
            wm_packet p;
            uint32_t wire = round % 3 ? 0 : next_random(&seed) % 200;
            wm_dissect_status st = dissect_len(lt, &f, f.len, wire, &p);
            assert_true(st == WM_DISSECT_TCP || st == WM_DISSECT_NOT_TCP ||
                        st == WM_DISSECT_MALFORMED);
            if (st == WM_DISSECT_TCP) {
                assert_true((p.header_len >= 20 && p.header_len <= 60) ||
                            (p.anomalies & WM_PKT_BAD_HEADER_LEN));
                assert_true(p.opts.sack_count <= WM_TCP_MAX_SACK_BLOCKS);
                assert_true(p.src.family == 4 || p.src.family == 6);
            }
        }
    }
}

static void test_addr(void **state)
{
    (void)state;
    wm_addr a = {.family = 4, .bytes = {127, 0, 0, 1}};
    wm_addr b = a;
    b.bytes[10] = 9; /* beyond IPv4's 4 bytes: ignored */
    assert_true(wm_addr_equal(&a, &b));
    b.bytes[3] = 2;
    assert_false(wm_addr_equal(&a, &b));
    wm_addr c = {.family = 6, .bytes = {127, 0, 0, 1}};
    assert_false(wm_addr_equal(&a, &c));
    char buf[46];
    wm_addr_format(&c, buf, sizeof buf);
    assert_string_equal(buf, "7f00:1::");
    char small[5];
    wm_addr_format(&a, small, sizeof small);
    assert_string_equal(small, "127.");
    wm_addr bad = {.family = 9};
    wm_addr_format(&bad, buf, sizeof buf);
    assert_string_equal(buf, "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_linktype),
        cmocka_unit_test(test_vlan_tags),
        cmocka_unit_test(test_ipv4_options),
        cmocka_unit_test(test_ipv4_fragments_and_tso),
        cmocka_unit_test(test_ipv6_extension_headers),
        cmocka_unit_test(test_tcp_options_syn),
        cmocka_unit_test(test_tcp_sack_blocks),
        cmocka_unit_test(test_tcp_options_eol_unknown_wrong_length),
        cmocka_unit_test(test_tcp_options_malformed),
        cmocka_unit_test(test_tcp_header_bounds),
        cmocka_unit_test(test_not_tcp),
        cmocka_unit_test(test_loopback_families),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
