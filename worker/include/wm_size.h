/* wm_size: transfer sizes as people write them.
 *
 * "13", "13B", "2kB", "439kB", "1MB", "1.5MB", "1GB" are powers of 1000;
 * "64KiB", "1MiB", "1GiB" are powers of 1024. Units are case-insensitive
 * ("kb" = "KB" = "kB" = 1000) and may follow the number after one space.
 * A decimal fraction is allowed only where it comes to a whole number of
 * bytes ("1.5kB" = 1500, "1.5B" is an error). "0" is valid: a connection
 * with handshake and closure only. Parsing is exact integer arithmetic, so
 * no floating-point rounding turns "0.001MB" into 999 bytes. */
#ifndef WM_SIZE_H
#define WM_SIZE_H

#include <stddef.h>
#include <stdint.h>

#include "wm_error.h"

#define WM_SIZE_DEFAULT_MAX (1ULL << 30) /* 1 GiB */

/* The accepted forms, for error messages and usage text. */
#define WM_SIZE_FORMS \
    "a whole number of bytes with an optional unit: B, kB, MB, GB " \
    "(powers of 1000) or KiB, MiB, GiB (powers of 1024), e.g. 13B, 2kB, " \
    "1.5MB, 64KiB"

/* Parses text into bytes; fails (WM_ERR_INVALID naming parameter "size")
 * on junk, negatives, overflow and fractions of a byte, and with
 * WM_ERR_TOO_LARGE when the value exceeds max_bytes. */
int wm_size_parse(const char *text, uint64_t max_bytes, uint64_t *bytes,
                  wm_error *err);

/* Writes the shortest exact form: 1000000 -> "1MB", 1048576 -> "1MiB",
 * 1500 -> "1.5kB", 13 -> "13B", 1234567 -> "1234567B". */
void wm_size_format(uint64_t bytes, char *buf, size_t buflen);

#endif
