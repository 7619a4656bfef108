/* wm_run: see wm_run.h.
 *
 * The analysis streams: the capture hands each packet to a wm_stream as
 * it is dissected, whose rows go to spool files beside the rows file (or
 * in $TMPDIR), so that a run holds no per-packet record whatever its
 * size; the analysis is finished once the capture is.
 *
 * The capture is finished even when the transfer failed: its thread and
 * handle must be released on every path, and only then is the transfer's
 * error, the cause, returned. A result is handed over whole or not at all,
 * so that a caller never frees half of one. */
#include "wm_run.h"

#include <assert.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_station.h"
#include "transfer_station.h"
#include "wm_cancel.h"
#include "wm_clock.h"

void wm_run_config_default(wm_run_config *config)
{
    wm_transfer_options_default(&config->transfer);
    wm_capture_options_default(&config->capture);
    wm_path_options_default(&config->path);
    config->cancel = NULL;
    config->rows_path = NULL;
    config->sender_pcap_path = NULL;
    config->ends_path = NULL;
}

/* Headers-only captures of small transfers get a small kernel ring. Why:
 * a capture handle may be reused from run to run (wm_capture_pool), and
 * each run's filter change walks the whole ring in libpcap — 1.7 ms for
 * the default 32 MiB, most of a 13 B run. A small run's frames
 * fit in SMALL_RING_BYTES many times over even if the reader never ran:
 * at most two frames (a segment and its ACK) per segment the size can
 * make, each slot a few hundred bytes. Anything bigger, or with payload
 * captured, keeps the configured ring. */
#define SMALL_RING_BYTES (1u << 20)
#define SMALL_RING_MAX_SNAPLEN 256u
#define RING_SLOT_BYTES 512u      /* tpacket header + a headers-only frame */
#define RUN_OVERHEAD_FRAMES 32u   /* handshake, request, closure, acks */
#define LOOPBACK_MSS 65483u
#define LINK_MIN_HEADERS 40u      /* IPv4 and TCP without options */
_Static_assert(WM_PATH_MIN_MTU > LINK_MIN_HEADERS, "a link segment holds data");

/* The smallest segment the run's data may go in: what its MSS, a link's
 * MTU, nodelay's chunks and small socket buffers allow. */
static uint32_t smallest_segment(const wm_run_config *config)
{
    const wm_transfer_options *t = &config->transfer;
    uint32_t segment = t->mss_bytes ? t->mss_bytes : LOOPBACK_MSS;
    /* A link's frames are its MTU's, far more of them than loopback's. */
    if (config->path.kind == WM_PATH_LINK &&
        config->path.mtu_bytes - LINK_MIN_HEADERS < segment)
        segment = config->path.mtu_bytes - LINK_MIN_HEADERS;
    if (t->chunk_bytes && t->chunk_bytes < segment)
        segment = t->chunk_bytes; /* nodelay sends a chunk per segment */
    /* Small socket buffers make small windows, so small segments. */
    uint32_t buffers[2] = {t->sndbuf_bytes, t->rcvbuf_bytes};
    for (int i = 0; i < 2; i++)
        if (buffers[i] && buffers[i] / 4 < segment)
            segment = buffers[i] / 4 ? buffers[i] / 4 : 1;
    assert(segment > 0);
    return segment;
}

/* At most how many frames a run makes in segments of this size: a
 * segment and its ACK each, and the handshake's, request's and closure's. */
static uint64_t frames_bound(const wm_run_config *config, uint32_t segment)
{
    return 2 * (config->transfer.size_bytes / segment + 1) +
           RUN_OVERHEAD_FRAMES;
}

static uint32_t ring_bytes_for(const wm_run_config *config)
{
    uint64_t frames = frames_bound(config, smallest_segment(config));
    if (config->capture.snaplen <= SMALL_RING_MAX_SNAPLEN &&
        frames * RING_SLOT_BYTES <= SMALL_RING_BYTES &&
        config->capture.buffer_bytes > SMALL_RING_BYTES)
        return SMALL_RING_BYTES;
    return config->capture.buffer_bytes;
}

