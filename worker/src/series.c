/* series: see series.h. */
#include "series.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "wm_clock.h"
#include "wm_series.h"

/* Appends a row; false (and tables->truncated) once the bound is hit. */
static bool push(series_tables *t, enum series_table which,
                 series_point point, wm_error *err, int *rc)
{
    series_list *l = &t->list[which];
    if (l->count == t->max_points) {
        t->truncated = true;
        return false;
    }
    if (l->count == l->capacity) {
        size_t cap = l->capacity ? l->capacity * 2 : 256;
        if (cap > t->max_points)
            cap = t->max_points;
        series_point *rows = realloc(l->rows, cap * sizeof *rows);
        if (!rows) {
            *rc = wm_error_set(err, WM_ERR_INTERNAL,
                               "out of memory for the time series");
            return false;
        }
        l->rows = rows;
        l->capacity = cap;
    }
    l->rows[l->count++] = point;
    return true;
}

/* Adds bytes to the interval holding t_ns, growing both per-interval
 * tables together. */
static int add_bytes(series_tables *t, int64_t t_ns, uint64_t bytes,
                     bool acked, wm_error *err)
{
    if (t_ns < 0)
        t_ns = 0; /* a clock stepped back: the first interval */
    uint64_t i = (uint64_t)(t_ns / t->interval_ns);
    if (i >= t->max_points) {
        t->truncated = true;
        return 0;
    }
    if (i >= t->intervals) {
        size_t n = (size_t)i + 1;
        uint64_t *sent = realloc(t->sent_bytes, n * sizeof *sent);
        if (sent)
            t->sent_bytes = sent;
        uint64_t *got = sent ? realloc(t->acked_bytes, n * sizeof *got)
                             : NULL;
        if (!got)
            return wm_error_set(err, WM_ERR_INTERNAL,
                                "out of memory for the time series");
        t->acked_bytes = got;
        for (size_t k = t->intervals; k < n; k++)
            t->sent_bytes[k] = t->acked_bytes[k] = 0;
        t->intervals = n;
    }
    (acked ? t->acked_bytes : t->sent_bytes)[i] += bytes;
    return 0;
}

/* The zero of time: the first SYN, or the first packet without one. */
static int start_of(const wm_connection *conn, int64_t *start_ns,
                    wm_error *err)
{
    *start_ns = conn->first_ts_ns;
    if (conn->syn == WM_NO_PACKET)
        return 0;
    wm_packet p;
    wm_packet_info info;
    if (wm_connection_row(conn, (size_t)conn->syn, &p, &info, err) != 0)
        return -1;
    *start_ns = p.ts_ns;
    return 0;
}

/* Data acknowledged for the first time, in 64 bits: ack numbers wrap,
 * a stream of more than 4 GiB does not. The SYN's and FIN's sequence
 * numbers are no data: only [1, stream_end) counts. */
typedef struct ack_progress {
    bool started;
    uint32_t last_ack;   /* relative */
    uint64_t acked;      /* bytes of data acknowledged so far */
    uint64_t data_bytes; /* the stream's */
} ack_progress;

static uint64_t newly_acked(ack_progress *a, uint32_t rel_ack)
{
    if (!a->started) {
        a->started = true;
        a->last_ack = 1; /* the SYN's: no data before it */
    }
    int32_t ahead = (int32_t)(rel_ack - a->last_ack);
    if (ahead <= 0)
        return 0;
    a->last_ack = rel_ack;
    uint64_t add = (uint64_t)ahead;
    if (a->acked + add > a->data_bytes)
        add = a->data_bytes - a->acked;
    a->acked += add;
    return add;
}

