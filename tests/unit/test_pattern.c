/* The pattern a transfer carries: the table and the computed bytes agree,
 * slices and iovecs cover the stream exactly across period boundaries, and
 * a match stops at the first byte that differs, at a shifted block, and at
 * the end of the stream, and at data shifted by any amount, duplicated or
 * lost; the sendfile sender's file holds the period. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wm_pattern.h"

#define PERIOD WM_PATTERN_PERIOD

static void test_table_equals_fill(void **state)
{
    (void)state;
    wm_pattern p;
    assert_int_equal(wm_pattern_init(&p, 3ull * PERIOD, NULL), 0);
    assert_int_equal(p.len, PERIOD);
    uint8_t *computed = malloc(PERIOD);
    assert_non_null(computed);
    wm_pattern_fill(0, computed, PERIOD);
    assert_memory_equal(computed, p.bytes, PERIOD);
    /* the stream repeats with the period, at any alignment */
    uint8_t a[100], b[100];
    wm_pattern_fill(12345, a, sizeof a);
    wm_pattern_fill(12345 + 2ull * PERIOD, b, sizeof b);
    assert_memory_equal(a, b, sizeof a);
    free(computed);
    wm_pattern_free(&p);
}

/* The file a sendfile sender reads holds the period byte for byte (its
 * last bytes too), and only as much of it as a short stream uses. */
static void test_file_holds_the_pattern(void **state)
{
    (void)state;
    /* An unlinked file in /tmp ($TMPDIR unset) where the file system
     * makes one, and the memfd where none can be made. */
    char *saved = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    int probe = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    bool tmp_has_files = probe >= 0;
    if (probe >= 0)
        close(probe);
    const char *dirs[] = {NULL, "/nonexistent-wiremeter-dir"};
    const uint64_t sizes[] = {2ull * PERIOD, 13};
    for (size_t i = 0; i < 4; i++) {
        const char *dir = dirs[i / 2];
        if (dir)
            assert_int_equal(setenv("TMPDIR", dir, 1), 0);
        else
            assert_int_equal(unsetenv("TMPDIR"), 0);
        wm_pattern p;
        assert_int_equal(wm_pattern_init(&p, sizes[i % 2], NULL), 0);
        int fd = wm_pattern_file(&p, NULL);
        assert_true(fd >= 0);
        char link[64], target[256] = "";
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        assert_true(readlink(link, target, sizeof target - 1) > 0);
        bool is_memfd = strncmp(target, "/memfd:", 7) == 0;
        assert_true(is_memfd == (dir != NULL || !tmp_has_files));
        assert_int_equal(lseek(fd, 0, SEEK_END), p.len);
        uint8_t *got = malloc(p.len);
        uint8_t *want = malloc(p.len);
        assert_non_null(got);
        assert_non_null(want);
        assert_int_equal(pread(fd, got, p.len, 0), (ssize_t)p.len);
        wm_pattern_fill(0, want, p.len);
        assert_memory_equal(got, want, p.len);
        free(got);
        free(want);
        close(fd);
        wm_pattern_free(&p);
    }
    if (saved)
        assert_int_equal(setenv("TMPDIR", saved, 1), 0);
    else
        assert_int_equal(unsetenv("TMPDIR"), 0);
    free(saved);
}

static void test_small_stream_builds_little(void **state)
{
    (void)state;
    wm_pattern p;
    assert_int_equal(wm_pattern_init(&p, 13, NULL), 0);
    assert_int_equal(p.len, 13);
    wm_pattern_free(&p);
    assert_int_equal(wm_pattern_init(&p, 0, NULL), 0);
    assert_int_equal(p.len, 0);
    assert_null(p.bytes);
    wm_pattern_free(&p);
}

static void test_neighbour_blocks_differ(void **state)
{
    (void)state;
    uint8_t whole[64];
    wm_pattern_fill(0, whole, sizeof whole);
    for (size_t i = 0; i + 16 <= sizeof whole; i += 8)
        assert_memory_not_equal(whole + i, whole + i + 8, 8);
}