/* Whether the run's capture may go without a reader thread (read_after in
 * wm_capture.h): a loopback run, frame by frame, whose frames fit the ring
 * unread many times over. The bound takes the smallest segment the kernel
 * allows (WM_TRANSFER_MIN_MSS) even when the MSS is larger, counts each
 * frame twice (a kernel older than 4.20 puts loopback's outgoing copy in
 * the ring too, capture_open.c) and keeps
 * UNREAD_RING_MARGIN to spare, for retransmissions and window updates. A
 * run beyond the bound, and a link's, keep the reader. Should the ring
 * overflow after all, the kernel's drop count says so, as with a reader. */
#define UNREAD_RING_MARGIN 8u
#define RING_SLOT_OVERHEAD 256u /* tpacket header and alignment, at most */

static bool ring_holds_run(const wm_run_config *config, const wm_path *path,
                           const wm_capture_options *copts)
{
    if (path || copts->block_ms != 0 ||
        copts->snaplen > SMALL_RING_MAX_SNAPLEN)
        return false;
    uint32_t segment = smallest_segment(config);
    if (segment > WM_TRANSFER_MIN_MSS)
        segment = WM_TRANSFER_MIN_MSS;
    uint64_t frames = 2 * frames_bound(config, segment);
    uint64_t slots = copts->buffer_bytes /
                     (copts->snaplen + RING_SLOT_OVERHEAD);
    if (frames * UNREAD_RING_MARGIN > slots)
        return false;
    assert(frames * (copts->snaplen + RING_SLOT_OVERHEAD) <=
           copts->buffer_bytes / UNREAD_RING_MARGIN);
    return true;
}

/* Connections on the run's port whose rows are kept: the run's own, and
 * room for a few strangers before it (any more keep counts only). */
#define RUN_MAX_SPOOLS 4u

/* The capture's on_packet hook: the packet into the analysis. */
static int analyse_packet(void *stream, const wm_packet *p,
                          int64_t first_ts_ns, wm_error *err)
{
    return wm_stream_add(stream, p, 0, first_ts_ns, err);
}

/* A stream whose spools go where the rows file will (NULL: $TMPDIR), so
 * that committing it is a link, not a copy. */
static int open_stream(const wm_run_config *config, wm_stream **stream,
                       wm_error *err)
{
    char dir[PATH_MAX];
    const char *spool_dir = NULL;
    if (config->rows_path) {
        if (snprintf(dir, sizeof dir, "%s", config->rows_path) >=
            (int)sizeof dir)
            return wm_error_set(err, WM_ERR_INVALID,
                                "the rows path is too long");
        spool_dir = dirname(dir);
    }
    return wm_stream_new(NULL, spool_dir, RUN_MAX_SPOOLS, stream, err);
}

/* The capture's over_budget hook: nothing more is kept, so nothing more
 * is worth sending. */
static void stop_transfer(void *transfer)
{
    wm_transfer_cancel(transfer);
}

/* Which failure a run reports: a spent budget first, since it is why the
 * transfer was cancelled; then the transfer's, the cause of most others. */
static int measure_error(int transfer_rc, const wm_error *transfer_err,
                         int capture_rc, const wm_error *capture_err,
                         wm_error *err)
{
    const wm_error *cause = NULL;
    if (capture_rc != 0 && capture_err->kind == WM_ERR_BUDGET)
        cause = capture_err;
    else if (transfer_rc != 0)
        cause = transfer_err;
    else if (capture_rc != 0)
        cause = capture_err;
    if (!cause)
        return 0;
    if (err)
        *err = *cause;
    return -1;
}

/* The sender's end keeps only its pcap: its frames are counted, not
 * analysed (the receiver's capture is the run's view). */
static int count_only(void *ctx, const wm_packet *p, int64_t first_ts_ns,
                      wm_error *err)
{
    (void)ctx, (void)p, (void)first_ts_ns, (void)err;
    return 0;
}

/* A second capture, at the sender's end of the link, when asked for. */
static int start_sender_capture(const wm_run_config *config,
                                const wm_capture_options *receiver,
                                wm_capture **out, wm_error *err)
{
    *out = NULL;
    if (!receiver->path || !config->sender_pcap_path)
        return 0;
    wm_capture_options copts = *receiver;
    copts.path_side = receiver->path_side == WM_PATH_CLIENT ? WM_PATH_SERVER
                                                            : WM_PATH_CLIENT;
    copts.pcap_path = config->sender_pcap_path;
    copts.on_packet = count_only;
    copts.on_packet_ctx = NULL;
    return wm_capture_start(&copts, out, err);
}

