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
 * A parked handle may also be a station (capture_station.h): it keeps
 * its filter on a port with the transfer's listener on that port, parked
 * beside it, so that the next run on the same settings changes nothing.
 *
 * The pool is an object its user owns (wm_capture_pool_new in
 * wm_capture.h: the daemon's job pool, a command-line sweep), bounded by
 * the kernel memory its rings hold; past that, handles are closed as
 * before. A capture given no pool opens and closes its own handle. These
 * two calls are internal to wm_capture; every function may be called from
 * any thread. */
#ifndef WM_CAPTURE_POOL_H
#define WM_CAPTURE_POOL_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>

#include "capture_filter.h"
#include "wm_capture.h"

/* The socket options a station's listener was made with
 * (capture_station.h): a run with other options makes its own. */
typedef struct capture_station_key {
    bool ipv6;
    bool nodelay;
    uint32_t sndbuf_bytes, rcvbuf_bytes, mss_bytes;
    char congestion[16];
} capture_station_key;

/* A parked handle with these settings, or NULL when there is none (or no
 * pool). Never a station's: that is kept for the runs it fits, whose
 * settings all match (one station per kind of run in the pool). */
pcap_t *capture_pool_take(wm_capture_pool *pool, const char *interface,
                          uint32_t snaplen, uint32_t buffer_bytes);

/* Parks the handle, or closes it when there is no pool, the pool is full
 * or the handle cannot be made inert. The caller no longer owns it either
 * way. */
void capture_pool_give(wm_capture_pool *pool, pcap_t *handle,
                       const char *interface, uint32_t snaplen,
                       uint32_t buffer_bytes);

/* A parked station with these settings: its handle, filtered on *port,
 * its ring drained of what came while it was parked, and *listen_fd, the
 * listener on *port. NULL when there is none (or no pool). */
pcap_t *capture_pool_take_station(wm_capture_pool *pool,
                                  const char *interface, uint32_t snaplen,
                                  uint32_t buffer_bytes,
                                  const capture_station_key *key,
                                  int *listen_fd, uint16_t *port);

/* Parks a station: the handle with its filter on port left attached, and
 * the listener on that port. Both are closed when there is no pool or it
 * is full. The caller no longer owns either. */
void capture_pool_park(wm_capture_pool *pool, pcap_t *handle,
                       const char *interface, uint32_t snaplen,
                       uint32_t buffer_bytes, const capture_station_key *key,
                       int listen_fd, uint16_t port);

/* The pool's cache of filter programs (capture_filter.h); NULL for no
 * pool. */
capture_filter_cache *capture_pool_filters(wm_capture_pool *pool);

#endif
