/* wm_userns: where the process's runs live, and with what right.
 *
 * A link run (wm_path.h) makes network namespaces, and every run captures
 * (wm_capture.h): both need CAP_SYS_ADMIN / CAP_NET_ADMIN / CAP_NET_RAW
 * over the network namespace they act in. A root daemon has them over the
 * host's. One that is not can still have them over namespaces of its own,
 * where the kernel allows unprivileged user namespaces: it unshares a user
 * namespace, mapping its uid to 0 there, and a network namespace owned by
 * it, and is then root over that namespace and every one it makes — but
 * only over those. Every run of such a process is private: its loopback
 * runs cross the namespace's own lo, not the host's, and nothing outside
 * sees their packets nor needs to grant anything.
 *
 * unshare(CLONE_NEWUSER) is refused to a process with more than one
 * thread: wm_userns_enter must be called at start, before any thread
 * exists, and after everything that must stay in the host's namespace (a
 * listening socket keeps the namespace it was made in). */
#ifndef WM_USERNS_H
#define WM_USERNS_H

#include <stdbool.h>

typedef enum wm_userns_policy {
    WM_USERNS_AUTO,   /* only when the process lacks the capabilities */
    WM_USERNS_ALWAYS, /* even as root: every run private */
    WM_USERNS_NEVER,  /* stay in the host's namespaces */
} wm_userns_policy;

/* The policies' names, in the enum's order, NULL-ended. */
extern const char *const wm_userns_policies[];

typedef enum wm_userns_mode {
    WM_USERNS_MODE_HOST,    /* the host's namespaces, with capabilities */
    WM_USERNS_MODE_PRIVATE, /* a user and network namespace of its own */
    WM_USERNS_MODE_NONE,    /* the host's, without them */
} wm_userns_mode;

typedef struct wm_userns_state {
    wm_userns_mode mode;
    char why[480]; /* how it came to be, in words for the log */
    bool stranded; /* unshared, then refused the rest although a trial
                      in a child got through: the process can do nothing
                      and should stop */
} wm_userns_state;

/* "auto" is WM_USERNS_AUTO...; -1 for anything else. */
int wm_userns_policy_parse(const char *text);

/* The mode's name: "host", "user_namespace" or "none". */
const char *wm_userns_mode_name(wm_userns_mode mode);

/* Whether the effective capabilities hold CAP_SYS_ADMIN and
 * CAP_NET_ADMIN (what making a link needs). */
bool wm_userns_capable(void);

/* Applies the policy; the process must have one thread. Entering fails
 * softly: the process then stays where it was, and state says why. */
void wm_userns_enter(wm_userns_policy policy, wm_userns_state *state);

#endif
