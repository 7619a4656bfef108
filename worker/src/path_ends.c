/* path_ends: see path_ends.h. */
#include "path_ends.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capfile.h"
#include "wm_dissect.h"
#include "wm_packet.h"
#include "wm_trace.h"

/* What makes a frame itself, and what is measured of it. */
typedef struct ends_frame {
    uint32_t seq, ack, payload_len, ts_val;
    uint16_t ip_id, window;
    uint8_t flags;
    bool has_ts;
    uint32_t frame_len;
    uint32_t frame_no;  /* 1-based, in its file */
    int64_t ts_ns;
    /* A sender's frame in the window: received already, and where. */
    bool matched;
    uint32_t got_frame_no;
    int64_t got_ts_ns;
    uint64_t pos;       /* 0-based, among its direction's sent frames */
    uint64_t next;      /* matched: a pos after it, no later than the first
                           frame after it not yet received (see
                           first_unmatched) */
} ends_frame;

static bool same_frame(const ends_frame *a, const ends_frame *b)
{
    return a->seq == b->seq && a->ack == b->ack &&
           a->payload_len == b->payload_len && a->ip_id == b->ip_id &&
           a->window == b->window && a->flags == b->flags &&
           a->has_ts == b->has_ts && (!a->has_ts || a->ts_val == b->ts_val);
}

/* A reader of one file, handing over one direction's TCP frames (its
 * "sender" is the end that direction leaves from). */
typedef struct ends_reader {
    capfile *file;
    uint16_t sender_port;
    int direction;
    bool done;
    uint32_t frames; /* records read, of any kind: Wireshark's No. */
} ends_reader;

static int reader_open(ends_reader *r, const char *path, uint16_t sender_port,
                       int direction, wm_error *err)
{
    memset(r, 0, sizeof *r);
    r->sender_port = sender_port;
    r->direction = direction;
    FILE *f = fopen(path, "rb");
    if (!f)
        return wm_error_set(err, WM_ERR_IO, "cannot open a capture of the "
                            "link's ends");
    return capfile_open(f, "a capture of the link's ends",
                        WM_TRACE_DEFAULT_MAX_RECORD_BYTES, true, &r->file,
                        err);
}

/* The IPv4 id of an Ethernet frame (the link's), 0 for any other: IPv6
 * has none, and TSval still tells a retransmission from its original. */
static uint16_t ipv4_id(const capfile_frame *f)
{
    if (f->linktype != 1 /* DLT_EN10MB */ || f->cap_len < 20 ||
        f->data[12] != 0x08 || f->data[13] != 0x00)
        return 0;
    return (uint16_t)(f->data[18] << 8 | f->data[19]);
}

/* The next frame of the reader's direction: 1, 0 at the end, -1. */
static int reader_next(ends_reader *r, ends_frame *out, wm_error *err)
{
    while (!r->done) {
        capfile_frame f;
        int rc = capfile_next(r->file, &f, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            r->done = true;
            break;
        }
        r->frames++;
        wm_packet p;
        if (wm_dissect_frame_wire(f.linktype, f.data, f.cap_len, f.frame_len,
                                  &p) != WM_DISSECT_TCP)
            continue;
        int direction = p.src_port == r->sender_port ? WM_ENDS_FROM_SENDER
                                                     : WM_ENDS_TO_SENDER;
        if (direction != r->direction)
            continue;
        *out = (ends_frame){
            .seq = p.seq, .ack = p.ack, .payload_len = p.payload_len,
            .ts_val = p.opts.ts_val, .ip_id = ipv4_id(&f),
            .window = p.window, .flags = p.flags,
            .has_ts = p.opts.has_timestamps, .frame_len = f.frame_len,
            .frame_no = r->frames, .ts_ns = f.ts_ns};
        return 1;
    }
    return 0;
}

/* The sender's frames of one direction not yet matched, oldest first. */
typedef struct ends_window {
    ends_frame *frames; /* WM_ENDS_WINDOW of them, a ring */
    size_t head, count;
} ends_window;

static ends_frame *window_at(ends_window *w, size_t i)
{
    assert(i < w->count);
    return &w->frames[(w->head + i) % WM_ENDS_WINDOW];
}

/* The window's frame sent at pos, which it must hold. */
static ends_frame *window_pos(ends_window *w, uint64_t pos)
{
    uint64_t first = window_at(w, 0)->pos;
    assert(pos >= first && pos - first < w->count);
    return window_at(w, (size_t)(pos - first));
}

/* The pos of the first frame at or after pos not yet received, or the
 * window's end. Frames received out of order stay in the window until
 * the oldest ahead of them settles — thousands of them behind one lost
 * frame — so each received frame would pass over them all; instead every
 * received frame points past itself (next), and the chains walked are
 * shortened as they are walked, so that the search passes over frames
 * not yet received only. */
