#!/usr/bin/env bash
# The test command: installs what is missing (QEMU 10 on the host, QEMU 11.1 in a Debian 13 chroot,
# the test guest), runs every unit and integration test against the first QEMU of the matrix (with
# cpr-api's fault matrix and the quick soak, SoakIT; scripts/soak.sh runs the full soak), then the
# integration tests again against every other QEMU of scripts/qemu-matrix.sh. Idempotent: a second
# run installs nothing. Last, it checks that the build is reproducible (scripts/check-reproducible.sh).
#   scripts/test.sh [extra mvn args]
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

# Run in a mount namespace of our own, when we may: the chroot's bind mounts below then live only
# as long as this run, even when it is killed, and two runs at once cannot unmount each other's.
if [ -z "${QEMU_CPR_TEST_NAMESPACE:-}" ] && unshare --mount --propagation private true 2>/dev/null; then
  export QEMU_CPR_TEST_NAMESPACE=1
  exec unshare --mount --propagation private bash "$repo/scripts/test.sh" "$@"
fi

bash scripts/install-qemu.sh --matrix
if [ -f scripts/build-test-guest.sh ]; then
  bash scripts/build-test-guest.sh >/dev/null
fi

mapfile -t matrix < <(bash scripts/qemu-matrix.sh)
if [ "${#matrix[@]}" -eq 0 ]; then
  echo "no QEMU found: run scripts/install-qemu.sh --matrix as root" >&2
  exit 1
fi
echo "QEMU matrix:" >&2
printf '  %s\n' "${matrix[@]}" >&2

# The chroot's QEMU sees host paths through bind mounts, this checkout included; undone on exit
# (and gone with the namespace anyway, when there is one).
trap 'bash scripts/qemu-chroot.sh umount' EXIT
bash scripts/qemu-chroot.sh mount "$repo"

first=1
for entry in "${matrix[@]}"; do
  version="${entry%%$'\t'*}"
  executable="${entry#*$'\t'}"
  # Tests and the processes they start (the cpr tool, the examples, the demo) find QEMU on PATH.
  path="$(dirname "$executable"):$PATH"
  if [ "$first" -eq 1 ]; then
    echo "=== QEMU $version ($executable): unit and integration tests" >&2
    PATH="$path" mvn -B -ntp verify "$@"
    first=0
  else
    echo "=== QEMU $version ($executable): integration tests" >&2
    PATH="$path" mvn -B -ntp verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false "$@"
  fi
done

# The jars must be byte-identical when built twice (project.build.outputTimestamp).
bash scripts/check-reproducible.sh
