/* capture_dump: the pcap file a capture writes, every write of it checked.
 *
 * Why apart from capture.c: pcap_dump() reports nothing and
 * pcap_dump_close() returns nothing, so a full disk once left a file that
 * ended mid-record under a run stored "done". Here each record is followed
 * by a look at the stream's error flag, the end is flushed and fsync'ed,
 * and the file's size on disk is compared with the bytes handed over, and
 * its record count with the frames the capture saw, before the capture may
 * succeed. A small capture may stay in memory instead (wm_blob.h): the
 * file is then never made. Private to the engine. */
#ifndef WM_CAPTURE_DUMP_H
#define WM_CAPTURE_DUMP_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "spill.h"
#include "wm_blob.h"
#include "wm_error.h"

typedef struct capture_dump {
    pcap_dumper_t *dumper;   /* NULL: no file is written */
    char *buffer;            /* the stream's, freed once it is closed */
    spill out;               /* memory, then the file past the bound */
    wm_blob *held;           /* gets the bytes kept in memory; NULL:
                                the file from the start */
    uint64_t bytes;          /* handed to pcap_dump, file header included */
    uint64_t records;
    int error;               /* the first write's errno, 0 while none */
} capture_dump;

/* Creates the file (its header). A zeroed dump with path NULL writes
 * nothing and every call below is a no-op on it. With held not NULL and
 * inline_max > 0, the capture stays in memory while it is at most
 * inline_max bytes, and capture_dump_close hands it to *held (held->held
 * true, no file made); a larger one is written to path. */
int capture_dump_open(capture_dump *d, pcap_t *handle, const char *path,
                      size_t inline_max, wm_blob *held, wm_error *err);

/* Appends one record; after a failed write, nothing more is written and
 * the error waits for capture_dump_close. */
void capture_dump_frame(capture_dump *d, const struct pcap_pkthdr *hdr,
                        const u_char *data);

/* Flushes, fsyncs and closes, then checks the file (or the bytes held):
 * its size must be the bytes written and its records the frames expected (the trace's). Fails
 * with WM_ERR_NO_SPACE (disk full or over quota) or WM_ERR_IO, messages
 * without the path. */
int capture_dump_close(capture_dump *d, uint64_t expected_records,
                       wm_error *err);

/* Closes without checks (a capture that failed anyway). */
void capture_dump_discard(capture_dump *d);

#endif
