/* report_bench: the CPU time of a run's result document, wm_report_run
 * and then wm_json_text, on the analysis of a pcap (a small run's: a
 * handful of packets). Built with the rest, never run by ctest: speed
 * lives here, not in assertions.
 *
 *   build/bench/report_bench tests/data/tshark/client_closes.pcap 20000
 *
 * prints the process's CPU time per document for each step of the two
 * ways to the stored text: the tree (wm_report_run, then wm_json_text,
 * then json_decref), and the text written directly (wm_report_run_text,
 * then free), checked to be the same bytes; measured
 * over the whole loop (CLOCK_PROCESS_CPUTIME_ID: the other engineers'
 * builds on the machine slow the wall clock, not this). */
#include <stdbool.h>
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
    /* "text": the direct text alone, for a profile of it (perf record). */
    bool text_only = argc == 4 && strcmp(argv[3], "text") == 0;
    if (argc != 3 && !text_only) {
        fprintf(stderr, "usage: report_bench FILE.pcap ITERATIONS [text]\n");
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

    /* The same bytes both ways, checked once. */
    size_t tree_len = 0, text_len = 0;
    json_t *doc = wm_report_run(&request, &result, 0);
    char *a = wm_json_text(doc, &tree_len);
    char *b = wm_report_run_text(&request, &result, 0, &text_len);
    if (!doc || !a || !b) {
        fprintf(stderr, "report_bench: out of memory\n");
        return 1;
    }
    bool same = tree_len == text_len && memcmp(a, b, text_len) == 0;
    json_decref(doc);
    free(a);
    free(b);
    printf("%s: %zu packets, %zu bytes of JSON, %ld documents a loop, "
           "direct text %s\n", argv[1], analysis.connections[0].packet_count,
           text_len, iterations, same ? "identical" : "DIFFERENT");

    /* Each way in a loop of its own (its own warm caches, as one run of
     * the daemon has), the two loops alternated three times. */
    for (int round = 0; round < 3; round++) {
        double build = 0, text = 0, release = 0;
        for (long i = 0; !text_only && i < iterations; i++) {
            double t0 = cpu_ns();
            doc = wm_report_run(&request, &result, 0);
            double t1 = cpu_ns();
            char *s = wm_json_text(doc, NULL);
            double t2 = cpu_ns();
            json_decref(doc);
            free(s);
            double t3 = cpu_ns();
            build += t1 - t0;
            text += t2 - t1;
            release += t3 - t2;
        }
        double t0 = cpu_ns();
        for (long i = 0; i < iterations; i++)
            free(wm_report_run_text(&request, &result, 0, NULL));
        double direct = cpu_ns() - t0;
        double n = (double)iterations * 1e3;
        if (!text_only)
            printf("tree: wm_report_run %.2f + wm_json_text %.2f + "
                   "json_decref, free %.2f = %.2f us CPU a document\n",
                   build / n, text / n, release / n,
                   (build + text + release) / n);
        printf("text: wm_report_run_text + free %.2f us CPU a document\n",
               direct / n);
    }
    wm_analysis_free(&analysis);
    wm_trace_free(&trace);
    return same ? 0 : 1;
}
