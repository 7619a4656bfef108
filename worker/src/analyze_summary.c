/* analyze_summary: what a person asks of a finished connection — who is
 * the client, where the handshake and the closure are, how many packets
 * and bytes each side sent, and how long each phase took.
 *
 * These are our definitions, not Wireshark's (it has no notion of a
 * closure): the handshake is the first SYN, the server's SYN-ACK and the
 * client's ACK of the server's ISN + 1; the closure runs from the first FIN
 * or RST to the ACK of the last FIN (or the first RST). Indexes are into
 * the connection's rows, so the report can show the rows themselves.
 *
 * Streaming: everything that is a count or a "first packet of a kind" is
 * tallied as packets come (wm_tally_packet), by direction. What needs a
 * later packet (the SYN-ACK that acks the client's ISN, the ACK of the
 * last FIN) is searched from that first packet on, in the rows: a few
 * rows read back in a normal connection, however many it has. */
#include <assert.h>
#include <string.h>

#include "analyze_rows.h"
#include "analyze_summary.h"

#define SEQ_GE(a, b) ((int32_t)((a) - (b)) >= 0)

enum { F_SYN = WM_TCP_SYN, F_FIN = WM_TCP_FIN, F_RST = WM_TCP_RST,
       F_ACK = WM_TCP_ACK };

void wm_tally_init(wm_conn_tally *t)
{
    memset(t, 0, sizeof *t);
    for (int dir = 0; dir < 2; dir++) {
        t->dir[dir].wscale = -1;
        t->dir[dir].stream_end = 1; /* relative seq of the first byte */
        t->dir[dir].stream_end32 = 1;
        t->fin[dir] = WM_NO_PACKET;
    }
    t->syn = t->syn_ack = t->fin_or_rst = t->rst = WM_NO_PACKET;
    t->syn_dir = t->syn_ack_dir = -1;
}

void wm_tally_free(wm_conn_tally *t)
{
    wm_rtt_free(&t->rtt);
}

static void note_syn_options(wm_side_info *side, const wm_packet *p)
{
    side->syn_data = p->payload_len;
    side->isn_known = true;
    side->isn = p->seq;
    side->has_mss = p->opts.has_mss;
    side->mss = p->opts.mss;
    side->wscale = p->opts.has_wscale ? p->opts.wscale : -1;
    side->sack_permitted = p->opts.sack_permitted;
    side->timestamps = p->opts.has_timestamps;
}

static void count_packet(wm_side_info *side, const wm_packet *p,
                         const wm_packet_info *info)
{
    side->packets++;
    side->wire_bytes += p->frame_len;
    side->payload_bytes += p->payload_len;
    if (p->payload_len > 0) {
        side->data_packets++;
        side->data_wire_bytes += p->frame_len;
        /* A SYN's data starts after the SYN's own sequence number. The
         * end is unwrapped by how far past the last one it lies, so a
         * stream past 4 GiB keeps counting. */
        uint32_t end = info->rel_seq + p->payload_len +
                       ((p->flags & F_SYN) ? 1u : 0u);
        int32_t ahead = (int32_t)(end - side->stream_end32);
        if (ahead > 0) {
            side->stream_end += (uint64_t)ahead;
            side->stream_end32 = end;
        }
    } else if ((p->flags & F_ACK) && !(p->flags & (F_SYN | F_FIN | F_RST))) {
        side->pure_acks++;
    }
    if (info->marks & WM_MARK_ANY_RETRANSMISSION)
        side->retransmissions++;
    if (info->marks & WM_MARK_DUP_ACK)
        side->dup_acks++;
    if (info->marks & WM_MARK_OUT_OF_ORDER)
        side->out_of_order++;
    if (info->bytes_in_flight > side->bytes_in_flight_max)
        side->bytes_in_flight_max = info->bytes_in_flight;
}

static void first_of(int64_t *slot, size_t index)
{
    if (*slot == WM_NO_PACKET)
        *slot = (int64_t)index;
}

