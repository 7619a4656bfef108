/* spill: a stdio stream that keeps what is written in memory up to a
 * bound, and past it moves everything to a file and goes on there.
 *
 * Why: a run's pcap and time series are written through stdio (libpcap's
 * pcap_dump, fprintf), and whether they are small enough to be kept in
 * memory (wm_blob.h) is known only once they are written. The file is
 * created only at the first write that passes the bound, so a small
 * output never costs an inode; a bound of 0 creates it at once, as
 * fopen would. Private to the engine; one thread at a time. */
#ifndef SPILL_H
#define SPILL_H

#include <stdio.h>

#include "wm_blob.h"
#include "wm_error.h"

typedef struct spill {
    char *path;          /* where a spilled stream goes */
    int fd;              /* the file once spilled; -1 while in memory */
    unsigned char *mem;  /* bytes [0, len) while in memory */
    size_t len, cap;     /* bytes held / allocated */
    size_t max;          /* held at most; 0: the file from the start */
} spill;

/* A stream writing to s (zeroed by this call), NULL with errno set when
 * the file (max 0) cannot be created or memory is short. The stream's
 * buffering is the caller's (setvbuf); fclose it before spill_take. */
FILE *spill_open(spill *s, const char *path, size_t max);

/* fsync of the file; 0 with nothing to do while in memory. errno set on
 * failure. */
int spill_sync(spill *s);

/* Bytes written in all (held, or the file's size); -1 when the file
 * cannot be looked at (errno set). */
long long spill_size(const spill *s);

/* Hands the held bytes to out (held true) or, spilled, leaves out empty
 * (held false); frees the rest. Call once, after fclose. */
void spill_take(spill *s, wm_blob *out);

/* Frees everything, removes a spilled file. After fclose. Both are
 * no-ops on a zeroed spill. */
void spill_discard(spill *s);

#endif
