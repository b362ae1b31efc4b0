#!/usr/bin/env bash
# The test command: installs what is missing (QEMU 10, the test guest), then runs every unit and
# integration test against real QEMU (with cpr-api's fault matrix and the quick soak, SoakIT;
# scripts/soak.sh runs the full soak). Idempotent: a second run installs nothing.
#   scripts/test.sh [extra mvn args]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-qemu.sh
if [ -f scripts/build-test-guest.sh ]; then
  bash scripts/build-test-guest.sh >/dev/null
fi

echo "QEMU: $(qemu-system-x86_64 --version | head -1)" >&2
mvn -B -ntp verify "$@"
