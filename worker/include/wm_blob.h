/* wm_blob: a run's output (its pcap, packet rows or time series) handed
 * back in memory instead of written to its file.
 *
 * Why: a small run's three files cost more than the run itself — three
 * inodes created, renamed and fsync'ed (37 % of the daemon's CPU per
 * POST /runs?size=13B on ext4, measured). A caller that stores outputs
 * elsewhere (the daemon: in its database, in the commit that ends the
 * run) asks for the small ones in memory: an output that stays within
 * wm_run_config.inline_max bytes is held here and no file is made; a
 * larger one spills to its path as before, the memory freed. */
#ifndef WM_BLOB_H
#define WM_BLOB_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wm_blob {
    unsigned char *data; /* malloc'd, len bytes; NULL when len is 0 */
    size_t len;          /* bytes */
    bool held;           /* true: the output is these bytes and its path
                            has no file; false: it went to its path (or
                            was not written at all) */
} wm_blob;

/* What a run held in memory, one blob per output. */
typedef struct wm_run_blobs {
    wm_blob pcap, rows, series;
} wm_run_blobs;

/* Frees the bytes and clears the blob; NULL is fine. */
void wm_blob_free(wm_blob *blob);
void wm_run_blobs_free(wm_run_blobs *blobs);

#endif
