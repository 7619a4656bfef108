/* transfer_station: a transfer on a listening socket kept between runs,
 * private to the engine (run.c keeps it with its capture handle:
 * capture_station.h).
 *
 * Why: a new listener per run is a socket, a bind that walks every
 * TIME_WAIT socket of the loopback address (7.5 us at a few, 0.86 ms at
 * 19,000), a listen and a getsockname; and its new port means a new
 * capture filter, attached and JIT-compiled twice per run. A kept
 * listener keeps its port, so the capture keeps its filter.
 *
 * A kept listener may hold connections that are not the run's (anyone on
 * the host may connect to it between runs or during one): wm_transfer_run
 * accepts on the client's thread, once its connect returned, and closes
 * every connection whose peer is not the client's own address. */
#ifndef TRANSFER_STATION_H
#define TRANSFER_STATION_H

#include <stdint.h>
#include <sys/socket.h>

#include "wm_error.h"
#include "wm_transfer.h"

/* wm_transfer_open on listen_fd (listening on port), which the transfer
 * uses but never closes. */
int wm_transfer_open_on(const wm_transfer_options *opts, int listen_fd,
                        uint16_t port, wm_transfer **out, wm_error *err);

/* The listener the transfer made, now the caller's to close or keep;
 * -1 when it made none (wm_transfer_open_on). */
int wm_transfer_detach_listener(wm_transfer *transfer);

/* The run's connection, each end's address and port, as its client's
 * socket has them. */
typedef struct wm_transfer_ends {
    struct sockaddr_storage client, server;
} wm_transfer_ends;

/* fn(ctx, ends) on the client's thread once its connect returned and
 * before anything is sent: the capture's wait for the run's 4-tuple ends
 * there. */
void wm_transfer_on_connected(wm_transfer *transfer,
                              void (*fn)(void *ctx,
                                         const wm_transfer_ends *ends),
                              void *ctx);

#endif
