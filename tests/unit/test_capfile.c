/* The capture file reader (capfile.c) through wm_trace: pcap and pcapng
 * built byte by byte in either byte order — timestamp resolutions (µs, ns,
 * 2^-n), if_tsoffset, several sections, interfaces of different link
 * types, Simple and obsolete Packet blocks, blocks to skip — and every
 * file cut at every byte: the reader must keep exactly the frames that
 * were whole and say where it stopped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/dlt.h>

#include "capfile.h"
#include "wm_trace.h"

#define LT_ETHERNET 1
#define LT_RAW 101
#define LT_SLL 113

/* ---- bytes, in either order ---- */

typedef struct buf {
    uint8_t b[16384];
    size_t len;
    bool big;              /* write numbers big-endian */
    size_t ends[64];       /* offsets where a frame's record ends */
    size_t frame_count;
} buf;

static void put(buf *o, const void *data, size_t len)
{
    assert_true(o->len + len <= sizeof o->b);
    memcpy(o->b + o->len, data, len);
    o->len += len;
}

static void put_n(buf *o, uint64_t v, int bytes)
{
    uint8_t p[8];
    for (int i = 0; i < bytes; i++)
        p[o->big ? bytes - 1 - i : i] = (uint8_t)(v >> (8 * i));
    put(o, p, (size_t)bytes);
}

static void put32(buf *o, uint32_t v) { put_n(o, v, 4); }
static void put16(buf *o, uint16_t v) { put_n(o, v, 2); }

static void pad4(buf *o)
{
    static const uint8_t zero[4] = {0};
    put(o, zero, (4 - o->len % 4) % 4);
}

/* A raw IPv4 TCP segment 10.0.0.1:port -> 10.0.0.2:80 (big-endian on the
 * wire whatever the file's order); its length. */
static uint32_t tcp_packet(uint8_t *p, uint16_t port, uint8_t flags,
                           uint32_t seq)
{
    static const uint8_t ip[20] = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0,
                                   10, 0, 0, 1, 10, 0, 0, 2};
    memcpy(p, ip, sizeof ip);
    uint8_t *t = p + 20;
    memset(t, 0, 20);
    t[0] = (uint8_t)(port >> 8);
    t[1] = (uint8_t)port;
    t[3] = 80;
    t[4] = (uint8_t)(seq >> 24);
    t[5] = (uint8_t)(seq >> 16);
    t[6] = (uint8_t)(seq >> 8);
    t[7] = (uint8_t)seq;
    t[12] = 5 << 4;
    t[13] = flags;
    t[14] = 0xff;
    t[15] = 0xff;
    return 40;
}

/* An Ethernet frame around it. */
static uint32_t ether_packet(uint8_t *p, uint16_t port, uint8_t flags,
                             uint32_t seq)
{
    memset(p, 0, 14);
    p[12] = 0x08;
    return 14 + tcp_packet(p + 14, port, flags, seq);
}

/* A Linux cooked (SLL) frame around it. */
static uint32_t sll_packet(uint8_t *p, uint16_t port, uint8_t flags,
                           uint32_t seq)
{
    memset(p, 0, 16);
    p[14] = 0x08;
    return 16 + tcp_packet(p + 16, port, flags, seq);
}

/* ---- classic pcap ---- */

static void pcap_header(buf *o, uint32_t magic, uint32_t linktype)
{
    put32(o, magic);
    put16(o, 2);
    put16(o, 4);
    put32(o, 0);
    put32(o, 0);
    put32(o, 65535);
    put32(o, linktype);
}

static void pcap_record(buf *o, uint32_t sec, uint32_t frac, uint16_t port,
                        uint32_t seq)
{
    uint8_t p[64];
    uint32_t len = tcp_packet(p, port, 0x10, seq);
    put32(o, sec);
    put32(o, frac);
    put32(o, len);
    put32(o, len);
    put(o, p, len);
    o->ends[o->frame_count++] = o->len;
}

/* ---- pcapng ---- */

static void shb(buf *o)
{
    put32(o, 0x0a0d0d0a);
    put32(o, 28);
    put32(o, 0x1a2b3c4d);
    put16(o, 1);
    put16(o, 0);
    put_n(o, UINT64_MAX, 8); /* section length unknown */
    put32(o, 28);
}

