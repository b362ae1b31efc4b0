#!/usr/bin/env bash
# The demo, in one command: on a fresh Debian 12 machine it installs what is missing (a JDK and
# Maven, QEMU 10 from bookworm-backports, the little test guest), builds the cpr tool, and runs
#   java -jar cpr-examples/target/cpr.jar demo
# which moves a running Linux guest to a new QEMU process with cpr-reboot, well under a minute.
#   scripts/demo.sh [--keep]     (--keep leaves the restored VM running; it says how to stop it)
# Idempotent: a second run installs nothing and only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "demo.sh: $*" >&2; }

if ! command -v java >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1 \
    || ! command -v mvn >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    log "a JDK 17 and Maven are needed: sudo apt-get install openjdk-17-jdk-headless maven"
    exit 1
  fi
  log "installing a JDK and Maven (openjdk-17-jdk-headless, maven)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
fi

bash scripts/install-qemu.sh
if [ ! -s "${QEMU_CPR_GUEST_DIR:-$HOME/.cache/qemu-cpr/guest}/initramfs.img" ]; then
  log "building the test guest (once; about a minute)"
fi
bash scripts/build-test-guest.sh >/dev/null

log "building cpr-examples/target/cpr.jar"
# Quiet unless it fails (even -q -B leaves colour resets on stdout).
if ! build_log="$(mvn -B -q -ntp -Dstyle.color=never -DskipTests -pl cpr-examples -am package 2>&1)"; then
  printf '%s\n' "$build_log" >&2
  log "the build failed"
  exit 1
fi

exec java -jar cpr-examples/target/cpr.jar demo "$@"
