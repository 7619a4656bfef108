/* wm_http: connections counted per client address and in all, whether the
 * gate holds them or libmicrohttpd does, so that one address cannot take
 * every slot (--max-connections-per-ip) and the gate stops accepting at
 * --max-connections.
 *
 * libmicrohttpd's connections are also listed with the time each has been
 * waiting for its next request head: its own timeout starts again with
 * every byte, so a client trickling a head on a kept-alive connection
 * would hold its slot forever. The gate's thread cuts those past
 * --header-timeout with shutdown(): the socket stays libmicrohttpd's to
 * close, and it is valid while listed, since libmicrohttpd 0.9.75 sends
 * the CLOSED notification (which unlists it under the same lock) before
 * it closes the socket. */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "http_internal.h"
#include "wm_clock.h"

#define ADDRESS_BUCKETS 1024u
/* Descriptors the daemon needs besides connections: store, captures,
 * pipes of its threads. */
#define FD_RESERVE 256u

typedef struct address_key {
    sa_family_t family;
    unsigned char bytes[16];
} address_key;

typedef struct address_count {
    address_key key;
    unsigned count;
    struct address_count *next;
} address_count;

typedef struct mhd_conn {
    address_key key;
    int fd;
    int64_t head_since_ns;  /* waiting for a head since; 0 while not */
    bool cut;               /* shut down already */
    struct mhd_conn *prev, *next;
} mhd_conn;

struct http_conns {
    pthread_mutex_t lock;
    unsigned max_total, max_per_address, total;
    address_count *buckets[ADDRESS_BUCKETS];
    mhd_conn *mhd;          /* libmicrohttpd's connections */
};

http_conns *http_conns_new(unsigned max_total, unsigned max_per_address)
{
    http_conns *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    c->max_total = max_total;
    c->max_per_address = max_per_address;
    return c;
}

void http_conns_free(http_conns *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < ADDRESS_BUCKETS; i++)
        while (c->buckets[i]) {
            address_count *next = c->buckets[i]->next;
            free(c->buckets[i]);
            c->buckets[i] = next;
        }
    while (c->mhd) {
        mhd_conn *next = c->mhd->next;
        free(c->mhd);
        c->mhd = next;
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int http_conns_fd_budget(unsigned max_total, wm_error *err)
{
    struct rlimit lim;
    rlim_t need = (rlim_t)max_total + FD_RESERVE;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= need)
        return 0;
    /* The soft limit is often 1024 while the hard one allows far more:
     * take what the connection limit needs, up to the hard limit. */
    lim.rlim_cur = lim.rlim_max == RLIM_INFINITY || lim.rlim_max >= need
                       ? need : lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur < need)
        return wm_error_param(err, WM_ERR_INVALID, "max-connections",
                              "--max-connections %u needs about %llu file "
                              "descriptors, and this process may open %llu "
                              "(ulimit -n): lower it or raise the limit",
                              max_total, (unsigned long long)need,
                              (unsigned long long)lim.rlim_cur);
    return 0;
}

static address_key key_of(const struct sockaddr *addr)
{
    address_key k;
    memset(&k, 0, sizeof k);
    k.family = addr->sa_family;
    if (addr->sa_family == AF_INET)
        memcpy(k.bytes, &((const struct sockaddr_in *)(const void *)addr)
                             ->sin_addr, 4);
    else if (addr->sa_family == AF_INET6)
        memcpy(k.bytes, &((const struct sockaddr_in6 *)(const void *)addr)
                             ->sin6_addr, 16);
    return k;
}

static address_count **slot_of(http_conns *c, const address_key *k)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < sizeof k->bytes; i++)
        h = (h ^ k->bytes[i]) * 16777619u;
    address_count **p = &c->buckets[h % ADDRESS_BUCKETS];
    while (*p && memcmp(&(*p)->key, k, sizeof *k) != 0)
        p = &(*p)->next;
    return p;
}

static int take_key(http_conns *c, const address_key *k, bool enforce)
{
    address_count **p = slot_of(c, k);
    if (enforce && *p && (*p)->count >= c->max_per_address)
        return -1;
    if (!*p) {
        *p = calloc(1, sizeof **p);
        if (!*p)
            return -1;
        (*p)->key = *k;
    }
    (*p)->count++;
    c->total++;
    return 0;
}

static void give_key(http_conns *c, const address_key *k)
{
    address_count **p = slot_of(c, k);
    assert(*p && (*p)->count > 0 && c->total > 0);
    if (!*p)
        return;
    c->total--;
    if (--(*p)->count == 0) {
        address_count *gone = *p;
        *p = gone->next;
        free(gone);
    }
}

int http_conns_take(http_conns *c, const struct sockaddr *addr, bool enforce)
{
    address_key k = key_of(addr);
    pthread_mutex_lock(&c->lock);
    int rc = take_key(c, &k, enforce);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void http_conns_give(http_conns *c, const struct sockaddr *addr)
{
    address_key k = key_of(addr);
    pthread_mutex_lock(&c->lock);
    give_key(c, &k);
    pthread_mutex_unlock(&c->lock);
}

bool http_conns_full(http_conns *c)
{
    pthread_mutex_lock(&c->lock);
    bool full = c->total >= c->max_total;
    pthread_mutex_unlock(&c->lock);
    return full;
}

void http_conns_started(http_conns *c, struct MHD_Connection *conn,
                        void **socket_context)
{
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *addr =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    mhd_conn *m = fd && addr ? calloc(1, sizeof *m) : NULL;
    *socket_context = NULL;
    if (!m)
        return; /* not counted, and never cut: it still ends by timeout */
    m->key = key_of(addr->client_addr);
    m->fd = fd->connect_fd;
    m->head_since_ns = wm_clock_monotonic_ns();
    pthread_mutex_lock(&c->lock);
    if (take_key(c, &m->key, false) != 0) {
        pthread_mutex_unlock(&c->lock);
        free(m);
        return;
    }
    m->next = c->mhd;
    if (c->mhd)
        c->mhd->prev = m;
    c->mhd = m;
    pthread_mutex_unlock(&c->lock);
    *socket_context = m;
}

void http_conns_closed(http_conns *c, void **socket_context)
{
    mhd_conn *m = *socket_context;
    if (!m)
        return;
    pthread_mutex_lock(&c->lock);
    if (m->prev)
        m->prev->next = m->next;
    else
        c->mhd = m->next;
    if (m->next)
        m->next->prev = m->prev;
    give_key(c, &m->key);
    pthread_mutex_unlock(&c->lock);
    free(m);
    *socket_context = NULL;
}

void http_conns_head_waiting(http_conns *c, struct MHD_Connection *conn,
                             bool waiting)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    mhd_conn *m = info ? info->socket_context : NULL;
    if (!m)
        return;
    int64_t now = waiting ? wm_clock_monotonic_ns() : 0;
    pthread_mutex_lock(&c->lock);
    m->head_since_ns = now;
    pthread_mutex_unlock(&c->lock);
}

void http_conns_cut_stale(http_conns *c, int64_t now_ns, int64_t timeout_ns)
{
    pthread_mutex_lock(&c->lock);
    for (mhd_conn *m = c->mhd; m; m = m->next)
        if (!m->cut && m->head_since_ns &&
            now_ns - m->head_since_ns > timeout_ns) {
            shutdown(m->fd, SHUT_RDWR);
            m->cut = true;
        }
    pthread_mutex_unlock(&c->lock);
}