/* An IDB; tsresol < 0: none; tsoffset != 0: an if_tsoffset. */
static void idb(buf *o, uint16_t linktype, int tsresol, int64_t tsoffset)
{
    size_t start = o->len;
    put32(o, 1);
    put32(o, 0); /* patched */
    put16(o, linktype);
    put16(o, 0);
    put32(o, 262144);
    if (tsresol >= 0) {
        put16(o, 9);
        put16(o, 1);
        uint8_t v[4] = {(uint8_t)tsresol, 0, 0, 0};
        put(o, v, 4);
    }
    if (tsoffset) {
        put16(o, 14);
        put16(o, 8);
        put_n(o, (uint64_t)tsoffset, 8);
    }
    put32(o, 0); /* opt_endofopt */
    uint32_t len = (uint32_t)(o->len - start + 4);
    put32(o, len);
    bool big = o->big;
    buf tmp = {.big = big};
    put32(&tmp, len);
    memcpy(o->b + start + 4, tmp.b, 4);
}

/* An EPB (type 6) or the obsolete PB (type 2) of a TCP frame made by
 * make on interface id. */
static void packet_block(buf *o, uint32_t type, uint32_t id, uint64_t ts,
                         uint32_t (*make)(uint8_t *, uint16_t, uint8_t,
                                          uint32_t),
                         uint16_t port, uint32_t seq)
{
    uint8_t p[64];
    uint32_t caplen = make(p, port, 0x10, seq);
    uint32_t len = 32 + ((caplen + 3) & ~3u);
    put32(o, type);
    put32(o, len);
    if (type == 2) {
        put16(o, (uint16_t)id);
        put16(o, 0);
    } else {
        put32(o, id);
    }
    put32(o, (uint32_t)(ts >> 32));
    put32(o, (uint32_t)ts);
    put32(o, caplen);
    put32(o, caplen);
    put(o, p, caplen);
    pad4(o);
    put32(o, len);
    o->ends[o->frame_count++] = o->len;
}

static void spb(buf *o, uint16_t port, uint32_t seq)
{
    uint8_t p[64];
    uint32_t caplen = tcp_packet(p, port, 0x10, seq);
    uint32_t len = 16 + ((caplen + 3) & ~3u);
    put32(o, 3);
    put32(o, len);
    put32(o, caplen);
    put(o, p, caplen);
    pad4(o);
    put32(o, len);
    o->ends[o->frame_count++] = o->len;
}

/* A block of a type the reader must skip, with 8 bytes of body. */
static void other_block(buf *o, uint32_t type)
{
    put32(o, type);
    put32(o, 20);
    put32(o, 0xdeadbeef);
    put32(o, 0);
    put32(o, 20);
}

static void read_ok(const buf *o, wm_trace *t)
{
    wm_error err = {0};
    if (wm_trace_read_memory(o->b, o->len, t, &err) != 0)
        fail_msg("%s", err.message);
    assert_false(t->read_error.stopped);
}

/* ---- tests ---- */

static void test_pcap_byte_orders_and_2038(void **state)
{
    (void)state;
    for (int big = 0; big < 2; big++) {
        for (int ns = 0; ns < 2; ns++) {
            buf o = {.big = big};
            pcap_header(&o, ns ? 0xa1b23c4d : 0xa1b2c3d4, LT_RAW);
            /* 2038-01-19T03:14:08Z is 2^31 s: a signed field would go
             * negative here, and 2106 is the last year there is */
            pcap_record(&o, 0x7fffffffu, 5, 1000, 1);
            pcap_record(&o, 0x80000000u, 7, 1000, 2);
            pcap_record(&o, 0xfffffff0u, ns ? 999999999 : 999999, 1000, 3);
            wm_trace t;
            read_ok(&o, &t);
            assert_int_equal(t.frames, 3);
            assert_int_equal(t.count, 3);
            assert_int_equal(t.linktype, DLT_RAW);
            int64_t unit = ns ? 1 : 1000;
            assert_true(t.packets[0].ts_ns ==
                        INT64_C(0x7fffffff) * 1000000000 + 5 * unit);
            assert_true(t.packets[1].ts_ns ==
                        INT64_C(0x80000000) * 1000000000 + 7 * unit);
            assert_true(t.packets[2].ts_ns ==
                        INT64_C(0xfffffff0) * 1000000000 +
                            (ns ? 999999999 : 999999000));
            assert_int_equal(t.packets[2].seq, 3);
            wm_trace_free(&t);
        }
    }
}

