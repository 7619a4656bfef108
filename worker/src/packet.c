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
    int af = addr->family == 4 ? AF_INET : addr->family == 6 ? AF_INET6 : -1;
    if (af < 0 || !inet_ntop(af, addr->bytes, text, sizeof text))
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
