/* rows_format: see rows_format.h. A record keeps exactly what
 * wm_report_packet_row reads; the addresses and ports are the
 * connection's, kept once in the header and given back to each row by the
 * side that sent it. */
#include "rows_format.h"

#include <assert.h>
#include <string.h>

void rows_record_of(const wm_packet *p, const wm_packet_info *info,
                      rows_record *r)
{
    const wm_tcp_options *o = &p->opts;
    assert(info->window <= UINT32_MAX); /* the shift is at most 14 */
    assert(o->sack_count <= WM_TCP_MAX_SACK_BLOCKS);
    *r = (rows_record){
        .ts_ns = p->ts_ns, .frame_no = p->frame_no,
        .frame_len = p->frame_len, .seq = p->seq, .ack = p->ack,
        .payload_len = p->payload_len, .rel_seq = info->rel_seq,
        .rel_ack = info->rel_ack, .window = (uint32_t)info->window,
        .marks = info->marks, .dup_ack_num = info->dup_ack_num,
        .dup_ack_frame = info->dup_ack_frame, .ts_val = o->ts_val,
        .ts_ecr = o->ts_ecr, .window_raw = p->window, .mss = o->mss,
        .flags = p->flags, .from = (uint8_t)info->from,
        .wscale = o->wscale, .sack_count = o->sack_count,
        .nop_count = o->nop_count, .unknown_count = o->unknown_count,
        .anomalies = p->anomalies,
    };
    r->opt_bits = (uint8_t)((o->has_mss ? OPT_MSS : 0) |
                            (o->has_wscale ? OPT_WSCALE : 0) |
                            (o->sack_permitted ? OPT_SACK_PERM : 0) |
                            (o->has_timestamps ? OPT_TIMESTAMPS : 0) |
                            (o->has_eol ? OPT_EOL : 0) |
                            (o->truncated ? OPT_TRUNCATED : 0) |
                            (o->ts_val_cut ? OPT_TS_VAL_CUT : 0));
    for (unsigned i = 0; i < o->sack_count; i++) {
        r->sack[i][0] = o->sack[i].left;
        r->sack[i][1] = o->sack[i].right;
    }
    if (p->anomalies & WM_PKT_BAD_HEADER_LEN) {
        /* such a header has no options: mss carries its length, which
         * its row names */
        assert(!o->has_mss && p->header_len < 20);
        r->mss = p->header_len;
    }
}

/* The two records a row is rendered from, back from a record. */
void rows_packet_of(const rows_header *h, const rows_record *r,
                      wm_packet *p, wm_packet_info *info)
{
    memset(p, 0, sizeof *p);
    memset(info, 0, sizeof *info);
    int from = r->from ? 1 : 0;
    p->ts_ns = r->ts_ns;
    p->frame_no = r->frame_no;
    p->frame_len = r->frame_len;
    p->src = h->addr[from];
    p->dst = h->addr[!from];
    p->src_port = h->port[from];
    p->dst_port = h->port[!from];
    p->seq = r->seq;
    p->ack = r->ack;
    p->payload_len = r->payload_len;
    p->window = r->window_raw;
    p->flags = r->flags;
    wm_tcp_options *o = &p->opts;
    o->has_mss = r->opt_bits & OPT_MSS;
    o->mss = r->mss;
    o->has_wscale = r->opt_bits & OPT_WSCALE;
    o->wscale = r->wscale;
    o->sack_permitted = r->opt_bits & OPT_SACK_PERM;
    o->has_timestamps = r->opt_bits & OPT_TIMESTAMPS;
    o->ts_val = r->ts_val;
    o->ts_ecr = r->ts_ecr;
    o->sack_count = r->sack_count <= WM_TCP_MAX_SACK_BLOCKS
                        ? r->sack_count : WM_TCP_MAX_SACK_BLOCKS;
    for (unsigned i = 0; i < o->sack_count; i++)
        o->sack[i] = (wm_sack_block){r->sack[i][0], r->sack[i][1]};
    o->nop_count = r->nop_count;
    o->has_eol = r->opt_bits & OPT_EOL;
    o->unknown_count = r->unknown_count;
    o->truncated = r->opt_bits & OPT_TRUNCATED;
    o->ts_val_cut = r->opt_bits & OPT_TS_VAL_CUT;
    p->anomalies = r->anomalies;
    if (p->anomalies & WM_PKT_BAD_HEADER_LEN) {
        p->header_len = (uint8_t)(r->mss < 20 ? r->mss : 0);
        o->mss = 0;
    }
    info->from = (wm_side)from;
    info->rel_seq = r->rel_seq;
    info->rel_ack = r->rel_ack;
    info->window = r->window;
    info->marks = r->marks;
    info->dup_ack_num = r->dup_ack_num;
    info->dup_ack_frame = r->dup_ack_frame;
}

void rows_header_init(rows_header *h)
{
    memset(h, 0, sizeof *h); /* padding too: the file has no stray bytes */
    memcpy(h->magic, ROWS_MAGIC, sizeof h->magic);
    h->version = ROWS_VERSION;
    h->record_bytes = sizeof(rows_record);
}
