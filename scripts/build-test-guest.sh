#!/usr/bin/env bash
# Builds a tiny Linux test guest for the integration tests, from Debian 12 packages:
#   vmlinuz        the kernel of linux-image-amd64's current dependency (linux-image-6.1.0-NN-amd64)
#   initramfs.img  gzip'd newc cpio: busybox-static, qemu-ga (qemu-guest-agent) with the shared
#                  libraries ldd lists for it, the virtio console kernel modules and an /init that
#                  starts qemu-ga on the virtio-serial port "org.qemu.guest_agent.0" and prints
#                  "boot_id <id>" once, then "heartbeat N" (N = 1, 2, ...) every second on the console.
# Output dir: ${QEMU_CPR_GUEST_DIR:-$HOME/.cache/qemu-cpr/guest} (outside git).
# Idempotent: when both files are already there and were built by this very script (the cache dir's
# .build-stamp holds its SHA-256) it only prints their paths; a changed script or --force rebuilds.
# The two output paths are printed on stdout (vmlinuz first); progress goes to stderr.
# Needs: apt-get, apt-cache, dpkg-deb, ldd, gzip (and xz/zstd only if modules are compressed).
set -euo pipefail

usage() {
  echo "usage: $0 [--force]   (output dir: \${QEMU_CPR_GUEST_DIR:-\$HOME/.cache/qemu-cpr/guest})" >&2
}

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage; exit 2 ;;
  esac
done

out_dir="${QEMU_CPR_GUEST_DIR:-$HOME/.cache/qemu-cpr/guest}"
kernel_out="$out_dir/vmlinuz"
initrd_out="$out_dir/initramfs.img"
stamp_out="$out_dir/.build-stamp"
# The cache key: a hash of this script, so that caches built by an older version rebuild by themselves.
stamp="build-test-guest.sh sha256 $(sha256sum < "${BASH_SOURCE[0]}" | cut -d' ' -f1)"

if [ "$force" -eq 0 ] && [ -s "$kernel_out" ] && [ -s "$initrd_out" ] \
    && [ "$(cat "$stamp_out" 2>/dev/null)" = "$stamp" ]; then
  printf '%s\n%s\n' "$kernel_out" "$initrd_out"
  exit 0
fi

log() { echo "build-test-guest: $*" >&2; }

# Loaded by /init in exactly this order; a module without a .ko file is taken to be built-in.
modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_console"

work="$(mktemp -d "${TMPDIR:-/tmp}/qemu-cpr-guest.XXXXXX")"
tmp_kernel=""
tmp_initrd=""
cleanup() {
  rm -rf "$work"
  [ -z "$tmp_kernel" ] || rm -f "$tmp_kernel"
  [ -z "$tmp_initrd" ] || rm -f "$tmp_initrd"
}
trap cleanup EXIT

# apt-get download runs as the unprivileged _apt user when it can: let it write the download dir.
chmod 755 "$work"
mkdir "$work/debs"
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
  chown _apt "$work/debs"
fi

apt_updated=0
apt_update() {
  if [ "$apt_updated" -eq 0 ]; then
    log "refreshing the apt package lists (apt-get update)"
    apt-get update -qq >&2
    apt_updated=1
  fi
}

# The real kernel package that linux-image-amd64 currently depends on.
resolve_kernel_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null \
    | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}
kernel_pkg="$(resolve_kernel_pkg || true)"
if [ -z "$kernel_pkg" ]; then
  apt_update
  kernel_pkg="$(resolve_kernel_pkg || true)"
fi
[ -n "$kernel_pkg" ] || { log "cannot resolve the dependency of linux-image-amd64"; exit 1; }

packages=("$kernel_pkg" busybox-static qemu-guest-agent)
log "downloading ${packages[*]}"
if ! (cd "$work/debs" && apt-get download -qq "${packages[@]}" >/dev/null 2>&1); then
  apt_update
  (cd "$work/debs" && apt-get download -qq "${packages[@]}" >/dev/null)
fi

