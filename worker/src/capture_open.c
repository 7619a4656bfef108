/* capture_open: see capture_open.h. */
#include "capture_open.h"

#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Linux 4.20's; older headers lack it. */
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* The path of this program, for the setcap hint. */
static void self_path(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0)
        snprintf(buf, len, "<binary>");
    else
        buf[n] = '\0';
}

static int activate_error(pcap_t *handle, const char *interface, int status,
                          wm_error *err)
{
    const char *why = status == PCAP_ERROR || status == PCAP_WARNING
                          ? pcap_geterr(handle)
                          : pcap_statustostr(status);
    bool denied = status == PCAP_ERROR_PERM_DENIED ||
                  (status == PCAP_ERROR && strstr(why, "ermission"));
    if (!denied)
        return wm_error_set(err, WM_ERR_IO, "capture: cannot open %s: %s",
                            interface, why);
    char path[256];
    self_path(path, sizeof path);
    return wm_error_set(err, WM_ERR_PERMISSION,
                        "capture on %s is not permitted (%s): run as root, "
                        "or grant the capability with `sudo setcap "
                        "cap_net_raw,cap_net_admin+ep %s`", interface, why,
                        path);
}

/* On a loopback interface every frame passes the capture twice: as it
 * leaves (outgoing) and as it comes back in (host). libpcap discards the
 * outgoing copy in user space, after the kernel cloned it, ran the filter
 * on it and copied it into the ring: half the capture's kernel work of a
 * loopback run, and a ring counter (ps_recv) twice the frames handed
 * over. PACKET_IGNORE_OUTGOING makes the kernel skip this socket for
 * outgoing frames, so only the copy libpcap keeps is made. Nowhere else:
 * on any other interface the outgoing copy is the only one. A kernel
 * without the option (before 4.20) keeps the old behaviour. */
static void capture_skip_outgoing_on_loopback(pcap_t *handle,
                                              const char *interface)
{
    struct ifreq ifr = {0};
    if (strlen(interface) >= sizeof ifr.ifr_name)
        return;
    strcpy(ifr.ifr_name, interface);
    int fd = pcap_fileno(handle);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0 || !(ifr.ifr_flags & IFF_LOOPBACK))
        return;
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
                   sizeof one) != 0) {
        /* ENOPROTOOPT on an old kernel: frames are still all kept. */
    }
}

pcap_t *capture_open_handle(const char *interface, uint32_t snaplen,
                            uint32_t buffer_bytes, uint32_t block_ms,
                            wm_error *err)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *handle = pcap_create(interface, errbuf);
    if (!handle) {
        wm_error_set(err, WM_ERR_IO, "capture: cannot open %s: %s",
                     interface, errbuf);
        return NULL;
    }
    int status = pcap_set_snaplen(handle, (int)snaplen);
    /* libpcap picks the ring's layout from immediate mode: on, one slot
     * per frame; off, blocks retired after the timeout. */
    if (status == 0)
        status = pcap_set_immediate_mode(handle, block_ms == 0);
    if (status == 0 && block_ms > 0)
        status = pcap_set_timeout(handle, (int)block_ms);
    if (status == 0)
        status = pcap_set_tstamp_precision(handle,
                                           PCAP_TSTAMP_PRECISION_NANO);
    if (status == 0)
        status = pcap_set_buffer_size(handle, (int)buffer_bytes);
    if (status == 0)
        status = pcap_activate(handle);
    if (status < 0) {
        activate_error(handle, interface, status, err);
        pcap_close(handle);
        return NULL;
    }
    /* A positive status is a warning (e.g. no promiscuous mode): fine. */
    capture_skip_outgoing_on_loopback(handle, interface);
    return handle;
}

bool wm_capture_permitted(const char *interface, wm_error *err)
{
    pcap_t *handle = capture_open_handle(interface ? interface : "lo",
                                 WM_CAPTURE_DEFAULT_SNAPLEN,
                                 CAPTURE_MIN_BUFFER_BYTES, 0, err);
    if (!handle)
        return false;
    pcap_close(handle);
    return true;
}
