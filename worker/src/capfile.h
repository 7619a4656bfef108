/* capfile: a capture file (classic pcap or pcapng) read record by record
 * by our own code, not libpcap's.
 *
 * Why not libpcap: it refuses a pcapng whose interfaces have different
 * link types (the normal output of `dumpcap -i lo -i any`), it gives up on
 * a file cut short without handing over where, and it reads a classic
 * pcap's seconds as signed (no timestamp after 2038-01-19). Here every
 * interface keeps its own link type, timestamp resolution and offset;
 * the reader says at which byte and why it stopped; and both formats go
 * through one small loop, so that a run's pcap and any other file are read
 * alike. libpcap stays for live capture only.
 *
 * Bounded: a record or block longer than max_record_bytes is an error
 * (never a larger allocation), and a section may describe at most
 * CAPFILE_MAX_INTERFACES interfaces. Private to the engine. */
#ifndef WM_CAPFILE_H
#define WM_CAPFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "wm_error.h"
#include "wm_trace.h"

/* max_record_bytes: see WM_TRACE_DEFAULT_MAX_RECORD_BYTES (wm_trace.h). */
#define CAPFILE_MAX_INTERFACES 4096u

typedef struct capfile capfile;

typedef struct capfile_frame {
    uint64_t offset;     /* byte offset of its record or block */
    uint32_t interface;  /* pcapng interface id (0 in a classic pcap) */
    int linktype;        /* its interface's, as a DLT_ value */
    int64_t ts_ns;       /* ns since 1970, in [0, 2^62) */
    const uint8_t *data; /* cap_len bytes, valid until the next call */
    uint32_t cap_len, frame_len;
} capfile_frame;

/* Why reading stopped before a clean end of file. */
typedef enum capfile_stop {
    CAPFILE_CUT_SHORT = 1, /* the file ends inside a record or block */
    CAPFILE_CORRUPT,       /* a record or block that cannot be right */
    CAPFILE_IO,            /* the system could not read the file */
} capfile_stop;

/* Reads the file header of file (which the reader then owns and closes);
 * name is for the messages. buffered: give stdio a 1 MiB buffer (a file
 * on disk; not a buffer in memory, which needs none). -1 (err filled,
 * file closed) when it is not a pcap or pcapng file. */
int capfile_open(FILE *file, const char *name, uint32_t max_record_bytes,
                 bool buffered, capfile **out, wm_error *err);

/* The next frame: 1 and *frame filled; 0 at a clean end of file; -1 when
 * reading stops early: err says why and where, and capfile_stopped and
 * capfile_stop_offset tell it to a program. Blocks that hold no frame
 * (statistics, name resolution, unknown types) are skipped. */
int capfile_next(capfile *r, capfile_frame *frame, wm_error *err);

capfile_stop capfile_stopped(const capfile *r);

/* The byte offset of the record or block it could not read. */
uint64_t capfile_stop_offset(const capfile *r);

/* The link type of the first interface (the classic header's), -1 when
 * no interface has been described yet. */
int capfile_first_linktype(const capfile *r);

/* Closes the file; NULL is fine. */
void capfile_close(capfile *r);

#endif
