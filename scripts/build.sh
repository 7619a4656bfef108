#!/bin/sh
# Builds wiremeter into ./build (Release) and lets the binary capture
# without running as root: cap_net_raw to open the loopback interface,
# cap_net_admin to size the capture buffer. Not root: it asks sudo for that
# one step, and says so when it cannot.
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build -j"$(nproc)" --target wiremeter
caps="cap_net_raw,cap_net_admin+ep"
if [ "$(id -u)" -eq 0 ]; then
    setcap "$caps" build/wiremeter
elif command -v sudo >/dev/null && sudo setcap "$caps" build/wiremeter; then
    :
else
    echo "note: could not grant capture rights; as root: setcap $caps build/wiremeter" >&2
fi
echo "built: build/wiremeter"
