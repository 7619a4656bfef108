/* wm_reasm: see reassembly.h.
 *
 * A fixed table of WM_REASM_MAX_DATAGRAMS slots, searched linearly: a
 * capture rarely has more than a handful of datagrams open at once, and
 * the bound keeps both the search and the memory constant. Each slot keeps
 * its fragments in a list sorted by offset (a new fragment goes after
 * those of the same offset, as Wireshark's LINK_FRAG does), so that the
 * coverage test and the copy are one walk each. */
#include "reassembly.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct frag {
    struct frag *next;
    uint32_t offset, len; /* bytes of the datagram's payload */
    uint8_t data[];
} frag;

typedef struct datagram {
    bool used;
    bool datalen_set;     /* the last fragment (no "more") was seen */
    uint32_t datalen;     /* bytes: its offset + length */
    uint64_t started;     /* serial of the call that opened it: age */
    uint32_t held;        /* bytes of its fragments */
    wm_reasm_key key;
    frag *frags;          /* sorted by offset */
} datagram;

struct wm_reasm {
    datagram slots[WM_REASM_MAX_DATAGRAMS];
    uint64_t serial;      /* calls so far */
    uint64_t held;        /* bytes of all fragments */
    uint64_t open;        /* slots in use */
    wm_fragment_counts counts; /* incomplete: dropped only */
    uint8_t out[WM_REASM_MAX_DATAGRAM_BYTES];
};

wm_reasm *wm_reasm_new(void)
{
    return calloc(1, sizeof(wm_reasm));
}

static void drop(wm_reasm *r, datagram *d)
{
    assert(d->used && r->open > 0 && r->held >= d->held);
    for (frag *f = d->frags, *next; f; f = next) {
        next = f->next;
        free(f);
    }
    r->held -= d->held;
    r->open--;
    memset(d, 0, sizeof *d);
}

void wm_reasm_free(wm_reasm *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < WM_REASM_MAX_DATAGRAMS; i++)
        if (r->slots[i].used)
            drop(r, &r->slots[i]);
    free(r);
}

void wm_reasm_counts(const wm_reasm *r, wm_fragment_counts *counts)
{
    *counts = r->counts;
    counts->incomplete += r->open;
}

static bool same_key(const wm_reasm_key *a, const wm_reasm_key *b)
{
    return a->family == b->family && a->proto == b->proto &&
           a->id == b->id && memcmp(a->src, b->src, sizeof a->src) == 0 &&
           memcmp(a->dst, b->dst, sizeof a->dst) == 0;
}

static datagram *oldest(wm_reasm *r, const datagram *keep)
{
    datagram *old = NULL;
    for (size_t i = 0; i < WM_REASM_MAX_DATAGRAMS; i++) {
        datagram *d = &r->slots[i];
        if (d->used && d != keep && (!old || d->started < old->started))
            old = d;
    }
    return old;
}

/* Drops the oldest datagrams other than keep until `bytes` more fit. */
static void make_room(wm_reasm *r, uint32_t bytes, const datagram *keep)
{
    while (r->held + bytes > WM_REASM_MAX_BYTES) {
        datagram *old = oldest(r, keep);
        if (!old)
            return; /* keep alone: bounded by the datagram size */
        drop(r, old);
        r->counts.incomplete++;
    }
}

static datagram *find_or_open(wm_reasm *r, const wm_reasm_key *key)
{
    datagram *free_slot = NULL;
    for (size_t i = 0; i < WM_REASM_MAX_DATAGRAMS; i++) {
        datagram *d = &r->slots[i];
        if (d->used && same_key(&d->key, key))
            return d;
        if (!d->used && !free_slot)
            free_slot = d;
    }
    if (!free_slot) {
        free_slot = oldest(r, NULL);
        assert(free_slot);
        drop(r, free_slot);
        r->counts.incomplete++;
    }
    *free_slot = (datagram){.used = true, .started = r->serial, .key = *key};
    r->open++;
    return free_slot;
}

static void link_sorted(datagram *d, frag *f)
{
    frag **at = &d->frags;
    while (*at && (*at)->offset <= f->offset)
        at = &(*at)->next;
    f->next = *at;
    *at = f;
}

/* Contiguous bytes from 0: the datagram is whole when they reach datalen. */
static uint32_t covered(const datagram *d)
{
    uint32_t max = 0;
    for (const frag *f = d->frags; f; f = f->next)
        if (f->offset <= max && f->offset + f->len > max)
            max = f->offset + f->len;
    return max;
}

/* The payload, lowest offset first: bytes already written stay. */
static uint32_t assemble(const datagram *d, uint8_t *out)
{
    uint32_t pos = 0;
    for (const frag *f = d->frags; f; f = f->next) {
        uint32_t end = f->offset + f->len;
        if (end > d->datalen)
            end = d->datalen;
        if (end <= pos || f->offset > pos)
            continue; /* nothing new, or (cannot happen once covered) a gap */
        memcpy(out + pos, f->data + (pos - f->offset), end - pos);
        pos = end;
    }
    assert(pos == d->datalen);
    return pos;
}

wm_reasm_status wm_reasm_add(wm_reasm *r, const wm_reasm_key *key,
                             uint32_t offset, const uint8_t *data,
                             uint32_t len, bool more, const uint8_t **out,
                             uint32_t *out_len)
{
    r->serial++;
    r->counts.fragments++;
    if (offset >= WM_REASM_MAX_DATAGRAM_BYTES)
        len = 0; /* past any datagram: kept as a mark, no bytes */
    else if (len > WM_REASM_MAX_DATAGRAM_BYTES - offset)
        len = WM_REASM_MAX_DATAGRAM_BYTES - offset;
    datagram *d = find_or_open(r, key);
    make_room(r, len, d);
    frag *f = malloc(sizeof *f + len);
    if (!f)
        return WM_REASM_NO_MEMORY;
    *f = (frag){.offset = offset, .len = len};
    memcpy(f->data, data, len);
    link_sorted(d, f);
    d->held += len;
    r->held += len;
    if (!more && !d->datalen_set) {
        /* a later tail with another length is Wireshark's "multiple
         * tails": the first one stands */
        d->datalen_set = true;
        d->datalen = offset + len;
    }
    if (!d->datalen_set || covered(d) < d->datalen)
        return WM_REASM_PENDING;
    *out_len = assemble(d, r->out);
    *out = r->out;
    drop(r, d);
    r->counts.reassembled++;
    return WM_REASM_DONE;
}
