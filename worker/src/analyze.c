/* wm_analyze: see wm_analyze.h.
 *
 * The stream: each packet finds its connection through a hash table keyed
 * by the unordered 4-tuple (so the cost stays linear in the packet count,
 * which is what lets `analyze` beat tshark by a wide margin), is run
 * through Wireshark's sequence analysis (analyze_flow.c), tallied
 * (analyze_summary.c) and its row appended to the connection's rows
 * (analyze_rows.c). A SYN that Wireshark would call "port numbers reused"
 * points the tuple at a fresh connection. What a connection keeps besides
 * its rows is constant: its flow state, its tally, its endpoints. At the
 * end each connection is summarised (analyze_summary.c). A whole trace is
 * the same stream with its rows in memory. */
#include "wm_analyze.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_rows.h"
#include "analyze_summary.h"
#include "rows_spool.h"

typedef struct conn_build {
    wm_conn_state state;
    wm_conn_tally tally;
    wm_addr addr[2];   /* by direction: 0 = first packet's sender */
    uint16_t port[2];
    size_t capacity;   /* of the connection's packets[] in memory */
} conn_build;

struct wm_stream {
    wm_analysis out;     /* what finish hands over */
    conn_build *builds;  /* parallel to out.connections */
    size_t capacity;     /* of both arrays */
    uint32_t *slots;     /* connection index + 1, 0: empty */
    size_t slot_count;   /* a power of two */
    const wm_trace *trace; /* rows in memory beside it; NULL: spooled */
    char *spool_dir;     /* NULL: $TMPDIR */
    size_t max_spools, spools;
    uint16_t keep_ports[2]; /* spools only for these; 0: for any */
};

static int out_of_memory(wm_error *err)
{
    return wm_error_set(err, WM_ERR_INTERNAL,
                        "analysis: out of memory");
}

static uint64_t endpoint_hash(const wm_addr *addr, uint16_t port)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    size_t len = addr->family == 4 ? 4 : sizeof addr->bytes;
    for (size_t i = 0; i < len; i++)
        h = (h ^ addr->bytes[i]) * 0x100000001b3ULL;
    h = (h ^ (port & 0xff)) * 0x100000001b3ULL;
    h = (h ^ (port >> 8)) * 0x100000001b3ULL;
    return h;
}

/* Order-independent, so both directions land on the same slot. */
static uint64_t tuple_hash(const wm_packet *p)
{
    uint64_t a = endpoint_hash(&p->src, p->src_port);
    uint64_t b = endpoint_hash(&p->dst, p->dst_port);
    uint64_t h = (a ^ b) + (a + b) * 31;
    return h ^ (h >> 29);
}

/* The direction of p in build c, or -1 when it is another tuple. */
static int direction_of(const conn_build *c, const wm_packet *p)
{
    for (int dir = 0; dir < 2; dir++) {
        if (c->port[dir] == p->src_port && c->port[!dir] == p->dst_port &&
            wm_addr_equal(&c->addr[dir], &p->src) &&
            wm_addr_equal(&c->addr[!dir], &p->dst))
            return dir;
    }
    return -1;
}

static int grow_slots(wm_stream *b, wm_error *err)
{
    size_t count = b->slot_count ? b->slot_count * 2 : 64;
    uint32_t *slots = calloc(count, sizeof *slots);
    if (!slots)
        return out_of_memory(err);
    for (size_t i = 0; i < b->slot_count; i++) {
        uint32_t v = b->slots[i];
        if (!v)
            continue;
        const conn_build *c = &b->builds[v - 1];
        wm_packet key = {.src = c->addr[0], .dst = c->addr[1],
                         .src_port = c->port[0], .dst_port = c->port[1]};
        size_t j = tuple_hash(&key) & (count - 1);
        while (slots[j])
            j = (j + 1) & (count - 1);
        slots[j] = v;
    }
    free(b->slots);
    b->slots = slots;
    b->slot_count = count;
    return 0;
}

/* The slot holding p's tuple, or the empty slot where it would go. */
static size_t find_slot(const wm_stream *b, const wm_packet *p)
{
    size_t mask = b->slot_count - 1, j = tuple_hash(p) & mask;
    while (b->slots[j] && direction_of(&b->builds[b->slots[j] - 1], p) < 0)
        j = (j + 1) & mask;
    return j;
}

