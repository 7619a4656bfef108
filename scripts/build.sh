#!/bin/sh
# Builds wiremeter into ./build (Release) and, when run as root, lets the
# binary capture without root: cap_net_raw to open the loopback interface,
# cap_net_admin to size the capture buffer.
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build -j"$(nproc)"
if [ "$(id -u)" -eq 0 ] && command -v setcap >/dev/null; then
    setcap cap_net_raw,cap_net_admin+ep build/wiremeter
fi
echo "built: build/wiremeter"
