/* report_bench: the CPU time of a run's result document, wm_report_run
 * and then wm_json_text, on the analysis of a pcap (a small run's: a
 * handful of packets). Built with the rest, never run by ctest: speed
 * lives here, not in assertions.
 *
 *   build/bench/report_bench tests/data/tshark/client_closes.pcap 20000
 *
 * prints the process's CPU time per document for each step, measured
 * over the whole loop (CLOCK_PROCESS_CPUTIME_ID: the other engineers'
 * builds on the machine slow the wall clock, not this). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wm_analyze.h"
#include "wm_json_text.h"
#include "wm_params.h"
#include "wm_report.h"
#include "wm_run.h"
#include "wm_trace.h"

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: report_bench FILE.pcap ITERATIONS\n");
        return 2;
    }
    long iterations = strtol(argv[2], NULL, 10);
    if (iterations < 1 || iterations > 100000000) {
        fprintf(stderr, "report_bench: ITERATIONS from 1 to 100000000\n");
        return 2;
    }
    wm_trace trace;
    wm_analysis analysis;
    wm_error err;
    if (wm_trace_read_file(argv[1], &trace, &err) < 0 ||
        wm_analyze_trace(&trace, &analysis, &err) != 0) {
        fprintf(stderr, "report_bench: %s\n", err.message);
        return 1;
    }
    if (analysis.count == 0) {
        fprintf(stderr, "report_bench: no TCP connection in %s\n", argv[1]);
        return 1;
    }
    wm_run_request request;
    wm_params_init(&request);
    if (wm_params_set(&request, "size", "13B", NULL, &err) != 0 ||
        wm_params_finish(&request, &err) != 0) {
        fprintf(stderr, "report_bench: %s\n", err.message);
        return 1;
    }
    /* A loopback run as the daemon renders it: TCP_INFO read, verified. */
    wm_run_result result;
    memset(&result, 0, sizeof result);
    result.trace = trace;
    result.analysis = analysis;
    result.connection = &analysis.connections[0];
    result.started_ns = 1700000000123456789;
    result.finished_ns = 1700000000123856789;
    snprintf(result.capture.interface, sizeof result.capture.interface, "lo");
    result.capture.received = trace.frames;
    result.capture.snaplen = 96;
    result.capture.complete = true;
    result.transfer.integrity = (wm_integrity){
        .expected_bytes = 13, .received_bytes = 13, .verified = true};
    result.transfer.sender = (wm_tcp_stats){
        .valid = true, .rtt_us = 31, .rttvar_us = 15, .snd_cwnd = 10,
        .snd_mss = 32768, .rcv_mss = 536, .congestion = "cubic"};

    size_t bytes = 0;
    double build = 0, text = 0;
    for (long i = 0; i < iterations; i++) {
        double t0 = cpu_ns();
        json_t *doc = wm_report_run(&request, &result, 0);
        double t1 = cpu_ns();
        size_t len;
        char *s = wm_json_text(doc, &len);
        double t2 = cpu_ns();
        if (!doc || !s) {
            fprintf(stderr, "report_bench: out of memory\n");
            return 1;
        }
        bytes = len;
        build += t1 - t0;
        text += t2 - t1;
        free(s);
        json_decref(doc);
    }
    printf("%s: %zu packets, %zu bytes of JSON, %ld documents\n", argv[1],
           analysis.connections[0].packet_count, bytes, iterations);
    printf("wm_report_run  %8.2f us CPU per document\n",
           build / 1e3 / (double)iterations);
    printf("wm_json_text   %8.2f us CPU per document\n",
           text / 1e3 / (double)iterations);
    wm_analysis_free(&analysis);
    wm_trace_free(&trace);
    return 0;
}