/* One pcapng frame's timestamp with this if_tsresol and if_tsoffset. */
static int64_t ng_ts(bool big, int tsresol, int64_t tsoffset, uint64_t ts)
{
    buf o = {.big = big};
    shb(&o);
    idb(&o, LT_RAW, tsresol, tsoffset);
    packet_block(&o, 6, 0, ts, tcp_packet, 1000, 1);
    wm_trace t;
    read_ok(&o, &t);
    assert_int_equal(t.count, 1);
    int64_t got = t.packets[0].ts_ns;
    wm_trace_free(&t);
    return got;
}

static void test_pcapng_resolutions(void **state)
{
    (void)state;
    for (int big = 0; big < 2; big++) {
        /* no if_tsresol: µs */
        assert_true(ng_ts(big, -1, 0, 1700000000123456ull) ==
                    INT64_C(1700000000123456000));
        assert_true(ng_ts(big, 6, 0, 1700000000123456ull) ==
                    INT64_C(1700000000123456000));
        assert_true(ng_ts(big, 9, 0, 1700000000123456789ull) ==
                    INT64_C(1700000000123456789));
        /* 10^-12 s (ps): rounded down to ns */
        assert_true(ng_ts(big, 12, 0, 1700000000123456789ull) ==
                    INT64_C(1700000000123456));
        /* 2^-10 s: 1700000000.5 s is 1700000000 * 1024 + 512 units */
        assert_true(ng_ts(big, 0x80 | 10, 0,
                          1700000000ull * 1024 + 512) ==
                    INT64_C(1700000000500000000));
        /* 2^-30 s */
        assert_true(ng_ts(big, 0x80 | 30, 0, (uint64_t)3 << 29) ==
                    INT64_C(1500000000));
        /* seconds, with an offset of 1000 s */
        assert_true(ng_ts(big, 0, 1000, 5) == INT64_C(1005000000000));
        /* an offset before 1970 that the stamp makes up for */
        assert_true(ng_ts(big, 0, -10, 15) == INT64_C(5000000000));
    }
}

/* Two sections of opposite byte orders; the second's interfaces are
 * Ethernet and Linux cooked; blocks to skip in between; SPB and PB. */
static void build_multi(buf *o)
{
    o->big = false;
    shb(o);
    idb(o, LT_RAW, 9, 0);
    other_block(o, 4);          /* Name Resolution Block */
    packet_block(o, 6, 0, 1000000000, tcp_packet, 1000, 1);
    spb(o, 1000, 2);            /* no timestamp: 0, as in Wireshark */
    other_block(o, 5);          /* Interface Statistics Block */
    o->big = true;
    shb(o);
    idb(o, LT_ETHERNET, 9, 0);
    idb(o, LT_SLL, 6, 0);
    other_block(o, 0x00000bad); /* custom block */
    other_block(o, 0x12345678); /* unknown */
    packet_block(o, 6, 1, 2000000, sll_packet, 2000, 10);
    packet_block(o, 6, 0, 3000000000, ether_packet, 3000, 20);
    packet_block(o, 2, 1, 4000000, sll_packet, 2000, 11);
    other_block(o, 0x0000000a); /* Decryption Secrets Block */
}

