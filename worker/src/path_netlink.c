/* path_netlink: see path_netlink.h.
 *
 * A message is built in one fixed buffer: the header, the family's
 * struct, then attributes, nested ones closed by writing their length
 * once their content is in. Its sizes are the code's own (names are at
 * most IFNAMSIZ), never a request's, so running out of room is a bug:
 * asserted. The kernel's extended acknowledgement carries its own words
 * on a refusal ("Exclusivity flag on, cannot modify"), quoted in the
 * error. */
#include "path_netlink.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* netem's queue, in frames: tc's default. */
#define NETEM_LIMIT_FRAMES 1000u

#ifndef ETH_P_ALL
#define ETH_P_ALL 0x0003
#endif

typedef struct nl_msg {
    union {
        struct nlmsghdr header;
        uint32_t aligned[PATH_NL_MESSAGE_BYTES / 4];
    } u;
} nl_msg;

static void *put(nl_msg *m, size_t len)
{
    size_t at = m->u.header.nlmsg_len;
    size_t grown = NLMSG_ALIGN(at + len);
    assert(grown <= sizeof m->u.aligned);
    char *p = (char *)m->u.aligned + at;
    memset(p, 0, grown - at);
    m->u.header.nlmsg_len = (uint32_t)grown;
    return p;
}

static void *begin(nl_msg *m, uint16_t type, uint16_t flags, size_t family)
{
    memset(m, 0, sizeof *m);
    m->u.header.nlmsg_len = NLMSG_HDRLEN;
    m->u.header.nlmsg_type = type;
    m->u.header.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
    return put(m, family);
}

static struct rtattr *nest(nl_msg *m, uint16_t type)
{
    struct rtattr *a = put(m, RTA_LENGTH(0));
    a->rta_type = type;
    return a;
}

static void nest_end(nl_msg *m, struct rtattr *a)
{
    a->rta_len = (unsigned short)((char *)m->u.aligned +
                                  m->u.header.nlmsg_len - (char *)a);
}

static void attr(nl_msg *m, uint16_t type, const void *data, size_t len)
{
    struct rtattr *a = put(m, RTA_LENGTH(len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
}

static void attr_u32(nl_msg *m, uint16_t type, uint32_t v)
{
    attr(m, type, &v, sizeof v);
}

static void attr_str(nl_msg *m, uint16_t type, const char *s)
{
    attr(m, type, s, strlen(s) + 1);
}

int path_nl_socket(wm_error *err)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return wm_error_set(err, WM_ERR_IO, "path: a netlink socket: %s",
                            strerror(errno));
    int on = 1;
    /* Best effort: without them an error is only its errno. */
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    struct timeval tv = {.tv_sec = PATH_NL_TIMEOUT_MS / 1000,
                         .tv_usec = PATH_NL_TIMEOUT_MS % 1000 * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
        int e = errno;
        close(fd);
        return wm_error_set(err, WM_ERR_IO, "path: netlink timeout: %s",
                            strerror(e));
    }
    return fd;
}

/* The kernel's message in an extended acknowledgement, or "". */
static const char *ack_message(const struct nlmsghdr *h)
{
    if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
        return "";
    const struct nlmsgerr *e = NLMSG_DATA(h);
    size_t at = sizeof *e;
    if (!(h->nlmsg_flags & NLM_F_CAPPED))
        at += e->msg.nlmsg_len - NLMSG_HDRLEN;
    const char *base = (const char *)e;
    size_t end = h->nlmsg_len - NLMSG_HDRLEN;
    while (at + NLA_HDRLEN <= end) {
        const struct nlattr *a = (const struct nlattr *)(base + at);
        if (a->nla_len < NLA_HDRLEN || at + a->nla_len > end)
            break;
        if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG &&
            a->nla_len > NLA_HDRLEN &&
            base[at + a->nla_len - 1] == '\0')
            return base + at + NLA_HDRLEN;
        at += NLA_ALIGN(a->nla_len);
    }
    return "";
}

/* Sends m and waits for its acknowledgement; what names the request in an
 * error. */
