/* wm_path: the network a run crosses. "loopback" is the host's own lo
 * (65,536-byte MTU, offload, no queue); "link" puts the client and the
 * server each in a network namespace of its own — two hosts — joined
 * through a third, the wire: a bridge with a veth pair to each host, whose
 * ends toward the hosts carry the run's rate, queue, loss and delay
 * (loss by an eBPF filter seeded by `seed`, delay by netem). The
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
/* The loss's seed when none is asked: a fixed one, so that the same
 * request loses the same frames (a student comparing cubic and bbr on
 * "1 % loss" compares them on one loss pattern, not two draws). */
#define WM_PATH_DEFAULT_SEED 1u

/* The settings of one direction of the link: the wire's end toward one
 * host, what that host receives. */
typedef struct wm_path_way {
    uint32_t rate_kbit;    /* tbf rate, 0: unlimited */
    uint32_t queue_bytes;  /* tbf limit, 0: WM_PATH_QUEUE_DEFAULT_MS */
    uint32_t loss_centi;   /* random loss, in 1/100 % */
    uint32_t delay_ms;     /* one-way delay (netem) */
    uint32_t jitter_ms;    /* spread around delay (netem) */
} wm_path_way;

/* A member's bit in wm_path_options.overridden: 1 << its index. */
enum {
    WM_PATH_WAY_RATE = 1u << 0,
    WM_PATH_WAY_QUEUE = 1u << 1,
    WM_PATH_WAY_LOSS = 1u << 2,
    WM_PATH_WAY_DELAY = 1u << 3,
    WM_PATH_WAY_JITTER = 1u << 4,
};

/* The link's settings. rate, queue, loss, delay and jitter apply to each
 * direction alike, as on an Ethernet cable, unless a direction overrides
 * one (an asymmetric home line): toward[side] holds the overrides, each
 * where its bit (wm_path_way's member index) is set in overridden[side].
 * wm_path_toward gives what applies. Named by the host a direction goes
 * to, not up or down: which way the data goes is the run's `direction`. */
typedef struct wm_path_options {
    wm_path_kind kind;
    uint32_t mtu_bytes;    /* the veth's MTU */
    bool offload;          /* TSO, GSO and GRO on the veth */
    uint32_t rate_kbit;    /* each way, as wm_path_way's */
    uint32_t queue_bytes;
    uint32_t loss_centi;
    uint32_t delay_ms;
    uint32_t jitter_ms;
    uint32_t seed;         /* the loss's generator's seed (path_bpf) */
    wm_path_way toward[2]; /* by wm_path_side: overrides */
    uint32_t overridden[2];
} wm_path_options;

typedef enum wm_path_side { WM_PATH_CLIENT, WM_PATH_SERVER } wm_path_side;

/* What applies toward side: each setting's override, or the both-ways
 * value. */
wm_path_way wm_path_toward(const wm_path_options *opts, wm_path_side side);

void wm_path_options_default(wm_path_options *opts);

/* What this host can run, probed once, and why not when it cannot. */
typedef struct wm_path_caps {
    bool link;                /* namespaces, veth, bridge, tbf */
    bool loss;                /* an eBPF filter on the link: loss */
    bool netem;               /* sch_netem: delay and jitter */
    char link_why[160];       /* "" when link */
    char loss_why[160];       /* "" when loss */
    char netem_why[160];      /* "" when netem */
} wm_path_caps;

const wm_path_caps *wm_path_capabilities(void);

/* Refuses (WM_ERR_INVALID, naming the parameter) settings that need
 * another path, another family's MTU or a feature this host lacks. */
int wm_path_validate(const wm_path_options *opts, bool ipv6, wm_error *err);

typedef struct wm_path wm_path;

/* Makes the two hosts and their link; wm_path_close undoes all of it and
 * returns how long that took (ns): a run's teardown comes after its
 * result is made, so only a caller timing it can report it. */
int wm_path_open(const wm_path_options *opts, bool ipv6, wm_path **out,
                 wm_error *err);
int64_t wm_path_close(wm_path *path);

/* How long wm_path_open took to make the namespaces and the link, ns. */
int64_t wm_path_setup_ns(const wm_path *path);

/* What the loss filter on the wire end toward one host did so far: zeros
 * when the link has no loss. Only TCP frames draw (path_bpf.h says why). */
typedef struct wm_path_loss {
    uint64_t tcp_frames;     /* TCP frames that crossed the filter */
    uint64_t dropped_frames; /* of them, dropped by it */
} wm_path_loss;

int wm_path_loss_counts(const wm_path *path, wm_path_side toward,
                        wm_path_loss *out, wm_error *err);

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
