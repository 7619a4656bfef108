/* capture_pool: see capture_pool.h.
 *
 * A small array under a mutex: a daemon has a handful of workers, so a
 * handful of parked handles, and a linear search is all it needs. */
#include "capture_pool.h"

#include <assert.h>
#include <linux/filter.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define POOL_SLOTS 16

typedef struct parked {
    pcap_t *handle;         /* NULL: free slot */
    char interface[IFNAMSIZ];
    uint32_t snaplen;
    uint32_t buffer_bytes;  /* the ring, kernel memory held while parked */
    int listen_fd;          /* a station's listener; -1: a plain handle */
    uint16_t port;          /* a station's: its listener's, its filter's */
    capture_station_key key; /* a station's */
} parked;

struct wm_capture_pool {
    pthread_mutex_t lock;   /* guards what follows */
    parked slots[POOL_SLOTS];
    uint64_t bytes;         /* sum of the parked rings */
    uint64_t max_bytes;
    capture_filter_cache *filters; /* its own lock */
};

int wm_capture_pool_new(uint64_t max_bytes, wm_capture_pool **out,
                        wm_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "capture: out of memory for the handle pool");
    if (pthread_mutex_init(&(*out)->lock, NULL) != 0) {
        free(*out);
        *out = NULL;
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "capture: cannot create the handle pool's lock");
    }
    (*out)->max_bytes = max_bytes;
    (*out)->filters = capture_filter_cache_new();
    if (!(*out)->filters) {
        wm_capture_pool_free(*out);
        *out = NULL;
        return wm_error_set(err, WM_ERR_INTERNAL,
                            "capture: out of memory for the handle pool");
    }
    return 0;
}

