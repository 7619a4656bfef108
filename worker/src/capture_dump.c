/* capture_dump: see capture_dump.h. The sizes are libpcap's file format:
 * a 24-byte file header, then per record a 16-byte header and the
 * captured bytes. */
#include "capture_dump.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#define FILE_HEADER_BYTES 24u
#define RECORD_HEADER_BYTES 16u
/* The stream's buffer. Why not stdio's (a page): at ~470k frames/s of a
 * link, headers only, that is a write() every ~23 frames, in the thread
 * that must keep up with the ring; this is one every ~1500. */
#define DUMP_BUFFER_BYTES (256u * 1024u)

/* A failed write as the run's error: a full disk is its own kind, so the
 * run says "insufficient_storage" rather than a generic I/O error. */
static int write_error(wm_error *err, int errnum, const char *doing)
{
    wm_error_kind kind = errnum == ENOSPC || errnum == EDQUOT
                             ? WM_ERR_NO_SPACE : WM_ERR_IO;
    return wm_error_param(err, kind, "pcap", "capture: %s the pcap file: %s",
                          doing, strerror(errnum));
}

int capture_dump_open(capture_dump *d, pcap_t *handle, const char *path,
                      size_t inline_max, wm_blob *held, wm_error *err)
{
    memset(d, 0, sizeof *d);
    d->out.fd = -1;
    d->held = held && inline_max ? held : NULL;
    d->buffer = malloc(DUMP_BUFFER_BYTES);
    errno = 0;
    FILE *f = d->buffer ? spill_open(&d->out, path, d->held ? inline_max
                                                            : 0)
                        : NULL;
    int errnum = errno ? errno : d->buffer ? EIO : ENOMEM;
    if (f) {
        setvbuf(f, d->buffer, _IOFBF, DUMP_BUFFER_BYTES);
        /* Only the reader thread writes, and the file is closed after
         * it was joined: stdio's lock on each write is of no use. */
        __fsetlocking(f, FSETLOCKING_BYCALLER);
        errno = 0;
        /* Failing to write the header, libpcap closes f itself (the one
         * failure before it, an unknown link type, a live handle's is
         * not). */
        d->dumper = pcap_dump_fopen(handle, f);
        errnum = errno ? errno : EIO;
        if (!d->dumper)
            spill_discard(&d->out);
    }
    if (!d->dumper) {
        free(d->buffer);
        d->buffer = NULL;
        return write_error(err, errnum, "creating");
    }
    d->bytes = FILE_HEADER_BYTES;
    return 0;
}

void capture_dump_frame(capture_dump *d, const struct pcap_pkthdr *hdr,
                        const u_char *data)
{
    if (!d->dumper || d->error)
        return;
    errno = 0;
    pcap_dump((u_char *)d->dumper, hdr, data);
    /* The stream's flag turns on at the write that failed, so errno is
     * still that write's. */
    if (ferror(pcap_dump_file(d->dumper))) {
        d->error = errno ? errno : EIO;
        return;
    }
    d->bytes += RECORD_HEADER_BYTES + hdr->caplen;
    d->records++;
}

/* The file on disk (or the bytes held) against what was written; 0 when
 * they agree. */
static int check_file(const capture_dump *d, uint64_t expected_records,
                      wm_error *err)
{
    long long size = spill_size(&d->out);
    if (size < 0)
        return write_error(err, errno, "checking");
    if ((uint64_t)size != d->bytes)
        return wm_error_set(err, WM_ERR_IO,
                            "capture: the pcap file holds %llu bytes where "
                            "%llu were written",
                            (unsigned long long)size,
                            (unsigned long long)d->bytes);
    if (d->records != expected_records)
        return wm_error_set(err, WM_ERR_IO,
                            "capture: the pcap file holds %llu records for "
                            "the %llu frames captured",
                            (unsigned long long)d->records,
                            (unsigned long long)expected_records);
    return 0;
}

int capture_dump_close(capture_dump *d, uint64_t expected_records,
                       wm_error *err)
{
    if (!d->dumper)
        return 0;
    assert(pcap_dump_file(d->dumper));
    int errnum = d->error;
    const char *doing = "writing";
    errno = 0;
    if (!errnum && pcap_dump_flush(d->dumper) != 0)
        errnum = errno ? errno : EIO;
    /* Held in memory, there is no file to sync: the caller stores the
     * bytes, durably, with the run. */
    if (!errnum && spill_sync(&d->out) != 0) {
        errnum = errno;
        doing = "syncing";
    }
    /* Flushed and synced, the close has nothing left to lose; the size
     * check below would see it if it did. */
    pcap_dump_close(d->dumper);
    d->dumper = NULL;
    free(d->buffer);
    d->buffer = NULL;
    int rc = errnum ? write_error(err, errnum, doing)
                    : check_file(d, expected_records, err);
    wm_blob kept;
    spill_take(&d->out, &kept);
    if (rc == 0 && d->held)
        *d->held = kept;
    else
        wm_blob_free(&kept);
    return rc;
}

/* The file, if one was made, stays: the caller removes what it asked
 * for. */
void capture_dump_discard(capture_dump *d)
{
    if (d->dumper)
        pcap_dump_close(d->dumper);
    d->dumper = NULL;
    free(d->buffer);
    d->buffer = NULL;
    wm_blob kept;
    spill_take(&d->out, &kept);
    wm_blob_free(&kept);
}
