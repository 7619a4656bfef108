#!/bin/bash
# How long making and tearing down a path=link takes (target <= 20 ms
# each): the namespaces, the veths and the bridge, addresses, offload, the
# qdiscs and the loss filter, all by rtnetlink from C (worker/src/path.c).
# Three links: none of the shaping, rate=100mbit, and rate=100mbit with
# loss=1 (its eBPF program loaded and attached). For each: the median,
# 90th percentile and largest setup and teardown of WM_BENCH_ROUNDS links
# in a row, and the loop's time per link. The machine's load (uptime) is
# printed before and after: a figure, not a test.
#
# Teardown is closing the namespaces' descriptors; the kernel frees them
# afterwards in a worker of its own, which nobody waits for (the loop's
# time per link would show it if it could not keep up).
#
# usage: sudo bench/path-setup.sh [BUILD_DIR]   (default: build)
# env:   WM_BENCH_ROUNDS (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${WM_BENCH_ROUNDS:-100}
prog="$build/bench/path_setup"
[ -x "$prog" ] || { echo "path-setup: no $prog: build first" >&2; exit 2; }
echo "load before: $(uptime)"
"$prog" "$rounds" 0 0
"$prog" "$rounds" 100000 0
"$prog" "$rounds" 100000 100
echo "load after:  $(uptime)"