/* Finishes and frees the sender's capture (NULL: none). */
/* The sender's capture ends with its counts kept in the result: a drop
 * there would make the both-ends totals wrong, so it must be seen. */
static int finish_sender_capture(wm_capture *capture, wm_run_result *result,
                                 wm_error *err)
{
    if (!capture)
        return 0;
    int rc = wm_capture_finish(capture, &result->sender_trace,
                               &result->sender_capture, err);
    result->has_sender_capture = rc == 0;
    wm_capture_free(capture);
    return rc;
}

/* A station (capture_station.h): a listener and a capture handle kept
 * from one loopback run to the next by a caller with a capture pool. */
typedef struct station {
    bool fits;                 /* the run may take and leave one */
    capture_station_key key;
    pcap_t *handle;            /* taken: filtered on port; NULL: none */
    int listen_fd;
    uint16_t port;
} station;

/* A parked station for this run, when it may have one. */
static void take_station(const wm_run_config *config, const wm_path *path,
                         uint32_t ring_bytes, station *st)
{
    const wm_transfer_options *t = &config->transfer;
    memset(st, 0, sizeof *st);
    st->listen_fd = -1;
    st->fits = config->capture.pool && !path;
    if (!st->fits)
        return;
    st->key = (capture_station_key){.ipv6 = t->ipv6, .nodelay = t->nodelay,
                                    .sndbuf_bytes = t->sndbuf_bytes,
                                    .rcvbuf_bytes = t->rcvbuf_bytes,
                                    .mss_bytes = t->mss_bytes};
    memcpy(st->key.congestion, t->congestion, sizeof st->key.congestion);
    st->handle = capture_pool_take_station(
        config->capture.pool, config->capture.interface,
        config->capture.snaplen, ring_bytes, &st->key, &st->listen_fd,
        &st->port);
}

/* The station's capture learns the client's port (transfer_station.h). */
static void station_peer(void *capture, const wm_transfer_ends *ends)
{
    capture_station_peer(capture, &ends->client, &ends->server);
}

/* The transfer on the station's listener, or on one of its own. */
static int open_transfer(const wm_transfer_options *topts, station *st,
                         wm_transfer **transfer, uint16_t *port,
                         wm_error *err)
{
    if (!st->handle)
        return wm_transfer_open(topts, transfer, port, err);
    *port = st->port;
    if (wm_transfer_open_on(topts, st->listen_fd, st->port, transfer,
                            err) == 0)
        return 0;
    pcap_close(st->handle);
    close(st->listen_fd);
    st->handle = NULL;
    return -1;
}

/* Left for the next run only after a run that ended well, its closure
 * complete: nothing of it is left on the port. */
static void leave_station(const wm_run_config *config, station *st,
                          wm_transfer *transfer, wm_capture *capture,
                          const wm_run_result *result)
{
    if (!st->fits || !result->capture.complete ||
        wm_cancel_fired(config->cancel))
        return;
    capture_station_keep(capture,
                         st->handle ? -1
                                    : wm_transfer_detach_listener(transfer),
                         &st->key);
}

/* Transfer and capture, in the order that makes the trace whole: the sink's
 * port names the filter, the capture is active before the client
 * connects, and it is finished only after the transfer returned. The
 * transfer is closed last: until the capture is finished its reader may
 * still cancel it (over_budget). */