static int add_row(series_tables *t, const wm_packet *p,
                   const wm_packet_info *info, wm_side sender,
                   const uint32_t *lost, size_t lost_count, size_t *next_lost,
                   ack_progress *progress, wm_error *err)
{
    int rc = 0;
    int64_t t_ns = p->ts_ns - t->start_ns;
    if (info->from == sender) {
        if (p->payload_len == 0)
            return 0;
        while (*next_lost < lost_count && lost[*next_lost] < p->frame_no)
            (*next_lost)++;
        uint32_t flags =
            (info->marks & WM_MARK_ANY_RETRANSMISSION ? SERIES_RETRANSMISSION
                                                      : 0) |
            (*next_lost < lost_count && lost[*next_lost] == p->frame_no
                 ? SERIES_LOST_ON_LINK : 0);
        push(t, SERIES_SEGMENTS,
             (series_point){t_ns, info->rel_seq, p->frame_no,
                            p->payload_len, flags}, err, &rc);
        /* 0 is where tshark shows no bytes_in_flight either (a data
         * segment in flight counts its own bytes at least). */
        if (rc == 0 && info->bytes_in_flight > 0)
            push(t, SERIES_IN_FLIGHT,
                 (series_point){t_ns, info->bytes_in_flight, p->frame_no, 0,
                                0}, err, &rc);
        return rc ? rc : add_bytes(t, t_ns, p->payload_len, false,
                                   err);
    }
    /* The data receiver's packet: its window, its ack, and the round trip
     * of what it acknowledges. */
    push(t, SERIES_WINDOW,
         (series_point){t_ns, (int64_t)info->window, p->frame_no, 0, 0}, err,
         &rc);
    if (rc == 0 && info->acks_frame != 0)
        push(t, SERIES_RTT,
             (series_point){t_ns, info->ack_rtt_ns, p->frame_no, 0, 0}, err,
             &rc);
    if (rc == 0 && (p->flags & WM_TCP_ACK)) {
        push(t, SERIES_ACKS,
             (series_point){t_ns, info->rel_ack, p->frame_no, 0, 0}, err,
             &rc);
        uint64_t acked = newly_acked(progress, info->rel_ack);
        if (rc == 0 && acked)
            rc = add_bytes(t, t_ns, acked, true, err);
    }
    return rc;
}

int series_tables_build(const wm_connection *conn, uint16_t sender_port,
                        const uint32_t *lost_frames, size_t lost_count,
                        int64_t interval_ns, size_t max_points,
                        series_tables *out, wm_error *err)
{
    assert(interval_ns > 0 && max_points > 0);
    assert(lost_count == 0 || lost_frames);
    memset(out, 0, sizeof *out);
    out->interval_ns = interval_ns;
    out->max_points = max_points;
    if (!wm_connection_has_rows(conn))
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "the time series needs the connection's rows");
    wm_side sender = conn->side[WM_SIDE_SERVER].port == sender_port
                         ? WM_SIDE_SERVER : WM_SIDE_CLIENT;
    ack_progress progress = {
        .data_bytes = conn->side[sender].stream_end
                          ? conn->side[sender].stream_end - 1 : 0};
    size_t next_lost = 0;
    int rc = start_of(conn, &out->start_ns, err);
    for (size_t i = 0; rc == 0 && i < conn->packet_count; i++) {
        wm_packet p;
        wm_packet_info info;
        rc = wm_connection_row(conn, i, &p, &info, err);
        if (rc == 0)
            rc = add_row(out, &p, &info, sender, lost_frames, lost_count,
                         &next_lost, &progress, err);
    }
    if (rc != 0)
        series_tables_free(out);
    return rc;
}

void series_tables_free(series_tables *t)
{
    free(t->sent_bytes);
    free(t->acked_bytes);
    for (int i = 0; i < SERIES_TABLE_COUNT; i++)
        free(t->list[i].rows);
    memset(t, 0, sizeof *t);
}

/* ---- the document ---- */

