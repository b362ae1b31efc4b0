#!/usr/bin/env bash
# Installs QEMU >= 10.0 from Debian 12 bookworm-backports, unless a new enough one is there.
# Idempotent: when qemu-system-x86_64 >= 10 and qemu-img are present, it changes nothing.
set -euo pipefail

qemu_major() {
  command -v qemu-system-x86_64 >/dev/null 2>&1 || { echo 0; return; }
  qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p' | head -1
}

if [ "$(qemu_major)" -ge 10 ] && command -v qemu-img >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "QEMU >= 10 is missing and installing it needs root: run scripts/install-qemu.sh as root" >&2
  exit 1
fi

list=/etc/apt/sources.list.d/bookworm-backports.list
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo 'deb http://deb.debian.org/debian bookworm-backports main' > "$list"
fi
echo "installing QEMU 10 from bookworm-backports..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports \
  qemu-system-x86 qemu-utils >/dev/null
echo "installed: $(qemu-system-x86_64 --version | head -1)" >&2
