/* series_run: a run's time series around wm_run_execute — the sampler
 * started before the transfer and hooked into it, the document built and
 * written once the run is analysed.
 *
 * A link run's capture-derived tables come from the data sender's pcap
 * (what it put on the wire, before the link lost or queued anything) and
 * its lost_on_link marks from the both-ends table; when the caller keeps
 * neither file, temporary ones are made for the run and removed after.
 * A loopback run's come from its only capture, whose analysis the run
 * already holds. Private to the engine. */
#ifndef SERIES_RUN_H
#define SERIES_RUN_H

#include <limits.h>

#include "series_kernel.h"
#include "wm_error.h"
#include "wm_params.h"
#include "wm_run.h"

typedef struct series_job {
    series_kernel *kernel;        /* NULL: no series asked for */
    char sender_tmp[PATH_MAX];    /* files made for the series alone, */
    char ends_tmp[PATH_MAX];      /* "" when none */
} series_job;

/* *out = *in, plus what the series needs (the transfer's hook, a link's
 * sender's pcap and both-ends table). Nothing to do without
 * in->series_path. job must be freed with series_job_free. */
int series_job_prepare(const wm_run_config *in, wm_run_config *out,
                       series_job *job, wm_error *err);

/* Stops the sampler, builds the series of result and writes it to
 * config->series_path (config: prepare's out). */
int series_job_finish(series_job *job, const wm_run_config *config,
                      const wm_run_result *result, wm_error *err);

void series_job_free(series_job *job);

#endif
