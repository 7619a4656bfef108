/* libFuzzer target: arbitrary bytes as a pcap or pcapng file, read whole
 * and cut short, through our own reader (capfile.c via wm_trace).
 *
 * Besides the sanitizers (no read past a block, no allocation beyond the
 * record bound), it checks what a cut must mean: reading a prefix of the
 * file yields a prefix of the frames of the whole file — the same frames,
 * numbers, times and bytes, never one the cut left incomplete — and a
 * prefix that reads at least one frame makes the whole file read too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wm_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_packet(const wm_packet *a, const wm_packet *b)
{
    return a->frame_no == b->frame_no && a->ts_ns == b->ts_ns &&
           a->cap_len == b->cap_len && a->frame_len == b->frame_len &&
           a->seq == b->seq && a->ack == b->ack &&
           a->payload_len == b->payload_len && a->flags == b->flags;
}

/* Reads data cut to len and checks it against the whole file's trace
 * (whole_ok: whether that read succeeded). */
static void check_cut(const uint8_t *data, size_t len, bool whole_ok,
                      const wm_trace *whole)
{
    wm_trace cut;
    wm_error err = {0};
    if (wm_trace_read_memory(data, len, &cut, &err) == 0) {
        if (cut.frames > 0 && !whole_ok)
            abort(); /* the same frames are in the whole file */
        if (whole_ok) {
            if (cut.frames > whole->frames || cut.count > whole->count)
                abort();
            for (size_t i = 0; i < cut.count; i++)
                if (!same_packet(&cut.packets[i], &whole->packets[i]))
                    abort();
        }
        if (cut.read_error.stopped &&
            (cut.read_error.after_frame != cut.frames ||
             cut.read_error.offset >= len))
            abort();
    } else if (cut.count != 0 || cut.packets != NULL) {
        abort(); /* a failed read leaves nothing behind */
    }
    wm_trace_free(&cut);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wm_trace whole;
    wm_error err = {0};
    bool ok = wm_trace_read_memory(data, size, &whole, &err) == 0;
    if (ok && whole.count + whole.not_tcp + whole.malformed != whole.frames)
        abort();
    if (size > 1) {
        /* where to cut: from the input's last bytes, so that the fuzzer
         * can aim at any offset; and half way */
        size_t at = 0;
        memcpy(&at, data + size - (size < sizeof at ? size : sizeof at),
               size < sizeof at ? size : sizeof at);
        check_cut(data, 1 + at % (size - 1), ok, &whole);
        check_cut(data, size / 2, ok, &whole);
    }
    wm_trace_free(&whole);
    return 0;
}
