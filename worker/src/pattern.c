/* wm_pattern: see wm_pattern.h. */
#include "wm_pattern.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A block's word is affine in its index: an odd multiplier makes it one
 * to one over 2^64 (no two blocks of a period alike, so blocks swapped,
 * duplicated or shifted by whole blocks differ from what is expected),
 * and with this one no 8 bytes at any offset of the period equal those at
 * another (test_pattern checks every window), so a shift by a part of a
 * block is caught too. It is no random number, and need not be: the
 * check is against mistakes of the network stack, not an adversary, and a
 * word that costs one vector add lets the receiver compare at the speed
 * it reads. */
#define BLOCK_MUL 0x9e3779b97f4a7c15ULL
#define BLOCK_ADD 0x632be59bd9b4e019ULL

static uint64_t block_word(uint64_t block)
{
    return block * BLOCK_MUL + BLOCK_ADD;
}

/* Byte i of a period. */
static uint8_t period_byte(uint32_t i)
{
    return (uint8_t)(block_word(i >> 3) >> (8 * (i & 7u)));
}

void wm_pattern_fill(uint64_t offset, uint8_t *buf, size_t len)
{
    uint32_t at = (uint32_t)(offset % WM_PATTERN_PERIOD);
    for (size_t i = 0; i < len; i++) {
        buf[i] = period_byte(at);
        if (++at == WM_PATTERN_PERIOD)
            at = 0;
    }
}

int wm_pattern_init(wm_pattern *pattern, uint64_t size_bytes, wm_error *err)
{
    memset(pattern, 0, sizeof *pattern);
    pattern->size_bytes = size_bytes;
    pattern->len = size_bytes < WM_PATTERN_PERIOD ? (uint32_t)size_bytes
                                                  : WM_PATTERN_PERIOD;
    if (pattern->len == 0)
        return 0;
    void *bytes = NULL;
    if (posix_memalign(&bytes, WM_PATTERN_ALIGN, pattern->len) != 0)
        bytes = NULL;
    pattern->bytes = bytes;
    if (!pattern->bytes)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "transfer: out of memory for the data pattern");
    /* Whole blocks a word at a time: building a period must stay cheap
     * next to a small run. */
    uint32_t whole = pattern->len & ~7u;
    for (uint32_t i = 0; i < whole; i += 8) {
        uint64_t word = block_word(i >> 3);
        for (unsigned b = 0; b < 8; b++)
            pattern->bytes[i + b] = (uint8_t)(word >> (8 * b));
    }
    for (uint32_t i = whole; i < pattern->len; i++)
        pattern->bytes[i] = period_byte(i);
    return 0;
}

void wm_pattern_free(wm_pattern *pattern)
{
    free(pattern->bytes);
    memset(pattern, 0, sizeof *pattern);
}

static int write_whole(int fd, const uint8_t *bytes, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, bytes + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO; /* EIO: no progress */
        done += (size_t)n;
    }
    return 0;
}

/* Where the sendfile sender's pages come from. A page cache that holds
 * the pattern in large folios (ext4 and xfs on recent kernels) makes a
 * slice of 128 KiB one or two fragments of a segment rather than 32
 * pages: fewer page references taken and dropped, and fewer of the checks
 * the receiver's copy makes per fragment (__check_object_size). A memfd
 * is shmem, in 4 KiB pages unless the machine enables shmem huge pages
 * (Debian: never). 1 GiB runs with --sendfile at 128 KiB, 9 interleaved
 * each, memfd -> file in /tmp on ext4 (medians): 51.2 -> 69.7 Gbit/s,
 * 0.33 -> 0.24 CPU s/GiB. So an unlinked file (O_TMPFILE: no name,
 * nothing left behind by a crash) in $TMPDIR or /tmp; a memfd where there
 * is none to be had (a read-only or full /tmp, a file system without
 * O_TMPFILE) — and a tmpfs /tmp is shmem anyway. */
static int pattern_tmpfile(const wm_pattern *pattern)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || dir[0] != '/')
        dir = "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 && write_whole(fd, pattern->bytes, pattern->len) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int wm_pattern_file(const wm_pattern *pattern, wm_error *err)
{
    int fd = pattern_tmpfile(pattern);
    if (fd >= 0)
        return fd;
    fd = memfd_create("wiremeter-pattern", MFD_CLOEXEC);
    if (fd < 0) {
        wm_error_set(err, WM_ERR_IO, "transfer: memfd_create: %s",
                     strerror(errno));
        return -1;
    }
    int failed = write_whole(fd, pattern->bytes, pattern->len);
    if (failed) {
        wm_error_set(err, WM_ERR_IO,
                     "transfer: writing the pattern's memfd: %s",
                     failed == EIO ? "no progress" : strerror(failed));
        close(fd);
        return -1;
    }
    return fd;
}