static uint64_t first_unmatched(ends_window *w, uint64_t pos)
{
    uint64_t end = window_at(w, 0)->pos + w->count, found = pos;
    while (found < end && window_pos(w, found)->matched)
        found = window_pos(w, found)->next;
    assert(found <= end);
    while (pos < found) {
        ends_frame *f = window_pos(w, pos);
        assert(f->matched && f->next > pos);
        pos = f->next;
        f->next = found;
    }
    return found;
}

/* The oldest frame of the window not yet received with got's headers,
 * or NULL. */
static ends_frame *find_sent(ends_window *w, const ends_frame *got)
{
    if (w->count == 0)
        return NULL;
    uint64_t end = window_at(w, 0)->pos + w->count;
    for (uint64_t pos = first_unmatched(w, window_at(w, 0)->pos); pos < end;
         pos = first_unmatched(w, pos + 1))
        if (same_frame(window_pos(w, pos), got))
            return window_pos(w, pos);
    return NULL;
}

/* Where the rows go, and the direction being matched. */
typedef struct ends_out {
    wm_ends_row_fn on_row;
    void *ctx;
    int direction;
} ends_out;

/* got NULL: the frame was lost. */
static int emit(const ends_out *out, const ends_frame *sent,
                const ends_frame *got, wm_error *err)
{
    if (!out->on_row)
        return 0;
    wm_ends_row row = {
        .sent_ns = sent->ts_ns,
        .transit_ns = got ? got->ts_ns - sent->ts_ns : 0,
        .sent_frame = sent->frame_no,
        .received_frame = got ? got->frame_no : 0,
        .seq = sent->seq, .ack = sent->ack,
        .payload_len = sent->payload_len,
        .direction = (uint8_t)out->direction, .flags = sent->flags};
    return out->on_row(out->ctx, &row, err);
}

static int count_lost(const ends_out *out, wm_ends_direction *d,
                      const ends_frame *f, wm_error *err)
{
    d->lost_frames++;
    d->lost_bytes += f->frame_len;
    return emit(out, f, NULL, err);
}

static void window_pop(ends_window *w)
{
    assert(w->count > 0);
    w->head = (w->head + 1) % WM_ENDS_WINDOW;
    w->count--;
}

/* Fills the window from the sender's reader: 0, -1. */
static int window_fill(ends_window *w, ends_reader *sender,
                       wm_ends_direction *d, wm_error *err)
{
    while (w->count < WM_ENDS_WINDOW) {
        ends_frame f;
        int rc = reader_next(sender, &f, err);
        if (rc <= 0)
            return rc;
        f.pos = d->sent_frames;
        d->sent_frames++;
        d->sent_bytes += f.frame_len;
        w->frames[(w->head + w->count) % WM_ENDS_WINDOW] = f;
        w->count++;
    }
    return 0;
}

static int count_match(const ends_out *out, wm_ends_direction *d,
                       const ends_frame *sent, const ends_frame *got,
                       wm_error *err)
{
    int64_t transit = got->ts_ns - sent->ts_ns;
    if (d->matched_frames == 0 || transit < d->transit_min_ns)
        d->transit_min_ns = transit;
    if (d->matched_frames == 0 || transit > d->transit_max_ns)
        d->transit_max_ns = transit;
    d->transit_sum_ns += transit;
    d->matched_frames++;
    return emit(out, sent, got, err);
}

/* Settles the window's oldest frames: received ones are matched; one not
 * received while a frame sent more than WM_ENDS_REORDER after it was is
 * lost. all: the receiver's capture is over, nothing more will come. */
static int settle(ends_window *w, const ends_out *out, wm_ends_direction *d,
                  uint64_t newest_pos, bool any_matched, bool all,
                  wm_error *err)
{
    while (w->count > 0) {
        ends_frame *head = window_at(w, 0);
        if (head->matched) {
            ends_frame got = {.frame_no = head->got_frame_no,
                              .ts_ns = head->got_ts_ns};
            if (count_match(out, d, head, &got, err) != 0)
                return -1;
        } else if (all || (any_matched &&
                           newest_pos > head->pos + WM_ENDS_REORDER)) {
            if (count_lost(out, d, head, err) != 0)
                return -1;
        } else {
            return 0;
        }
        window_pop(w);
    }
    return 0;
}

/* One direction: the receiver's frames against the sender's window. A
 * received frame matches the oldest frame of the window not yet received
 * with the same headers; it need not be the oldest (two frames can cross
 * on the way), so a frame passed over is held, and counted lost only
 * once frames sent well after it (WM_ENDS_REORDER) have arrived. */
