/* tshark_samples: the captures of tests/data/tshark, which the tests that
 * hold wiremeter's reading of them against a reference (tshark's own
 * output, or the frozen builders of the documents) go through one by
 * one: where they are, which files are captures, each read and analysed.
 * Include it after <cmocka.h>, wm_analyze.h and wm_trace.h. */
#ifndef WM_TEST_TSHARK_SAMPLES_H
#define WM_TEST_TSHARK_SAMPLES_H

#include <string.h>

#define TSHARK_SAMPLES_DIR WM_TEST_DATA "/tshark"

/* The length of name without its ".pcap", or 0 when it is no capture. */
static inline size_t sample_stem(const char *name)
{
    size_t len = strlen(name);
    return len >= 6 && strcmp(name + len - 5, ".pcap") == 0 ? len - 5 : 0;
}

/* path's capture, read and analysed; the test fails if it cannot be. */
static inline void sample_read(const char *path, wm_trace *trace,
                               wm_analysis *analysis)
{
    wm_error err;
    if (wm_trace_read_file(path, trace, &err) < 0)
        fail_msg("%s: %s", path, err.message);
    assert_int_equal(wm_analyze_trace(trace, analysis, &err), 0);
}

#endif
