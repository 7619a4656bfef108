/* wm_packet: see wm_packet.h. */
#include "wm_packet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void wm_addr_format(const wm_addr *addr, char *buf, unsigned buflen)
{
    if (buflen == 0)
        return;
    char text[INET6_ADDRSTRLEN];
    if (addr->family == 4) {
        /* glibc's inet_ntop writes IPv4 with sprintf: two in each packet
         * row of a result document, a tenth of its time. */
        char *out = text;
        for (int i = 0; i < 4; i++) {
            unsigned b = addr->bytes[i];
            if (b >= 100)
                *out++ = (char)('0' + b / 100);
            if (b >= 10)
                *out++ = (char)('0' + b / 10 % 10);
            *out++ = (char)('0' + b % 10);
            *out++ = i < 3 ? '.' : '\0';
        }
        size_t n = (size_t)(out - text) - 1; /* as snprintf cuts it */
        if (n >= buflen)
            n = buflen - 1;
        memcpy(buf, text, n);
        buf[n] = '\0';
        return;
    }
    if (addr->family != 6 || !inet_ntop(AF_INET6, addr->bytes, text,
                                        sizeof text))
        snprintf(text, sizeof text, "?");
    snprintf(buf, buflen, "%s", text);
}

bool wm_addr_equal(const wm_addr *a, const wm_addr *b)
{
    if (a->family != b->family)
        return false;
    size_t len = a->family == 4 ? 4 : sizeof a->bytes;
    return memcmp(a->bytes, b->bytes, len) == 0;
}