static int talk(int nl, nl_msg *m, const char *what, wm_error *err)
{
    static _Thread_local uint32_t seq;
    m->u.header.nlmsg_seq = ++seq;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(nl, m->u.aligned, m->u.header.nlmsg_len, 0,
               (struct sockaddr *)&kernel, sizeof kernel) < 0)
        return wm_error_set(err, WM_ERR_IO, "path: %s: netlink: %s", what,
                            strerror(errno));
    uint32_t answer[PATH_NL_MESSAGE_BYTES / 4];
    for (;;) {
        ssize_t n = recv(nl, answer, sizeof answer, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return wm_error_set(err, WM_ERR_IO, "path: %s: no answer from "
                                "the kernel: %s", what,
                                errno == EAGAIN ? "timed out"
                                                : strerror(errno));
        for (struct nlmsghdr *h = (struct nlmsghdr *)answer;
             NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != m->u.header.nlmsg_seq ||
                h->nlmsg_type != NLMSG_ERROR)
                continue;
            const struct nlmsgerr *e = NLMSG_DATA(h);
            if (e->error == 0)
                return 0;
            const char *said = ack_message(h);
            return wm_error_set(err, e->error == -EPERM ? WM_ERR_PERMISSION
                                                        : WM_ERR_IO,
                                "path: %s: %s%s%.80s", what,
                                strerror(-e->error), said[0] ? ": " : "",
                                said);
        }
    }
}