/* Whether a connection that p opens gets a spool. */
static bool wanted(const wm_stream *b, const wm_packet *p)
{
    const uint16_t *k = b->keep_ports;
    return !k[0] || (p->src_port == k[0] && p->dst_port == k[1]) ||
           (p->src_port == k[1] && p->dst_port == k[0]);
}

static int new_connection(wm_stream *b, const wm_packet *p, uint32_t *index,
                          wm_error *err)
{
    wm_analysis *out = &b->out;
    if (out->count == b->capacity) {
        size_t cap = b->capacity ? b->capacity * 2 : 4;
        wm_connection *conns = realloc(out->connections, cap * sizeof *conns);
        if (!conns)
            return out_of_memory(err);
        out->connections = conns;
        conn_build *builds = realloc(b->builds, cap * sizeof *builds);
        if (!builds)
            return out_of_memory(err);
        b->builds = builds;
        b->capacity = cap;
    }
    if (out->count >= UINT32_MAX - 1)
        return wm_error_set(err, WM_ERR_TOO_LARGE,
                            "analysis: too many connections");
    wm_connection *conn = &out->connections[out->count];
    memset(conn, 0, sizeof *conn);
    conn->trace = b->trace;
    if (!b->trace && b->spools < b->max_spools && wanted(b, p)) {
        if (rows_spool_open(b->spool_dir, &conn->spool, err) != 0)
            return -1;
        b->spools++;
    }
    conn_build *c = &b->builds[out->count];
    memset(c, 0, sizeof *c);
    wm_analyze_flow_init(&c->state);
    wm_tally_init(&c->tally);
    c->addr[0] = p->src;
    c->addr[1] = p->dst;
    c->port[0] = p->src_port;
    c->port[1] = p->dst_port;
    *index = (uint32_t)out->count++;
    return 0;
}

/* The connection p belongs to, created when its tuple is new or reused. */
static int connection_for(wm_stream *b, const wm_packet *p, uint32_t *index,
                          int *dir, bool *reused_tuple, wm_error *err)
{
    *reused_tuple = false;
    if ((b->out.count + 1) * 2 > b->slot_count && grow_slots(b, err) < 0)
        return -1;
    size_t slot = find_slot(b, p);
    if (b->slots[slot]) {
        *index = b->slots[slot] - 1;
        *dir = direction_of(&b->builds[*index], p);
        if (!wm_analyze_flow_reuses(&b->builds[*index].state, *dir, p))
            return 0;
    }
    bool reused = b->slots[slot] != 0;
    if (new_connection(b, p, index, err) < 0)
        return -1;
    b->slots[slot] = *index + 1;
    *dir = 0;
    *reused_tuple = reused;
    return 0;
}

int wm_stream_add(wm_stream *b, const wm_packet *p, uint32_t index,
                  int64_t first_ts_ns, wm_error *err)
{
    uint32_t k = 0;  /* connection_for sets both when it returns 0; */
    int dir = 0;     /* gcc -O2 cannot see through wm_error_set */
    bool reused_tuple = false;
    if (connection_for(b, p, &k, &dir, &reused_tuple, err) < 0)
        return -1;
    wm_connection *conn = &b->out.connections[k];
    conn_build *c = &b->builds[k];
    if (conn->packet_count >= UINT32_MAX)
        return wm_error_set(err, WM_ERR_TOO_LARGE,
                            "analysis: more than %u packets", UINT32_MAX);
    wm_packet_info info = {.packet = index, .from = (wm_side)dir,
                           .rel_time_ns = p->ts_ns - first_ts_ns};
    if (p->anomalies & WM_PKT_NO_SEGLEN) {
        /* tshark analyses no segment whose length it does not know, and
         * shows its numbers raw */
        info.rel_seq = p->seq;
        info.rel_ack = p->ack;
        info.window = p->window;
    } else {
        wm_analyze_flow_step(&c->state, dir, p, &info);
    }
    if (p->opts.truncated || (p->anomalies & WM_PKT_BAD_HEADER_LEN))
        /* analysed, but tshark stops at the cut (or the bogus length)
         * before showing the marks */
        info.marks &= WM_MARK_HANDSHAKE | WM_MARK_CLOSURE;
    if (reused_tuple)
        info.marks |= WM_MARK_PORTS_REUSED;
    wm_tally_packet(&c->tally, dir, conn->packet_count, p, &info);
    return analyze_rows_append(conn, &c->capacity, p, index, &info, err);
}

