/* wm_cancel: see wm_cancel.h. The eventfd is never read, so that every
 * poll on it, however late, sees it readable once fired. */
#include "wm_cancel.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct wm_cancel {
    int fd;
    atomic_bool fired;
};

wm_cancel *wm_cancel_new(wm_error *err)
{
    wm_cancel *c = calloc(1, sizeof *c);
    if (!c) {
        wm_error_set(err, WM_ERR_INTERNAL, "cancel: out of memory");
        return NULL;
    }
    c->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->fd < 0) {
        wm_error_set(err, WM_ERR_IO, "cancel: eventfd: %s", strerror(errno));
        free(c);
        return NULL;
    }
    atomic_init(&c->fired, false);
    return c;
}

void wm_cancel_fire(wm_cancel *cancel)
{
    if (!cancel || atomic_exchange(&cancel->fired, true))
        return;
    uint64_t one = 1;
    if (write(cancel->fd, &one, sizeof one) < 0) {
        /* Only on counter overflow, which one write cannot reach. */
    }
}

bool wm_cancel_fired(const wm_cancel *cancel)
{
    return cancel && atomic_load(&cancel->fired);
}

int wm_cancel_fd(const wm_cancel *cancel)
{
    return cancel ? cancel->fd : -1;
}

void wm_cancel_free(wm_cancel *cancel)
{
    if (!cancel)
        return;
    close(cancel->fd);
    free(cancel);
}
