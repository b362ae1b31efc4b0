#!/usr/bin/env bash
# Prints the Debian mirror this machine's own apt sources use (one-line or deb822 format), so that
# no mirror host name is ever written into this repository. Fails when there is none.
set -euo pipefail

{
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" && $3 !~ /security/ {
           for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         /(^|\n)Types:[^\n]*deb( |$|\n)/ && !/Suites:[^\n]*security/ {
           for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) { split($i, u, " "); print u[2]; exit } }' "$f"
  done
} | awk 'NF && !seen { print; seen = 1 } END { if (!seen) exit 1 }' || {
  echo "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/" >&2
  exit 1
}
