/* series_run: see series_run.h. */
#include "series_run.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "path_ends.h"
#include "series.h"
#include "spill.h"
#include "wm_series.h"

/* A bound of the run budget (wm_budget.h): 0 is the hard maximum. */
static uint32_t bound(uint32_t asked, uint32_t max)
{
    assert(asked == 0 || (asked >= WM_SERIES_MIN_BOUND && asked <= max));
    return asked ? asked : max;
}

/* A temporary file's name into buf (made, empty). */
static int scratch(const char *what, char *buf, size_t len, wm_error *err)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    if (snprintf(buf, len, "%s/wiremeter-%s-XXXXXX", dir, what) >= (int)len)
        return wm_error_set(err, WM_ERR_INVALID, "TMPDIR is too long");
    int fd = mkstemp(buf);
    if (fd < 0) {
        buf[0] = '\0';
        return wm_error_set(err, WM_ERR_IO, "cannot make a temporary file "
                            "for the time series in $TMPDIR");
    }
    close(fd);
    return 0;
}

int series_job_prepare(const wm_run_config *in, wm_run_config *out,
                       series_job *job, wm_error *err)
{
    memset(job, 0, sizeof *job);
    *out = *in;
    if (!in->series_path)
        return 0;
    if (in->path.kind == WM_PATH_LINK) {
        if (!in->sender_pcap_path) {
            if (scratch("sender", job->sender_tmp, sizeof job->sender_tmp,
                        err) != 0)
                return -1;
            out->sender_pcap_path = job->sender_tmp;
        }
        if (!in->ends_path) {
            if (scratch("ends", job->ends_tmp, sizeof job->ends_tmp,
                        err) != 0) {
                series_job_free(job);
                return -1;
            }
            out->ends_path = job->ends_tmp;
        }
    }
    uint32_t samples = bound(in->capture.budget.max_series_samples,
                             WM_SERIES_MAX_SAMPLES);
    if (series_kernel_start(in->series_interval_us, samples, &job->kernel,
                            err) != 0) {
        series_job_free(job);
        return -1;
    }
    out->transfer.on_sender = series_kernel_on_sender;
    out->transfer.on_sender_tick = series_kernel_tick;
    out->transfer.on_sender_ctx = job->kernel;
    return 0;
}

/* The sender's frames lost on the link, from the both-ends table, in
 * the order sent (so ascending), at most max_points of them: a segment
 * past them is simply not marked. */
#define ENDS_PAGE 4096u
static int lost_frames(const char *ends_path, size_t max_points,
                       uint32_t **out, size_t *count, wm_error *err)
{
    *out = NULL;
    *count = 0;
    wm_ends_row *page = malloc(ENDS_PAGE * sizeof *page);
    uint32_t *lost = malloc(max_points * sizeof *lost);
    int rc = page && lost ? 0 : wm_error_set(err, WM_ERR_INTERNAL,
                                             "out of memory for the series");
    uint64_t offset = 0, total = 1;
    while (rc == 0 && offset < total) {
        size_t n = ENDS_PAGE;
        rc = wm_ends_table_read(ends_path, offset, page, &n, &total, err);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (page[i].direction == WM_ENDS_FROM_SENDER &&
                page[i].received_frame == 0 && page[i].payload_len > 0 &&
                *count < max_points) {
                assert(*count == 0 || lost[*count - 1] < page[i].sent_frame);
                lost[(*count)++] = page[i].sent_frame;
            }
        if (n == 0)
            break;
        offset += n;
    }
    free(page);
    if (rc != 0) {
        free(lost);
        *count = 0;
        return -1;
    }
    *out = lost;
    return 0;
}

static int stream_packet(void *stream, const wm_packet *p,
                         int64_t first_ts_ns, wm_error *err)
{
    return wm_stream_add(stream, p, 0, first_ts_ns, err);
}

/* The sender's pcap analysed, its rows spooled in $TMPDIR, into
 * analysis; the run's connection into *conn. */
