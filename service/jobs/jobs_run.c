/* wm_jobs: one run as a worker executes it — start it in the store, run
 * the engine with the capture going to a temporary file, then store the
 * result and move the pcap into place, or store the failure and drop the
 * partial pcap. See wm_jobs.h. */
#include "jobs_internal.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wm_engine.h"
#include "wm_json_text.h"

void jobs_log(const char *what, const wm_error *err)
{
    fprintf(stderr, "wiremeter: %s: %s\n", what,
            err && err->message[0] ? err->message : "unknown error");
}

static double monotonic_s(void)
{
    return (double)wm_clock_monotonic_ns() / 1e9;
}

/* The engine's progress callback: the sending thread reports the bytes it
 * has written; readers see them through wm_jobs_progress_get. */
static void on_progress(void *ctx, uint64_t bytes_done)
{
    job *j = ctx;
    atomic_store_explicit(&j->bytes_done, bytes_done, memory_order_relaxed);
}

/* A link run's sender's pcap and both-ends table, under their .tmp
 * names (both "" for any other run), and every run's time series. */
typedef struct link_files {
    char sender_tmp[PATH_MAX], ends_tmp[PATH_MAX];
    char series_tmp[PATH_MAX];
} link_files;

static void remove_link_files(const link_files *lf)
{
    if (lf->sender_tmp[0])
        remove(lf->sender_tmp);
    if (lf->ends_tmp[0])
        remove(lf->ends_tmp);
    if (lf->series_tmp[0])
        remove(lf->series_tmp);
}

/* The outputs the engine held in memory, as the store takes them. */
static void held_of(const wm_run_blobs *blobs,
                    wm_store_bytes held[WM_STORE_OUTPUT_COUNT])
{
    const wm_blob *by_kind[WM_STORE_OUTPUT_COUNT] = {
        [WM_STORE_OUTPUT_PCAP] = &blobs->pcap,
        [WM_STORE_OUTPUT_ROWS] = &blobs->rows,
        [WM_STORE_OUTPUT_SERIES] = &blobs->series,
    };
    for (int k = 0; k < WM_STORE_OUTPUT_COUNT; k++)
        held[k] = by_kind[k]->held
                      ? (wm_store_bytes){.data = by_kind[k]->data
                                                     ? by_kind[k]->data
                                                     : (const void *)"",
                                         .len = by_kind[k]->len}
                      : (wm_store_bytes){.data = NULL, .len = 0};
}

/* Where a run's files end up once it is done. */
typedef struct final_paths {
    char pcap[PATH_MAX], rows[PATH_MAX], sender[PATH_MAX], ends[PATH_MAX];
    char series[PATH_MAX];
} final_paths;

static int final_paths_of(wm_store *store, int64_t id, final_paths *to,
                          wm_error *err)
{
    return wm_store_pcap_path(store, id, to->pcap, sizeof to->pcap, err) ||
           wm_store_series_path(store, id, to->series, sizeof to->series,
                                err) ||
           wm_store_rows_path(store, id, to->rows, sizeof to->rows, err) ||
           wm_store_sender_pcap_path(store, id, to->sender,
                                     sizeof to->sender, err) ||
           wm_store_ends_path(store, id, to->ends, sizeof to->ends, err)
               ? -1 : 0;
}

static void remove_finals(const final_paths *to)
{
    remove(to->pcap);
    remove(to->rows);
    remove(to->sender);
    remove(to->ends);
    remove(to->series);
}

/* Whether the run wrote any output to a file, to be renamed into place
 * (else all came back in memory). */
static bool wrote_files(const link_files *lf, const wm_run_blobs *blobs)
{
    return !blobs->rows.held || !blobs->pcap.held || lf->sender_tmp[0] ||
           lf->ends_tmp[0] || (!blobs->series.held && lf->series_tmp[0]);
}

/* Renames the files the run wrote — the packet rows, a link run's
 * sender's end and both-ends table, the series, then the pcap, whose
 * presence is what recovery takes for a stored run — leaving out the
 * outputs held in memory (they have none). *renamed says whether any
 * was. On failure none is left under its final name. */
