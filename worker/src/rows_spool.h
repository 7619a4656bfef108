/* rows_spool: a connection's packet rows written as its packets arrive,
 * to a file of rows records (rows_format.h), read back by index.
 *
 * Why: a run used to hold every packet (wm_packet, 136 B) and its
 * analysis (wm_packet_info, 48 B) until it ended, then write the rows
 * file from them: 461 MiB for a 2.4 M-packet run. The streaming analysis
 * (wm_analyze.h, wm_stream) hands each row here the moment it is known
 * instead, so a run's memory is this spool's two small buffers, whatever
 * its packets. What the analysis decides only later (which side is the
 * client, the handshake and closure marks) is patched in place: records
 * have a fixed size.
 *
 * The file is anonymous (O_TMPFILE, or created and unlinked at once,
 * when the first ~100 KiB of rows are written out) in the directory it
 * is asked for — the rows file's, so that it costs the
 * disk the rows file would anyway and a crash leaves nothing behind — and
 * becomes a rows file only when committed: its header written, linked
 * (or, where O_TMPFILE is missing, copied) to its path. Private to the
 * engine; one thread at a time. */
#ifndef WM_ROWS_SPOOL_H
#define WM_ROWS_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "wm_analyze.h"
#include "wm_blob.h"
#include "wm_error.h"

typedef struct rows_spool rows_spool;

/* A new empty spool in dir (NULL: $TMPDIR or /tmp). */
int rows_spool_open(const char *dir, rows_spool **out, wm_error *err);

/* Appends a row; info->from names one of the two endpoints of the first
 * row appended (0: the sender of the first). */
int rows_spool_append(rows_spool *spool, const wm_packet *p,
                      const wm_packet_info *info, wm_error *err);

uint64_t rows_spool_count(const rows_spool *spool);

/* Row i (< count) back, as wm_report_packet_row reads it. */
int rows_spool_get(rows_spool *spool, uint64_t i, wm_packet *p,
                   wm_packet_info *info, wm_error *err);

/* Adds marks to rows [first, end). */
int rows_spool_mark(rows_spool *spool, uint64_t first, uint64_t end,
                    uint32_t marks, wm_error *err);

/* Swaps the two sides of every row (and of the endpoints). */
int rows_spool_flip(rows_spool *spool, wm_error *err);

/* Writes the header (first_ts_ns: the zero of the Time column; the
 * endpoints by side as the rows now name them) and puts the rows file at
 * path, replacing what was there. On failure nothing is left at path.
 * With held not NULL, a rows file of at most inline_max bytes whose rows
 * never left memory goes to *held instead (wm_blob.h), and path is not
 * touched. The spool stays readable. */
int rows_spool_commit(rows_spool *spool, const char *path,
                      int64_t first_ts_ns, size_t inline_max,
                      wm_blob *held, wm_error *err);

/* Closes it; an uncommitted spool leaves no file. NULL is fine. */
void rows_spool_free(rows_spool *spool);

#endif
