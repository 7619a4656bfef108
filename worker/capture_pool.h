/* capture_pool: activated libpcap handles kept from one run to the next.
 *
 * Why: on Linux, activating a packet socket (binding it to the interface,
 * mapping its ring) and closing it each wait for an RCU grace period in
 * the kernel (synchronize_net): 10 to 30 ms apiece on the machines this
 * was measured on, against 0.2 ms for the whole of a 13 B transfer. A
 * daemon doing many small runs paid that twice per run. So wm_capture
 * hands a finished handle to this pool instead of closing it, and takes
 * one from here before opening a new one.
 *
 * A parked handle is made inert first: a filter that accepts nothing,
 * then its ring drained, so it neither collects frames while idle nor
 * hands the next run a frame of the last one (libpcap also filters what
 * was already in the ring with the new filter, in user space). Handles
 * match on interface, snaplen and ring size, the settings fixed at
 * activation; the filter is each run's own. pcap_stats counts over a
 * handle's whole life, so a capture takes a baseline at its start.
 *
 * The pool is bounded by the kernel memory its rings hold
 * (WM_CAPTURE_POOL_MAX_BYTES); past that, handles are closed as before.
 * Internal to the worker library; threads: every function may be called
 * from any thread. */
#ifndef WM_CAPTURE_POOL_H
#define WM_CAPTURE_POOL_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>

#define WM_CAPTURE_POOL_MAX_BYTES (64u * 1024u * 1024u)

/* A parked handle with these settings, or NULL when there is none. */
pcap_t *capture_pool_take(const char *interface, uint32_t snaplen,
                          uint32_t buffer_bytes);

/* Parks the handle, or closes it when the pool is full or it cannot be
 * made inert. The caller no longer owns it either way. */
void capture_pool_give(pcap_t *handle, const char *interface,
                       uint32_t snaplen, uint32_t buffer_bytes);

#endif
