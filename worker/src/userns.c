/* wm_userns: see wm_userns.h.
 *
 * The maps are written by the process itself, which the kernel allows an
 * unprivileged one for exactly one line: its own uid (and gid, once
 * setgroups is denied) as 0. Nothing else of the host is mapped, so a
 * file the daemon makes is its own user's on the host.
 *
 * unshare(CLONE_NEWUSER) cannot be undone: a process that fails half way
 * (unshared, but refused its maps) would be left in a namespace where it
 * is nobody, with a loopback that is down. So the whole sequence is first
 * tried in a child, and the process itself follows only when the child
 * got through. */
#include "wm_userns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

const char *const wm_userns_policies[] = {"auto", "always", "never", NULL};

int wm_userns_policy_parse(const char *text)
{
    for (int i = 0; wm_userns_policies[i]; i++)
        if (strcmp(text, wm_userns_policies[i]) == 0)
            return i;
    return -1;
}

const char *wm_userns_mode_name(wm_userns_mode mode)
{
    static const char *const names[] = {"host", "user_namespace", "none"};
    return names[mode];
}

/* CapEff of /proc/self/status, or 0. */
static unsigned long long effective_caps(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    unsigned long long caps = 0;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff: %llx", &caps) == 1)
            break;
    if (f)
        fclose(f);
    return caps;
}

bool wm_userns_capable(void)
{
    unsigned long long need = (1ull << CAP_SYS_ADMIN) |
                              (1ull << CAP_NET_ADMIN);
    return (effective_caps() & need) == need;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The new namespace's lo is down: loopback runs need it up. */
static int loopback_up(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags |= IFF_UP;
    if (rc == 0)
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* unshare, then the maps; -1 with what failed in why, and *unshared
 * when the process is already in the new namespaces. */
static int enter_private(char *why, size_t len, bool *unshared)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    char map[64];
    const char *step = "unshare(CLONE_NEWUSER | CLONE_NEWNET)";
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
        goto failed;
    *unshared = true;
    /* A binary with a file capability (the image's cap_net_raw) runs
     * non-dumpable, and then its /proc/self files are root's, not its
     * own: dumpable only while it writes its maps. */
    int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    if (dumpable == 0)
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    step = "writing /proc/self/setgroups";
    /* Absent before Linux 3.19; gid_map then needs nothing. */
    int rc = write_file("/proc/self/setgroups", "deny") != 0 && errno != ENOENT
                 ? -1 : 0;
    if (rc == 0) {
        step = "writing /proc/self/uid_map";
        snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
        rc = write_file("/proc/self/uid_map", map);
    }
    if (rc == 0) {
        step = "writing /proc/self/gid_map";
        snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
        rc = write_file("/proc/self/gid_map", map);
    }
    int saved = errno;
    if (dumpable == 0)
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    errno = saved;
    if (rc != 0)
        goto failed;
    step = "bringing lo up";
    if (loopback_up() != 0)
        goto failed;
    return 0;
failed:
    snprintf(why, len, "%s: %s", step, strerror(errno));
    return -1;
}

/* enter_private in a child: 0 when it got through, else -1 with why. */
static int try_in_child(char *why, size_t len)
{
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        snprintf(why, len, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, len, "fork: %s", strerror(errno));
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return -1;
    }
    if (pid == 0) {
        char failed[200] = "";
        bool unshared = false;
        int rc = enter_private(failed, sizeof failed, &unshared);
        if (rc != 0 && write(pipe_fds[1], failed, strlen(failed)) < 0)
            rc = -1; /* the parent says it failed without words */
        _exit(rc == 0 ? 0 : 1);
    }
    close(pipe_fds[1]);
    char said[200] = "";
    ssize_t n = read(pipe_fds[0], said, sizeof said - 1);
    close(pipe_fds[0]);
    said[n > 0 ? n : 0] = '\0';
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    snprintf(why, len, "%s", said[0] ? said : "the trial in a child failed");
    return -1;
}

void wm_userns_enter(wm_userns_policy policy, wm_userns_state *state)
{
    bool capable = wm_userns_capable();
    memset(state, 0, sizeof *state);
    if (policy == WM_USERNS_NEVER || (policy == WM_USERNS_AUTO && capable)) {
        state->mode = capable ? WM_USERNS_MODE_HOST : WM_USERNS_MODE_NONE;
        snprintf(state->why, sizeof state->why, "%s, in the host's network "
                 "namespace%s", capable ? "CAP_SYS_ADMIN and CAP_NET_ADMIN"
                                        : "without CAP_SYS_ADMIN and "
                                          "CAP_NET_ADMIN",
                 policy == WM_USERNS_NEVER ? " (--user-namespace never)"
                                           : "");
        return;
    }
    char failed[200];
    unsigned host_uid = (unsigned)geteuid(); /* 0 once inside */
    bool unshared = false;
    if (try_in_child(failed, sizeof failed) == 0 &&
        enter_private(failed, sizeof failed, &unshared) == 0) {
        state->mode = WM_USERNS_MODE_PRIVATE;
        snprintf(state->why, sizeof state->why,
                 "uid %u as root in a user namespace of its own, every run "
                 "in its private network namespace (%s)", host_uid,
                 policy == WM_USERNS_ALWAYS ? "--user-namespace always"
                                            : "not root on the host");
        return;
    }
    state->mode = capable ? WM_USERNS_MODE_HOST : WM_USERNS_MODE_NONE;
    state->stranded = unshared;
    snprintf(state->why, sizeof state->why,
             "%s; no user namespace: %.160s (unprivileged user namespaces are "
             "off here: see kernel.unprivileged_userns_clone, "
             "user.max_user_namespaces, or a seccomp profile that refuses "
             "unshare)", capable ? "CAP_SYS_ADMIN and CAP_NET_ADMIN"
                                 : "without CAP_SYS_ADMIN and CAP_NET_ADMIN",
             failed);
}
