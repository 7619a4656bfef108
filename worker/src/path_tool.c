/* path_tool: see path_tool.h. */
#include "path_tool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MESSAGE_MAX 200 /* bytes of the tool's stderr kept for an error */

const char *path_tool_find(const char *tool)
{
    /* The daemon's PATH may lack the sbin directories. */
    static const char *const dirs[] = {"/usr/sbin", "/sbin", "/usr/bin",
                                       "/bin"};
    static char found[2][32];
    int slot = strcmp(tool, "tc") == 0;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[32];
        snprintf(path, sizeof path, "%s/%s", dirs[i], tool);
        if (access(path, X_OK) == 0) {
            memcpy(found[slot], path, sizeof path);
            return found[slot];
        }
    }
    return NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Only async-signal-safe calls: the parent may have other threads. */
static void child(const char *path, int ns_fd, const int *peers, int in_fd,
                  int out_fd)
{
    if (setns(ns_fd, CLONE_NEWNET) != 0)
        _exit(126);
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
        _exit(126);
    /* Out of the way first: a peer may itself be numbered 10 or 11. */
    int moved[PATH_TOOL_PEERS] = {-1, -1};
    for (int i = 0; peers && i < PATH_TOOL_PEERS; i++)
        if (peers[i] >= 0 &&
            (moved[i] = fcntl(peers[i], F_DUPFD, PATH_TOOL_PEER_FD + 10)) < 0)
            _exit(126);
    for (int i = 0; i < PATH_TOOL_PEERS; i++)
        if (moved[i] >= 0 && dup2(moved[i], PATH_TOOL_PEER_FD + i) < 0)
            _exit(126);
    char *const argv[] = {(char *)path, "-batch", "-", NULL};
    char *const envp[] = {NULL};
    execve(path, argv, envp);
    _exit(127);
}

/* Reads the tool's output until it closes it or the deadline passes;
 * keeps the first MESSAGE_MAX bytes. false: the deadline passed. */
static bool drain(int fd, char *msg, size_t len, int64_t deadline)
{
    size_t used = 0;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = poll(&p, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return rc == 0 ? false : true;
        char buf[512];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return true;
        size_t keep = (size_t)n < len - 1 - used ? (size_t)n : len - 1 - used;
        memcpy(msg + used, buf, keep);
        used += keep;
        msg[used] = '\0';
    }
}

int path_tool_batch(const char *tool, int ns_fd,
                    const int peers[PATH_TOOL_PEERS], const char *commands,
                    wm_error *err)
{
    const char *path = path_tool_find(tool);
    if (!path)
        return wm_error_set(err, WM_ERR_IO, "path: `%s` (iproute2) is not "
                            "installed", tool);
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0)
        return wm_error_set(err, WM_ERR_IO, "path: pipe: %s",
                            strerror(errno));
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return wm_error_set(err, WM_ERR_IO, "path: pipe: %s",
                            strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0)
        child(path, ns_fd, peers, in[0], out[1]);
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        return wm_error_set(err, WM_ERR_IO, "path: fork: %s",
                            strerror(errno));
    }
    /* A batch is a few hundred bytes: far below a pipe's buffer, so
     * this write cannot wait on the child. */
    size_t len = strlen(commands);
    ssize_t wrote = write(in[1], commands, len);
    close(in[1]);
    char msg[MESSAGE_MAX] = "";
    bool in_time = drain(out[0], msg, sizeof msg,
                         now_ms() + PATH_TOOL_TIMEOUT_MS);
    close(out[0]);
    if (!in_time)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    msg[strcspn(msg, "\n")] = '\0';
    if (!in_time)
        return wm_error_set(err, WM_ERR_TIMEOUT, "path: `%s -batch` took "
                            "more than %u ms", tool, PATH_TOOL_TIMEOUT_MS);
    if (wrote != (ssize_t)len || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return wm_error_set(err, WM_ERR_IO, "path: `%s` failed (status %d): "
                            "%s", tool, WIFEXITED(status)
                                            ? WEXITSTATUS(status) : -1,
                            msg[0] ? msg : "no message");
    return 0;
}