int wm_stream_new(const wm_trace *trace, const char *spool_dir,
                  size_t max_spools, wm_stream **out, wm_error *err)
{
    *out = NULL;
    wm_stream *b = calloc(1, sizeof *b);
    if (!b || (spool_dir && !(b->spool_dir = strdup(spool_dir)))) {
        free(b);
        return out_of_memory(err);
    }
    b->trace = trace;
    b->max_spools = max_spools;
    *out = b;
    return 0;
}

void wm_stream_keep_ports(wm_stream *b, uint16_t port_a, uint16_t port_b)
{
    b->keep_ports[0] = port_a;
    b->keep_ports[1] = port_b;
}

void wm_stream_free(wm_stream *b)
{
    if (!b)
        return;
    wm_analysis_free(&b->out);
    free(b->builds);
    free(b->slots);
    free(b->spool_dir);
    free(b);
}

int wm_stream_finish(wm_stream *b, int64_t first_ts_ns, wm_analysis *out,
                     wm_error *err)
{
    memset(out, 0, sizeof *out);
    b->out.first_ts_ns = first_ts_ns;
    int rc = 0;
    for (size_t k = 0; k < b->out.count && rc == 0; k++) {
        conn_build *c = &b->builds[k];
        rc = wm_analyze_summarize(&b->out.connections[k], &c->tally,
                                  &c->state, c->addr, c->port, err);
    }
    if (rc == 0) {
        *out = b->out;
        memset(&b->out, 0, sizeof b->out);
    }
    wm_stream_free(b);
    return rc;
}

int wm_analyze_trace(const wm_trace *trace, wm_analysis *out, wm_error *err)
{
    memset(out, 0, sizeof *out);
    if (trace->count > UINT32_MAX)
        return wm_error_set(err, WM_ERR_TOO_LARGE,
                            "analysis: more than %u packets", UINT32_MAX);
    wm_stream *b;
    if (wm_stream_new(trace, NULL, 0, &b, err) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < trace->count && rc == 0; i++)
        rc = wm_stream_add(b, &trace->packets[i], (uint32_t)i,
                           trace->first_ts_ns, err);
    if (rc != 0) {
        wm_stream_free(b);
        return -1;
    }
    return wm_stream_finish(b, trace->first_ts_ns, out, err);
}

const wm_connection *wm_analysis_find(const wm_analysis *analysis,
                                      uint16_t port_a, uint16_t port_b)
{
    for (size_t k = 0; k < analysis->count; k++) {
        const wm_connection *c = &analysis->connections[k];
        uint16_t p0 = c->side[0].port, p1 = c->side[1].port;
        if ((p0 == port_a && p1 == port_b) || (p0 == port_b && p1 == port_a))
            return c;
    }
    return NULL;
}

uint64_t wm_connection_packets(const wm_connection *conn)
{
    return conn->side[0].packets + conn->side[1].packets;
}

uint64_t wm_connection_wire_bytes(const wm_connection *conn)
{
    return conn->side[0].wire_bytes + conn->side[1].wire_bytes;
}

uint64_t wm_connection_payload_bytes(const wm_connection *conn)
{
    return conn->side[0].payload_bytes + conn->side[1].payload_bytes;
}

int64_t wm_connection_total_ns(const wm_connection *conn)
{
    return conn->packet_count ? conn->last_ts_ns - conn->first_ts_ns : 0;
}

void wm_tcp_flags_format(uint8_t flags, char *buf, size_t buflen)
{
    /* Wireshark's order: bit 0 (FIN) upward. */
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH",
                                         "ACK", "URG", "ECE", "CWR"};
    if (buflen == 0)
        return;
    size_t used = 0;
    buf[0] = '\0';
    for (int bit = 0; bit < 8; bit++) {
        if (!(flags & (1u << bit)))
            continue;
        const char *sep = used ? ", " : "";
        size_t need = strlen(sep) + strlen(names[bit]);
        if (used + need >= buflen)
            break;
        memcpy(buf + used, sep, strlen(sep));
        memcpy(buf + used + strlen(sep), names[bit], strlen(names[bit]) + 1);
        used += need;
    }
    if (!used && buflen > strlen("<None>"))
        memcpy(buf, "<None>", sizeof "<None>");
}

void wm_analysis_free(wm_analysis *analysis)
{
    if (!analysis)
        return;
    for (size_t k = 0; k < analysis->count; k++)
        analyze_rows_free(&analysis->connections[k]);
    free(analysis->connections);
    memset(analysis, 0, sizeof *analysis);
}
