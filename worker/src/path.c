/* wm_path: see wm_path.h.
 *
 * A link is made in this order: three anonymous namespaces (unshare from
 * the calling thread, which then returns to its own) — the client's host,
 * the server's, and the wire between them; in the wire a bridge and two
 * veth pairs whose far ends are made directly in the hosts (so nothing
 * ever appears in the daemon's namespace); every end's MTU and offload,
 * each host's address; then, on each wire end, the loss filter and the
 * qdiscs — all of it rtnetlink messages (path_netlink.h), no process
 * started. Closing the namespace
 * descriptors is the whole teardown: the kernel deletes the veths, the
 * bridge and the qdiscs with the namespaces.
 *
 * Why a wire of its own: the qdiscs (rate, queue, loss, delay) must sit
 * between the hosts. On a host's own veth, its capture would see a frame
 * only as it leaves the queue, after any drop; in the wire, the sender's
 * capture sees what TCP sent, the receiver's what arrived, and the
 * difference is what the link did. */
#include "wm_path.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_sched.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "path_bpf.h"
#include "path_netlink.h"

#define ETHERNET_HEADER_BYTES 14u

#define WIRE 2 /* ns[] index of the wire, after the two wm_path_sides */
#define NAMESPACES 3
/* The wire's ends: the qdisc on each shapes what goes toward that host. */
static const char *const wire_ends[2] = {"toclient", "toserver"};

struct wm_path {
    wm_path_options opts;
    bool ipv6;
    int ns[NAMESPACES]; /* by wm_path_side, then WIRE */
    int loss_map[2];    /* the loss filter's map toward each side, -1 */
    int64_t setup_ns;   /* wm_path_open's time, monotonic */
};

/* Link-local and ULA: never routed, and the same for every run since no
 * two runs share a namespace (wm_path.h). */
static const char *const ipv4_addresses[2] = {"169.254.0.1", "169.254.0.2"};
static const char *const ipv6_addresses[2] = {"fd00:776d::1", "fd00:776d::2"};

void wm_path_options_default(wm_path_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->kind = WM_PATH_LOOPBACK;
    opts->mtu_bytes = WM_PATH_DEFAULT_MTU;
    opts->seed = WM_PATH_DEFAULT_SEED;
}

wm_path_way wm_path_toward(const wm_path_options *o, wm_path_side side)
{
    const wm_path_way both = {o->rate_kbit, o->queue_bytes, o->loss_centi,
                              o->delay_ms, o->jitter_ms};
    enum { MEMBERS = sizeof both / sizeof(uint32_t) };
    _Static_assert(sizeof(wm_path_way) == MEMBERS * sizeof(uint32_t),
                   "wm_path_way: uint32_t members only, indexed by bit");
    uint32_t from_both[MEMBERS], from_side[MEMBERS];
    memcpy(from_both, &both, sizeof both);
    memcpy(from_side, &o->toward[side], sizeof from_side);
    for (unsigned i = 0; i < MEMBERS; i++)
        if (o->overridden[side] & (1u << i))
            from_both[i] = from_side[i];
    wm_path_way out;
    memcpy(&out, from_both, sizeof out);
    return out;
}

static int own_namespace(wm_error *err)
{
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        wm_error_set(err, WM_ERR_IO, "path: opening this thread's network "
                     "namespace: %s", strerror(errno));
    return fd;
}

void wm_path_leave(int back)
{
    if (back < 0)
        return;
    /* A thread left in a run's namespace would make every later socket
     * of the daemon there: nothing can go on from it. */
    int rc = setns(back, CLONE_NEWNET);
    assert(rc == 0);
    if (rc != 0)
        abort();
    close(back);
}

/* A new namespace, its descriptor in *ns; the thread stays in its own. */
static int new_namespace(int *ns, wm_error *err)
{
    int back = own_namespace(err);
    if (back < 0)
        return -1;
    if (unshare(CLONE_NEWNET) != 0) {
        int e = errno;
        close(back);
        return wm_error_set(err, e == EPERM ? WM_ERR_PERMISSION : WM_ERR_IO,
                            "path: a network namespace cannot be made "
                            "(unshare: %s): run as root or with "
                            "CAP_SYS_ADMIN and CAP_NET_ADMIN", strerror(e));
    }
    *ns = own_namespace(err);
    wm_path_leave(back);
    return *ns < 0 ? -1 : 0;
}

