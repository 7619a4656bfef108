/* path_netlink: the few rtnetlink requests a link needs — a bridge, a veth
 * pair whose peer is made in another namespace, MTU, master and up, an
 * address, tbf, netem, clsact and a cls_bpf filter — each one message on a
 * NETLINK_ROUTE socket made in the namespace it acts in, and its
 * acknowledgement awaited.
 *
 * Why not iproute2: each `ip`/`tc` process costs a fork, an exec and a
 * dynamic link, several milliseconds on a busy host; a message costs
 * microseconds, and a link's setup is about twenty of them. Interface
 * indexes are chosen by the caller (ifi_index on creation) rather than
 * asked back: in a namespace of its own, every index but lo's is free.
 *
 * Bounded: a message is at most PATH_NL_MESSAGE_BYTES, an answer is read
 * into a buffer of that size, and the socket waits at most
 * PATH_NL_TIMEOUT_MS for it. Prefix path_nl_. */
#ifndef PATH_NETLINK_H
#define PATH_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "wm_error.h"

#define PATH_NL_MESSAGE_BYTES 1024u
#define PATH_NL_TIMEOUT_MS 2000u

/* A NETLINK_ROUTE socket in the calling thread's namespace; -1, err. */
int path_nl_socket(wm_error *err);

/* A bridge named name with index ifindex, up. */
int path_nl_bridge(int nl, const char *name, int ifindex, wm_error *err);

/* A veth pair: name (index ifindex) here, enslaved to master (an index,
 * 0: none) and up; its peer peer_name (index peer_ifindex) made in the
 * namespace peer_ns, down: the kernel refuses (ENOTCONN) a pair made with
 * both ends up, so the peer's namespace sets it up (path_nl_up). Both
 * ends' MTU mtu. */
int path_nl_veth(int nl, const char *name, int ifindex, int master,
                 const char *peer_name, int peer_ifindex, int peer_ns,
                 uint32_t mtu, wm_error *err);

/* Sets the link ifindex up. */
int path_nl_up(int nl, int ifindex, wm_error *err);

/* An address (4 or 16 bytes by family) with its prefix on ifindex;
 * IPv6's without duplicate address detection, so usable at once. */
int path_nl_address(int nl, int ifindex, int family, const void *address,
                    unsigned prefix, wm_error *err);

/* tbf at ifindex's root (parent 0) or under parent (a handle), handle
 * its own: rate in bytes per second, burst and limit in bytes. */
int path_nl_tbf(int nl, int ifindex, uint32_t parent, uint32_t handle,
                uint64_t rate_bytes_per_s, uint32_t burst_bytes,
                uint32_t limit_bytes, wm_error *err);

/* netem at ifindex's root with handle: a one-way delay and its uniform
 * spread, in ns. ENOENT ("Specified qdisc kind is unknown") where the
 * kernel lacks sch_netem. */
int path_nl_netem(int nl, int ifindex, uint32_t handle, uint64_t delay_ns,
                  uint64_t jitter_ns, wm_error *err);

/* clsact on ifindex, and prog_fd as a direct-action filter on its
 * egress. */
int path_nl_egress_bpf(int nl, int ifindex, int prog_fd, const char *name,
                       wm_error *err);

#endif