static void test_pcapng_sections_and_link_types(void **state)
{
    (void)state;
    buf o = {0};
    build_multi(&o);
    wm_trace t;
    read_ok(&o, &t);
    assert_int_equal(t.frames, 5);
    assert_int_equal(t.count, 5);
    assert_int_equal(t.not_tcp + t.malformed, 0);
    assert_int_equal(t.linktype, DLT_RAW);
    assert_int_equal(t.linktype_count, 3);
    assert_int_equal(t.linktypes[0], DLT_RAW);
    assert_int_equal(t.linktypes[1], DLT_LINUX_SLL);
    assert_int_equal(t.linktypes[2], DLT_EN10MB);
    static const uint32_t seqs[] = {1, 2, 10, 20, 11};
    static const int64_t stamps[] = {1000000000, 0, 2000000000,
                                     3000000000, 4000000000};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(t.packets[i].frame_no, i + 1);
        assert_int_equal(t.packets[i].seq, seqs[i]);
        assert_true(t.packets[i].ts_ns == stamps[i]);
    }
    wm_trace_free(&t);
}

/* The file cut after each of its first bytes: no crash, exactly the
 * frames whose records end before the cut, and the cut named. */
static void cut_everywhere(const buf *o, size_t header_end)
{
    for (size_t cut = 1; cut < o->len; cut++) {
        wm_trace t;
        wm_error err = {0};
        int rc = wm_trace_read_memory(o->b, cut, &t, &err);
        size_t whole = 0;
        while (whole < o->frame_count && o->ends[whole] <= cut)
            whole++;
        if (whole == 0) {
            /* nothing read: an error unless the cut fell between blocks
             * before the first frame (a valid file of no frames) */
            if (rc == 0) {
                assert_int_equal(t.frames, 0);
                assert_true(cut >= header_end);
            } else {
                assert_int_not_equal(err.kind, WM_ERR_NONE);
            }
            wm_trace_free(&t);
            continue;
        }
        if (rc != 0)
            fail_msg("cut at %zu: %s", cut, err.message);
        assert_int_equal(t.frames, whole);
        bool at_end = whole == o->frame_count && cut == o->ends[whole - 1];
        if (t.read_error.stopped) {
            assert_true(t.read_error.cut_short);
            assert_int_equal(t.read_error.after_frame, whole);
            assert_true(t.read_error.offset >= o->ends[whole - 1]);
            assert_true(t.read_error.offset < cut);
            assert_non_null(strstr(t.read_error.reason, "cut short"));
        } else {
            /* a clean end only where a block ends */
            assert_true(at_end || cut == o->ends[whole - 1] ||
                        whole < o->frame_count);
        }
        wm_trace_free(&t);
    }
}

static void test_cut_everywhere(void **state)
{
    (void)state;
    for (int big = 0; big < 2; big++) {
        buf o = {.big = big};
        pcap_header(&o, 0xa1b2c3d4, LT_RAW);
        for (uint32_t i = 0; i < 4; i++)
            pcap_record(&o, 1700000000 + i, 0, 1000, i);
        cut_everywhere(&o, 24);
    }
    buf ng = {0};
    build_multi(&ng);
    cut_everywhere(&ng, 28);
}

/* The real two-interface capture (dumpcap -i lo -i any), cut at every
 * byte of its first 4 KiB: each frame ends where its block does (the
 * block's length is in its second word; the file is little-endian). */
static void test_cut_real_file(void **state)
{
    (void)state;
    static buf o;
    FILE *f = fopen(WM_TEST_DATA "/tshark/lo_and_any_interfaces.pcap", "rb");
    assert_non_null(f);
    o.len = fread(o.b, 1, sizeof o.b, f);
    fclose(f);
    assert_true(o.len > 4096 && o.len < sizeof o.b);
    FILE *mem = fmemopen(o.b, o.len, "r");
    assert_non_null(mem);
    capfile *r;
    wm_error err = {0};
    assert_int_equal(capfile_open(mem, "real", 1u << 16, false, &r, &err), 0);
    capfile_frame frame;
    while (capfile_next(r, &frame, &err) == 1) {
        uint32_t len;
        memcpy(&len, o.b + frame.offset + 4, sizeof len);
        o.ends[o.frame_count++] = frame.offset + len;
    }
    assert_int_equal(capfile_stopped(r), 0);
    capfile_close(r);
    assert_int_equal(o.frame_count, 20);
    size_t len = o.len;
    o.len = 4096;
    cut_everywhere(&o, 28);
    o.len = len;
}