static int analyse_sender(const char *pcap, uint16_t client, uint16_t server,
                          wm_analysis *analysis, const wm_connection **conn,
                          wm_error *err)
{
    wm_stream *stream;
    if (wm_stream_new(NULL, NULL, 1, &stream, err) != 0)
        return -1;
    wm_stream_keep_ports(stream, client, server);
    wm_trace trace;
    if (wm_trace_stream_file(pcap, 0, stream_packet, stream, &trace,
                             err) != 0) {
        wm_stream_free(stream);
        return -1;
    }
    int rc = wm_stream_finish(stream, trace.first_ts_ns, analysis, err);
    wm_trace_free(&trace);
    if (rc != 0)
        return -1;
    *conn = wm_analysis_find(analysis, client, server);
    if (!*conn || !wm_connection_has_rows(*conn)) {
        wm_analysis_free(analysis);
        return wm_error_set(err, WM_ERR_IO, "the sender's capture holds no "
                            "packet of the run's connection");
    }
    return 0;
}

/* The document to path, or into *held when it is at most inline_max
 * bytes (held not NULL): no file is made then (spill.h). */
static int write_file(const char *path, size_t inline_max, wm_blob *held,
                      const series_tables *tables, const char *source,
                      const series_kernel *kernel, wm_error *err)
{
    spill out;
    FILE *f = spill_open(&out, path, held ? inline_max : 0);
    if (!f)
        return wm_error_set(err, WM_ERR_IO, "cannot write the time series");
    int rc = series_write(f, tables, source, kernel, err);
    if (fclose(f) != 0 && rc == 0)
        rc = wm_error_set(err, WM_ERR_IO, "writing the time series");
    if (rc != 0) {
        spill_discard(&out);
        return rc;
    }
    wm_blob kept;
    spill_take(&out, &kept);
    if (held)
        *held = kept;
    else
        wm_blob_free(&kept);
    return 0;
}

int series_job_finish(series_job *job, const wm_run_config *config,
                      const wm_run_result *result, wm_error *err)
{
    if (!job->kernel)
        return 0;
    series_kernel_stop(job->kernel);
    uint16_t client = result->transfer.client_port;
    uint16_t server = result->transfer.server_port;
    uint16_t sender_port =
        config->transfer.direction == WM_DOWNLOAD ? server : client;
    bool link = config->path.kind == WM_PATH_LINK;
    size_t max_points = bound(config->capture.budget.max_series_points,
                              WM_SERIES_MAX_POINTS);
    wm_analysis analysis = {0};
    const wm_connection *conn = result->connection;
    uint32_t *lost = NULL;
    size_t lost_count = 0;
    if (link) {
        assert(config->sender_pcap_path && config->ends_path);
        if (analyse_sender(config->sender_pcap_path, client, server,
                           &analysis, &conn, err) != 0)
            return -1;
        if (lost_frames(config->ends_path, max_points, &lost, &lost_count,
                        err) != 0) {
            wm_analysis_free(&analysis);
            return -1;
        }
    }
    series_tables tables;
    int rc = series_tables_build(conn, sender_port, lost, lost_count,
                                 series_kernel_interval_ns(job->kernel),
                                 max_points, &tables, err);
    if (rc == 0) {
        rc = write_file(config->series_path,
                        config->inline_out ? config->inline_max : 0,
                        config->inline_out ? &config->inline_out->series
                                           : NULL,
                        &tables,
                        link ? "sender" : "receiver", job->kernel, err);
        series_tables_free(&tables);
    }
    free(lost);
    if (link)
        wm_analysis_free(&analysis);
    return rc;
}

void series_job_free(series_job *job)
{
    series_kernel_free(job->kernel);
    job->kernel = NULL;
    if (job->sender_tmp[0])
        unlink(job->sender_tmp);
    if (job->ends_tmp[0])
        unlink(job->ends_tmp);
    job->sender_tmp[0] = job->ends_tmp[0] = '\0';
}
