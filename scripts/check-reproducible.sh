#!/usr/bin/env bash
# Checks that the build is reproducible: builds the jars twice, in two copies of this checkout at
# different paths, and fails when any jar differs (the pom's project.build.outputTimestamp fixes
# the entries' times). Tests are skipped: this checks the artifacts only.
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d /tmp/cpr-repro-XXXXXX)"
trap 'rm -rf "$work"' EXIT

build() {
  local copy="$work/$1"
  mkdir -p "$copy"
  git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$copy"
  (cd "$copy" && mvn -B -ntp -q package -DskipTests -Dmaven.javadoc.skip=false >/dev/null)
  (cd "$copy" && find . -path '*/target/*.jar' -printf '%P\n' | sort | while read -r jar; do
     printf '%s  %s\n' "$(sha256sum "$jar" | cut -d' ' -f1)" "$jar"
   done) > "$work/$1.sums"
}

build first
build second
if ! diff -u "$work/first.sums" "$work/second.sums"; then
  echo "check-reproducible: the two builds made different jars (above)" >&2
  exit 1
fi
echo "check-reproducible: $(wc -l < "$work/first.sums") jars, byte-identical in two builds" >&2