static void test_bounds(void **state)
{
    (void)state;
    /* a block claiming 1 GiB: a clear error, not an allocation */
    buf o = {0};
    shb(&o);
    idb(&o, LT_RAW, 9, 0);
    packet_block(&o, 6, 0, 1, tcp_packet, 1000, 1);
    size_t bad = o.len;
    put32(&o, 6);
    put32(&o, 1u << 30);
    put32(&o, 0);
    wm_trace t;
    wm_error err = {0};
    assert_int_equal(wm_trace_read_memory(o.b, o.len, &t, &err), 0);
    assert_int_equal(t.frames, 1);
    assert_true(t.read_error.stopped);
    assert_false(t.read_error.cut_short);
    assert_int_equal(t.read_error.offset, bad);
    assert_non_null(strstr(t.read_error.reason, "1073741824"));
    assert_non_null(strstr(t.read_error.reason, "--max-record-bytes"));
    wm_trace_free(&t);

    /* a frame of an interface the section did not describe */
    buf p = {0};
    shb(&p);
    idb(&p, LT_RAW, 9, 0);
    packet_block(&p, 6, 0, 1, tcp_packet, 1000, 1);
    packet_block(&p, 6, 7, 2, tcp_packet, 1000, 2);
    assert_int_equal(wm_trace_read_memory(p.b, p.len, &t, &err), 0);
    assert_int_equal(t.frames, 1);
    assert_non_null(strstr(t.read_error.reason, "interface 7"));
    wm_trace_free(&t);

    /* a block whose trailing length disagrees */
    buf q = {0};
    shb(&q);
    idb(&q, LT_RAW, 9, 0);
    packet_block(&q, 6, 0, 1, tcp_packet, 1000, 1);
    packet_block(&q, 6, 0, 2, tcp_packet, 1000, 2);
    q.b[q.len - 1] ^= 0x40;
    assert_int_equal(wm_trace_read_memory(q.b, q.len, &t, &err), 0);
    assert_int_equal(t.frames, 1);
    assert_non_null(strstr(t.read_error.reason, "ends with a length"));
    wm_trace_free(&t);

    /* only unsupported link types: refused, naming it */
    buf u = {0};
    pcap_header(&u, 0xa1b2c3d4, 105 /* IEEE 802.11 */);
    pcap_record(&u, 1, 0, 1000, 1);
    assert_int_equal(wm_trace_read_memory(u.b, u.len, &t, &err), -1);
    assert_non_null(strstr(err.message, "105"));
    assert_int_equal(t.count, 0);
    wm_trace_free(&t);
}

/* A limit set by the caller: records over it stop reading there. */
static void test_max_record_bytes(void **state)
{
    (void)state;
    buf o = {0};
    pcap_header(&o, 0xa1b2c3d4, LT_RAW);
    pcap_record(&o, 1, 0, 1000, 1);
    char path[] = "/tmp/wm-test-capfile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(o.b, 1, o.len, f), o.len);
    fclose(f);
    wm_trace t;
    wm_error err = {0};
    const wm_trace_limits small = {.max_record_bytes = 128};
    assert_int_equal(wm_trace_stream_file_limited(path, &small, NULL, NULL,
                                                  &t, &err), 0);
    assert_int_equal(t.count, 1); /* 16 + 40 bytes fit in 128 */
    wm_trace_free(&t);
    const wm_trace_limits tiny = {.max_record_bytes = 128};
    buf big = {0};
    pcap_header(&big, 0xa1b2c3d4, LT_RAW);
    put32(&big, 1);
    put32(&big, 0);
    put32(&big, 200);
    put32(&big, 200);
    uint8_t zero[200] = {0};
    put(&big, zero, sizeof zero);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(big.b, 1, big.len, f), big.len);
    fclose(f);
    assert_int_equal(wm_trace_stream_file_limited(path, &tiny, NULL, NULL,
                                                  &t, &err), -1);
    assert_non_null(strstr(err.message, "more than the 128 allowed"));
    wm_trace_free(&t);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_byte_orders_and_2038),
        cmocka_unit_test(test_pcapng_resolutions),
        cmocka_unit_test(test_pcapng_sections_and_link_types),
        cmocka_unit_test(test_cut_everywhere),
        cmocka_unit_test(test_cut_real_file),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_max_record_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
