#!/bin/sh
# Installs what wiremeter needs on Debian 12. As root it runs as it is;
# otherwise it asks sudo.
#   scripts/install-deps.sh          build and run the service
#   scripts/install-deps.sh --test   also everything the whole test suite uses
# Only packages that are missing are installed, so a second run is quick.
set -eu

build="build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev
libpcap-dev libsqlite3-dev libjs-chart.js libcap2-bin curl ca-certificates"
tests="libcmocka-dev python3 tshark tcpdump clang libclang-rt-14-dev valgrind
chromium iperf3 wrk nginx-light hyperfine time docker.io
docker-compose debootstrap iproute2
poppler-utils"
# Paths (issue 13): path=link is made by rtnetlink and eBPF from C, no
# package needed. scripts/netem-vm.sh (not part of the suite) needs
# qemu-system-x86 busybox-static cpio kmod, and says so when they are
# missing.
# Captures (issue 11): POST /captures takes gzip'd files, read with zlib.
build="$build zlib1g-dev"

want=$build
case "${1:-}" in
--test) want="$build $tests" ;;
"") ;;
*) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then
        exec sudo "$0" "$@"
    fi
    echo "install-deps: installing packages needs root; run it as root" >&2
    exit 1
fi

# Node.js runs the browser test. A machine that already has it from
# elsewhere (NodeSource ships its own npm) keeps it: Debian's npm
# conflicts with such a nodejs.
case "${1:-}" in
--test) command -v npm >/dev/null || want="$want nodejs npm" ;;
esac

missing=""
for pkg in $want; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $pkg"
done
if [ -z "$missing" ]; then
    echo "install-deps: everything is installed"
    exit 0
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
    debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing
