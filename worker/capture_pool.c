/* capture_pool: see capture_pool.h.
 *
 * A small array under a mutex: a daemon has a handful of workers, so a
 * handful of parked handles, and a linear search is all it needs. */
#include "capture_pool.h"

#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define POOL_SLOTS 16

typedef struct parked {
    pcap_t *handle;         /* NULL: free slot */
    char interface[IFNAMSIZ];
    uint32_t snaplen;
    uint32_t buffer_bytes;  /* the ring, kernel memory held while parked */
} parked;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static parked pool[POOL_SLOTS];
static uint64_t pool_bytes; /* sum of the parked rings */

static bool same(const parked *p, const char *interface, uint32_t snaplen,
                 uint32_t buffer_bytes)
{
    return p->handle && p->snaplen == snaplen &&
           p->buffer_bytes == buffer_bytes &&
           strcmp(p->interface, interface) == 0;
}

pcap_t *capture_pool_take(const char *interface, uint32_t snaplen,
                          uint32_t buffer_bytes)
{
    pcap_t *handle = NULL;
    pthread_mutex_lock(&pool_lock);
    for (size_t i = 0; i < POOL_SLOTS && !handle; i++) {
        if (!same(&pool[i], interface, snaplen, buffer_bytes))
            continue;
        handle = pool[i].handle;
        pool[i].handle = NULL;
        pool_bytes -= buffer_bytes;
    }
    pthread_mutex_unlock(&pool_lock);
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
 * and dropped. 0, or -1 when the handle misbehaves (then it is closed). */
static int make_inert(pcap_t *handle)
{
    struct bpf_insn reject = BPF_STMT(BPF_RET | BPF_K, 0);
    struct bpf_program none = {.bf_len = 1, .bf_insns = &reject};
    if (pcap_setfilter(handle, &none) != 0)
        return -1;
    int n;
    while ((n = pcap_dispatch(handle, -1, discard_frame, NULL)) > 0)
        ;
    return n == 0 ? 0 : -1;
}

/* A free slot when the rings' memory allows one more; lock held. */
static parked *free_slot_locked(uint32_t buffer_bytes)
{
    if (pool_bytes + buffer_bytes > WM_CAPTURE_POOL_MAX_BYTES)
        return NULL;
    for (size_t i = 0; i < POOL_SLOTS; i++)
        if (!pool[i].handle)
            return &pool[i];
    return NULL;
}

void capture_pool_give(pcap_t *handle, const char *interface,
                       uint32_t snaplen, uint32_t buffer_bytes)
{
    if (!handle)
        return;
    if (strlen(interface) >= IFNAMSIZ || make_inert(handle) != 0) {
        pcap_close(handle);
        return;
    }
    pthread_mutex_lock(&pool_lock);
    parked *slot = free_slot_locked(buffer_bytes);
    if (slot) {
        slot->handle = handle;
        snprintf(slot->interface, sizeof slot->interface, "%s", interface);
        slot->snaplen = snaplen;
        slot->buffer_bytes = buffer_bytes;
        pool_bytes += buffer_bytes;
    }
    pthread_mutex_unlock(&pool_lock);
    if (!slot)
        pcap_close(handle); /* outside the lock: it takes milliseconds */
}
