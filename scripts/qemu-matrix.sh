#!/usr/bin/env bash
# Prints the QEMUs the tests run against, one line each: VERSION<TAB>EXECUTABLE, where EXECUTABLE
# runs that QEMU with host paths (the host's QEMU 10.0, and QEMU 11.1 through the chroot wrapper of
# scripts/qemu-chroot.sh once `scripts/install-qemu.sh --matrix` installed it). Changes nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

version() { "$1" --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p' | sed -n 1p; }

host="$(command -v qemu-system-x86_64 || true)"
if [ -n "$host" ] && [ -n "$(version "$host")" ]; then
  printf '%s\t%s\n' "$(version "$host")" "$host"
fi
chrooted="$(bash "$here/qemu-chroot.sh" bin)/qemu-system-x86_64"
if [ -x "$chrooted" ] && [ -n "$(version "$chrooted")" ]; then
  printf '%s\t%s\n' "$(version "$chrooted")" "$chrooted"
fi