static int move_files(const final_paths *to, const char *tmp_path,
                      const char *rows_tmp, const link_files *lf,
                      const wm_run_blobs *blobs, bool *renamed,
                      wm_error *err)
{
    const char *series_tmp = blobs->series.held ? "" : lf->series_tmp;
    *renamed = wrote_files(lf, blobs);
    if (!blobs->rows.held && rename(rows_tmp, to->rows) != 0)
        return wm_error_set(err, WM_ERR_IO, "storing the packet rows: %s",
                            strerror(errno));
    if ((lf->sender_tmp[0] && rename(lf->sender_tmp, to->sender) != 0) ||
        (lf->ends_tmp[0] && rename(lf->ends_tmp, to->ends) != 0) ||
        (series_tmp[0] && rename(series_tmp, to->series) != 0)) {
        int errnum = errno;
        remove_finals(to);
        return wm_error_set(err, WM_ERR_IO, "storing the sender's pcap, the "
                            "both-ends table or the time series: %s",
                            strerror(errnum));
    }
    /* No path in the message: it is the run's error, which anyone reads. */
    if (!blobs->pcap.held && rename(tmp_path, to->pcap) != 0) {
        int errnum = errno;
        remove_finals(to);
        return wm_error_set(err, WM_ERR_IO, "storing the pcap: %s",
                            strerror(errnum));
    }
    return 0;
}

/* A run not stored yet (a small one on a request's thread) gets its row
 * as a submit would have made it, queued, created when it was, and its
 * start as a worker would have marked it. */
static int store_late(wm_jobs *jobs, job *j, wm_error *err)
{
    assert(j->id == 0);
    if (wm_store_insert_run_at(jobs->store, j->request.label,
                               j->request.config.transfer.size_bytes,
                               j->params_json, j->sweep_id, j->created_ns,
                               &j->id, err) != 0)
        return -1;
    return wm_store_mark_running_at(jobs->store, j->id, j->started_ns, err);
}

/* Moves the finished files into place and stores the result with the
 * outputs held in memory, in one commit. A run that shutdown already
 * marked failed keeps that state and loses its files. (Rows lost to a
 * crash are made again from the pcap when first asked for:
 * wm_engine_index_pcap.) */
static int store_success(wm_jobs *jobs, job *j, const char *tmp_path,
                         const char *rows_tmp, const link_files *lf,
                         const wm_run_blobs *blobs, const char *result_json,
                         wm_error *err)
{
    wm_store_bytes held[WM_STORE_OUTPUT_COUNT];
    held_of(blobs, held);
    if (j->id == 0 && !wrote_files(lf, blobs)) {
        /* Nothing to rename by its id: the row, its result and outputs
         * in one commit (wm_store_insert_done_run). */
        if (wm_store_insert_done_run(
                jobs->store, j->request.label,
                j->request.config.transfer.size_bytes, j->params_json,
                j->created_ns, j->started_ns, result_json, held, &j->id,
                &j->finished, err) != 0)
            return -1;
        j->has_series = true;
        return 0;
    }
    if (j->id == 0 && store_late(jobs, j, err) != 0)
        return -1;
    final_paths to;
    bool renamed = false;
    if (final_paths_of(jobs->store, j->id, &to, err) != 0 ||
        move_files(&to, tmp_path, rows_tmp, lf, blobs, &renamed, err) != 0)
        return -1;
    /* The renames durable before the run's row says done: a done run must
     * find its pcap after a power cut too. Outputs held in memory go in
     * the commit itself: nothing to sync for them. */
    if ((renamed && wm_store_sync_pcap_dir(jobs->store, err) != 0) ||
        wm_store_finish_run_held(jobs->store, j->id, result_json, held,
                                 &j->finished, err) != 0) {
        remove_finals(&to);
        return -1;
    }
    /* Held, or renamed into place by move_files (or the run failed). */
    j->has_series = true;
    return 0;
}

/* The engine's part: run, render, store. Returns 0 when the run ended
 * done; otherwise run_err says why (a failure of the run itself or of
 * storing it). */
