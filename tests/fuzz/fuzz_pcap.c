/* libFuzzer target: arbitrary bytes as a pcap or pcapng file, through the
 * whole offline path of `wiremeter analyze`: libpcap, the dissector, the
 * analyser and the JSON report, freeing everything.
 *
 * Besides the sanitizers, it checks what must hold of any trace: every
 * frame is counted exactly once, packets keep capture order, each
 * packet's TCP header is one a dissector could have read, and the
 * fragment counts add up. Seeds include IP fragments (reassembled,
 * overlapping, cut) and malformed options from tests/data/tshark. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "wm_analyze.h"
#include "wm_report.h"
#include "wm_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_trace(const wm_trace *trace)
{
    if (trace->count + trace->not_tcp + trace->malformed != trace->frames)
        abort();
    const wm_fragment_counts *f = &trace->fragments;
    if (f->cut > f->fragments || f->reassembled > f->fragments ||
        f->fragments > trace->frames)
        abort();
    for (size_t i = 0; i < trace->count; i++) {
        const wm_packet *p = &trace->packets[i];
        /* a reassembled header lies in several frames, a cut one past
         * the captured bytes */
        bool whole = !(p->anomalies & WM_PKT_REASSEMBLED) &&
                     !p->opts.truncated;
        bool bogus = p->anomalies & WM_PKT_BAD_HEADER_LEN;
        if ((p->header_len < 20) != bogus || p->header_len > 60 ||
            (whole && p->header_len > p->cap_len) ||
            ((p->anomalies & WM_PKT_NO_SEGLEN) && p->payload_len != 0) ||
            p->opts.sack_count > WM_TCP_MAX_SACK_BLOCKS ||
            (i > 0 && p->frame_no <= trace->packets[i - 1].frame_no))
            abort();
    }
}

static void analyze_and_report(const wm_trace *trace)
{
    wm_analysis analysis;
    wm_error err = {0};
    if (wm_analyze_trace(trace, &analysis, &err) != 0)
        return;
    json_t *report = wm_report_file("fuzz.pcap", trace, &analysis,
                                    WM_REPORT_PACKETS);
    if (report) {
        char *text = json_dumps(report, JSON_COMPACT);
        free(text);
        json_decref(report);
    }
    wm_analysis_free(&analysis);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wm_trace trace;
    wm_error err = {0};
    if (wm_trace_read_memory(data, size, &trace, &err) == 0) {
        check_trace(&trace);
        analyze_and_report(&trace);
    } else if (trace.count != 0 || trace.packets != NULL) {
        abort(); /* a failed read must leave nothing behind */
    }
    wm_trace_free(&trace);
    return 0;
}