extract() { # package-name-prefix dest
  local deb
  deb="$(ls "$work/debs/$1"_*.deb)"
  mkdir -p "$2"
  dpkg-deb -x "$deb" "$2"
}
extract "$kernel_pkg" "$work/kernel"
extract busybox-static "$work/busybox"
extract qemu-guest-agent "$work/qga"

root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,etc,var,lib/modules,lib64}
ln -s ../run "$root/var/run"

# busybox and a symlink for each of its applets (busybox-static runs fine on the build host).
busybox_bin="$work/busybox/bin/busybox"
cp "$busybox_bin" "$root/bin/busybox"
for applet in $("$busybox_bin" --list); do
  [ "$applet" = busybox ] || [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

# The kernel and its modules.
vmlinuz="$(ls "$work"/kernel/boot/vmlinuz-*)"
kver="${vmlinuz##*/vmlinuz-}"
moddir="$work/kernel/lib/modules/$kver"
for m in $modules; do
  ko="$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -1)"
  case "$ko" in
    "") if grep -q "/$m\.ko" "$moddir/modules.builtin" 2>/dev/null; then
          log "module $m is built into $kver"
        else
          log "warning: module $m not found in $kernel_pkg"
        fi ;;
    *.ko) cp "$ko" "$root/lib/modules/$m.ko" ;;
    *.ko.xz) xz -dc "$ko" > "$root/lib/modules/$m.ko" ;;
    *.ko.zst) zstd -qdc "$ko" > "$root/lib/modules/$m.ko" ;;
    *.ko.gz) gzip -dc "$ko" > "$root/lib/modules/$m.ko" ;;
  esac
done

# qemu-ga and the shared libraries ldd resolves for it (host files: the host is Debian 12 too).
qga_bin="$work/qga/usr/sbin/qemu-ga"
cp "$qga_bin" "$root/usr/sbin/qemu-ga"
ldd_out="$(ldd "$qga_bin")"
if grep -q 'not found' <<<"$ldd_out"; then
  log "libraries of qemu-ga missing on this host:"; grep 'not found' <<<"$ldd_out" >&2; exit 1
fi
libs="$(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_out")"
grep -qx /lib64/ld-linux-x86-64.so.2 <<<"$libs" || libs="$libs"$'\n'/lib64/ld-linux-x86-64.so.2
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

# S3 more than once per boot. On system_wakeup QEMU resets the machine and SeaBIOS's resume path
# (1.16.3, pci_resume) rewrites the ICH9 LPC's PMBASE (0x40) and ACPI_CNTL (0x44) through MMCONFIG
# before it re-enables MMCONFIG itself, so those writes are lost: the ACPI PM I/O block (PM1a_CNT at
# 0x604, GPE0) stays unmapped after the first resume, and the kernel's next S3 entry writes SLP_EN
# into nothing (it reads WAK_STS as set and "resumes" at once; QEMU sees no suspend request).
# qemu-ga suspends with pm-utils when "pm-is-supported --suspend" succeeds, before its own fallback
# of writing "mem" to /sys/power/state: these two shims keep that path and, after the resume, put
# back the LPC registers and the GPE0 enables the kernel had set (also lost with the reset), which
# /init saves at boot (saving them here would add forks before the suspend: slower under TCG).
cat > "$root/usr/sbin/pm-is-supported" <<'EOF'
#!/bin/sh
# Only suspend to RAM (qemu-ga's guest-suspend-ram) goes through pm-suspend below; for the other
# modes qemu-ga falls back to /sys/power/state exactly as without this shim.
[ "$1" = --suspend ]
EOF
cat > "$root/usr/sbin/pm-suspend" <<'EOF'
#!/bin/sh
# Suspend to RAM, then put back the registers /init saved at boot (see build-test-guest.sh).
echo mem > /sys/power/state || exit 1
if [ -s /run/s3-restore/gpe0_en_port ]; then
  read -r gpe0_en_port < /run/s3-restore/gpe0_en_port
  cfg=/sys/bus/pci/devices/0000:00:1f.0/config
  dd if=/run/s3-restore/pmbase of=$cfg bs=4 seek=16 count=1 conv=notrunc 2>/dev/null
  dd if=/run/s3-restore/acpi_cntl of=$cfg bs=1 seek=68 count=1 conv=notrunc 2>/dev/null
  dd if=/run/s3-restore/gpe0_en of=/dev/port bs=1 seek="$gpe0_en_port" count=8 conv=notrunc 2>/dev/null
