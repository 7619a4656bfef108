/* path_tool: runs iproute2's `ip` and `tc` inside a network namespace,
 * bounded in time and output, for wm_path.
 *
 * Why shell out: a veth pair, its addresses and a tbf or netem qdisc over
 * rtnetlink are several hundred lines of message building that iproute2
 * already gets right; one `ip -batch` and one `tc -batch` per host keep a
 * link's setup to four short processes. The child enters the namespace
 * itself (setns between fork and exec, both async-signal-safe), so the
 * parent's threads never change namespace for it. The prefix is
 * path_tool_. */
#ifndef PATH_TOOL_H
#define PATH_TOOL_H

#include "wm_error.h"

#define PATH_TOOL_TIMEOUT_MS 5000u  /* one batch; a hung tool is killed */
#define PATH_TOOL_PEER_FD 10        /* peers[i] as the child sees it:
                                       "/proc/self/fd/10" and ".../11" in
                                       a command */
#define PATH_TOOL_PEERS 2

/* Runs `tool -batch -` (tool: "ip" or "tc") in the namespace ns_fd with
 * commands on its standard input. Each peers[i] >= 0 (the namespaces a
 * veth's peer is made in) is passed as PATH_TOOL_PEER_FD + i; peers may
 * be NULL. A failure's message quotes the tool's error. */
int path_tool_batch(const char *tool, int ns_fd,
                    const int peers[PATH_TOOL_PEERS], const char *commands,
                    wm_error *err);

/* Whether the tool is installed; its path, or NULL. */
const char *path_tool_find(const char *tool);

#endif
