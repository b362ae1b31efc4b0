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

# The Debian mirror this machine already uses for bookworm (one-line or deb822 sources): no
# mirror host name is written into this repository.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" && $3 ~ /^bookworm(-updates)?$/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         /(^|\n)Suites:[^\n]*bookworm( |\n|$)/ && /(^|\n)URIs:/ {
           for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) { split($i, u, " "); print u[2]; exit } }' "$f"
  done
}

list=/etc/apt/sources.list.d/bookworm-backports.list
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  mirror="$(debian_mirror | grep -v security | head -1)"
  if [ -z "$mirror" ]; then
    echo "no Debian bookworm mirror found in /etc/apt/sources.list{,.d}: add a bookworm-backports line by hand" >&2
    exit 1
  fi
  echo "deb $mirror bookworm-backports main" > "$list"
fi
echo "installing QEMU 10 from bookworm-backports..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports \
  qemu-system-x86 qemu-utils >/dev/null
echo "installed: $(qemu-system-x86_64 --version | head -1)" >&2