static struct ifinfomsg *link_begin(nl_msg *m, int ifindex)
{
    struct ifinfomsg *ifi = begin(m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
                                  sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return ifi;
}

int path_nl_bridge(int nl, const char *name, int ifindex, wm_error *err)
{
    nl_msg m;
    link_begin(&m, ifindex);
    attr_str(&m, IFLA_IFNAME, name);
    struct rtattr *info = nest(&m, IFLA_LINKINFO);
    attr_str(&m, IFLA_INFO_KIND, "bridge");
    nest_end(&m, info);
    return talk(nl, &m, "making the bridge", err);
}

int path_nl_veth(int nl, const char *name, int ifindex, int master,
                 const char *peer_name, int peer_ifindex, int peer_ns,
                 uint32_t mtu, wm_error *err)
{
    assert(strlen(name) < IFNAMSIZ && strlen(peer_name) < IFNAMSIZ);
    nl_msg m;
    link_begin(&m, ifindex);
    attr_str(&m, IFLA_IFNAME, name);
    attr_u32(&m, IFLA_MTU, mtu);
    if (master > 0)
        attr_u32(&m, IFLA_MASTER, (uint32_t)master);
    struct rtattr *info = nest(&m, IFLA_LINKINFO);
    attr_str(&m, IFLA_INFO_KIND, "veth");
    struct rtattr *data = nest(&m, IFLA_INFO_DATA);
    struct rtattr *peer = nest(&m, VETH_INFO_PEER);
    struct ifinfomsg *pi = put(&m, sizeof *pi);
    pi->ifi_family = AF_UNSPEC;
    pi->ifi_index = peer_ifindex;
    attr_str(&m, IFLA_IFNAME, peer_name);
    attr_u32(&m, IFLA_MTU, mtu);
    attr_u32(&m, IFLA_NET_NS_FD, (uint32_t)peer_ns);
    nest_end(&m, peer);
    nest_end(&m, data);
    nest_end(&m, info);
    return talk(nl, &m, "making a veth pair", err);
}

int path_nl_up(int nl, int ifindex, wm_error *err)
{
    nl_msg m;
    link_begin(&m, ifindex);
    m.u.header.nlmsg_flags &= (uint16_t)~(NLM_F_CREATE | NLM_F_EXCL);
    return talk(nl, &m, "setting a link up", err);
}

int path_nl_address(int nl, int ifindex, int family, const void *address,
                    unsigned prefix, wm_error *err)
{
    assert(family == AF_INET || family == AF_INET6);
    nl_msg m;
    struct ifaddrmsg *ifa = begin(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
                                  sizeof *ifa);
    ifa->ifa_family = (uint8_t)family;
    ifa->ifa_prefixlen = (uint8_t)prefix;
    ifa->ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (uint32_t)ifindex;
    size_t len = family == AF_INET ? 4 : 16;
    attr(&m, IFA_LOCAL, address, len);
    attr(&m, IFA_ADDRESS, address, len);
    return talk(nl, &m, "adding an address", err);
}

static struct tcmsg *tc_begin(nl_msg *m, uint16_t type, int ifindex,
                              uint32_t parent, uint32_t handle)
{
    struct tcmsg *t = begin(m, type, NLM_F_CREATE | NLM_F_EXCL, sizeof *t);
    t->tcm_family = AF_UNSPEC;
    t->tcm_ifindex = ifindex;
    t->tcm_parent = parent;
    t->tcm_handle = handle;
    return t;
}

int path_nl_tbf(int nl, int ifindex, uint32_t parent, uint32_t handle,
                uint64_t rate_bytes_per_s, uint32_t burst_bytes,
                uint32_t limit_bytes, wm_error *err)
{
    assert(rate_bytes_per_s > 0 && burst_bytes > 0);
    nl_msg m;
    tc_begin(&m, RTM_NEWQDISC, ifindex, parent ? parent : TC_H_ROOT, handle);
    attr_str(&m, TCA_KIND, "tbf");
    struct rtattr *options = nest(&m, TCA_OPTIONS);
    /* An Ethernet link layer: the kernel then computes the times itself,
     * with no rate table to send. TCA_TBF_BURST gives the bucket in bytes
     * (the kernel derives the old field `buffer`, a time, from it). */
    struct tc_tbf_qopt q;
    memset(&q, 0, sizeof q);
    q.rate.rate = rate_bytes_per_s > UINT32_MAX ? UINT32_MAX
                                                : (uint32_t)rate_bytes_per_s;
    q.rate.linklayer = TC_LINKLAYER_ETHERNET;
    q.limit = limit_bytes;
    attr(&m, TCA_TBF_PARMS, &q, sizeof q);
    attr_u32(&m, TCA_TBF_BURST, burst_bytes);
    if (rate_bytes_per_s > UINT32_MAX)
        attr(&m, TCA_TBF_RATE64, &rate_bytes_per_s, sizeof rate_bytes_per_s);
    nest_end(&m, options);
    return talk(nl, &m, "adding tbf", err);
}

int path_nl_egress_bpf(int nl, int ifindex, int prog_fd, const char *name,
                       wm_error *err)
{
    nl_msg m;
    tc_begin(&m, RTM_NEWQDISC, ifindex, TC_H_CLSACT,
             TC_H_MAKE(TC_H_CLSACT, 0));
    attr_str(&m, TCA_KIND, "clsact");
    if (talk(nl, &m, "adding clsact", err) != 0)
        return -1;
    struct tcmsg *t = tc_begin(&m, RTM_NEWTFILTER, ifindex,
                               TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS), 1);
    /* Priority 1, every protocol: the program tells frames apart. */
    t->tcm_info = TC_H_MAKE(1u << 16, htons(ETH_P_ALL));
    attr_str(&m, TCA_KIND, "bpf");
    struct rtattr *options = nest(&m, TCA_OPTIONS);
    attr_u32(&m, TCA_BPF_FD, (uint32_t)prog_fd);
    attr_str(&m, TCA_BPF_NAME, name);
    attr_u32(&m, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
    nest_end(&m, options);
    return talk(nl, &m, "adding the loss filter", err);
}

int path_nl_netem(int nl, int ifindex, uint32_t handle, uint64_t delay_ns,
                  uint64_t jitter_ns, wm_error *err)
{
    nl_msg m;
    tc_begin(&m, RTM_NEWQDISC, ifindex, TC_H_ROOT, handle);
    attr_str(&m, TCA_KIND, "netem");
    /* netem's options are a struct followed by attributes, not nested
     * ones alone; the 64-bit delays in ns replace the struct's ticks. */
    struct rtattr *options = nest(&m, TCA_OPTIONS);
    struct tc_netem_qopt *q = put(&m, sizeof *q);
    q->limit = NETEM_LIMIT_FRAMES;
    int64_t delay = (int64_t)delay_ns, jitter = (int64_t)jitter_ns;
    attr(&m, TCA_NETEM_LATENCY64, &delay, sizeof delay);
    attr(&m, TCA_NETEM_JITTER64, &jitter, sizeof jitter);
    nest_end(&m, options);
    return talk(nl, &m, "adding netem", err);
}