static int measure(const wm_run_config *config, const wm_path *path,
                   wm_progress_fn progress, void *progress_ctx,
                   wm_stream *stream, wm_run_result *result, wm_error *err)
{
    wm_transfer *transfer = NULL;
    uint16_t port = 0;
    wm_transfer_options topts = config->transfer;
    topts.cancel = config->cancel;
    topts.path = path;
    station st;
    take_station(config, path, ring_bytes_for(config), &st);
    if (open_transfer(&topts, &st, &transfer, &port, err) != 0)
        return -1;
    wm_capture_options copts = config->capture;
    copts.cancel = config->cancel;
    copts.buffer_bytes = ring_bytes_for(config);
    copts.port = port;
    copts.ipv6 = config->transfer.ipv6;
    copts.over_budget = stop_transfer;
    copts.over_budget_ctx = transfer;
    copts.on_packet = analyse_packet;
    copts.on_packet_ctx = stream;
    copts.read_after = ring_holds_run(config, path, &copts);
    if (path) {
        /* The receiver's view: the frames as they arrive off the link. */
        copts.path = path;
        copts.path_side = config->transfer.direction == WM_DOWNLOAD
                              ? WM_PATH_CLIENT : WM_PATH_SERVER;
        copts.interface = WM_PATH_INTERFACE;
        /* A fast link's frames are read in blocks (wm_capture.h). */
        copts.block_ms = wm_capture_link_block_ms(
            wm_path_toward(&config->path, copts.path_side).rate_kbit,
            copts.buffer_bytes);
    }
    wm_capture *capture = NULL, *sender = NULL;
    if ((st.handle ? capture_start_station(&copts, st.handle, st.listen_fd,
                                           &st.key, &capture, err)
                   : wm_capture_start(&copts, &capture, err)) != 0) {
        wm_transfer_close(transfer);
        return -1;
    }
    if (st.handle)
        wm_transfer_on_connected(transfer, station_peer, capture);
    if (start_sender_capture(config, &copts, &sender, err) != 0) {
        wm_capture_free(capture);
        wm_transfer_close(transfer);
        return -1;
    }
    wm_error transfer_err = {0};
    int transfer_rc = wm_transfer_run(transfer, progress, progress_ctx,
                                      &result->transfer, &transfer_err);
    wm_error capture_err = {0}, sender_err = {0};
    int capture_rc = wm_capture_finish(capture, &result->trace,
                                       &result->capture, &capture_err);
    int sender_rc = finish_sender_capture(sender, result, &sender_err);
    if (transfer_rc == 0 && capture_rc == 0)
        leave_station(config, &st, transfer, capture, result);
    wm_capture_free(capture);
    wm_transfer_close(transfer);
    int rc = measure_error(transfer_rc, &transfer_err, capture_rc,
                           &capture_err, err);
    if (rc == 0 && sender_rc != 0) {
        if (err)
            *err = sender_err;
        rc = -1;
    }
    if (rc != 0 && capture_rc == 0)
        wm_trace_free(&result->trace);
    if (rc != 0 && result->has_sender_capture) {
        wm_trace_free(&result->sender_trace);
        result->has_sender_capture = false;
    }
    return rc;
}

/* The run's own connection, with its rows, into result->connection. */
static int find_connection(const wm_run_config *config, wm_run_result *result,
                           wm_error *err)
{
    uint16_t server_port = result->transfer.server_port;
    uint16_t client_port = result->transfer.client_port;
    result->connection = wm_analysis_find(&result->analysis, server_port,
                                          client_port);
    if (!result->connection)
        return wm_error_set(err, WM_ERR_IO,
                            "capture saw no packets of the transfer (server "
                            "port %u, client port %u on %s)", server_port,
                            client_port, config->capture.interface);
    if (!wm_connection_has_rows(result->connection))
        return wm_error_set(err, WM_ERR_IO,
                            "more than %u connections came to the run's "
                            "port (%u) before its own", RUN_MAX_SPOOLS - 1,
                            server_port);
    return 0;
}

/* Both ends matched (path_ends.h), when the sender's end was captured:
 * against the receiver's pcap, a temporary one when none was asked for. */
static int match_ends(const wm_run_config *config, const char *receiver_pcap,
                      wm_run_result *result, wm_error *err)
{
    if (!config->sender_pcap_path || !receiver_pcap)
        return 0;
    uint16_t sender_port = config->transfer.direction == WM_DOWNLOAD
                               ? result->transfer.server_port
                               : result->transfer.client_port;
    FILE *table = NULL;
    if (config->ends_path) {
        table = fopen(config->ends_path, "wb");
        if (!table || wm_ends_table_begin(table, err) != 0) {
            if (table)
                fclose(table);
            return wm_error_set(err, WM_ERR_IO,
                                "cannot write the both-ends table");
        }
    }
    int rc = wm_ends_match(config->sender_pcap_path, receiver_pcap,
                           sender_port, table ? wm_ends_table_append : NULL,
                           table, &result->ends, err);
    if (table && fclose(table) != 0 && rc == 0)
        rc = wm_error_set(err, WM_ERR_IO, "writing the both-ends table");
    if (rc != 0)
        return -1;
    result->has_ends = true;
    return 0;
}

