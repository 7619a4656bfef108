/* capture_filter: see capture_filter.h. */
#include "capture_filter.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two ports no program constant of "tcp port N" equals (ethertypes, the
 * protocol, offsets, the fragment mask, the snaplen). */
#define TEMPLATE_PORT_A 40000u
#define TEMPLATE_PORT_B 40001u
#define CACHE_SLOTS 4        /* link types x snaplens a daemon uses */
#define MAX_PORT_SITES 8     /* "tcp port": 4 (IPv4, IPv6; src, dst) */

typedef struct slot {
    bool used;
    bool usable;             /* false: the two compiles differed otherwise */
    int linktype;
    int snaplen;
    struct bpf_program tmpl; /* compiled for TEMPLATE_PORT_A */
    size_t sites[MAX_PORT_SITES]; /* instructions whose k is the port */
    size_t site_count;
} slot;

struct capture_filter_cache {
    pthread_mutex_t lock;    /* guards slots */
    slot slots[CACHE_SLOTS];
};

capture_filter_cache *capture_filter_cache_new(void)
{
    capture_filter_cache *cache = calloc(1, sizeof *cache);
    if (cache && pthread_mutex_init(&cache->lock, NULL) != 0) {
        free(cache);
        return NULL;
    }
    return cache;
}

void capture_filter_cache_free(capture_filter_cache *cache)
{
    if (!cache)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (cache->slots[i].used)
            pcap_freecode(&cache->slots[i].tmpl);
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

void capture_filter_text(uint16_t port, char *text, size_t len)
{
    snprintf(text, len, "tcp port %u", port);
}

static int compile(pcap_t *handle, uint16_t port, struct bpf_program *prog)
{
    char text[32];
    capture_filter_text(port, text, sizeof text);
    return pcap_compile(handle, prog, text, 1, PCAP_NETMASK_UNKNOWN) == 0
               ? 0 : -1;
}

/* Where a and b differ, they must differ only in k, as the template
 * ports: those are the sites. False when they differ otherwise. */
static bool find_sites(const struct bpf_program *a,
                       const struct bpf_program *b, slot *s)
{
    if (a->bf_len != b->bf_len)
        return false;
    s->site_count = 0;
    for (size_t i = 0; i < a->bf_len; i++) {
        const struct bpf_insn *x = &a->bf_insns[i], *y = &b->bf_insns[i];
        if (x->code != y->code || x->jt != y->jt || x->jf != y->jf)
            return false;
        if (x->k == y->k)
            continue;
        if (x->k != TEMPLATE_PORT_A || y->k != TEMPLATE_PORT_B ||
            s->site_count == MAX_PORT_SITES)
            return false;
        s->sites[s->site_count++] = i;
    }
    return s->site_count > 0;
}

/* The slot for the handle's settings, made on first use. Lock held.
 * NULL: the cache is full, or compiling failed. */
static slot *slot_for(capture_filter_cache *cache, pcap_t *handle)
{
    int linktype = pcap_datalink(handle), snaplen = pcap_snapshot(handle);
    slot *free_slot = NULL;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        slot *s = &cache->slots[i];
        if (s->used && s->linktype == linktype && s->snaplen == snaplen)
            return s;
        if (!s->used && !free_slot)
            free_slot = s;
    }
    if (!free_slot)
        return NULL;
    struct bpf_program b;
    if (compile(handle, TEMPLATE_PORT_A, &free_slot->tmpl) != 0)
        return NULL;
    if (compile(handle, TEMPLATE_PORT_B, &b) != 0) {
        pcap_freecode(&free_slot->tmpl);
        return NULL;
    }
    free_slot->usable = find_sites(&free_slot->tmpl, &b, free_slot);
    pcap_freecode(&b);
    free_slot->used = true;
    free_slot->linktype = linktype;
    free_slot->snaplen = snaplen;
    return free_slot;
}

/* A port equal to another constant of the program might have been
 * optimised into another program: those are compiled. */
static bool port_fits(const slot *s, uint16_t port)
{
    for (size_t i = 0, site = 0; i < s->tmpl.bf_len; i++) {
        if (site < s->site_count && s->sites[site] == i) {
            site++;
            continue;
        }
        if (s->tmpl.bf_insns[i].k == port)
            return false;
    }
    return true;
}

/* The template with port at its sites into *prog; false when it cannot
 * be used for this port. Lock held. */
static bool from_template(const slot *s, uint16_t port,
                          struct bpf_program *prog)
{
    if (!s->usable || !port_fits(s, port))
        return false;
    size_t bytes = s->tmpl.bf_len * sizeof *s->tmpl.bf_insns;
    struct bpf_insn *insns = malloc(bytes); /* pcap_freecode frees it */
    if (!insns)
        return false;
    memcpy(insns, s->tmpl.bf_insns, bytes);
    for (size_t i = 0; i < s->site_count; i++) {
        assert(insns[s->sites[i]].k == TEMPLATE_PORT_A);
        insns[s->sites[i]].k = port;
    }
    prog->bf_len = s->tmpl.bf_len;
    prog->bf_insns = insns;
    return true;
}

int capture_filter_compile(capture_filter_cache *cache, pcap_t *handle,
                           uint16_t port, struct bpf_program *prog)
{
    if (cache) {
        pthread_mutex_lock(&cache->lock);
        slot *s = slot_for(cache, handle);
        bool made = s && from_template(s, port, prog);
        pthread_mutex_unlock(&cache->lock);
        if (made)
            return 1;
    }
    return compile(handle, port, prog);
}