static int enter(const wm_path *path, int which, int *back, wm_error *err)
{
    static const char *const names[NAMESPACES] = {"client", "server",
                                                  "wire"};
    *back = own_namespace(err);
    if (*back < 0)
        return -1;
    if (setns(path->ns[which], CLONE_NEWNET) != 0) {
        close(*back);
        *back = -1;
        return wm_error_set(err, WM_ERR_IO, "path: entering the %s's "
                            "namespace: %s", names[which], strerror(errno));
    }
    return 0;
}

int wm_path_enter(const wm_path *path, wm_path_side side, int *back,
                  wm_error *err)
{
    return enter(path, (int)side, back, err);
}

/* Segmentation and receive offloads off on one interface, so that each
 * frame is one a wire would carry. The legacy ethtool ioctls are enough
 * for the three flags, and need no feature-name table. */
static int offload_off(int fd, const char *interface, wm_error *err)
{
    static const struct {
        uint32_t cmd;
        const char *name;
    } flags[] = {{ETHTOOL_STSO, "tso"}, {ETHTOOL_SGSO, "gso"},
                 {ETHTOOL_SGRO, "gro"}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        struct ethtool_value value = {.cmd = flags[i].cmd, .data = 0};
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", interface);
        ifr.ifr_data = (char *)&value;
        if (ioctl(fd, SIOCETHTOOL, &ifr) != 0)
            return wm_error_set(err, WM_ERR_IO, "path: turning %s off on "
                                "%s: %s", flags[i].name, interface,
                                strerror(errno));
    }
    return 0;
}