static int word_order(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* What makes any shift visible within 8 bytes (wm_pattern.h): the 8 bytes
 * at each of the period's offsets, across its wrap, are all different. */
static void test_every_window_differs(void **state)
{
    (void)state;
    uint8_t *bytes = malloc(PERIOD + 7);
    uint64_t *windows = malloc(PERIOD * sizeof *windows);
    assert_non_null(bytes);
    assert_non_null(windows);
    wm_pattern_fill(0, bytes, PERIOD + 7);
    for (size_t i = 0; i < PERIOD; i++)
        memcpy(&windows[i], bytes + i, 8);
    qsort(windows, PERIOD, sizeof *windows, word_order);
    for (size_t i = 1; i < PERIOD; i++)
        if (windows[i] == windows[i - 1])
            fail_msg("two 8-byte windows of the period are %016llx",
                     (unsigned long long)windows[i]);
    free(bytes);
    free(windows);
}

/* Data delivered at a wrong offset, by every shift within a period (a
 * byte or a block, forward or back), is caught in its first 8 bytes, at
 * offsets of each phase of a block and next to the period's wrap; a
 * shift by the period is not (the same data, as wm_pattern.h says). */
static void test_every_shift_caught(void **state)
{
    (void)state;
    const uint64_t size = 4ull * PERIOD;
    const uint64_t offsets[] = {PERIOD, PERIOD + 3, 2ull * PERIOD - 4};
    uint8_t buf[64];
    for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
        for (uint64_t shift = 1; shift < PERIOD; shift++) {
            wm_pattern_fill(offsets[o] + shift, buf, sizeof buf);
            size_t same = wm_pattern_match(size, offsets[o], buf, sizeof buf);
            if (same >= 8)
                fail_msg("shift +%llu at %llu: %zu bytes matched",
                         (unsigned long long)shift,
                         (unsigned long long)offsets[o], same);
            wm_pattern_fill(offsets[o] - shift, buf, sizeof buf);
            same = wm_pattern_match(size, offsets[o], buf, sizeof buf);
            if (same >= 8)
                fail_msg("shift -%llu at %llu: %zu bytes matched",
                         (unsigned long long)shift,
                         (unsigned long long)offsets[o], same);
        }
        wm_pattern_fill(offsets[o] + PERIOD, buf, sizeof buf);
        assert_int_equal(wm_pattern_match(size, offsets[o], buf, sizeof buf),
                         sizeof buf);
    }
}

/* A segment received twice, or lost, at the segment sizes a run meets (a
 * loopback MSS, a 64 KiB GSO segment, a 128 KiB write, a 1 MiB write) is
 * caught within 8 bytes of where it went wrong. */
static void test_duplicated_or_lost_segment_caught(void **state)
{
    (void)state;
    const size_t segs[] = {65483, 65536, 131072, 1048576};
    for (size_t k = 0; k < sizeof segs / sizeof segs[0]; k++) {
        size_t seg = segs[k];
        uint64_t size = 4ull * seg + PERIOD;
        uint8_t *buf = malloc(3 * seg);
        assert_non_null(buf);
        /* segments 0, 1, 1 again */
        wm_pattern_fill(0, buf, 2 * seg);
        wm_pattern_fill(seg, buf + 2 * seg, seg);
        size_t same = wm_pattern_match(size, 0, buf, 3 * seg);
        assert_true(same >= 2 * seg && same < 2 * seg + 8);
        /* segments 0, 2, 3: the second one lost */
        wm_pattern_fill(0, buf, seg);
        wm_pattern_fill(2 * seg, buf + seg, 2 * seg);
        same = wm_pattern_match(size, 0, buf, 3 * seg);
        assert_true(same >= seg && same < seg + 8);
        free(buf);
    }
}

/* Every write of a size that is a multiple of 64 bytes, at every offset
 * the sender reaches, is handed to the kernel from a cache line's start
 * of the table (wm_pattern.h: a copy from mid-line costs more), also past
 * the period's wrap. */
static void test_slices_start_on_cache_lines(void **state)
{
    (void)state;
    wm_pattern p;
    const uint64_t size = 40ull * PERIOD;
    assert_int_equal(wm_pattern_init(&p, size, NULL), 0);
    assert_int_equal((uintptr_t)p.bytes % WM_PATTERN_ALIGN, 0);
    const size_t writes[] = {64, 65536, 131072, 1048576};
    for (size_t w = 0; w < sizeof writes / sizeof writes[0]; w++) {
        for (uint64_t at = 0; at + writes[w] <= size; at += writes[w]) {
            struct iovec iov[16];
            size_t n = wm_pattern_iov(&p, at, writes[w], iov, 16);
            for (size_t i = 0; i < n; i++)
                if ((uintptr_t)iov[i].iov_base % WM_PATTERN_ALIGN != 0)
                    fail_msg("write of %zu at %llu: slice %zu mid-line",
                             writes[w], (unsigned long long)at, i);
        }
    }
    wm_pattern_free(&p);
}

/* The iovecs of a slice that crosses period boundaries, laid end to end,
 * are the stream's bytes. */
static void test_iov_crosses_periods(void **state)
{
    (void)state;
    wm_pattern p;
    uint64_t size = 4ull * PERIOD;
    assert_int_equal(wm_pattern_init(&p, size, NULL), 0);
    uint64_t offset = PERIOD - 100;
    size_t len = 2 * PERIOD + 300;
    struct iovec iov[8];
    size_t n = wm_pattern_iov(&p, offset, len, iov, 8);
    assert_int_equal(n, 4);
    uint8_t *joined = malloc(len), *want = malloc(len);
    assert_non_null(joined);
    assert_non_null(want);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(joined + at, iov[i].iov_base, iov[i].iov_len);
        at += iov[i].iov_len;
    }
    assert_int_equal(at, len);
    wm_pattern_fill(offset, want, len);
    assert_memory_equal(joined, want, len);
    free(joined);
    free(want);
    wm_pattern_free(&p);
}

