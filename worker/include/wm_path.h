/* wm_path: the network a run crosses. "loopback" is the host's own lo
 * (65,536-byte MTU, offload, no queue); "link" puts the client and the
 * server each in a network namespace of its own — two hosts — joined
 * through a third, the wire: a bridge with a veth pair to each host, whose
 * ends toward the hosts carry the run's rate, queue, loss and delay. The
 * MTU and offload are those of every veth end. So each host's capture
 * sees its own side: the sender's what TCP sent, the receiver's what
 * arrived.
 *
 * The namespaces are anonymous: they are held only by file descriptors
 * of this process, never bind-mounted under /run/netns. So every link
 * (veths, bridge, qdiscs) lives exactly as long as its run holds it, and a
 * daemon killed with SIGKILL leaves nothing behind for the next one to
 * clean: the kernel frees a namespace with its last reference. For the
 * same reason every run may use the same addresses and interface names
 * (169.254.0.1/30 and .2, fd00:776d::1/126 and ::2, "wm0"): no two runs
 * share a namespace, so none sees another's packets.
 *
 * A thread enters a namespace only around the call that must be made in
 * it (socket(), pcap's activation): a socket keeps the namespace it was
 * made in, and can then be used from any thread. */
#ifndef WM_PATH_H
#define WM_PATH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wm_error.h"

typedef enum wm_path_kind {
    WM_PATH_LOOPBACK, /* the host's lo, as every run before paths */
    WM_PATH_LINK,     /* two hosts and the wire between them */
} wm_path_kind;

#define WM_PATH_DEFAULT_MTU 1500u
#define WM_PATH_MIN_MTU 576u        /* IPv4's least datagram every host
                                       takes; IPv6 needs 1280 */
#define WM_PATH_MIN_MTU_IPV6 1280u
#define WM_PATH_MAX_MTU 65535u      /* veth's largest, loopback's size */
#define WM_PATH_MAX_RATE_KBIT 100000000u  /* 100 Gbit/s */
#define WM_PATH_MAX_QUEUE_BYTES (64u * 1024u * 1024u)
#define WM_PATH_MAX_LOSS_CENTI 5000u      /* 50 %, in 1/100 % */
#define WM_PATH_MAX_DELAY_MS 10000u
#define WM_PATH_QUEUE_DEFAULT_MS 50u  /* queue 0: this long at the rate */
#define WM_PATH_INTERFACE "wm0"       /* each host's veth end */

/* The link's settings. rate, queue, loss, delay and jitter apply to each
 * direction alike: the link is symmetric, as an Ethernet cable is. */
typedef struct wm_path_options {
    wm_path_kind kind;
    uint32_t mtu_bytes;    /* the veth's MTU */
    bool offload;          /* TSO, GSO and GRO on the veth */
    uint32_t rate_kbit;    /* tbf rate per direction, 0: unlimited */
    uint32_t queue_bytes;  /* tbf limit, 0: WM_PATH_QUEUE_DEFAULT_MS */
    uint32_t loss_centi;   /* random loss per direction, in 1/100 % */
    uint32_t delay_ms;     /* one-way delay per direction (netem) */
    uint32_t jitter_ms;    /* spread around delay (netem) */
} wm_path_options;

void wm_path_options_default(wm_path_options *opts);

/* What this host can run, probed once, and why not when it cannot. */
typedef struct wm_path_caps {
    bool link;                /* namespaces, veth, bridge, tbf */
    bool netem;               /* sch_netem: delay, jitter and loss */
    char link_why[160];       /* "" when link */
    char netem_why[160];      /* "" when netem */
} wm_path_caps;

const wm_path_caps *wm_path_capabilities(void);

/* Refuses (WM_ERR_INVALID, naming the parameter) settings that need
 * another path, another family's MTU or a feature this host lacks. */
int wm_path_validate(const wm_path_options *opts, bool ipv6, wm_error *err);

typedef enum wm_path_side { WM_PATH_CLIENT, WM_PATH_SERVER } wm_path_side;

typedef struct wm_path wm_path;

/* Makes the two hosts and their link; wm_path_close undoes all of it. */
int wm_path_open(const wm_path_options *opts, bool ipv6, wm_path **out,
                 wm_error *err);
void wm_path_close(wm_path *path);

/* A socket made in side's namespace (SOCK_CLOEXEC added). */
int wm_path_socket(const wm_path *path, wm_path_side side, int family,
                   int type, wm_error *err);

/* The side's address on the link, with port. */
socklen_t wm_path_address(const wm_path *path, wm_path_side side,
                          uint16_t port, struct sockaddr_storage *ss);

/* Moves the calling thread into side's namespace; *back receives what
 * wm_path_leave needs to return it. */
int wm_path_enter(const wm_path *path, wm_path_side side, int *back,
                  wm_error *err);
void wm_path_leave(int back);

#endif