void wm_tally_packet(wm_conn_tally *t, int dir, size_t index,
                     const wm_packet *p, const wm_packet_info *info)
{
    wm_side_info *side = &t->dir[dir];
    if ((p->flags & F_SYN) && !side->isn_known)
        note_syn_options(side, p);
    count_packet(side, p, info);
    for (unsigned bit = 0; bit < WM_MARK_BITS; bit++)
        if (info->marks & (1u << bit))
            t->mark_count[bit]++;
    if (info->acks_frame && info->ack_rtt_ns)
        wm_rtt_add(&t->rtt, info->ack_rtt_ns);
    uint8_t syn_ack = p->flags & (F_SYN | F_ACK);
    if (syn_ack == F_SYN && t->syn == WM_NO_PACKET) {
        t->syn = (int64_t)index;
        t->syn_dir = dir;
    }
    if (syn_ack == (F_SYN | F_ACK) && t->syn_ack == WM_NO_PACKET) {
        t->syn_ack = (int64_t)index;
        t->syn_ack_dir = dir;
    }
    if (p->flags & (F_FIN | F_RST))
        first_of(&t->fin_or_rst, index);
    if ((p->flags & F_FIN) && t->fin[dir] == WM_NO_PACKET) {
        t->fin[dir] = (int64_t)index;
        t->fin_end[dir] = p->seq + p->payload_len + 1;
    }
    if (p->flags & F_RST)
        first_of(&t->rst, index);
    if (index == 0)
        t->first_ts_ns = p->ts_ns;
    t->last_ts_ns = p->ts_ns;
}

typedef struct summary {
    wm_connection *conn;
    const wm_conn_tally *tally;
    int client_dir;
    wm_error *err;
} summary;

/* The direction a side sent in. */
static int dir_of(const summary *s, wm_side side)
{
    return side == WM_SIDE_CLIENT ? s->client_dir : !s->client_dir;
}

/* The client's direction: the SYN's sender, else the SYN-ACK's receiver,
 * else (guessing) the first packet's sender. */
static int client_direction(const wm_conn_tally *t, bool *known)
{
    *known = true;
    if (t->syn != WM_NO_PACKET)
        return t->syn_dir;
    if (t->syn_ack != WM_NO_PACKET)
        return !t->syn_ack_dir;
    *known = false;
    return 0;
}

/* Sides: endpoints, options of each SYN, counts; from becomes a side. */
static int fill_sides(const summary *s, const wm_addr addr[2],
                      const uint16_t port[2])
{
    wm_connection *conn = s->conn;
    for (int side = 0; side < 2; side++) {
        int dir = dir_of(s, (wm_side)side);
        conn->side[side] = s->tally->dir[dir];
        conn->side[side].addr = addr[dir];
        conn->side[side].port = port[dir];
    }
    /* Rows hold their direction until now: the client's is 0 or 1. */
    return s->client_dir && wm_connection_has_rows(conn)
               ? analyze_rows_flip(conn, s->err) : 0;
}

static int ts_of(const summary *s, int64_t index, int64_t *ts_ns)
{
    wm_packet p;
    wm_packet_info info;
    if (wm_connection_row(s->conn, (size_t)index, &p, &info, s->err) != 0)
        return -1;
    *ts_ns = p.ts_ns;
    return 0;
}

/* The first row at or after from sent by side whose flags masked are
 * want (and whose ack is ack or also_ack, when check_ack) into *found. */
static int find_packet(const summary *s, int64_t from, wm_side side,
                       uint8_t mask, uint8_t want, bool check_ack,
                       uint32_t ack, uint32_t also_ack, int64_t *found)
{
    *found = WM_NO_PACKET;
    for (size_t i = (size_t)(from < 0 ? 0 : from);
         i < s->conn->packet_count; i++) {
        wm_packet p;
        wm_packet_info info;
        if (wm_connection_row(s->conn, i, &p, &info, s->err) != 0)
            return -1;
        if (info.from == side && (p.flags & mask) == want &&
            (!check_ack || p.ack == ack || p.ack == also_ack)) {
            *found = (int64_t)i;
            return 0;
        }
    }
    return 0;
}

