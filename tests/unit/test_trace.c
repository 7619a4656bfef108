/* Traces: pcap files written by libpcap's own pcap_dump for several link
 * types, a pcapng built byte by byte, a real loopback capture converted by
 * editcap, and broken files, all read back through wm_trace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "wm_trace.h"

#define FRAME_MAX 2048

typedef struct frame {
    uint8_t b[FRAME_MAX];
    uint32_t len;      /* on the wire */
    uint32_t cap_len;  /* as written to the file */
    int64_t ts_ns;
} frame;

static void put_be(uint8_t *p, uint32_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* An IPv4 packet 127.0.0.1:40000 -> 127.0.0.1:5201 carrying a TCP segment
 * (proto 6) or a UDP datagram (17) of payload_len bytes, after link_len
 * bytes of link header written by the caller. */
static uint32_t ipv4_packet(uint8_t *p, uint8_t proto, uint8_t flags,
                            uint32_t seq, uint32_t payload_len)
{
    uint32_t l4 = proto == 6 ? 20 : 8;
    memset(p, 0, 20 + l4 + payload_len);
    p[0] = 0x45;
    put_be(p + 2, 20 + l4 + payload_len, 2);
    p[8] = 64;
    p[9] = proto;
    put_be(p + 12, 0x7f000001, 4);
    put_be(p + 16, 0x7f000001, 4);
    put_be(p + 20, 40000, 2);
    put_be(p + 22, 5201, 2);
    if (proto == 6) {
        put_be(p + 24, seq, 4);
        p[32] = 5 << 4;
        p[33] = flags;
        put_be(p + 34, 65535, 2);
    }
    return 20 + l4 + payload_len;
}

static uint32_t link_header(int linktype, uint8_t *p)
{
    switch (linktype) {
    case DLT_EN10MB:
        memset(p, 0, 14);
        put_be(p + 12, 0x0800, 2);
        return 14;
    case DLT_LINUX_SLL:
        memset(p, 0, 16);
        put_be(p + 2, 772, 2);
        put_be(p + 14, 0x0800, 2);
        return 16;
    case DLT_LINUX_SLL2:
        memset(p, 0, 20);
        put_be(p, 0x0800, 2);
        put_be(p + 8, 772, 2);
        return 20;
    case DLT_NULL: {
        uint32_t family = 2;
        memcpy(p, &family, 4);
        return 4;
    }
    case DLT_LOOP:
        put_be(p, 2, 4);
        return 4;
    default:
        return 0;
    }
}

static frame make_frame(int linktype, uint8_t proto, uint8_t flags,
                        uint32_t seq, uint32_t payload_len, int64_t ts_ns)
{
    frame f = {.ts_ns = ts_ns};
    uint32_t link = link_header(linktype, f.b);
    f.len = link + ipv4_packet(f.b + link, proto, flags, seq, payload_len);
    f.cap_len = f.len;
    return f;
}

/* The five frames every link type is tested with: a UDP datagram first
 * (the zero of time though not TCP), a SYN, a frame cut inside its IP
 * header, a data segment cut by a 60-byte snaplen, and a FIN. */
static void sample_frames(int linktype, frame out[5])
{
    const int64_t t0 = INT64_C(1700000000123456789);
    out[0] = make_frame(linktype, 17, 0, 0, 10, t0);
    out[1] = make_frame(linktype, 6, 0x02, 1000, 0, t0 + 1);
    out[2] = make_frame(linktype, 6, 0x10, 1001, 0, t0 + 1000);
    out[2].cap_len = out[2].len - 30; /* inside the IP header */
    out[3] = make_frame(linktype, 6, 0x18, 1001, 1000, t0 + 2000000);
    out[3].cap_len = 60;
    out[4] = make_frame(linktype, 6, 0x11, 2001, 0, t0 + 3000000000);
}

static char *temp_path(void)
{
    char *path = strdup("/tmp/wm_test_trace_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    return path;
}

static void write_pcap(const char *path, int linktype, u_int precision,
                       const frame *frames, size_t count)
{
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(linktype, 65535,
                                                        precision);
    assert_non_null(dead);
    pcap_dumper_t *dumper = pcap_dump_open(dead, path);
    assert_non_null(dumper);
    for (size_t i = 0; i < count; i++) {
        struct pcap_pkthdr h = {.caplen = frames[i].cap_len,
                                .len = frames[i].len};
        int64_t unit = precision == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
        h.ts.tv_sec = frames[i].ts_ns / 1000000000;
        h.ts.tv_usec = (frames[i].ts_ns % 1000000000) / unit;
        pcap_dump((u_char *)dumper, &h, frames[i].b);
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
}

static void check_sample(const wm_trace *t, int linktype, const frame *f,
                         int64_t ts_unit)
{
    assert_int_equal(t->linktype, linktype);
    assert_int_equal(t->frames, 5);
    assert_int_equal(t->not_tcp, 1);
    assert_int_equal(t->malformed, 1);
    assert_int_equal(t->count, 3);
    assert_true(t->first_ts_ns == f[0].ts_ns / ts_unit * ts_unit);
    static const uint32_t numbers[] = {2, 4, 5};
    for (size_t i = 0; i < 3; i++) {
        const wm_packet *p = &t->packets[i];
        const frame *src = &f[numbers[i] - 1];
        assert_int_equal(p->frame_no, numbers[i]);
        assert_true(p->ts_ns == src->ts_ns / ts_unit * ts_unit);
        assert_int_equal(p->frame_len, src->len);
        assert_int_equal(p->cap_len, src->cap_len);
        assert_int_equal(p->src_port, 40000);
        assert_int_equal(p->dst_port, 5201);
    }
    assert_int_equal(t->packets[0].flags, 0x02);
    assert_int_equal(t->packets[1].payload_len, 1000); /* despite snaplen */
    assert_int_equal(t->packets[1].seq, 1001);
    assert_int_equal(t->packets[2].flags, 0x11);
}

static void test_pcap_every_linktype(void **state)
{
    (void)state;
    static const int linktypes[] = {DLT_EN10MB, DLT_LINUX_SLL,
                                    DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4,
                                    DLT_NULL, DLT_LOOP};
    for (size_t i = 0; i < sizeof linktypes / sizeof linktypes[0]; i++) {
        frame f[5];
        sample_frames(linktypes[i], f);
        char *path = temp_path();
        write_pcap(path, linktypes[i], PCAP_TSTAMP_PRECISION_NANO, f, 5);
        wm_trace t;
        wm_error err = {0};
        if (wm_trace_read_file(path, &t, &err) != 0)
            fail_msg("link type %d: %s", linktypes[i], err.message);
        check_sample(&t, linktypes[i], f, 1);
        wm_trace_free(&t);
        assert_int_equal(t.count, 0);
        wm_trace_free(&t); /* twice is harmless */
        unlink(path);
        free(path);
    }
}

static void test_pcap_microseconds(void **state)
{
    (void)state;
    frame f[5];
    sample_frames(DLT_EN10MB, f);
    char *path = temp_path();
    write_pcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, f, 5);
    wm_trace t;
    wm_error err = {0};
    assert_int_equal(wm_trace_read_file(path, &t, &err), 0);
    check_sample(&t, DLT_EN10MB, f, 1000);
    wm_trace_free(&t);

    /* the same bytes from memory */
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    uint8_t buf[8192];
    size_t size = fread(buf, 1, sizeof buf, file);
    fclose(file);
    assert_int_equal(wm_trace_read_memory(buf, size, &t, &err), 0);
    check_sample(&t, DLT_EN10MB, f, 1000);
    wm_trace_free(&t);

    /* cut inside the last record: the four before it, and where it
     * stopped */
    assert_int_equal(wm_trace_read_memory(buf, size - 5, &t, &err), 0);
    assert_int_equal(t.frames, 4);
    assert_true(t.read_error.stopped);
    assert_true(t.read_error.cut_short);
    assert_int_equal(t.read_error.after_frame, 4);
    assert_int_equal(t.read_error.offset,
                     size - (16 + f[4].cap_len));
    assert_non_null(strstr(t.read_error.reason, "cut short"));
    wm_trace_free(&t);

    /* cut inside the first record: nothing could be read, an error */
    assert_int_equal(wm_trace_read_memory(buf, 24 + 10, &t, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_non_null(strstr(err.message, "capture"));
    assert_non_null(strstr(err.message, "offset 24"));
    assert_int_equal(t.count, 0);
    assert_null(t.packets);
    wm_trace_free(&t);
    unlink(path);
    free(path);
}

typedef struct blob {
    uint8_t b[4096];
    size_t len;
} blob;

static void blob_put(blob *o, const void *data, size_t len)
{
    assert_true(o->len + len <= sizeof o->b);
    memcpy(o->b + o->len, data, len);
    o->len += len;
}

static void blob_u32(blob *o, uint32_t v)
{
    blob_put(o, &v, 4); /* host order: the byte-order magic says which */
}

static void blob_u16(blob *o, uint16_t v)
{
    blob_put(o, &v, 2);
}

/* A pcapng section: SHB, one IDB with if_tsresol, one EPB per frame. */
static void build_pcapng(blob *o, uint16_t linktype, uint8_t tsresol,
                         const frame *frames, size_t count,
                         const uint64_t *stamps)
{
    o->len = 0;
    blob_u32(o, 0x0A0D0D0A);
    blob_u32(o, 28);
    blob_u32(o, 0x1A2B3C4D);
    blob_u16(o, 1);
    blob_u16(o, 0);
    blob_u32(o, 0xffffffff);
    blob_u32(o, 0xffffffff);
    blob_u32(o, 28);

    blob_u32(o, 1);
    blob_u32(o, 32);
    blob_u16(o, linktype);
    blob_u16(o, 0);
    blob_u32(o, 65535);
    blob_u16(o, 9); /* if_tsresol */
    blob_u16(o, 1);
    uint8_t resol[4] = {tsresol, 0, 0, 0};
    blob_put(o, resol, 4);
    blob_u32(o, 0); /* opt_endofopt */
    blob_u32(o, 32);

    for (size_t i = 0; i < count; i++) {
        uint32_t padded = (frames[i].cap_len + 3) & ~3u;
        blob_u32(o, 6);
        blob_u32(o, 32 + padded);
        blob_u32(o, 0);
        blob_u32(o, (uint32_t)(stamps[i] >> 32));
        blob_u32(o, (uint32_t)stamps[i]);
        blob_u32(o, frames[i].cap_len);
        blob_u32(o, frames[i].len);
        blob_put(o, frames[i].b, frames[i].cap_len);
        static const uint8_t zero[4] = {0};
        blob_put(o, zero, padded - frames[i].cap_len);
        blob_u32(o, 32 + padded);
    }
}

static void test_pcapng(void **state)
{
    (void)state;
    frame f[5];
    sample_frames(DLT_EN10MB, f);
    uint64_t stamps[5];
    for (int i = 0; i < 5; i++)
        stamps[i] = (uint64_t)f[i].ts_ns;
    blob o;
    build_pcapng(&o, 1 /* LINKTYPE_ETHERNET */, 9, f, 5, stamps);
    char *path = temp_path();
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(o.b, 1, o.len, file), o.len);
    fclose(file);
    wm_trace t;
    wm_error err = {0};
    if (wm_trace_read_file(path, &t, &err) != 0)
        fail_msg("%s", err.message);
    check_sample(&t, DLT_EN10MB, f, 1);
    wm_trace_free(&t);
    unlink(path);
    free(path);

    /* resolution in seconds and a timestamp of 2^40 s: out of range,
     * reading stops before that frame */
    for (int i = 0; i < 5; i++)
        stamps[i] = (uint64_t)f[i].ts_ns / 1000000000;
    stamps[2] = UINT64_C(1) << 40;
    build_pcapng(&o, 1, 0, f, 5, stamps);
    assert_int_equal(wm_trace_read_memory(o.b, o.len, &t, &err), 0);
    assert_int_equal(t.frames, 2);
    assert_true(t.read_error.stopped);
    assert_false(t.read_error.cut_short);
    assert_int_equal(t.read_error.after_frame, 2);
    assert_non_null(strstr(t.read_error.reason, "1970..2116"));
    wm_trace_free(&t);

    /* the same as the first frame: nothing read, an error */
    stamps[0] = UINT64_C(1) << 40;
    build_pcapng(&o, 1, 0, f, 5, stamps);
    assert_int_equal(wm_trace_read_memory(o.b, o.len, &t, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_non_null(strstr(err.message, "timestamp"));
    assert_int_equal(t.count, 0);
    wm_trace_free(&t);
}

/* A real capture: tcpdump on lo of a 13-byte download from a Python
 * server, converted with `editcap -F pcapng`; the expectations are what
 * tshark prints for it (see tests/data/README.md). */
static void test_real_pcapng(void **state)
{
    (void)state;
    wm_trace t;
    wm_error err = {0};
    if (wm_trace_read_file(WM_TEST_DATA "/loopback_13B.pcapng", &t, &err))
        fail_msg("%s", err.message);
    assert_int_equal(t.linktype, DLT_EN10MB);
    assert_int_equal(t.frames, 10);
    assert_int_equal(t.count, 10);
    assert_int_equal(t.malformed, 0);
    assert_int_equal(t.packets[0].flags, WM_TCP_SYN);
    assert_true(t.packets[0].opts.has_mss);
    assert_int_equal(t.packets[0].opts.mss, 65495);
    assert_true(t.packets[0].opts.sack_permitted);
    assert_true(t.packets[0].opts.has_timestamps);
    assert_true(t.packets[0].opts.has_wscale);
    assert_int_equal(t.packets[1].flags, WM_TCP_SYN | WM_TCP_ACK);
    uint64_t payload = 0;
    for (size_t i = 0; i < t.count; i++)
        payload += t.packets[i].payload_len;
    assert_int_equal(payload, 13 + 4); /* the request "13\n\n", the data */
    assert_true(t.first_ts_ns == t.packets[0].ts_ns);
    wm_trace_free(&t);
}

/* The same exchange over ::1, captured on "any" as Linux cooked v2. */
static void test_real_sll2_ipv6(void **state)
{
    (void)state;
    wm_trace t;
    wm_error err = {0};
    if (wm_trace_read_file(WM_TEST_DATA "/loopback6_13B_sll2.pcap", &t,
                           &err))
        fail_msg("%s", err.message);
    assert_int_equal(t.linktype, DLT_LINUX_SLL2);
    assert_int_equal(t.frames, 10);
    assert_int_equal(t.count, 10);
    static const uint8_t flags[10] = {0x02, 0x12, 0x10, 0x18, 0x10,
                                      0x18, 0x10, 0x11, 0x11, 0x10};
    static const uint32_t lens[10] = {0, 0, 0, 4, 0, 13, 0, 0, 0, 0};
    char addr[46];
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(t.packets[i].frame_no, i + 1);
        assert_int_equal(t.packets[i].flags, flags[i]);
        assert_int_equal(t.packets[i].payload_len, lens[i]);
        assert_int_equal(t.packets[i].src.family, 6);
        wm_addr_format(&t.packets[i].dst, addr, sizeof addr);
        assert_string_equal(addr, "::1");
        if (i > 0)
            assert_true(t.packets[i].ts_ns >= t.packets[i - 1].ts_ns);
    }
    assert_int_equal(t.packets[0].opts.mss, 65476);
    wm_trace_free(&t);
}

static void test_errors(void **state)
{
    (void)state;
    wm_trace t;
    wm_error err = {0};
    assert_int_equal(wm_trace_read_file("/nonexistent/x.pcap", &t, &err), -1);
    assert_int_equal(err.kind, WM_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "/nonexistent/x.pcap"));
    wm_trace_free(&t);

    assert_int_equal(wm_trace_read_file("/", &t, &err), -1);
    assert_int_not_equal(err.kind, WM_ERR_NONE);
    wm_trace_free(&t);

    static const uint8_t text[] = "this is not a capture at all, sorry";
    assert_int_equal(wm_trace_read_memory(text, sizeof text, &t, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_int_equal(wm_trace_read_memory(text, 0, &t, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);

    frame f = make_frame(DLT_EN10MB, 6, 2, 0, 0, 1);
    char *path = temp_path();
    write_pcap(path, DLT_IEEE802_11, PCAP_TSTAMP_PRECISION_NANO, &f, 1);
    assert_int_equal(wm_trace_read_file(path, &t, &err), -1);
    assert_int_equal(err.kind, WM_ERR_INVALID);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "IEEE802_11"));
    assert_non_null(strstr(err.message, "105"));
    wm_trace_free(&t);
    unlink(path);
    free(path);
}

static void test_add_frame_growth(void **state)
{
    (void)state;
    wm_trace t;
    wm_trace_init(&t, DLT_RAW);
    wm_error err = {0};
    for (uint32_t i = 0; i < 3000; i++) {
        frame f = make_frame(DLT_RAW, i % 3 ? 6 : 17, 0x10, i, i % 50,
                             1000 + i);
        if (i % 7 == 0)
            f.cap_len = 10;
        assert_int_equal(wm_trace_add_frame(&t, f.ts_ns, f.b, f.cap_len,
                                            f.len, &err), 0);
    }
    assert_int_equal(t.frames, 3000);
    assert_true(t.first_ts_ns == 1000);
    assert_int_equal(t.count + t.not_tcp + t.malformed, 3000);
    assert_true(t.capacity >= t.count);
    uint32_t last = 0;
    for (size_t i = 0; i < t.count; i++) {
        const wm_packet *p = &t.packets[i];
        assert_true(p->frame_no > last); /* capture order, 1-based */
        last = p->frame_no;
        assert_int_equal(p->frame_no % 3 == 1, 0); /* UDP were 1, 4, 7.. */
        assert_true(p->ts_ns == 1000 + p->frame_no - 1);
        assert_int_equal(p->seq, p->frame_no - 1);
    }
    wm_trace_free(&t);
    assert_null(t.packets);
    assert_int_equal(t.linktype, DLT_RAW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_every_linktype),
        cmocka_unit_test(test_pcap_microseconds),
        cmocka_unit_test(test_pcapng),
        cmocka_unit_test(test_real_pcapng),
        cmocka_unit_test(test_real_sll2_ipv6),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_add_frame_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