static void test_match_finds_first_difference(void **state)
{
    (void)state;
    uint64_t size = 2ull * PERIOD + 10;
    uint8_t buf[4096];
    uint64_t offset = PERIOD - 2000; /* the buffer spans a boundary */
    wm_pattern_fill(offset, buf, sizeof buf);
    assert_int_equal(wm_pattern_match(size, offset, buf, sizeof buf),
                     sizeof buf);
    buf[2500] ^= 0x80;
    assert_int_equal(wm_pattern_match(size, offset, buf, sizeof buf), 2500);
    /* the right bytes at the wrong offset */
    wm_pattern_fill(offset, buf, sizeof buf);
    assert_int_equal(wm_pattern_match(size, offset + 8, buf, sizeof buf), 0);
    /* bytes past the end of the stream never match */
    wm_pattern_fill(size - 6, buf, 16);
    assert_int_equal(wm_pattern_match(size, size - 6, buf, 16), 6);
}

/* Every byte is compared, whichever way pattern.c takes it (the bytes up
 * to a block's start, 64-byte vectors of 8 blocks gathered 16 at a time,
 * single vectors, single blocks, the bytes after them): a single
 * flipped byte at every position of spans that start at each phase of a
 * block and cross those paths' edges is found exactly. */
static void test_match_every_position(void **state)
{
    (void)state;
    const uint64_t size = 3ull * PERIOD;
    /* two groups of vectors, a vector, a block, bytes */
    enum { GROUP_BYTES = 16 * 64, LEN = 2 * GROUP_BYTES + 64 + 8 + 7 };
    uint8_t buf[LEN];
    const uint64_t starts[] = {
        0, 1, 3, 7, 8, 13,            /* each phase of a block: mid-word */
        PERIOD - LEN / 2,             /* across the period's wrap */
        PERIOD - LEN / 2 + 3,
        2ull * PERIOD - GROUP_BYTES,  /* a group that ends at the wrap */
        2ull * PERIOD - 8,            /* a block before the wrap */
    };
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        uint64_t offset = starts[s];
        wm_pattern_fill(offset, buf, sizeof buf);
        assert_int_equal(wm_pattern_match(size, offset, buf, sizeof buf),
                         sizeof buf);
        for (size_t i = 0; i < sizeof buf; i++) {
            buf[i] ^= 0x01;
            assert_int_equal(wm_pattern_match(size, offset, buf, sizeof buf),
                             i);
            buf[i] ^= 0x81;
            assert_int_equal(wm_pattern_match(size, offset, buf, sizeof buf),
                             i);
            buf[i] ^= 0x80;
        }
        /* every length from each start: the tail's edges */
        for (size_t len = 0; len <= sizeof buf; len++) {
            assert_int_equal(wm_pattern_match(size, offset, buf, len), len);
            if (len == 0)
                continue;
            buf[len - 1] ^= 0x40;
            assert_int_equal(wm_pattern_match(size, offset, buf, len),
                             len - 1);
            buf[len - 1] ^= 0x40;
        }
    }
}

/* A receive block of 64 KiB compared whole, at the offsets a stream of
 * 1 MiB reads reaches (which start on whole blocks of the period, each period
 * too), with a difference in its last 8-byte word and in its first. */
static void test_match_large_reads(void **state)
{
    (void)state;
    const uint64_t size = 5ull * PERIOD;
    size_t len = 64u * 1024u + 3;
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    const uint64_t starts[] = {0, 5, PERIOD - 7000, 3ull * PERIOD + 11,
                               size - len};
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        wm_pattern_fill(starts[s], buf, len);
        assert_int_equal(wm_pattern_match(size, starts[s], buf, len), len);
        const size_t at[] = {0, 7, len / 2, len - 9, len - 8, len - 1};
        for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
            buf[at[i]] ^= 0x20;
            assert_int_equal(wm_pattern_match(size, starts[s], buf, len),
                             at[i]);
            buf[at[i]] ^= 0x20;
        }
    }
    /* a read that runs past the stream's end stops there */
    wm_pattern_fill(size - 100, buf, len);
    assert_int_equal(wm_pattern_match(size, size - 100, buf, len), 100);
    assert_int_equal(wm_pattern_match(size, size, buf, len), 0);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_equals_fill),
        cmocka_unit_test(test_file_holds_the_pattern),
        cmocka_unit_test(test_small_stream_builds_little),
        cmocka_unit_test(test_neighbour_blocks_differ),
        cmocka_unit_test(test_every_window_differs),
        cmocka_unit_test(test_every_shift_caught),
        cmocka_unit_test(test_duplicated_or_lost_segment_caught),
        cmocka_unit_test(test_iov_crosses_periods),
        cmocka_unit_test(test_slices_start_on_cache_lines),
        cmocka_unit_test(test_match_finds_first_difference),
        cmocka_unit_test(test_match_every_position),
        cmocka_unit_test(test_match_large_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
