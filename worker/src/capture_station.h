/* capture_station: a capture on a handle that keeps its filter from run
 * to run, beside the transfer's listener on the filter's port
 * (transfer_station.h says why), private to the engine.
 *
 * A kept port sees more than the run: a stranger's connection to it, and,
 * in principle, a late frame of an earlier run's connection on it. What
 * came while the station was parked is dropped when it is taken
 * (capture_pool_take_station). During the run, the reader hands over
 * nothing until the client's end is known (capture_station_peer, called
 * once its connect returned; the frames wait in the ring meanwhile), and
 * then only the frames between the run's two ends, address and port: a
 * connection from another loopback address (127.0.0.2) with the client's
 * port number is not the run's either. No other frame is in the
 * run's trace, its pcap, its analysis or its frame counts. The kernel's
 * own counters (received, dropped) still count every frame its filter
 * took. A station is parked again only after a run that ended well with
 * its closure seen complete, so that no connection of it is left open on
 * the port. What cannot be told apart is a frame of an earlier
 * connection with the very same 4-tuple (the kernel may give the client
 * a port an earlier run's client had, the server's TIME_WAIT of it then
 * taken over by the new SYN); on loopback nothing sends one once that
 * connection's closure was complete. */
#ifndef CAPTURE_STATION_H
#define CAPTURE_STATION_H

#include <pcap/pcap.h>
#include <stdint.h>
#include <sys/socket.h>

#include "capture_pool.h"
#include "wm_capture.h"

/* wm_capture_start on a station's handle (filtered on opts->port) with
 * its listener, which the capture then owns, on failure too: they go
 * back to opts->pool at wm_capture_free when capture_station_keep was
 * called, else they are closed. */
int capture_start_station(const wm_capture_options *opts, pcap_t *handle,
                          int listen_fd, const capture_station_key *key,
                          wm_capture **out, wm_error *err);

/* The run's two ends (addresses and ports, the server's port the
 * capture's): from now on the reader hands over the run's frames (a
 * station's capture hands over none before). */
void capture_station_peer(wm_capture *capture,
                          const struct sockaddr_storage *client,
                          const struct sockaddr_storage *server);

/* The capture's handle and listen_fd (the listener on its filter's port,
 * which it now owns) are parked as a station at wm_capture_free. Called
 * after wm_capture_finish, when the run ended well and its closure was
 * complete. listen_fd is -1 for a station's own capture. */
void capture_station_keep(wm_capture *capture, int listen_fd,
                          const capture_station_key *key);

#endif
