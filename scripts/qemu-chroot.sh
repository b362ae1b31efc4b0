#!/usr/bin/env bash
# QEMU 11.1 from Debian 13's trixie-backports, in a Debian 13 chroot, run as if it were local.
#   scripts/qemu-chroot.sh install          debootstrap the chroot and install QEMU in it (idempotent)
#   scripts/qemu-chroot.sh mount [DIR...]   bind-mount what QEMU needs to see (the same paths as
#                                           outside): /proc /sys /dev /dev/shm /tmp /run, the test
#                                           guest cache, and each DIR (the checkout); idempotent
#   scripts/qemu-chroot.sh umount           undo every mount made under the chroot
#   scripts/qemu-chroot.sh bin              print the directory of the wrappers (qemu-system-x86_64,
#                                           qemu-img): put it first on PATH to use QEMU 11.1
# The wrapper runs `chroot ROOT /usr/bin/qemu-system-x86_64 "$@"`: the same pid, Unix sockets and
# SCM_RIGHTS descriptor passing as a local QEMU. The Debian mirror is the one the machine's own apt
# sources use. Root: QEMU_CPR_CHROOT (default /var/lib/qemu-cpr/trixie). Needs root.
set -euo pipefail

root="${QEMU_CPR_CHROOT:-/var/lib/qemu-cpr/trixie}"
bin="$root.bin"
guest_cache="${QEMU_CPR_GUEST_DIR:-$HOME/.cache/qemu-cpr/guest}"

unmount_all() {
  local m
  for m in $(mounts); do umount "$m" 2>/dev/null || umount -l "$m"; done
}

mounts() { awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r; }

bind() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  # Already visible at the same path (under a directory bound before): nothing to do.
  if [ "$(stat -c %d:%i "$dir")" = "$(stat -c %d:%i "$root$dir" 2>/dev/null)" ]; then
    return 0
  fi
  mkdir -p "$root$dir"
  mountpoint -q "$root$dir" || mount --bind "$dir" "$root$dir"
}

write_wrappers() {
  mkdir -p "$bin"
  local tool
  for tool in qemu-system-x86_64 qemu-img; do
    cat > "$bin/$tool.new" <<WRAP
#!/bin/sh
# QEMU from the chroot $root, with host paths (see scripts/qemu-chroot.sh).
exec chroot "$root" /usr/bin/$tool "\$@"
WRAP
    chmod 755 "$bin/$tool.new"
    mv "$bin/$tool.new" "$bin/$tool"
  done
}

install() {
  if [ -x "$root/usr/bin/qemu-system-x86_64" ] && [ -x "$root/usr/bin/qemu-img" ] \
      && [ -x "$bin/qemu-system-x86_64" ]; then
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || { echo "installing the QEMU 11.1 chroot needs root" >&2; exit 1; }
  local mirror
  mirror="$(bash "$(dirname "$0")/debian-mirror.sh")"
  if ! command -v debootstrap >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    echo "qemu-chroot: debootstrap trixie into $root..." >&2
    unmount_all
    rm -rf --one-file-system "$root" "$root.tmp"
    mkdir -p "$(dirname "$root")"
    debootstrap --variant=minbase trixie "$root.tmp" "$mirror" >/dev/null
    mv "$root.tmp" "$root"
  fi
  echo "deb $mirror trixie main" > "$root/etc/apt/sources.list"
  echo "deb $mirror trixie-backports main" >> "$root/etc/apt/sources.list"
  echo "qemu-chroot: installing qemu-system-x86 from trixie-backports..." >&2
  chroot "$root" apt-get update -qq
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends -t trixie-backports qemu-system-x86 qemu-utils >/dev/null
  write_wrappers
  echo "qemu-chroot: $("$bin/qemu-system-x86_64" --version | head -1)" >&2
}

case "${1:-}" in
  install) install ;;
  mount)
    shift
    for d in /proc /sys /dev /dev/shm /tmp /run "$guest_cache" "$@"; do bind "$d"; done ;;
  umount) unmount_all ;;
  bin) echo "$bin" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