static int mark_handshake(const summary *s)
{
    wm_connection *conn = s->conn;
    int64_t three[3] = {conn->syn, conn->syn_ack, conn->handshake_ack};
    for (int k = 0; k < 3; k++)
        if (three[k] != WM_NO_PACKET &&
            analyze_rows_mark(conn, (size_t)three[k], (size_t)three[k] + 1,
                              WM_MARK_HANDSHAKE, s->err) != 0)
            return -1;
    return 0;
}

static int find_handshake(const summary *s)
{
    wm_connection *conn = s->conn;
    const wm_side_info *server = &conn->side[WM_SIDE_SERVER];
    const wm_side_info *client = &conn->side[WM_SIDE_CLIENT];
    /* The first SYN is the client's, by the definition of the client. */
    assert(s->tally->syn == WM_NO_PACKET ||
           s->tally->syn_dir == s->client_dir);
    conn->syn = s->tally->syn;
    /* With Fast Open the SYN-ACK acks the SYN's data too (or ignores it:
     * then the client sends it again, and the handshake is still one). */
    if (find_packet(s, conn->syn, WM_SIDE_SERVER, F_SYN | F_ACK,
                    F_SYN | F_ACK, client->isn_known, client->isn + 1,
                    client->isn + 1 + client->syn_data,
                    &conn->syn_ack) != 0)
        return -1;
    conn->handshake_ack = WM_NO_PACKET;
    if (conn->syn_ack != WM_NO_PACKET &&
        find_packet(s, conn->syn_ack, WM_SIDE_CLIENT, F_SYN | F_ACK, F_ACK,
                    true, server->isn + 1, server->isn + 1 + server->syn_data,
                    &conn->handshake_ack) != 0)
        return -1;
    conn->handshake_complete = conn->syn != WM_NO_PACKET &&
                               conn->syn_ack != WM_NO_PACKET &&
                               conn->handshake_ack != WM_NO_PACKET;
    int64_t syn_ts = 0, ack_ts = 0;
    if (conn->handshake_complete &&
        (ts_of(s, conn->syn, &syn_ts) != 0 ||
         ts_of(s, conn->handshake_ack, &ack_ts) != 0))
        return -1;
    conn->handshake_ns = conn->handshake_complete ? ack_ts - syn_ts : -1;
    return mark_handshake(s);
}

/* The first row from side at or after start acking up to seq_end. */
static int find_ack_of(const summary *s, int64_t start, wm_side side,
                       uint32_t seq_end, int64_t *found)
{
    *found = WM_NO_PACKET;
    for (size_t i = (size_t)start; i < s->conn->packet_count; i++) {
        wm_packet p;
        wm_packet_info info;
        if (wm_connection_row(s->conn, i, &p, &info, s->err) != 0)
            return -1;
        if (info.from == side && (p.flags & F_ACK) &&
            SEQ_GE(p.ack, seq_end)) {
            *found = (int64_t)i;
            return 0;
        }
    }
    return 0;
}

typedef struct fins {
    int64_t fin[2];      /* first FIN of each side */
    uint32_t fin_end[2]; /* raw seq just after it */
} fins;

/* Each side sent its FIN before acking the other's. */
static int simultaneous(const summary *s, const fins *f, bool *yes)
{
    *yes = true;
    for (int side = 0; side < 2; side++) {
        int64_t ack;
        if (find_ack_of(s, f->fin[!side], (wm_side)side, f->fin_end[!side],
                        &ack) != 0)
            return -1;
        if (ack != WM_NO_PACKET && ack <= f->fin[side])
            *yes = false;
    }
    return 0;
}

/* The closure's last row: the ACK of the last FIN, else the first RST. */
static int closure_end(const summary *s, int64_t *last)
{
    wm_connection *conn = s->conn;
    fins f;
    for (int side = 0; side < 2; side++) {
        f.fin[side] = s->tally->fin[dir_of(s, (wm_side)side)];
        f.fin_end[side] = s->tally->fin_end[dir_of(s, (wm_side)side)];
    }
    *last = WM_NO_PACKET;
    if (f.fin[0] != WM_NO_PACKET && f.fin[1] != WM_NO_PACKET) {
        int last_side = f.fin[1] > f.fin[0];
        if (find_ack_of(s, f.fin[last_side] + 1, (wm_side)!last_side,
                        f.fin_end[last_side], last) != 0 ||
            simultaneous(s, &f, &conn->simultaneous_close) != 0)
            return -1;
    }
    if (*last == WM_NO_PACKET && s->tally->rst != WM_NO_PACKET)
        *last = s->tally->rst;
    return 0;
}

