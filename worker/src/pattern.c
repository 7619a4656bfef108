/* wm_pattern: see wm_pattern.h. */
#include "wm_pattern.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* An odd multiplier spreads neighbouring block indexes before the
 * xorshift, so that neighbouring blocks never look alike. */
static uint64_t block_word(uint64_t block)
{
    uint64_t x = block * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
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
    pattern->bytes = malloc(pattern->len);
    if (!pattern->bytes)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "transfer: out of memory for the data pattern");
    /* Whole blocks a word at a time: building 1 MiB must stay cheap next
     * to a small run. */
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

int wm_pattern_memfd(const wm_pattern *pattern, wm_error *err)
{
    int fd = memfd_create("wiremeter-pattern", MFD_CLOEXEC);
    if (fd < 0) {
        wm_error_set(err, WM_ERR_IO, "transfer: memfd_create: %s",
                     strerror(errno));
        return -1;
    }
    size_t done = 0;
    while (done < pattern->len) {
        ssize_t n = write(fd, pattern->bytes + done, pattern->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            wm_error_set(err, WM_ERR_IO,
                         "transfer: writing the pattern's memfd: %s",
                         n < 0 ? strerror(errno) : "no progress");
            close(fd);
            return -1;
        }
        done += (size_t)n;
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

/* The index of the first byte where a and b differ; they do differ. */
static size_t first_difference(const uint8_t *a, const uint8_t *b, size_t len)
{
    size_t i = 0;
    while (i < len && a[i] == b[i])
        i++;
    return i;
}

size_t wm_pattern_match(const wm_pattern *pattern, uint64_t offset,
                        const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len && offset < pattern->size_bytes) {
        uint32_t at = (uint32_t)(offset % WM_PATTERN_PERIOD);
        size_t span = pattern->len - at;
        if (span > len - done)
            span = len - done;
        if (span > pattern->size_bytes - offset)
            span = (size_t)(pattern->size_bytes - offset);
        const uint8_t *want = pattern->bytes + at;
        if (memcmp(buf + done, want, span) != 0)
            return done + first_difference(buf + done, want, span);
        done += span;
        offset += span;
    }
    return done;
}
