/* capture_open: see capture_open.h. */
#include "capture_open.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
