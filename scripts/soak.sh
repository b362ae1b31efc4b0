#!/usr/bin/env bash
# The soak (cpr-api's SoakIT, in one JVM): save/restore cycles on a machine-only VM and on the test
# guest with its agent, then QMP commands from 16 threads on one client; fails if threads, open
# file descriptors or the heap after GC grew beyond noise. Prints the figures before and after.
#   scripts/soak.sh           200 + 50 cycles and 10 minutes of QMP load (about 20 minutes)
#   scripts/soak.sh --quick   10 + 3 cycles and 30 s (about a minute; every `mvn verify` runs it)
#   extra arguments go to Maven, e.g. -o, or -Dqemucpr.soak.machineCycles=500
# The report is also written to cpr-api/target/soak-report.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
mvn_args=()
for arg in "$@"; do
  case "$arg" in
    --quick) mode=quick ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) mvn_args+=("$arg") ;;
  esac
done

bash scripts/install-qemu.sh
if [ -f scripts/build-test-guest.sh ]; then
  bash scripts/build-test-guest.sh >/dev/null
fi

report="$PWD/cpr-api/target/soak-report.txt"
rm -f "$report"
# -am builds the modules cpr-api needs in this reactor; only SoakIT runs.
status=0
mvn -B -ntp -pl cpr-api -am verify \
  -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=SoakIT -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dmaven.javadoc.skip=true -Dmaven.source.skip=true \
  -Dqemucpr.soak="$mode" -Dqemucpr.soak.report="$report" \
  "${mvn_args[@]+"${mvn_args[@]}"}" || status=$?

echo
if [ -f "$report" ]; then
  echo "--- soak ($mode): $report"
  cat "$report"
else
  echo "--- soak ($mode): no report was written" >&2
fi
exit "$status"