size_t wm_pattern_iov(const wm_pattern *pattern, uint64_t offset, size_t len,
                      struct iovec *iov, size_t max)
{
    assert(offset + len <= pattern->size_bytes);
    size_t used = 0;
    while (len > 0 && used < max) {
        uint32_t at = (uint32_t)(offset % WM_PATTERN_PERIOD);
        size_t span = pattern->len - at;
        if (span > len)
            span = len;
        iov[used].iov_base = pattern->bytes + at;
        iov[used].iov_len = span;
        used++;
        offset += span;
        len -= span;
    }
    assert(len == 0); /* max was large enough */
    return used;
}

/* The receiver computes the words it expects rather than reading them
 * from the table: a comparison with the table reads two streams (the
 * received bytes and a window moving through the table, which the
 * kernel's socket buffers keep pushing out of the cache), while the next
 * vector of words is the last one plus a constant, eight blocks at a
 * time in one 64-byte vector: an add, an xor and an or per 64 bytes. So
 * the receiver builds no table either.
 * Words are little-endian: byte i & 7 of a block is bits 8 * (i & 7) up. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "wm_pattern_match loads a block's 8 bytes as a little-endian word"
#endif

/* Offsets that are multiples of the alignment stay so in the period. */
_Static_assert(WM_PATTERN_PERIOD % WM_PATTERN_ALIGN == 0,
               "the period is a whole number of cache lines");

#define LANES 8u   /* blocks per vector */
#define GROUP 16u  /* vectors whose differences are gathered per test */

typedef uint64_t words __attribute__((vector_size(LANES * sizeof(uint64_t))));

/* Of the count whole blocks first, first + 1, ... at buf, how many from
 * the start are known to be right: a multiple of LANES, short of count by
 * less than LANES if all are right. A vector that differs is left to the
 * caller's word-by-word compare, which finds the byte (and which alone
 * decides that a byte is wrong). The differences are tested once per
 * GROUP vectors: the test's horizontal OR costs as much as a vector.
 * The build targets any x86-64, so the clones pick AVX-512 (a vector in
 * one register) or AVX2 (in two) when the program is loaded. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
static size_t blocks_match(uint64_t first, const uint8_t *buf, size_t count)
{
    words x, step;
    for (unsigned j = 0; j < LANES; j++) {
        x[j] = (first + j) * BLOCK_MUL + BLOCK_ADD;
        step[j] = LANES * BLOCK_MUL;
    }
    size_t done = 0;
    while (count - done >= LANES) {
        unsigned vectors = count - done >= GROUP * LANES ? GROUP : 1;
        words diff = {0};
        for (unsigned v = 0; v < vectors; v++) {
            words got;
            memcpy(&got, buf + 8 * (done + v * LANES), sizeof got);
            diff |= got ^ x;
            x += step;
        }
        uint64_t any = 0;
        for (unsigned j = 0; j < LANES; j++)
            any |= diff[j];
        if (any)
            break;
        done += vectors * LANES;
    }
    return done;
}

/* The index of the first byte of buf that differs from the period from
 * at on, or span if none does; [at, at + span) lies within the period. */
static size_t period_match(uint32_t at, const uint8_t *buf, size_t span)
{
    assert(at + span <= WM_PATTERN_PERIOD);
    size_t i = 0;
    while (i < span && ((at + i) & 7u) != 0) { /* up to a block's start */
        if (buf[i] != period_byte((uint32_t)(at + i)))
            return i;
        i++;
    }
    i += 8 * blocks_match((at + i) >> 3, buf + i, (span - i) / 8);
    assert(i <= span);
    /* What the vectors left, or from a vector that differs on. */
    for (; i + 8 <= span; i += 8) {
        uint64_t got;
        memcpy(&got, buf + i, sizeof got);
        if (got != block_word((at + i) >> 3))
            break;
    }
    for (; i < span; i++)
        if (buf[i] != period_byte((uint32_t)(at + i)))
            return i;
    return span;
}

size_t wm_pattern_match(uint64_t size_bytes, uint64_t offset,
                        const uint8_t *buf, size_t len)
{
    if (offset >= size_bytes)
        return 0;
    if (len > size_bytes - offset)
        len = (size_t)(size_bytes - offset); /* the rest never match */
    size_t done = 0;
    while (done < len) {
        uint32_t at = (uint32_t)(offset % WM_PATTERN_PERIOD);
        size_t span = WM_PATTERN_PERIOD - at;
        if (span > len - done)
            span = len - done;
        size_t same = period_match(at, buf + done, span);
        done += same;
        if (same < span)
            break;
        offset += span;
    }
    return done;
}
