#!/usr/bin/env bash
# Regenerates cpr-qmp's typed QAPI surface (io.github.qemucpr.qmp.qapi.*) with cpr-qapi-generator.
#   scripts/generate-qmp.sh           from the pinned, comment-free schema models in
#                                     cpr-qapi-generator/schema/ (no QEMU source needed)
#   scripts/generate-qmp.sh --fetch   first remakes those models from Debian's QEMU packages
#                                     (scripts/fetch-qapi-schema.sh). A version whose source package
#                                     the mirror lacks is read from its QMP reference manual; the
#                                     manual reader is then first checked against the source of a
#                                     version that has both.
# GeneratedSourcesTest fails when the checked-in sources differ from what this makes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
schema=cpr-qapi-generator/schema

mvn -B -ntp -q -pl cpr-qapi-generator compile
gen() { java -cp "$root/cpr-qapi-generator/target/classes" io.github.qemucpr.qapigen.Main "$@"; }

if [ "${1:-}" = "--fetch" ]; then
  manual_used=false
  source_version=""
  while IFS=$'\t' read -r version kind path; do
    case "$kind" in
      qapi) gen strip "$version" "$path" "$schema/qemu-$version.json"; source_version="$version" ;;
      html) gen manual "$version" "$path" "$schema/qemu-$version.json"; manual_used=true ;;
    esac
  done < <(bash scripts/fetch-qapi-schema.sh)
  if $manual_used; then
    if [ -z "$source_version" ]; then
      echo "no version came from source, so the manual reader cannot be checked" >&2
      exit 1
    fi
    html="$(bash scripts/fetch-qapi-schema.sh --html "$source_version" | cut -f3)"
    tmp="$(mktemp)"
    trap 'rm -f "$tmp"' EXIT
    gen manual "$source_version" "$html" "$tmp"
    gen check-manual "$schema/qemu-$source_version.json" "$tmp"
    echo "the manual reader gives the source's structure for $source_version" >&2
  fi
elif [ -n "${1:-}" ]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
gen generate "$schema" cpr-qmp/src/main/java
