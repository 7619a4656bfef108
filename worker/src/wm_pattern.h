/* wm_pattern: the bytes a transfer carries, known to both ends, so that the
 * receiver can check every byte it got against what was sent.
 *
 * Why periodic: the sender must not spend CPU per byte, or a run measures
 * the sender's arithmetic instead of TCP (a byte-wise hash capped runs at
 * about 2 Gbit/s on loopback, where TCP itself moves 30). So the stream is
 * one period of bytes repeated: the sender hands slices of it
 * to sendmsg as they are, and the receiver compares what it reads with the
 * same bytes computed in vector registers (wm_pattern_match), which costs
 * far less than the copy out of the kernel.
 *
 * What the check detects, every byte being compared and the first that
 * differs reported at its exact offset:
 *  - any byte changed;
 *  - data delivered at a wrong offset, by any shift that is not a
 *    multiple of the period, within its first 8 bytes: no two of the
 *    period's 8-byte windows (at every byte offset, across its wrap) are
 *    alike. A block's word is affine in its index, block * K + C with K
 *    odd, whose 8 bytes all move from one block to the next (unit-tested
 *    for every window);
 *  - a segment duplicated, lost or swapped with another, which shifts
 *    what follows by its length, unless that length is a multiple of the
 *    period. The period is 64 times a prime (2039): a power-of-two size of
 *    64 bytes or more (a write, a GSO segment) shifted by k of them goes
 *    unseen only when 2039 divides k (127 MiB of 64 KiB segments), and an
 *    odd size such as an MSS only at multiples of the period.
 * What it does not: data shifted by an exact multiple of the period (it
 * is the same data), and data corrupted on purpose (the pattern is public
 * and trivially predictable; it is a check of the network stack, not a
 * MAC).
 *
 * Why 64 x 2039 = 130496 bytes and not a prime: the period's table is
 * aligned to 64 bytes, so a write whose offset is a multiple of 64 (every
 * write of 64 KiB, 128 KiB or 1 MiB) starts on a cache line of it, and
 * the receiver's reads start on whole blocks. The kernel's copy from a
 * slice that starts mid-line, and the compare of words that straddle
 * lines, cost up to twice as much (bench/README.md): a prime period moves
 * every write's start. And at 127.4 KiB the table stays in the cache
 * between writes the way iperf3's one buffer does. */
#ifndef WM_PATTERN_H
#define WM_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "wm_error.h"

#define WM_PATTERN_PERIOD 130496u /* bytes; 64 x 2039 (a prime) */
#define WM_PATTERN_ALIGN 64u     /* the table's alignment, a cache line */

typedef struct wm_pattern {
    uint8_t *bytes;       /* the stream's first len bytes, WM_PATTERN_ALIGN
                           * aligned */
    uint32_t len;         /* min(size_bytes, WM_PATTERN_PERIOD) */
    uint64_t size_bytes;  /* the stream's length */
} wm_pattern;

/* Builds the pattern of a stream of size_bytes (only as much of one
 * period as the stream uses, so a small run builds little). */
int wm_pattern_init(wm_pattern *pattern, uint64_t size_bytes, wm_error *err);

void wm_pattern_free(wm_pattern *pattern);

/* iov entries that make up [offset, offset + len) of the stream, which
 * must lie within it; returns how many were used. max must be at least
 * len / WM_PATTERN_PERIOD + 2. */
size_t wm_pattern_iov(const wm_pattern *pattern, uint64_t offset, size_t len,
                      struct iovec *iov, size_t max);

/* A file holding the pattern's len bytes, for a sender that hands the
 * kernel pages (sendfile) rather than copying them in: the stream at
 * offset is the file at offset % WM_PATTERN_PERIOD. An unlinked
 * temporary file, or a memfd where none can be made. -1 on failure. */
int wm_pattern_file(const wm_pattern *pattern, wm_error *err);

/* How many bytes of buf, from the start, equal the stream of size_bytes
 * at offset; bytes past the stream's end never match. len means all of
 * them. The expected bytes are computed, not read from a table, so a
 * receiver needs no wm_pattern. */
size_t wm_pattern_match(uint64_t size_bytes, uint64_t offset,
                        const uint8_t *buf, size_t len);

/* The stream's bytes at offset, computed without a table (for tests and
 * peers that play a part by hand). */
void wm_pattern_fill(uint64_t offset, uint8_t *buf, size_t len);

#endif