static int run_and_store(wm_jobs *jobs, job *j, const char *tmp_path,
                         uint64_t *payload_bytes, wm_error *run_err)
{
    char rows_tmp[PATH_MAX];
    link_files lf = {.sender_tmp = "", .ends_tmp = "", .series_tmp = ""};
    if (wm_store_rows_tmp_path(jobs->store, j->file_id, rows_tmp,
                               sizeof rows_tmp, run_err) != 0 ||
        wm_store_series_tmp_path(jobs->store, j->file_id, lf.series_tmp,
                                 sizeof lf.series_tmp, run_err) != 0)
        return -1;
    wm_run_request request = j->request;
    /* A link has two ends: both are captured, and the result says what
     * the link did between them. */
    if (request.config.path.kind == WM_PATH_LINK) {
        if (wm_store_sender_pcap_tmp_path(jobs->store, j->file_id,
                                          lf.sender_tmp,
                                          sizeof lf.sender_tmp,
                                          run_err) != 0 ||
            wm_store_ends_tmp_path(jobs->store, j->file_id, lf.ends_tmp,
                                   sizeof lf.ends_tmp, run_err) != 0)
            return -1;
        request.config.sender_pcap_path = lf.sender_tmp;
        request.config.ends_path = lf.ends_tmp;
    }
    request.config.capture.pcap_path = tmp_path;
    request.config.rows_path = rows_tmp;
    request.config.series_path = lf.series_tmp;
    request.config.capture.pool = jobs->captures;
    request.config.cancel = j->cancel; /* fired by a drain's end */
    /* Small outputs come back in memory and go to the database with the
     * result: no file, no fsync (store_outputs.c). */
    wm_run_blobs blobs;
    request.config.inline_max = jobs->opts.inline_max;
    request.config.inline_out = &blobs;
    /* The result as text, written without a JSON tree: it is stored and
     * answered as text, and a small run's tree cost more than the rest of
     * its rendering (wm_engine.h). */
    uint64_t received_bytes = 0;
    char *text = wm_engine_run_text(&request, on_progress, j, 0, NULL,
                                    &received_bytes, run_err);
    if (!text) {
        remove_link_files(&lf);
        return -1;
    }
    int rc = store_success(jobs, j, tmp_path, rows_tmp, &lf, &blobs, text,
                           run_err);
    wm_run_blobs_free(&blobs);
    if (rc != 0) {
        remove(rows_tmp);
        remove_link_files(&lf);
    }
    if (rc == 0)
        *payload_bytes = received_bytes;
    if (rc == 0) /* as stored: the run's answer is rendered from it */
        j->result_json = text;
    else
        free(text);
    return rc;
}

void jobs_execute(wm_jobs *jobs, job *j, double *duration_s, bool *done,
                  uint64_t *payload_bytes)
{
    double start_s = monotonic_s();
    *done = false;
    *payload_bytes = 0;
    wm_error err = {0};
    char tmp_path[PATH_MAX];
    if (wm_store_pcap_tmp_path(jobs->store, j->file_id, tmp_path,
                               sizeof tmp_path, &err) != 0 ||
        (j->id != 0 && wm_store_mark_running(jobs->store, j->id, &err) != 0)) {
        /* Not started (shutdown marked it, or the store failed): no run
         * to account for. One the store could not start must not stay
         * queued: its failure is kept, in memory if need be. */
        jobs_log("starting a run", &err);
        if (j->id == 0)
            j->store_err = err;
        else if (err.kind == WM_ERR_READ_ONLY || err.kind == WM_ERR_NO_SPACE)
            wm_store_fail_run(jobs->store, j->id, wm_error_code(err.kind),
                              err.message, NULL);
        *duration_s = monotonic_s() - start_s;
        return;
    }
    wm_error run_err = {0};
    if (run_and_store(jobs, j, tmp_path, payload_bytes, &run_err) == 0) {
        *done = true;
    } else {
        remove(tmp_path);
        /* A run not stored yet is stored failed, as it would have been
         * had it gone through the queue; if even that fails, nothing of
         * it stays and its caller is told why. */
        if (j->id == 0)
            store_late(jobs, j, &err); /* on failure, err says why */
        if (j->id == 0) /* not even its row */
            j->store_err = err;
        else if (wm_store_fail_run(jobs->store, j->id,
                                   wm_error_code(run_err.kind),
                                   run_err.message, &err) != 0 &&
                 err.kind != WM_ERR_INVALID) /* INVALID: already interrupted */
            jobs_log("storing a failed run", &err);
    }
    *duration_s = monotonic_s() - start_s;
}