/* Every veth end: the hosts' wm0 and the wire's two. */
static int set_offload(const wm_path *path, wm_error *err)
{
    if (path->opts.offload)
        return 0; /* the veth's own: TSO and GSO on */
    for (int which = 0; which < NAMESPACES; which++) {
        int back;
        if (enter(path, which, &back, err) != 0)
            return -1;
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int rc = fd < 0 ? wm_error_set(err, WM_ERR_IO, "path: socket: %s",
                                       strerror(errno))
                        : 0;
        for (int end = 0; rc == 0 && end < (which == WIRE ? 2 : 1); end++)
            rc = offload_off(fd, which == WIRE ? wire_ends[end]
                                               : WM_PATH_INTERFACE, err);
        if (fd >= 0)
            close(fd);
        wm_path_leave(back);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Interface indexes, chosen rather than asked back (path_netlink.h):
 * far above lo's 1 and the few fallback tunnels a kernel may add to each
 * new namespace. */
enum { BRIDGE_INDEX = 100, WIRE_END_INDEX = 101, HOST_INDEX = 100 };
#define NETEM_HANDLE TC_H_MAKE(1u << 16, 0)
#define TBF_HANDLE TC_H_MAKE(2u << 16, 0)

/* One wire end's egress, toward side: the loss filter (clsact, before any
 * queue: a dropped frame never waits in it), netem (delay, jitter) at the
 * root when asked, then tbf (rate, queue) under it or at the root. */
static int shape_end(wm_path *path, int nl, int side, wm_error *err)
{
    const wm_path_way way = wm_path_toward(&path->opts, (wm_path_side)side);
    const wm_path_way *o = &way;
    int ifindex = WIRE_END_INDEX + side;
    if (o->loss_centi) {
        int prog;
        if (path_bpf_loss(o->loss_centi, path->opts.seed, (uint32_t)side, &prog,
                          &path->loss_map[side], err) != 0)
            return -1;
        int rc = path_nl_egress_bpf(nl, ifindex, prog, "wm_loss", err);
        close(prog); /* the filter holds it now */
        if (rc != 0)
            return -1;
    }
    uint32_t tbf_parent = 0;
    if (o->delay_ms || o->jitter_ms) {
        if (path_nl_netem(nl, ifindex, NETEM_HANDLE,
                          (uint64_t)o->delay_ms * 1000000u,
                          (uint64_t)o->jitter_ms * 1000000u, err) != 0)
            return -1;
        tbf_parent = NETEM_HANDLE;
    }
    if (!o->rate_kbit)
        return 0;
    uint64_t bytes_per_s = (uint64_t)o->rate_kbit * 1000u / 8u;
    uint64_t frame = path->opts.mtu_bytes + ETHERNET_HEADER_BYTES;
    /* A millisecond's bytes, at least two frames: tbf's clock is fine
     * grained, and a burst below a frame would never send it. */
    uint64_t burst = bytes_per_s / 1000u;
    burst = burst > 2 * frame ? burst : 2 * frame;
    uint64_t limit = o->queue_bytes
                         ? o->queue_bytes
                         : bytes_per_s * WM_PATH_QUEUE_DEFAULT_MS / 1000u;
    limit = limit > frame ? limit : frame;
    limit = limit < UINT32_MAX ? limit : UINT32_MAX;
    burst = burst < UINT32_MAX ? burst : UINT32_MAX;
    return path_nl_tbf(nl, ifindex, tbf_parent, TBF_HANDLE, bytes_per_s,
                       (uint32_t)burst, (uint32_t)limit, err);
}

/* A netlink socket in each namespace, made there (it stays bound to it). */
static int sockets(const wm_path *path, int nl[NAMESPACES], wm_error *err)
{
    for (int which = 0; which < NAMESPACES; which++) {
        int back;
        if (enter(path, which, &back, err) != 0)
            return -1;
        nl[which] = path_nl_socket(err);
        wm_path_leave(back);
        if (nl[which] < 0)
            return -1;
    }
    return 0;
}

/* The wire (a bridge, and a veth pair to each host whose far end is made
 * in the host's namespace), each host's address, offload, the shaping. */
static int build(wm_path *path, const int nl[NAMESPACES], wm_error *err)
{
    if (path_nl_bridge(nl[WIRE], "br0", BRIDGE_INDEX, err) != 0)
        return -1;
    for (int side = 0; side < 2; side++)
        if (path_nl_veth(nl[WIRE], wire_ends[side], WIRE_END_INDEX + side,
                         BRIDGE_INDEX, WM_PATH_INTERFACE, HOST_INDEX,
                         path->ns[side], path->opts.mtu_bytes, err) != 0)
            return -1;
    for (int side = 0; side < 2; side++) {
        unsigned char address[16];
        int family = path->ipv6 ? AF_INET6 : AF_INET;
        int ok = inet_pton(family, (path->ipv6 ? ipv6_addresses
                                               : ipv4_addresses)[side],
                           address);
        assert(ok == 1);
        (void)ok;
        if (path_nl_up(nl[side], HOST_INDEX, err) != 0 ||
            path_nl_address(nl[side], HOST_INDEX, family, address,
                            path->ipv6 ? 126 : 30, err) != 0)
            return -1;
    }
    if (set_offload(path, err) != 0)
        return -1;
    for (int side = 0; side < 2; side++)
        if (shape_end(path, nl[WIRE], side, err) != 0)
            return -1;
    return 0;
}

static int make_link(wm_path *path, wm_error *err)
{
    int nl[NAMESPACES] = {-1, -1, -1};
    int rc = sockets(path, nl, err) == 0 && build(path, nl, err) == 0 ? 0
                                                                      : -1;
    for (int which = 0; which < NAMESPACES; which++)
        if (nl[which] >= 0)
            close(nl[which]);
    return rc;
}

static wm_path *path_new(const wm_path_options *opts, bool ipv6)
{
    wm_path *path = calloc(1, sizeof *path);
    if (!path)
        return NULL;
    path->opts = *opts;
    path->ipv6 = ipv6;
    for (int which = 0; which < NAMESPACES; which++)
        path->ns[which] = -1;
    path->loss_map[0] = path->loss_map[1] = -1;
    return path;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The namespaces and the link, without validating opts (the probe's). */
static int open_unchecked(const wm_path_options *opts, bool ipv6,
                          wm_path **out, wm_error *err)
{
    *out = NULL;
    int64_t start = now_ns();
    wm_path *path = path_new(opts, ipv6);
    if (!path)
        return wm_error_set(err, WM_ERR_INTERNAL, "path: out of memory");
    if (new_namespace(&path->ns[WM_PATH_CLIENT], err) != 0 ||
        new_namespace(&path->ns[WM_PATH_SERVER], err) != 0 ||
        new_namespace(&path->ns[WIRE], err) != 0 ||
        make_link(path, err) != 0) {
        wm_path_close(path);
        return -1;
    }
    path->setup_ns = now_ns() - start;
    *out = path;
    return 0;
}

int wm_path_open(const wm_path_options *opts, bool ipv6, wm_path **out,
                 wm_error *err)
{
    *out = NULL;
    assert(opts->kind == WM_PATH_LINK);
    if (wm_path_validate(opts, ipv6, err) != 0)
        return -1;
    return open_unchecked(opts, ipv6, out, err);
}

int64_t wm_path_close(wm_path *path)
{
    if (!path)
        return 0;
    int64_t start = now_ns();
    for (int side = 0; side < 2; side++)
        if (path->loss_map[side] >= 0)
            close(path->loss_map[side]);
    for (int which = 0; which < NAMESPACES; which++)
        if (path->ns[which] >= 0)
            close(path->ns[which]);
    free(path);
    return now_ns() - start;
}

int64_t wm_path_setup_ns(const wm_path *path)
{
    return path->setup_ns;
}

int wm_path_loss_counts(const wm_path *path, wm_path_side toward,
                        wm_path_loss *out, wm_error *err)
{
    memset(out, 0, sizeof *out);
    if (path->loss_map[toward] < 0)
        return 0;
    path_bpf_counts counts;
    if (path_bpf_read(path->loss_map[toward], &counts, err) != 0)
        return -1;
    out->tcp_frames = counts.seen_frames;
    out->dropped_frames = counts.dropped_frames;
    return 0;
}

int wm_path_socket(const wm_path *path, wm_path_side side, int family,
                   int type, wm_error *err)
{
    int back;
    if (wm_path_enter(path, side, &back, err) != 0)
        return -1;
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    int e = errno;
    wm_path_leave(back);
    if (fd < 0)
        wm_error_set(err, WM_ERR_IO, "transfer: socket on the link: %s",
                     strerror(e));
    return fd;
}

socklen_t wm_path_address(const wm_path *path, wm_path_side side,
                          uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (path->ipv6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        inet_pton(AF_INET6, ipv6_addresses[side], &sin6->sin6_addr);
        return sizeof *sin6;
    }
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    inet_pton(AF_INET, ipv4_addresses[side], &sin->sin_addr);
    return sizeof *sin;
}

/* What is known of this host, probed lazily: a command-line run pays
 * only for the features it asks for, once; the daemon asks for all at
 * start. Written under caps_lock, and a field only while its bit is not
 * in probed: once set, it is read without the lock. */
static wm_path_caps caps;
static pthread_mutex_t caps_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned probed; /* PROBE_* bits known */

enum { PROBE_LINK = 1u, PROBE_LOSS = 2u, PROBE_NETEM = 4u };

/* Whether a link with opts can be made; why not into why. */
static bool try_link(const wm_path_options *opts, char *why, size_t len)
{
    wm_path *path;
    wm_error err = {0};
    if (open_unchecked(opts, false, &path, &err) == 0) {
        wm_path_close(path);
        why[0] = '\0';
        return true;
    }
    /* A refused request: the kernel's words, without "path: adding
     * netem: "; anything else whole. */
    static const char adding[] = "path: adding ";
    const char *said = strncmp(err.message, adding, sizeof adding - 1) == 0
                           ? strstr(err.message + sizeof adding - 1, ": ")
                           : NULL;
    snprintf(why, len, "%.150s", said ? said + 2 : err.message);
    return false;
}

/* The probe's link: a rate, so that tbf is tried too. */
static void probe_options(wm_path_options *opts)
{
    wm_path_options_default(opts);
    opts->kind = WM_PATH_LINK;
    opts->rate_kbit = 1000;
}

static void probe_link(void)
{
    wm_path_options opts;
    probe_options(&opts);
    caps.link = try_link(&opts, caps.link_why, sizeof caps.link_why);
    probed |= PROBE_LINK;
}

/* Tried, not guessed: a real link with the feature. It proves the link
 * too; only when it fails is a plain one tried, to tell which failed. */
static void probe_feature(unsigned bit, bool *ok, char *why, size_t len)
{
    wm_path_options opts;
    probe_options(&opts);
    if (bit == PROBE_LOSS)
        opts.loss_centi = 1;
    else
        opts.delay_ms = 1;
    *ok = try_link(&opts, why, len);
    if (*ok && !(probed & PROBE_LINK)) {
        caps.link = true;
        caps.link_why[0] = '\0';
        probed |= PROBE_LINK;
    }
    if (!*ok && !(probed & PROBE_LINK))
        probe_link();
    if (!caps.link)
        snprintf(why, len, "no link");
    probed |= bit;
}

/* Probes what want names and is not known yet. */
static void probe(unsigned want)
{
    pthread_mutex_lock(&caps_lock);
    if ((want & PROBE_LOSS) && !(probed & PROBE_LOSS))
        probe_feature(PROBE_LOSS, &caps.loss, caps.loss_why,
                      sizeof caps.loss_why);
    if ((want & PROBE_NETEM) && !(probed & PROBE_NETEM))
        probe_feature(PROBE_NETEM, &caps.netem, caps.netem_why,
                      sizeof caps.netem_why);
    if ((want & PROBE_LINK) && !(probed & PROBE_LINK))
        probe_link();
    assert((probed & want) == want);
    pthread_mutex_unlock(&caps_lock);
}

const wm_path_caps *wm_path_capabilities(void)
{
    probe(PROBE_LINK | PROBE_LOSS | PROBE_NETEM);
    return &caps;
}

int wm_path_validate(const wm_path_options *o, bool ipv6, wm_error *err)
{
    if (o->kind == WM_PATH_LOOPBACK) {
        wm_path_options loopback;
        wm_path_options_default(&loopback);
        if (memcmp(o, &loopback, sizeof *o) != 0)
            return wm_error_param(err, WM_ERR_INVALID, "path",
                                  "path: mtu, offload, rate, queue, loss, "
                                  "seed, delay and jitter (and their _to_ "
                                  "overrides) are a link's; allowed: "
                                  "path=link with them, or none of them");
        return 0;
    }
    if (ipv6 && o->mtu_bytes < WM_PATH_MIN_MTU_IPV6)
        return wm_error_param(err, WM_ERR_INVALID, "mtu",
                              "mtu: %u is below IPv6's least; allowed with "
                              "ipv6: %u to %u", o->mtu_bytes,
                              WM_PATH_MIN_MTU_IPV6, WM_PATH_MAX_MTU);
    static const char *const to[2] = {"_to_client", "_to_server"};
    bool loss = false, netem = false;
    const char *netem_name = "delay";
    for (int side = 0; side < 2; side++) {
        wm_path_way w = wm_path_toward(o, (wm_path_side)side);
        /* An override's name when the setting was overridden. */
        const char *suffix = to[side];
        char name[24];
        bool q_own = o->overridden[side] & WM_PATH_WAY_QUEUE;
        bool j_own = o->overridden[side] & WM_PATH_WAY_JITTER;
        if (w.queue_bytes && !w.rate_kbit) {
            snprintf(name, sizeof name, "queue%s", q_own ? suffix : "");
            return wm_error_param(err, WM_ERR_INVALID, name,
                                  "%s: a queue builds only behind a rate; "
                                  "allowed: queue with rate", name);
        }
        if (w.jitter_ms > w.delay_ms) {
            snprintf(name, sizeof name, "jitter%s", j_own ? suffix : "");
            return wm_error_param(err, WM_ERR_INVALID, name,
                                  "%s: %u ms is more than the delay (%u "
                                  "ms); allowed: 0 to delay", name,
                                  w.jitter_ms, w.delay_ms);
        }
        loss |= w.loss_centi > 0;
        if (w.delay_ms && !netem)
            netem_name = o->overridden[side] & WM_PATH_WAY_DELAY
                             ? (side ? "delay_to_server" : "delay_to_client")
                             : "delay";
        netem |= w.delay_ms > 0;
    }
    probe(PROBE_LINK | (loss ? PROBE_LOSS : 0) | (netem ? PROBE_NETEM : 0));
    const wm_path_caps *c = &caps;
    if (!c->link)
        return wm_error_param(err, WM_ERR_INVALID, "path",
                              "path: this host cannot run a link (%s); "
                              "allowed: loopback", c->link_why);
    if (loss && !c->loss)
        return wm_error_param(err, WM_ERR_INVALID, "loss",
                              "loss: needs an eBPF program on the link "
                              "(cls_bpf), which this host refuses (%s); "
                              "allowed: 0", c->loss_why);
    if (netem && !c->netem)
        return wm_error_param(err, WM_ERR_INVALID, netem_name,
                              "%s: needs the kernel module sch_netem, which "
                              "this host lacks (%s); allowed: 0",
                              netem_name, c->netem_why);
    return 0;
}
