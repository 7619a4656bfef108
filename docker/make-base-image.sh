#!/bin/sh
# make-base-image.sh - build the debian:bookworm-slim base image locally.
#
# The machines this project runs on reach Debian's package mirror but no
# container registry, so `FROM debian:bookworm-slim` cannot be pulled. This
# script makes an equivalent image with debootstrap (variant minbase, plus
# ca-certificates only for an https mirror), strips documentation, man pages
# and locales the way the official slim image does, and loads it with
# `docker import`.
#
# It does nothing when the image already exists (use --force to rebuild).
# The Debian mirror is the one this machine's apt uses (read from
# /etc/apt/sources.list and /etc/apt/sources.list.d), unless
# WIREMETER_DEBIAN_MIRROR / WIREMETER_DEBIAN_SECURITY_MIRROR are set.
#
# Usage: docker/make-base-image.sh [--force] [IMAGE]   (default debian:bookworm-slim)
# Exit status: 0 image present; 77 cannot be built here (not root, no engine);
# 1 failure.
set -eu

log()  { echo "make-base-image: $*" >&2; }
skip() { log "SKIP: $*"; exit 77; }

FORCE=0
if [ "${1:-}" = "--force" ]; then FORCE=1; shift; fi
IMAGE=${1:-debian:bookworm-slim}
SUITE=bookworm

docker info >/dev/null 2>&1 || skip "no Docker engine answers (run docker/ensure-engine.sh first)"

if [ "$FORCE" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "$IMAGE already present"
    exit 0
fi

# The image could also be pulled where a registry is reachable; try that first
# only when asked (WIREMETER_BASE_PULL=1), since a pull that hangs costs time.
if [ "${WIREMETER_BASE_PULL:-0}" = 1 ] && [ "$FORCE" = 0 ]; then
    if timeout 120 docker pull "$IMAGE" >&2; then exit 0; fi
    log "pull failed; building $IMAGE locally"
fi

[ "$(id -u)" = 0 ] || skip "building $IMAGE with debootstrap needs root"

export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    { apt-get update -qq && apt-get install -y -q --no-install-recommends debootstrap; } >&2 \
        || skip "debootstrap is missing and could not be installed"
fi

# --- find the mirror this machine's apt uses --------------------------------
# Prints "URI SUITE" for every active source (one-line and deb822 formats).
apt_sources() {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -e 's/#.*//' "$f" | awk '$1 == "deb" {
            i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            print $i, $(i + 1) }'
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # Stanzas are separated by blank lines; Enabled: no turns one off.
        # Comment lines are dropped, not blanked: they do not end a stanza.
        sed -e '/^[[:space:]]*#/d' -e 's/#.*//' "$f" | awk '
            function flush() { if (uris != "" && enabled) { n = split(uris, u, " "); m = split(suites, s, " ");
                               for (a = 1; a <= n; a++) for (b = 1; b <= m; b++) print u[a], s[b] }
                               uris = ""; suites = ""; enabled = 1 }
            BEGIN { enabled = 1 }
            /^[ \t]*$/ { flush(); next }
            tolower($1) == "uris:"    { $1 = ""; uris = $0 }
            tolower($1) == "suites:"  { $1 = ""; suites = $0 }
            tolower($1) == "enabled:" { enabled = (tolower($2) != "no") }
            END { flush() }'
    done
}
MIRROR=${WIREMETER_DEBIAN_MIRROR:-$(apt_sources | awk -v s="$SUITE" '$2 == s { print $1; exit }')}
SECURITY=${WIREMETER_DEBIAN_SECURITY_MIRROR:-$(apt_sources | awk -v s="$SUITE-security" '$2 == s { print $1; exit }')}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
MIRROR=${MIRROR%/}
SECURITY=${SECURITY%/}
log "mirror: $MIRROR${SECURITY:+ (security: $SECURITY)}"

# --- debootstrap ---------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/wiremeter-rootfs.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
ROOT=$WORK/rootfs

# The official slim image has no ca-certificates; apt needs them only when
# a mirror is reached over https.
INCLUDE=""
case "$MIRROR $SECURITY" in *https://*) INCLUDE="--include=ca-certificates" ;; esac

start=$(date +%s)
log "debootstrap --variant=minbase $SUITE (this takes a minute or more)"
# shellcheck disable=SC2086 # $INCLUDE is empty or one word
if ! debootstrap --variant=minbase $INCLUDE \
        --exclude=e2fsprogs \
        "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
    tail -n 30 "$WORK/debootstrap.log" >&2
    [ -f "$ROOT/debootstrap/debootstrap.log" ] && tail -n 30 "$ROOT/debootstrap/debootstrap.log" >&2
    log "debootstrap failed"
    exit 1
fi

# --- make it look like the official slim image ---------------------------------
{
    echo "Types: deb"
    echo "URIs: $MIRROR"
    echo "Suites: $SUITE $SUITE-updates"
    echo "Components: main"
    echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    if [ -n "$SECURITY" ]; then
        echo
        echo "Types: deb"
        echo "URIs: $SECURITY"
        echo "Suites: $SUITE-security"
        echo "Components: main"
        echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    fi
} >"$ROOT/etc/apt/sources.list.d/debian.sources"
rm -f "$ROOT/etc/apt/sources.list"

# The official slim image's dpkg excludes, so later installs stay slim too.
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
# Drop documentation, man pages, info pages and translations (as debian:*-slim).
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
cat >"$ROOT/etc/apt/apt.conf.d/docker-no-languages" <<'CFG'
Acquire::Languages "none";
CFG
cat >"$ROOT/etc/apt/apt.conf.d/docker-gzip-indexes" <<'CFG'
Acquire::GzipIndexes "true";
CFG
# No daemons start during image builds.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"

find "$ROOT/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
for d in man groff info lintian linda; do rm -rf "${ROOT:?}/usr/share/$d"/* 2>/dev/null || true; done
find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
rm -rf "$ROOT/var/cache/apt/"*.bin "$ROOT/var/cache/apt/archives/"*.deb \
       "$ROOT/var/lib/apt/lists/"* "$ROOT/var/log/"*.log "$ROOT/var/log/apt/"* \
       "$ROOT/debootstrap" "$ROOT/tmp/"* "$ROOT/var/tmp/"* 2>/dev/null || true
# Files the engine manages per container.
: >"$ROOT/etc/hostname"
: >"$ROOT/etc/resolv.conf"
rm -f "$ROOT/etc/machine-id"; : >"$ROOT/etc/machine-id"

# --- import ----------------------------------------------------------------------
log "docker import as $IMAGE"
tar --numeric-owner --xattrs --acls -C "$ROOT" -c . | docker import \
    --change 'CMD ["bash"]' \
    --change 'LABEL org.opencontainers.image.description="debian bookworm minbase, built locally by wiremeter docker/make-base-image.sh"' \
    - "$IMAGE" >&2
end=$(date +%s)
log "built $IMAGE in $((end - start))s: $(docker image inspect -f '{{.Size}}' "$IMAGE") bytes"
