/* analyze_summary: what a person asks of a finished connection — who is
 * the client, where the handshake and the closure are, how many packets
 * and bytes each side sent, and how long each phase took.
 *
 * These are our definitions, not Wireshark's (it has no notion of a
 * closure): the handshake is the first SYN, the server's SYN-ACK and the
 * client's ACK of the server's ISN + 1; the closure runs from the first FIN
 * or RST to the ACK of the last FIN (or the first RST). Indexes are into
 * conn->packets, so the report can show the rows themselves. */
#include <string.h>

#include "analyze_summary.h"

#define SEQ_GE(a, b) ((int32_t)((a) - (b)) >= 0)

enum { F_SYN = WM_TCP_SYN, F_FIN = WM_TCP_FIN, F_RST = WM_TCP_RST,
       F_ACK = WM_TCP_ACK };

typedef struct summary {
    wm_connection *conn;
    const wm_trace *trace;
} summary;

static const wm_packet *raw(const summary *s, int64_t index)
{
    return &s->trace->packets[s->conn->packets[index].packet];
}

static int64_t ts_of(const summary *s, int64_t index)
{
    return raw(s, index)->ts_ns;
}

/* The client's direction: the SYN's sender, else the SYN-ACK's receiver,
 * else (guessing) the first packet's sender. */
static int client_direction(const summary *s, bool *known)
{
    *known = true;
    for (size_t i = 0; i < s->conn->packet_count; i++)
        if ((raw(s, (int64_t)i)->flags & (F_SYN | F_ACK)) == F_SYN)
            return (int)s->conn->packets[i].from;
    for (size_t i = 0; i < s->conn->packet_count; i++)
        if ((raw(s, (int64_t)i)->flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK))
            return !s->conn->packets[i].from;
    *known = false;
    return 0;
}

static void note_syn_options(wm_side_info *side, const wm_packet *p)
{
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
    if (p->payload_len > 0)
        side->data_packets++;
    else if ((p->flags & F_ACK) && !(p->flags & (F_SYN | F_FIN | F_RST)))
        side->pure_acks++;
    if (info->marks & WM_MARK_ANY_RETRANSMISSION)
        side->retransmissions++;
    if (info->marks & WM_MARK_DUP_ACK)
        side->dup_acks++;
    if (info->marks & WM_MARK_OUT_OF_ORDER)
        side->out_of_order++;
}

/* Sides: endpoints, options of each SYN, counts; from becomes a side. */
static void fill_sides(const summary *s, int client_dir)
{
    wm_connection *conn = s->conn;
    const wm_packet *first = raw(s, 0);
    bool first_is_client = conn->packets[0].from == (wm_side)client_dir;
    wm_side_info *client = &conn->side[WM_SIDE_CLIENT];
    wm_side_info *server = &conn->side[WM_SIDE_SERVER];
    client->addr = first_is_client ? first->src : first->dst;
    client->port = first_is_client ? first->src_port : first->dst_port;
    server->addr = first_is_client ? first->dst : first->src;
    server->port = first_is_client ? first->dst_port : first->src_port;
    client->wscale = server->wscale = -1;
    for (size_t i = 0; i < conn->packet_count; i++) {
        wm_packet_info *info = &conn->packets[i];
        info->from = info->from == (wm_side)client_dir ? WM_SIDE_CLIENT
                                                       : WM_SIDE_SERVER;
        const wm_packet *p = raw(s, (int64_t)i);
        wm_side_info *side = &conn->side[info->from];
        if ((p->flags & F_SYN) && !side->isn_known)
            note_syn_options(side, p);
        count_packet(side, p, info);
    }
}

static int64_t find_packet(const summary *s, int64_t from, wm_side side,
                           uint8_t mask, uint8_t want, bool check_ack,
                           uint32_t ack)
{
    for (size_t i = (size_t)(from < 0 ? 0 : from);
         i < s->conn->packet_count; i++) {
        const wm_packet *p = raw(s, (int64_t)i);
        if (s->conn->packets[i].from == side && (p->flags & mask) == want &&
            (!check_ack || p->ack == ack))
            return (int64_t)i;
    }
    return WM_NO_PACKET;
}

static void find_handshake(const summary *s)
{
    wm_connection *conn = s->conn;
    const wm_side_info *server = &conn->side[WM_SIDE_SERVER];
    const wm_side_info *client = &conn->side[WM_SIDE_CLIENT];
    conn->syn = find_packet(s, 0, WM_SIDE_CLIENT, F_SYN | F_ACK, F_SYN,
                            false, 0);
    conn->syn_ack = find_packet(s, conn->syn, WM_SIDE_SERVER, F_SYN | F_ACK,
                                F_SYN | F_ACK, client->isn_known,
                                client->isn + 1);
    conn->handshake_ack = WM_NO_PACKET;
    if (conn->syn_ack != WM_NO_PACKET)
        conn->handshake_ack = find_packet(s, conn->syn_ack, WM_SIDE_CLIENT,
                                          F_SYN | F_ACK, F_ACK, true,
                                          server->isn + 1);
    conn->handshake_complete = conn->syn != WM_NO_PACKET &&
                               conn->syn_ack != WM_NO_PACKET &&
                               conn->handshake_ack != WM_NO_PACKET;
    conn->handshake_ns = conn->handshake_complete
        ? ts_of(s, conn->handshake_ack) - ts_of(s, conn->syn) : -1;
    int64_t marks[3] = {conn->syn, conn->syn_ack, conn->handshake_ack};
    for (int k = 0; k < 3; k++)
        if (marks[k] != WM_NO_PACKET)
            conn->packets[marks[k]].marks |= WM_MARK_HANDSHAKE;
}

/* The first packet from side at or after start acking up to seq_end. */
static int64_t find_ack_of(const summary *s, int64_t start, wm_side side,
                           uint32_t seq_end)
{
    for (size_t i = (size_t)start; i < s->conn->packet_count; i++) {
        const wm_packet *p = raw(s, (int64_t)i);
        if (s->conn->packets[i].from == side && (p->flags & F_ACK) &&
            SEQ_GE(p->ack, seq_end))
            return (int64_t)i;
    }
    return WM_NO_PACKET;
}

typedef struct fins {
    int64_t fin[2];      /* first FIN of each side */
    uint32_t fin_end[2]; /* raw seq just after it */
    int64_t rst;         /* first RST */
} fins;

static void find_fins(const summary *s, fins *f)
{
    wm_connection *conn = s->conn;
    f->fin[0] = f->fin[1] = f->rst = WM_NO_PACKET;
    conn->closure_first = WM_NO_PACKET;
    for (size_t i = 0; i < conn->packet_count; i++) {
        const wm_packet *p = raw(s, (int64_t)i);
        wm_side side = conn->packets[i].from;
        if ((p->flags & (F_FIN | F_RST)) && conn->closure_first < 0)
            conn->closure_first = (int64_t)i;
        if ((p->flags & F_FIN) && f->fin[side] < 0) {
            f->fin[side] = (int64_t)i;
            f->fin_end[side] = p->seq + p->payload_len + 1;
        }
        if ((p->flags & F_RST) && f->rst < 0)
            f->rst = (int64_t)i;
    }
}

/* Each side sent its FIN before acking the other's. */
static bool simultaneous(const summary *s, const fins *f)
{
    for (int side = 0; side < 2; side++) {
        int64_t start = f->fin[!side];
        int64_t ack = find_ack_of(s, start, (wm_side)side, f->fin_end[!side]);
        if (ack != WM_NO_PACKET && ack <= f->fin[side])
            return false;
    }
    return true;
}

static void find_closure(const summary *s)
{
    wm_connection *conn = s->conn;
    fins f;
    find_fins(s, &f);
    conn->closure_last = WM_NO_PACKET;
    conn->closure_ns = -1;
    if (conn->closure_first == WM_NO_PACKET)
        return;
    const wm_packet *first = raw(s, conn->closure_first);
    conn->close_kind = (first->flags & F_RST) ? WM_CLOSE_RST : WM_CLOSE_FIN;
    conn->closed_by = conn->packets[conn->closure_first].from;
    if (f.fin[0] != WM_NO_PACKET && f.fin[1] != WM_NO_PACKET) {
        int last_side = f.fin[1] > f.fin[0];
        conn->closure_last = find_ack_of(s, f.fin[last_side] + 1,
                                         (wm_side)!last_side,
                                         f.fin_end[last_side]);
        conn->simultaneous_close = simultaneous(s, &f);
    }
    if (conn->closure_last == WM_NO_PACKET && f.rst != WM_NO_PACKET)
        conn->closure_last = f.rst;
    conn->closure_complete = conn->closure_last != WM_NO_PACKET;
    if (conn->closure_complete)
        conn->closure_ns = ts_of(s, conn->closure_last) -
                           ts_of(s, conn->closure_first);
    size_t end = conn->closure_complete ? (size_t)conn->closure_last + 1
                                        : conn->packet_count;
    for (size_t i = (size_t)conn->closure_first; i < end; i++)
        conn->packets[i].marks |= WM_MARK_CLOSURE;
}

static void fill_timing(const summary *s)
{
    wm_connection *conn = s->conn;
    conn->first_ts_ns = ts_of(s, 0);
    conn->last_ts_ns = ts_of(s, (int64_t)conn->packet_count - 1);
    conn->transfer_start_ns = conn->handshake_ack != WM_NO_PACKET
        ? ts_of(s, conn->handshake_ack) : conn->first_ts_ns;
    conn->transfer_end_ns = conn->closure_first != WM_NO_PACKET
        ? ts_of(s, conn->closure_first) : conn->last_ts_ns;
}

void wm_analyze_summarize(wm_connection *conn, const wm_trace *trace,
                          const wm_conn_state *state)
{
    summary s = {.conn = conn, .trace = trace};
    conn->syn = conn->syn_ack = conn->handshake_ack = WM_NO_PACKET;
    conn->closure_first = conn->closure_last = WM_NO_PACKET;
    conn->handshake_ns = conn->closure_ns = -1;
    conn->wscale_shift[0] = conn->wscale_shift[1] = -1;
    if (conn->packet_count == 0)
        return;
    int client_dir = client_direction(&s, &conn->roles_known);
    for (int side = 0; side < 2; side++) {
        int shift = state->flow[side == WM_SIDE_CLIENT ? client_dir
                                                       : !client_dir]
                        .win_scale;
        conn->wscale_shift[side] = shift >= 0 ? shift : -1;
    }
    fill_sides(&s, client_dir);
    find_handshake(&s);
    find_closure(&s);
    fill_timing(&s);
}
