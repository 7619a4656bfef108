/* wm_path: see wm_path.h.
 *
 * A link is made in this order: three anonymous namespaces (unshare from
 * the calling thread, which then returns to its own) — the client's host,
 * the server's, and the wire between them; in the wire a bridge and two
 * veth pairs whose far ends are made directly in the hosts (so nothing
 * ever appears in the daemon's namespace); every end's MTU and offload,
 * each host's address; then the wire's qdiscs. Closing the namespace
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
#include <sys/ioctl.h>
#include <unistd.h>

#include "path_tool.h"

#define ETHERNET_HEADER_BYTES 14u
#define BATCH_MAX 512u

#define WIRE 2 /* ns[] index of the wire, after the two wm_path_sides */
#define NAMESPACES 3
/* The wire's ends: the qdisc on each shapes what goes toward that host. */
static const char *const wire_ends[2] = {"toclient", "toserver"};

struct wm_path {
    wm_path_options opts;
    bool ipv6;
    int ns[NAMESPACES]; /* by wm_path_side, then WIRE */
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

/* One wire end's egress: netem (delay, jitter, loss) at the root when
 * asked, then tbf (rate, queue) under it or at the root. Nothing when
 * neither. Returns the length written. */
static size_t qdisc_commands(const wm_path_options *o, const char *dev,
                             char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    const char *tbf_parent = "root handle 1:";
    if (o->delay_ms || o->jitter_ms || o->loss_centi) {
        used += (size_t)snprintf(buf, len,
                                 "qdisc add dev %s root handle 1: netem "
                                 "delay %ums %ums loss random %u.%02u%%\n",
                                 dev, o->delay_ms, o->jitter_ms,
                                 o->loss_centi / 100, o->loss_centi % 100);
        tbf_parent = "parent 1: handle 2:";
    }
    if (!o->rate_kbit)
        return used;
    uint64_t bytes_per_s = (uint64_t)o->rate_kbit * 1000u / 8u;
    uint64_t frame = o->mtu_bytes + ETHERNET_HEADER_BYTES;
    /* A millisecond's bytes, at least two frames: tbf's clock is fine
     * grained, and a burst below a frame would never send it. */
    uint64_t burst = bytes_per_s / 1000u;
    burst = burst > 2 * frame ? burst : 2 * frame;
    uint64_t limit = o->queue_bytes
                         ? o->queue_bytes
                         : bytes_per_s * WM_PATH_QUEUE_DEFAULT_MS / 1000u;
    limit = limit > frame ? limit : frame;
    assert(used < len);
    used += (size_t)snprintf(buf + used, len - used,
                             "qdisc add dev %s %s tbf rate %ukbit burst %llu "
                             "limit %llu\n", dev, tbf_parent, o->rate_kbit,
                             (unsigned long long)burst,
                             (unsigned long long)limit);
    assert(used < len);
    return used;
}

/* The wire: a bridge and a veth pair to each host, whose host end is made
 * in the host's namespace (passed to ip as /proc/self/fd/10 and 11). */
static int make_wire(const wm_path *path, wm_error *err)
{
    char batch[BATCH_MAX];
    unsigned mtu = path->opts.mtu_bytes;
    int n = snprintf(batch, sizeof batch,
                     "link add br0 type bridge\n"
                     "link add %s type veth peer name %s netns "
                     "/proc/self/fd/10\n"
                     "link add %s type veth peer name %s netns "
                     "/proc/self/fd/11\n"
                     "link set %s mtu %u master br0 up\n"
                     "link set %s mtu %u master br0 up\n"
                     "link set br0 up\n",
                     wire_ends[0], WM_PATH_INTERFACE, wire_ends[1],
                     WM_PATH_INTERFACE, wire_ends[0], mtu, wire_ends[1], mtu);
    assert(n > 0 && (size_t)n < sizeof batch);
    (void)n;
    _Static_assert(PATH_TOOL_PEER_FD == 10, "the peers' paths above");
    const int peers[PATH_TOOL_PEERS] = {path->ns[WM_PATH_CLIENT],
                                        path->ns[WM_PATH_SERVER]};
    return path_tool_batch("ip", path->ns[WIRE], peers, batch, err);
}

static int make_link(wm_path *path, wm_error *err)
{
    char batch[BATCH_MAX];
    const char *const *addresses = path->ipv6 ? ipv6_addresses
                                              : ipv4_addresses;
    const char *prefix = path->ipv6 ? "126 dev " WM_PATH_INTERFACE " nodad"
                                    : "30 dev " WM_PATH_INTERFACE;
    if (make_wire(path, err) != 0)
        return -1;
    for (int side = 0; side < 2; side++) {
        int n = snprintf(batch, sizeof batch,
                         "link set %s mtu %u up\naddr add %s/%s\n",
                         WM_PATH_INTERFACE, path->opts.mtu_bytes,
                         addresses[side], prefix);
        assert(n > 0 && (size_t)n < sizeof batch);
        (void)n;
        if (path_tool_batch("ip", path->ns[side], NULL, batch, err) != 0)
            return -1;
    }
    if (set_offload(path, err) != 0)
        return -1;
    size_t used = 0;
    for (int end = 0; end < 2; end++)
        used += qdisc_commands(&path->opts, wire_ends[end], batch + used,
                               sizeof batch - used);
    return used ? path_tool_batch("tc", path->ns[WIRE], NULL, batch, err)
                : 0;
}

int wm_path_open(const wm_path_options *opts, bool ipv6, wm_path **out,
                 wm_error *err)
{
    *out = NULL;
    assert(opts->kind == WM_PATH_LINK);
    if (wm_path_validate(opts, ipv6, err) != 0)
        return -1;
    wm_path *path = calloc(1, sizeof *path);
    if (!path)
        return wm_error_set(err, WM_ERR_INTERNAL, "path: out of memory");
    path->opts = *opts;
    path->ipv6 = ipv6;
    path->ns[0] = path->ns[1] = path->ns[WIRE] = -1;
    if (new_namespace(&path->ns[WM_PATH_CLIENT], err) != 0 ||
        new_namespace(&path->ns[WM_PATH_SERVER], err) != 0 ||
        new_namespace(&path->ns[WIRE], err) != 0 ||
        make_link(path, err) != 0) {
        wm_path_close(path);
        return -1;
    }
    *out = path;
    return 0;
}

void wm_path_close(wm_path *path)
{
    if (!path)
        return;
    for (int which = 0; which < NAMESPACES; which++)
        if (path->ns[which] >= 0)
            close(path->ns[which]);
    free(path);
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

static wm_path_caps caps;
static pthread_once_t caps_once = PTHREAD_ONCE_INIT;

/* Tried, not guessed: a real link with tbf, then netem on it. */
static void probe(void)
{
    wm_path_options opts;
    wm_path_options_default(&opts);
    opts.kind = WM_PATH_LINK;
    opts.rate_kbit = 1000;
    wm_path *path = calloc(1, sizeof *path);
    wm_error err = {0};
    if (!path) {
        snprintf(caps.link_why, sizeof caps.link_why, "out of memory");
        snprintf(caps.netem_why, sizeof caps.netem_why, "out of memory");
        return;
    }
    path->opts = opts;
    path->ns[0] = path->ns[1] = path->ns[WIRE] = -1;
    caps.link = new_namespace(&path->ns[WM_PATH_CLIENT], &err) == 0 &&
                new_namespace(&path->ns[WM_PATH_SERVER], &err) == 0 &&
                new_namespace(&path->ns[WIRE], &err) == 0 &&
                make_link(path, &err) == 0;
    if (!caps.link) {
        snprintf(caps.link_why, sizeof caps.link_why, "%.150s",
                 err.message);
        snprintf(caps.netem_why, sizeof caps.netem_why, "no link");
    } else {
        caps.netem = path_tool_batch("tc", path->ns[WIRE], NULL,
                                     "qdisc replace dev toclient root netem "
                                     "delay 1ms\n", &err) == 0;
        /* The tool's own words, without "path: `tc` failed (status 1)". */
        const char *said = strstr(err.message, "): ");
        if (!caps.netem)
            snprintf(caps.netem_why, sizeof caps.netem_why,
                     "`tc qdisc add ... netem` answers: %.110s",
                     said ? said + 3 : err.message);
    }
    wm_path_close(path);
}

const wm_path_caps *wm_path_capabilities(void)
{
    pthread_once(&caps_once, probe);
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
                                  "delay and jitter are a link's; allowed: "
                                  "path=link with them, or none of them");
        return 0;
    }
    if (ipv6 && o->mtu_bytes < WM_PATH_MIN_MTU_IPV6)
        return wm_error_param(err, WM_ERR_INVALID, "mtu",
                              "mtu: %u is below IPv6's least; allowed with "
                              "ipv6: %u to %u", o->mtu_bytes,
                              WM_PATH_MIN_MTU_IPV6, WM_PATH_MAX_MTU);
    if (o->queue_bytes && !o->rate_kbit)
        return wm_error_param(err, WM_ERR_INVALID, "queue",
                              "queue: a queue builds only behind a rate; "
                              "allowed: queue with rate");
    if (o->jitter_ms > o->delay_ms)
        return wm_error_param(err, WM_ERR_INVALID, "jitter",
                              "jitter: %u ms is more than the delay (%u ms); "
                              "allowed: 0 to delay", o->jitter_ms,
                              o->delay_ms);
    const wm_path_caps *c = wm_path_capabilities();
    if (!c->link)
        return wm_error_param(err, WM_ERR_INVALID, "path",
                              "path: this host cannot run a link (%s); "
                              "allowed: loopback", c->link_why);
    const char *needs_netem = o->delay_ms ? "delay"
                              : o->loss_centi ? "loss"
                                              : NULL;
    if (needs_netem && !c->netem)
        return wm_error_param(err, WM_ERR_INVALID, needs_netem,
                              "%s: needs the kernel module sch_netem, which "
                              "this host lacks (%s); allowed: 0",
                              needs_netem, c->netem_why);
    return 0;
}
