/* capture_open: a libpcap handle activated with a run's settings, and
 * the error that says how to grant capture rights when the kernel refuses
 * them — apart from capture.c, which reads the handle (and was long
 * enough). Private to the engine. */
#ifndef WM_CAPTURE_OPEN_H
#define WM_CAPTURE_OPEN_H

#include <pcap/pcap.h>
#include <stdint.h>

#include "wm_capture.h"
#include "wm_error.h"

#define CAPTURE_MIN_BUFFER_BYTES (64u * 1024u)

/* pcap_create and activate (nanosecond timestamps, the snaplen and ring
 * size); the handle, or NULL with err filled. block_ms 0: immediate mode
 * (TPACKET_V2), each frame handed over as soon as the kernel wrote it;
 * more: the ring in blocks (TPACKET_V3), each handed over when it is full
 * or block_ms after its first frame. */
pcap_t *capture_open_handle(const char *interface, uint32_t snaplen,
                            uint32_t buffer_bytes, uint32_t block_ms,
                            wm_error *err);

#endif
