/* wm_budget: the defaults, and the up-front check of wm_params.h.
 *
 * The check refuses only what MUST exceed the budget, so its bound is the
 * one thing the kernel cannot undercut: a captured frame's IP datagram is
 * at most 65535 bytes long, so it carries at most that much of the
 * transfer. Tighter bounds that look right are not: with TCP_NODELAY the
 * kernel still coalesces small writes (autocorking, a full send queue) —
 * 1 MB written a byte at a time made 207 k data packets here, not 1 M —
 * and on loopback the capture sees segments before segmentation offload,
 * so mss=88 makes 106 packets of 1 MB, not 11 k. Refusing by those would
 * refuse runs that fit; the capture stops the rest at run time. */
#include "wm_params.h"

#include <inttypes.h>
#include <stdio.h>

#include "wm_series.h"
#include "wm_size.h"

#define FRAME_PAYLOAD_MAX 65535u /* the longest IP datagram */
#define HANDSHAKE_FRAMES 2u      /* SYN and SYN-ACK carry no data */
#define LEAST_FRAME_BYTES 40u    /* IPv4 and TCP headers, no link header */

void wm_budget_default(wm_budget *budget)
{
    budget->max_packets = WM_BUDGET_DEFAULT_PACKETS;
    budget->max_pcap_bytes = WM_BUDGET_DEFAULT_PCAP_BYTES;
    budget->max_duration_ms = WM_BUDGET_DEFAULT_DURATION_MS;
    budget->max_series_samples = WM_SERIES_MAX_SAMPLES;
    budget->max_series_points = WM_SERIES_MAX_POINTS;
}

/* Frames the run must capture at least: the handshake's, and the request
 * and the data, however they are cut. */
static uint64_t least_packets(uint64_t size_bytes)
{
    uint64_t bytes = size_bytes < UINT64_MAX - WM_TRANSFER_REQUEST_BYTES
                         ? size_bytes + WM_TRANSFER_REQUEST_BYTES
                         : UINT64_MAX;
    return HANDSHAKE_FRAMES + bytes / FRAME_PAYLOAD_MAX +
           (bytes % FRAME_PAYLOAD_MAX != 0);
}

int wm_params_check_budget(const wm_run_request *request,
                           const wm_budget *budget, wm_error *err)
{
    if (!budget)
        return 0;
    uint64_t size = request->config.transfer.size_bytes;
    char size_text[WM_SIZE_TEXT_MAX];
    if (request->size_text[0])
        snprintf(size_text, sizeof size_text, "%s", request->size_text);
    else
        wm_size_format(size, size_text, sizeof size_text);
    uint64_t packets = least_packets(size);
    if (budget->max_packets && packets > budget->max_packets)
        return wm_error_param(
            err, WM_ERR_TOO_LARGE, "size",
            "size=%s makes at least %" PRIu64 " packets, whatever chunk, "
            "nodelay or mss (a captured frame carries at most %u bytes of "
            "it); the limit is %" PRIu64 " packets (--max-packets)",
            size_text, packets, FRAME_PAYLOAD_MAX, budget->max_packets);
    uint64_t pcap = WM_BUDGET_PCAP_HEADER_BYTES +
                    packets * (WM_BUDGET_PCAP_RECORD_BYTES + LEAST_FRAME_BYTES);
    if (budget->max_pcap_bytes && pcap > budget->max_pcap_bytes) {
        char limit[32];
        wm_size_format(budget->max_pcap_bytes, limit, sizeof limit);
        return wm_error_param(
            err, WM_ERR_TOO_LARGE, "size",
            "size=%s makes a pcap of at least %" PRIu64 " bytes (%" PRIu64
            " packets of at least %u bytes each, with their record "
            "headers); the limit is %s (--max-pcap)", size_text, pcap,
            packets, WM_BUDGET_PCAP_RECORD_BYTES + LEAST_FRAME_BYTES, limit);
    }
    return 0;
}