void wm_capture_pool_free(wm_capture_pool *pool)
{
    if (!pool)
        return;
    for (size_t i = 0; i < POOL_SLOTS; i++) {
        if (pool->slots[i].handle)
            pcap_close(pool->slots[i].handle);
        if (pool->slots[i].handle && pool->slots[i].listen_fd >= 0)
            close(pool->slots[i].listen_fd);
    }
    capture_filter_cache_free(pool->filters);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

capture_filter_cache *capture_pool_filters(wm_capture_pool *pool)
{
    return pool ? pool->filters : NULL;
}

static bool same(const parked *p, const char *interface, uint32_t snaplen,
                 uint32_t buffer_bytes)
{
    return p->handle && p->snaplen == snaplen &&
           p->buffer_bytes == buffer_bytes &&
           strcmp(p->interface, interface) == 0;
}

static bool same_key(const capture_station_key *a,
                     const capture_station_key *b)
{
    return a->ipv6 == b->ipv6 && a->nodelay == b->nodelay &&
           a->sndbuf_bytes == b->sndbuf_bytes &&
           a->rcvbuf_bytes == b->rcvbuf_bytes &&
           a->mss_bytes == b->mss_bytes &&
           strncmp(a->congestion, b->congestion, sizeof a->congestion) == 0;
}

/* The slot's handle, the slot freed; lock held. */
static pcap_t *take_locked(wm_capture_pool *pool, parked *slot)
{
    pcap_t *handle = slot->handle;
    slot->handle = NULL;
    pool->bytes -= slot->buffer_bytes;
    return handle;
}

pcap_t *capture_pool_take(wm_capture_pool *pool, const char *interface,
                          uint32_t snaplen, uint32_t buffer_bytes)
{
    if (!pool)
        return NULL;
    pcap_t *handle = NULL;
    pthread_mutex_lock(&pool->lock);
    for (size_t i = 0; i < POOL_SLOTS && !handle; i++) {
        parked *slot = &pool->slots[i];
        if (same(slot, interface, snaplen, buffer_bytes) &&
            slot->listen_fd < 0)
            handle = take_locked(pool, slot);
    }
    pthread_mutex_unlock(&pool->lock);
    return handle;
}

static void discard_frame(u_char *user, const struct pcap_pkthdr *hdr,
                          const u_char *data)
{
    (void)user;
    (void)hdr;
    (void)data;
}

/* A filter that accepts nothing, then whatever the ring still holds read
 * and dropped. 0, or -1 when the handle misbehaves (then it is closed).
 *
 * The filter goes to the socket directly, not through pcap_setfilter:
 * on Linux that attaches a reject-all filter, drains the socket, then
 * attaches the one asked for — two SO_ATTACH_FILTERs, each compiled by
 * the kernel's JIT, and three fcntl and a recv, for a filter that is a
 * reject-all itself. libpcap's own state (its copy of the filter, which
 * ring blocks it filters again in user space) is left as it was: it only
 * drops frames here, where all are dropped, and the next take's
 * pcap_setfilter (capture.c) sets it afresh. */
static int make_inert(pcap_t *handle)
{
    struct sock_filter reject = BPF_STMT(BPF_RET | BPF_K, 0);
    struct sock_fprog none = {.len = 1, .filter = &reject};
    if (setsockopt(pcap_fileno(handle), SOL_SOCKET, SO_ATTACH_FILTER, &none,
                   sizeof none) != 0)
        return -1;
    int n;
    while ((n = pcap_dispatch(handle, -1, discard_frame, NULL)) > 0)
        ;
    return n == 0 ? 0 : -1;
}

/* A free slot when the rings' memory allows one more; lock held. */
static parked *free_slot_locked(wm_capture_pool *pool, uint32_t buffer_bytes)
{
    if (pool->bytes + buffer_bytes > pool->max_bytes)
        return NULL;
    for (size_t i = 0; i < POOL_SLOTS; i++)
        if (!pool->slots[i].handle)
            return &pool->slots[i];
    return NULL;
}

void capture_pool_give(wm_capture_pool *pool, pcap_t *handle,
                       const char *interface, uint32_t snaplen,
                       uint32_t buffer_bytes)
{
    if (!handle)
        return;
    if (!pool || strlen(interface) >= IFNAMSIZ || make_inert(handle) != 0) {
        pcap_close(handle);
        return;
    }
    pthread_mutex_lock(&pool->lock);
    parked *slot = free_slot_locked(pool, buffer_bytes);
    if (slot) {
        slot->handle = handle;
        snprintf(slot->interface, sizeof slot->interface, "%s", interface);
        slot->snaplen = snaplen;
        slot->buffer_bytes = buffer_bytes;
        slot->listen_fd = -1;
        pool->bytes += buffer_bytes;
    }
    pthread_mutex_unlock(&pool->lock);
    if (!slot)
        pcap_close(handle); /* outside the lock: it takes milliseconds */
}

pcap_t *capture_pool_take_station(wm_capture_pool *pool,
                                  const char *interface, uint32_t snaplen,
                                  uint32_t buffer_bytes,
                                  const capture_station_key *key,
                                  int *listen_fd, uint16_t *port)
{
    *listen_fd = -1;
    *port = 0;
    if (!pool)
        return NULL;
    pcap_t *handle = NULL;
    pthread_mutex_lock(&pool->lock);
    for (size_t i = 0; i < POOL_SLOTS && !handle; i++) {
        parked *slot = &pool->slots[i];
        if (!same(slot, interface, snaplen, buffer_bytes) ||
            slot->listen_fd < 0 || !same_key(&slot->key, key))
            continue;
        *listen_fd = slot->listen_fd;
        *port = slot->port;
        handle = take_locked(pool, slot);
    }
    pthread_mutex_unlock(&pool->lock);
    if (!handle)
        return NULL;
    assert(*listen_fd >= 0 && *port != 0);
    /* Frames of the port that came while it was parked (a stranger's
     * connection, a probe) are no run's: dropped before the next begins. */
    int n;
    while ((n = pcap_dispatch(handle, -1, discard_frame, NULL)) > 0)
        ;
    if (n == 0)
        return handle;
    pcap_close(handle);
    close(*listen_fd);
    *listen_fd = -1;
    *port = 0;
    return NULL;
}

void capture_pool_park(wm_capture_pool *pool, pcap_t *handle,
                       const char *interface, uint32_t snaplen,
                       uint32_t buffer_bytes, const capture_station_key *key,
                       int listen_fd, uint16_t port)
{
    assert(handle && listen_fd >= 0 && port != 0);
    parked *slot = NULL;
    if (pool && strlen(interface) < IFNAMSIZ) {
        pthread_mutex_lock(&pool->lock);
        slot = free_slot_locked(pool, buffer_bytes);
        if (slot) {
            *slot = (parked){.handle = handle, .snaplen = snaplen,
                             .buffer_bytes = buffer_bytes,
                             .listen_fd = listen_fd, .port = port,
                             .key = *key};
            snprintf(slot->interface, sizeof slot->interface, "%s",
                     interface);
            pool->bytes += buffer_bytes;
        }
        pthread_mutex_unlock(&pool->lock);
    }
    if (!slot) {
        pcap_close(handle);
        close(listen_fd);
    }
}
