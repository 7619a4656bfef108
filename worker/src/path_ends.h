/* path_ends: a link run's two captures, the sender's end and the
 * receiver's, matched frame by frame, so that the result can say what the
 * link did: which frames crossed it, how long each took, and which were
 * lost on it (sent, never received).
 *
 * Two frames are one when their TCP/IP headers agree: IPv4 id, sequence
 * and acknowledgement numbers, flags, payload length, window and TSval.
 * TSval and the IP id set a retransmission apart from its original.
 *
 * Bounded memory, and small reordering allowed: the link is nearly a
 * FIFO each way (a bridge and a tbf queue), but two frames sent from two
 * CPUs can cross in the veths' per-CPU backlogs (two ACKs, say), and
 * netem's jitter may reorder where it exists. So a received frame matches
 * the oldest not-yet-received frame of the sender's with its headers, and
 * a sender's frame passed over is counted lost only once a frame sent
 * more than WM_ENDS_REORDER after it has arrived (or the receiver's
 * capture ends). Each direction keeps a window of at most WM_ENDS_WINDOW
 * of the sender's frames not yet settled; a receiver's frame found
 * nowhere in it is counted as unmatched (none on a link that only drops),
 * and so is one that arrives more than WM_ENDS_REORDER frames late (the
 * frame it was is then counted lost too).
 * Both files are read as streams, each direction by a reader of its own.
 * Private to the engine. */
#ifndef WM_PATH_ENDS_H
#define WM_PATH_ENDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wm_error.h"

/* The sender's frames kept waiting per direction: a run may lose up to
 * this many frames one way in a row (24 MB of 1514-byte frames) and
 * still be matched exactly. */
#define WM_ENDS_WINDOW 16384u

/* How far two frames may cross on the link and still be matched. A veth
 * queues what it forwards on the sending CPU's backlog (up to
 * net.core.netdev_max_backlog, 1000 frames), so a frame sent from one
 * CPU is overtaken by what another CPU's backlog passes on meanwhile: on
 * a link with no rate limit, two CPUs, 1 GB, 963 frames at worst (by
 * tshark; 64, the bound before, counted thousands lost that were not).
 * Four times that, and still far less than the window. */
#define WM_ENDS_REORDER 4096u
_Static_assert(WM_ENDS_REORDER < WM_ENDS_WINDOW / 2,
               "the window holds the frames held back");

/* One direction of the link, as both ends saw it: "sent" at the end it
 * leaves from (the data sender's for data, the receiver's for its acks).
 * Bytes are frames' lengths on the wire (pcap "len"). */
typedef struct wm_ends_direction {
    uint64_t sent_frames, sent_bytes;         /* at the sending end */
    uint64_t received_frames, received_bytes; /* at the other end */
    uint64_t lost_frames, lost_bytes;         /* sent, never received */
    uint64_t unmatched_frames;  /* received, never sent as far as the
                                   window could tell: 0 on a FIFO link */
    uint64_t matched_frames;    /* seen at both ends */
    int64_t transit_min_ns, transit_max_ns; /* one way; 0 when none */
    int64_t transit_sum_ns;
} wm_ends_direction;

enum { WM_ENDS_FROM_SENDER = 0, WM_ENDS_TO_SENDER = 1 };

typedef struct wm_ends {
    wm_ends_direction dir[2]; /* WM_ENDS_FROM_SENDER: data; TO: acks */
} wm_ends;

/* Each frame sent, as on_row sees it: direction by direction (the data,
 * then the acks), each in the order it was sent. */
typedef struct wm_ends_row {
    int64_t sent_ns;         /* at the end it left from */
    int64_t transit_ns;      /* one way; 0 when lost */
    uint32_t sent_frame;     /* 1-based, in the pcap of the end it left */
    uint32_t received_frame; /* in the other end's pcap; 0: lost */
    uint32_t seq, ack, payload_len;
    uint8_t direction;       /* WM_ENDS_FROM_SENDER or WM_ENDS_TO_SENDER */
    uint8_t flags;           /* enum wm_tcp_flag bits */
    uint8_t unused[2];
} wm_ends_row;

/* -1 (err filled) stops the matching. */
typedef int (*wm_ends_row_fn)(void *ctx, const wm_ends_row *row,
                              wm_error *err);

/* Matches sender_pcap (the data sender's end) against receiver_pcap.
 * sender_port: the data sender's TCP port, which tells the directions
 * apart. on_row (NULL: none) gets every frame sent. -1 (err filled) when a
 * file cannot be read. */
int wm_ends_match(const char *sender_pcap, const char *receiver_pcap,
                  uint16_t sender_port, wm_ends_row_fn on_row, void *ctx,
                  wm_ends *out, wm_error *err);

/* The both-ends table: a file of the rows, after an 8-byte magic, each
 * WM_ENDS_ROW_BYTES as wm_ends_row is in memory (the same machine writes
 * and reads it), so that a page of it is one pread whatever its size.
 * wm_ends_table_append is a wm_ends_row_fn whose ctx is the FILE. */
#define WM_ENDS_ROW_BYTES 40u
int wm_ends_table_begin(FILE *file, wm_error *err);
int wm_ends_table_append(void *file, const wm_ends_row *row, wm_error *err);

/* Rows [offset, offset + *count) of the table at path into rows (room
 * for *count), *count set to how many there were, *total to all of them.
 * WM_ERR_NOT_FOUND when the file is missing or not a table. */
int wm_ends_table_read(const char *path, uint64_t offset, wm_ends_row *rows,
                       size_t *count, uint64_t *total, wm_error *err);

#endif