static int match_direction(ends_reader *sender, ends_reader *receiver,
                           ends_window *w, const ends_out *out,
                           wm_ends_direction *d, wm_error *err)
{
    ends_frame got;
    int rc;
    uint64_t newest_pos = 0;
    bool any_matched = false;
    while ((rc = reader_next(receiver, &got, err)) == 1) {
        d->received_frames++;
        d->received_bytes += got.frame_len;
        if (window_fill(w, sender, d, err) != 0)
            return -1;
        ends_frame *sent = find_sent(w, &got);
        if (!sent) {
            d->unmatched_frames++;
            continue;
        }
        sent->matched = true;
        sent->next = sent->pos + 1;
        sent->got_frame_no = got.frame_no;
        sent->got_ts_ns = got.ts_ns;
        if (!any_matched || sent->pos > newest_pos)
            newest_pos = sent->pos;
        any_matched = true;
        if (settle(w, out, d, newest_pos, any_matched, false, err) != 0)
            return -1;
    }
    if (rc < 0)
        return -1;
    /* The receiver's capture is over: the rest was never received. */
    do {
        if (settle(w, out, d, newest_pos, any_matched, true, err) != 0 ||
            window_fill(w, sender, d, err) != 0)
            return -1;
    } while (w->count > 0);
    return 0;
}

int wm_ends_match(const char *sender_pcap, const char *receiver_pcap,
                  uint16_t sender_port, wm_ends_row_fn on_row, void *ctx,
                  wm_ends *out, wm_error *err)
{
    memset(out, 0, sizeof *out);
    ends_window w = {.frames = malloc(WM_ENDS_WINDOW * sizeof(ends_frame))};
    if (!w.frames)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "out of memory matching the link's ends");
    int rc = 0;
    for (int dir = 0; dir < 2 && rc == 0; dir++) {
        /* The acks go the other way: sent at the receiver's end. */
        const char *from = dir == WM_ENDS_FROM_SENDER ? sender_pcap
                                                      : receiver_pcap;
        const char *to = dir == WM_ENDS_FROM_SENDER ? receiver_pcap
                                                    : sender_pcap;
        ends_reader sender, receiver;
        w.head = w.count = 0;
        if (reader_open(&sender, from, sender_port, dir, err) != 0)
            rc = -1;
        else if (reader_open(&receiver, to, sender_port, dir, err) != 0) {
            capfile_close(sender.file);
            rc = -1;
        } else {
            ends_out rows = {.on_row = on_row, .ctx = ctx, .direction = dir};
            rc = match_direction(&sender, &receiver, &w, &rows,
                                 &out->dir[dir], err);
            capfile_close(sender.file);
            capfile_close(receiver.file);
        }
        assert(rc != 0 || out->dir[dir].sent_frames ==
                              out->dir[dir].matched_frames +
                                  out->dir[dir].lost_frames);
    }
    free(w.frames);
    return rc;
}

_Static_assert(sizeof(wm_ends_row) == WM_ENDS_ROW_BYTES,
               "a table row is the struct, no padding");

static const char TABLE_MAGIC[8] = "WMENDS01";

int wm_ends_table_begin(FILE *file, wm_error *err)
{
    if (fwrite(TABLE_MAGIC, sizeof TABLE_MAGIC, 1, file) != 1)
        return wm_error_set(err, WM_ERR_IO, "writing the both-ends table");
    return 0;
}

int wm_ends_table_append(void *file, const wm_ends_row *row, wm_error *err)
{
    if (fwrite(row, sizeof *row, 1, file) != 1)
        return wm_error_set(err, WM_ERR_IO, "writing the both-ends table");
    return 0;
}

int wm_ends_table_read(const char *path, uint64_t offset, wm_ends_row *rows,
                       size_t *count, uint64_t *total, wm_error *err)
{
    FILE *f = fopen(path, "rb");
    char magic[sizeof TABLE_MAGIC];
    if (!f || fread(magic, sizeof magic, 1, f) != 1 ||
        memcmp(magic, TABLE_MAGIC, sizeof magic) != 0) {
        if (f)
            fclose(f);
        return wm_error_set(err, WM_ERR_NOT_FOUND,
                            "the run has no both-ends table");
    }
    int rc = 0;
    if (fseeko(f, 0, SEEK_END) != 0) {
        rc = wm_error_set(err, WM_ERR_IO, "reading the both-ends table");
    } else {
        uint64_t bytes = (uint64_t)ftello(f) - sizeof magic;
        *total = bytes / WM_ENDS_ROW_BYTES;
        size_t want = offset >= *total ? 0
                      : (size_t)(*total - offset < *count ? *total - offset
                                                          : *count);
        *count = 0;
        if (want > 0 &&
            (fseeko(f, (off_t)(sizeof magic + offset * WM_ENDS_ROW_BYTES),
                    SEEK_SET) != 0 ||
             fread(rows, WM_ENDS_ROW_BYTES, want, f) != want))
            rc = wm_error_set(err, WM_ERR_IO, "reading the both-ends table");
        else
            *count = want;
    }
    fclose(f);
    return rc;
}