fi
exit 0
EOF
chmod 755 "$root/usr/sbin/pm-is-supported" "$root/usr/sbin/pm-suspend"

cat > "$root/init" <<'EOF'
#!/bin/sh
# Test guest init: mounts, virtio console modules, qemu-ga on org.qemu.guest_agent.0, heartbeat.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
exec </dev/null >/dev/console 2>&1

# Leading newline: the firmware leaves the cursor mid-line (after its escape codes).
printf '\nboot_id %s\n' "$(cat /proc/sys/kernel/random/boot_id)"

# For pm-suspend: the ICH9 LPC's PMBASE and ACPI_CNTL as SeaBIOS set them, and the GPE0 enables
# (upper half of the GPE0 block at PMBASE + 0x20) as the kernel set them.
lpc=/sys/bus/pci/devices/0000:00:1f.0
if [ "$(cat $lpc/vendor $lpc/device 2>/dev/null)" = "0x8086
0x2918" ]; then
  mkdir -p /run/s3-restore
  dd if=$lpc/config of=/run/s3-restore/pmbase bs=4 skip=16 count=1 2>/dev/null
  dd if=$lpc/config of=/run/s3-restore/acpi_cntl bs=1 skip=68 count=1 2>/dev/null
  gpe0_en_port=$(( ($(od -An -tu4 /run/s3-restore/pmbase) & 0xff80) + 0x28 ))
  dd if=/dev/port of=/run/s3-restore/gpe0_en bs=1 skip=$gpe0_en_port count=8 2>/dev/null
  echo $gpe0_en_port > /run/s3-restore/gpe0_en_port
fi

for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_console; do
  [ -f "/lib/modules/$m.ko" ] && insmod "/lib/modules/$m.ko"
done

# The agent: wait for the named port (its name arrives asynchronously), run qemu-ga, restart it if it dies.
(
  while :; do
    port=""
    for f in /sys/class/virtio-ports/*/name; do
      [ -r "$f" ] && [ "$(cat "$f")" = org.qemu.guest_agent.0 ] || continue
      d="${f%/name}"; port="/dev/${d##*/}"
    done
    if [ -n "$port" ] && [ -c "$port" ]; then
      qemu-ga -m virtio-serial -p "$port" -t /run -f /run/qga.pid -l /run/qga.log
      rm -f /run/qga.pid
      sleep 1
    else
      sleep 0.1
    fi
  done
) &

n=0
while :; do
  n=$((n + 1))
  echo "heartbeat $n" > /dev/console
  sleep 1
done
EOF
chmod 755 "$root/init"

mkdir -p "$out_dir"
tmp_kernel="$(mktemp "$out_dir/.vmlinuz.XXXXXX")"
tmp_initrd="$(mktemp "$out_dir/.initramfs.img.XXXXXX")"
cp "$vmlinuz" "$tmp_kernel"
(cd "$root" && find . | LC_ALL=C sort | "$busybox_bin" cpio -o -H newc -R 0:0 2>/dev/null) \
  | gzip -9n > "$tmp_initrd"
chmod 644 "$tmp_kernel" "$tmp_initrd"
mv -f "$tmp_kernel" "$kernel_out"; tmp_kernel=""
mv -f "$tmp_initrd" "$initrd_out"; tmp_initrd=""
printf '%s\n' "$stamp" > "$stamp_out"
log "built $kernel_out ($kernel_pkg) and $initrd_out ($(du -h "$initrd_out" | cut -f1))"
printf '%s\n%s\n' "$kernel_out" "$initrd_out"
