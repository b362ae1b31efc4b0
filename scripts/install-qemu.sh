#!/usr/bin/env bash
# Installs the QEMUs the SDK is tested with, unless they are there already (idempotent):
#   scripts/install-qemu.sh            QEMU >= 10.0 on the host, from Debian 12 bookworm-backports
#   scripts/install-qemu.sh --matrix   that, and QEMU 11.1 from Debian 13 trixie-backports in a
#                                      chroot (scripts/qemu-chroot.sh); scripts/qemu-matrix.sh
#                                      then lists both
# The Debian mirror is the one this machine's apt sources already use (scripts/debian-mirror.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

qemu_major() {
  command -v qemu-system-x86_64 >/dev/null 2>&1 || { echo 0; return; }
  qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p' | sed -n 1p
}

install_host_qemu() {
  if [ "$(qemu_major)" -ge 10 ] && command -v qemu-img >/dev/null 2>&1; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "QEMU >= 10 is missing and installing it needs root: run scripts/install-qemu.sh as root" >&2
    exit 1
  fi
  local list=/etc/apt/sources.list.d/bookworm-backports.list
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "deb $(bash "$here/debian-mirror.sh") bookworm-backports main" > "$list"
  fi
  echo "installing QEMU 10 from bookworm-backports..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports \
    qemu-system-x86 qemu-utils >/dev/null
  echo "installed: $(qemu-system-x86_64 --version | sed -n 1p)" >&2
}

case "${1:-}" in
  "") install_host_qemu ;;
  --matrix) install_host_qemu; bash "$here/qemu-chroot.sh" install ;;
  *) sed -n '2,7p' "$0" >&2; exit 2 ;;
esac