static void write_samples(FILE *f, const series_kernel *kernel,
                          int64_t start_ns)
{
    size_t count = 0;
    const series_sample *s = kernel ? series_kernel_samples(kernel, &count)
                                    : NULL;
    fprintf(f, "\"kernel\":{\"congestion\":\"%s\",\"samples\":[",
            kernel ? series_kernel_congestion(kernel) : "");
    for (size_t i = 0; i < count; i++, s++) {
        char ssthresh[16] = "null";
        if (s->ssthresh != SERIES_NO_SSTHRESH)
            snprintf(ssthresh, sizeof ssthresh, "%" PRIu32, s->ssthresh);
        fprintf(f,
                "%s{\"t_ns\":%" PRId64 ",\"cwnd\":%" PRIu32
                ",\"ssthresh\":%s,\"mss\":%" PRIu32 ",\"rtt_us\":%" PRIu32
                ",\"rttvar_us\":%" PRIu32 ",\"unacked\":%" PRIu32
                ",\"retrans\":%" PRIu32 ",\"total_retrans\":%" PRIu32
                ",\"lost\":%" PRIu32 ",\"delivery_rate_bps\":%" PRIu64
                ",\"pacing_rate_bps\":%" PRIu64 ",\"bytes_acked\":%" PRIu64
                ",\"bytes_sent\":%" PRIu64 "}",
                i ? "," : "", s->t_ns - start_ns, s->cwnd, ssthresh, s->mss,
                s->rtt_us, s->rttvar_us, s->unacked, s->retrans,
                s->total_retrans, s->lost, s->delivery_rate_bps,
                s->pacing_rate_bps, s->bytes_acked, s->bytes_sent);
    }
    fprintf(f, "],\"dropped\":%" PRIu64 "},",
            kernel ? series_kernel_dropped(kernel) : 0);
}

static void write_rates(FILE *f, const char *name, const uint64_t *bytes,
                        const series_tables *t)
{
    fprintf(f, "\"%s\":[", name);
    for (size_t i = 0; i < t->intervals; i++)
        fprintf(f,
                "%s{\"t_ns\":%" PRId64 ",\"bytes\":%" PRIu64
                ",\"bits_per_second\":%.0f}",
                i ? "," : "", (int64_t)i * t->interval_ns, bytes[i],
                (double)bytes[i] * 8e9 / (double)t->interval_ns);
    fputs("],", f);
}

/* A per-packet table; value_name NULL for segments, which write theirs. */
static void write_points(FILE *f, const char *name, const char *value_name,
                         const series_list *l)
{
    fprintf(f, "\"%s\":[", name);
    for (size_t i = 0; i < l->count; i++) {
        const series_point *p = &l->rows[i];
        fprintf(f, "%s{\"t_ns\":%" PRId64 ",\"frame\":%" PRIu32, i ? "," : "",
                p->t_ns, p->frame);
        if (value_name)
            fprintf(f, ",\"%s\":%" PRId64 "}", value_name, p->value);
        else
            fprintf(f,
                    ",\"seq\":%" PRId64 ",\"len\":%" PRIu32
                    ",\"retransmission\":%s,\"lost_on_link\":%s}",
                    p->value, p->len,
                    p->flags & SERIES_RETRANSMISSION ? "true" : "false",
                    p->flags & SERIES_LOST_ON_LINK ? "true" : "false");
    }
    fputs("],", f);
}

int series_write(FILE *f, const series_tables *t, const char *source,
                 const series_kernel *kernel, wm_error *err)
{
    char start_time[WM_CLOCK_RFC3339_SIZE];
    wm_clock_rfc3339(t->start_ns, start_time);
    fprintf(f,
            "{\"source\":\"%s\",\"start_ns\":%" PRId64
            ",\"start_time\":\"%s\",\"interval_ns\":%" PRId64 ",",
            source, t->start_ns, start_time, t->interval_ns);
    write_samples(f, kernel, t->start_ns);
    write_rates(f, "throughput", t->sent_bytes, t);
    write_rates(f, "goodput", t->acked_bytes, t);
    write_points(f, "rtt", "rtt_ns", &t->list[SERIES_RTT]);
    write_points(f, "in_flight", "bytes", &t->list[SERIES_IN_FLIGHT]);
    write_points(f, "window", "bytes", &t->list[SERIES_WINDOW]);
    write_points(f, "segments", NULL, &t->list[SERIES_SEGMENTS]);
    write_points(f, "acks", "ack", &t->list[SERIES_ACKS]);
    bool truncated = t->truncated ||
                     (kernel && series_kernel_dropped(kernel) > 0);
    fprintf(f,
            "\"truncated\":%s,\"bounds\":{\"samples\":%u,\"points\":%zu}}\n",
            truncated ? "true" : "false", WM_SERIES_MAX_SAMPLES,
            t->max_points);
    if (ferror(f))
        return wm_error_set(err, WM_ERR_IO, "writing the time series");
    return 0;
}