static int find_closure(const summary *s)
{
    wm_connection *conn = s->conn;
    conn->closure_first = s->tally->fin_or_rst;
    if (conn->closure_first == WM_NO_PACKET)
        return 0;
    wm_packet first;
    wm_packet_info info;
    if (wm_connection_row(conn, (size_t)conn->closure_first, &first, &info,
                          s->err) != 0 ||
        closure_end(s, &conn->closure_last) != 0)
        return -1;
    conn->close_kind = (first.flags & F_RST) ? WM_CLOSE_RST : WM_CLOSE_FIN;
    conn->closed_by = info.from;
    conn->closure_complete = conn->closure_last != WM_NO_PACKET;
    int64_t last_ts = 0;
    if (conn->closure_complete &&
        ts_of(s, conn->closure_last, &last_ts) != 0)
        return -1;
    if (conn->closure_complete)
        conn->closure_ns = last_ts - first.ts_ns;
    size_t end = conn->closure_complete ? (size_t)conn->closure_last + 1
                                        : conn->packet_count;
    return analyze_rows_mark(conn, (size_t)conn->closure_first, end,
                             WM_MARK_CLOSURE, s->err);
}

static int fill_timing(const summary *s)
{
    wm_connection *conn = s->conn;
    conn->first_ts_ns = s->tally->first_ts_ns;
    conn->last_ts_ns = s->tally->last_ts_ns;
    conn->transfer_start_ns = conn->first_ts_ns;
    conn->transfer_end_ns = conn->last_ts_ns;
    if (conn->handshake_ack != WM_NO_PACKET &&
        ts_of(s, conn->handshake_ack, &conn->transfer_start_ns) != 0)
        return -1;
    if (conn->closure_first != WM_NO_PACKET &&
        ts_of(s, conn->closure_first, &conn->transfer_end_ns) != 0)
        return -1;
    return 0;
}

int wm_analyze_summarize(wm_connection *conn, const wm_conn_tally *tally,
                         const wm_conn_state *state, const wm_addr addr[2],
                         const uint16_t port[2], wm_error *err)
{
    summary s = {.conn = conn, .tally = tally, .err = err};
    conn->syn = conn->syn_ack = conn->handshake_ack = WM_NO_PACKET;
    conn->closure_first = conn->closure_last = WM_NO_PACKET;
    conn->handshake_ns = conn->closure_ns = -1;
    conn->wscale_shift[0] = conn->wscale_shift[1] = -1;
    if (conn->packet_count == 0)
        return 0;
    s.client_dir = client_direction(tally, &conn->roles_known);
    wm_rtt_summarize(&tally->rtt, &conn->rtt);
    conn->initial_rtt_ns = state->first_rtt_ns;
    memcpy(conn->mark_count, tally->mark_count, sizeof conn->mark_count);
    conn->untracked_segments = state->flow[0].untracked +
                               state->flow[1].untracked;
    for (int side = 0; side < 2; side++) {
        int shift = state->flow[dir_of(&s, (wm_side)side)].win_scale;
        conn->wscale_shift[side] = shift >= 0 ? shift : -1;
    }
    if (fill_sides(&s, addr, port) != 0)
        return -1;
    if (!wm_connection_has_rows(conn)) { /* a run's stray connection */
        conn->first_ts_ns = conn->transfer_start_ns = tally->first_ts_ns;
        conn->last_ts_ns = conn->transfer_end_ns = tally->last_ts_ns;
        return 0;
    }
    if (find_handshake(&s) != 0 || find_closure(&s) != 0)
        return -1;
    return fill_timing(&s);
}