/* A temporary file for the receiver's pcap, which matching the ends needs
 * even when the caller keeps none: its name into buf, "" when not needed. */
static int receiver_scratch(const wm_run_config *config, char *buf,
                            size_t buflen, wm_error *err)
{
    buf[0] = '\0';
    if (!config->sender_pcap_path || config->capture.pcap_path)
        return 0;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    if (snprintf(buf, buflen, "%s/wiremeter-receiver-XXXXXX", dir) >=
        (int)buflen)
        return wm_error_set(err, WM_ERR_INVALID, "TMPDIR is too long");
    int fd = mkstemp(buf);
    if (fd < 0) {
        buf[0] = '\0';
        return wm_error_set(err, WM_ERR_IO, "cannot make a temporary file "
                            "for the receiver's capture in $TMPDIR");
    }
    close(fd);
    return 0;
}

/* What the link itself says: its setup time and its loss filters' counts,
 * read while it still exists. */
static int link_counts(const wm_path *path, wm_run_result *result,
                       wm_error *err)
{
    result->has_link = true;
    result->link_setup_ns = wm_path_setup_ns(path);
    for (int side = 0; side < 2; side++)
        if (wm_path_loss_counts(path, (wm_path_side)side,
                                &result->link_loss[side], err) != 0)
            return -1;
    return 0;
}

static int execute(const wm_run_config *config, const char *receiver_pcap,
                   wm_progress_fn progress, void *progress_ctx,
                   wm_run_result *result, wm_error *err)
{
    memset(result, 0, sizeof *result);
    if (wm_transfer_validate(&config->transfer, err) != 0)
        return -1;
    wm_stream *stream;
    if (open_stream(config, &stream, err) != 0)
        return -1;
    /* The link lives exactly as long as the measurement: closed on every
     * way out of it, success or not. */
    wm_path *path = NULL;
    if (config->path.kind == WM_PATH_LINK &&
        wm_path_open(&config->path, config->transfer.ipv6, &path, err) != 0) {
        wm_stream_free(stream);
        return -1;
    }
    result->started_ns = wm_clock_wall_ns();
    int rc = measure(config, path, progress, progress_ctx, stream, result,
                     err);
    if (rc == 0 && path)
        rc = link_counts(path, result, err);
    wm_path_close(path);
    if (rc != 0) {
        wm_stream_free(stream);
        memset(result, 0, sizeof *result);
        return -1;
    }
    result->finished_ns = wm_clock_wall_ns();
    if (wm_stream_finish(stream, result->trace.first_ts_ns,
                         &result->analysis, err) != 0 ||
        find_connection(config, result, err) != 0 ||
        match_ends(config, receiver_pcap, result, err) != 0) {
        wm_run_result_free(result);
        return -1;
    }
    return 0;
}

int wm_run_execute(const wm_run_config *config, wm_progress_fn progress,
                   void *progress_ctx, wm_run_result *result, wm_error *err)
{
    char scratch[PATH_MAX];
    if (receiver_scratch(config, scratch, sizeof scratch, err) != 0)
        return -1;
    int rc;
    if (!scratch[0])
        return execute(config, config->capture.pcap_path, progress,
                       progress_ctx, result, err);
    wm_run_config with_scratch = *config;
    with_scratch.capture.pcap_path = scratch;
    rc = execute(&with_scratch, scratch, progress, progress_ctx, result, err);
    unlink(scratch);
    return rc;
}

void wm_run_result_free(wm_run_result *result)
{
    if (!result)
        return;
    wm_analysis_free(&result->analysis);
    wm_trace_free(&result->trace);
    if (result->has_sender_capture)
        wm_trace_free(&result->sender_trace);
    memset(result, 0, sizeof *result);
}
