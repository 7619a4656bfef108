/* wm_tcpopt: see tcp_options.h. Every read is within cap_len: the
 * length byte and then the whole option are checked before they are
 * read, in the order of packet-tcp.c's tcp_dissect_options (room for the
 * length, the length captured, at least 2, within the header). */
#include "tcp_options.h"

static uint16_t read16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t read32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

/* What the snaplen left of an option it cut: tshark still shows the
 * fields read before the cut (a TSval, the whole SACK blocks). */
static void option_cut(const uint8_t *opt, uint32_t len, uint32_t captured,
                       wm_tcp_options *o)
{
    if (opt[0] == 8 && len == 10 && captured >= 6) {
        o->ts_val_cut = true;
        o->ts_val = read32(opt + 2);
    } else if (opt[0] == 5 && len >= 10 && (len - 2) % 8 == 0 &&
               (len - 2) / 8 <= WM_TCP_MAX_SACK_BLOCKS) {
        o->sack_count = (uint8_t)((captured - 2) / 8);
        for (unsigned i = 0; i < o->sack_count; i++) {
            o->sack[i].left = read32(opt + 2 + 8 * i);
            o->sack[i].right = read32(opt + 6 + 8 * i);
        }
    }
}

/* One option at opts[at]: header_len bounds it as sent, cap_len as
 * captured. Returns the bytes it takes, 0 when it is malformed (the
 * anomaly set in *anomalies), or OPTION_CUT when the capture ends inside
 * it. The checks come in tshark's order: room for a length byte, the
 * length captured, at least 2, within the header. */
#define OPTION_CUT UINT32_MAX
static uint32_t tcp_option(const uint8_t *opts, uint32_t at,
                           uint32_t header_len, uint32_t cap_len,
                           wm_tcp_options *o, uint8_t *anomalies)
{
    const uint8_t *opt = opts + at;
    if (opt[0] == 1) {
        if (o->nop_count < UINT8_MAX)
            o->nop_count++;
        return 1;
    }
    if (header_len - at < 2) {
        *anomalies |= WM_PKT_OPTION_SHORT; /* no room for its length */
        return 0;
    }
    if (cap_len - at < 2)
        return OPTION_CUT;
    uint32_t len = opt[1];
    if (len < 2) {
        *anomalies |= WM_PKT_OPTION_SHORT;
        return 0;
    }
    if (len > header_len - at) {
        *anomalies |= WM_PKT_OPTION_PAST_END;
        return 0;
    }
    if (len > cap_len - at) {
        option_cut(opt, len, cap_len - at, o);
        return OPTION_CUT;
    }
    if (opt[0] == 2 && len == 4) {
        o->has_mss = true;
        o->mss = read16(opt + 2);
    } else if (opt[0] == 3 && len == 3) {
        o->has_wscale = true;
        o->wscale = opt[2];
    } else if (opt[0] == 4 && len == 2) {
        o->sack_permitted = true;
    } else if (opt[0] == 5 && len >= 10 && (len - 2) % 8 == 0 &&
               (len - 2) / 8 <= WM_TCP_MAX_SACK_BLOCKS) {
        o->sack_count = (uint8_t)((len - 2) / 8);
        for (unsigned i = 0; i < o->sack_count; i++) {
            o->sack[i].left = read32(opt + 2 + 8 * i);
            o->sack[i].right = read32(opt + 6 + 8 * i);
        }
    } else if (opt[0] == 8 && len == 10) {
        o->has_timestamps = true;
        o->ts_val = read32(opt + 2);
        o->ts_ecr = read32(opt + 6);
    } else if (o->unknown_count < UINT8_MAX) {
        /* another kind, or a known kind at a length it cannot have: well
         * delimited, so the rest of the header still parses */
        o->unknown_count++;
    }
    return len;
}

void wm_tcpopt_parse(const uint8_t *opts, uint32_t header_len,
                     uint32_t cap_len, wm_tcp_options *o, uint8_t *anomalies)
{
    uint32_t at = 0;
    while (at < header_len) {
        if (at >= cap_len) {
            o->truncated = true;
            return;
        }
        if (opts[at] == 0) { /* EOL: the rest is padding */
            o->has_eol = true;
            return;
        }
        uint32_t used = tcp_option(opts, at, header_len, cap_len, o,
                                   anomalies);
        if (used == 0)
            return;
        if (used == OPTION_CUT) {
            o->truncated = true;
            return;
        }
        at += used;
    }
}
