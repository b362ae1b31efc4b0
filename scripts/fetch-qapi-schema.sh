#!/usr/bin/env bash
# Fetches QEMU's QAPI schema for each QEMU version the typed QMP surface is generated from, from
# Debian's packages, into ~/.cache/qemu-cpr/qapi-source (nothing under the checkout), and prints one
# line per version: VERSION<TAB>KIND<TAB>PATH
#   KIND qapi   PATH is the qapi/ directory of the source package's .orig tarball (only qapi/*.json
#               is extracted from the ~39 MB tarball)
#   KIND html   the mirror does not carry that source package: PATH is the QMP reference manual
#               (qemu-qmp-ref.html) of the same version's qemu-system-data binary package, from
#               which the generator reads names and structure (never its prose)
# Each download is checked against the SHA-256 pinned below, so a rebuilt package cannot slip in.
# The Debian mirror is the one this machine's apt sources use (scripts/debian-mirror.sh); apt runs
# with a private sources list and state under the cache directory, so the machine's own apt setup
# is left as it is.
#
# Usage: scripts/fetch-qapi-schema.sh [--html] [VERSION...]   (default: every pinned version)
#   --html  take the reference manual even where the source package is there (to check the
#           generator's reading of the manual against the source of the same version)
set -euo pipefail
force_html=false
if [ "${1:-}" = "--html" ]; then
  force_html=true
  shift
fi
here="$(cd "$(dirname "$0")" && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/qemu-cpr/qapi-source"

# VERSION  SUITE  DEBIAN-VERSION  ORIG-SHA256  QEMU-SYSTEM-DATA-SHA256
pins=(
  "10.0.2 bookworm-backports 1:10.0.2+ds-2+deb13u1~bpo12+1 0901da33844a331bf8b3602b9c1fbd178e60b737c8e3ade678255bd090c9b9f1 2d831088187087013b3fcbd19bdfb955b182a2d5a08f6dafa0ad1c6d2007fb4e"
  "11.1.3 trixie-backports 1:11.1.3+ds-2~bpo13+1 502fe33503df3520b6a81176a94d77eef908eb252bacc675d7199f379ac26641 7d5e70498a1ebcf1d001a4182c35f8c36059458da8aa735524b3dfe5f27a6680"
)

wanted=("$@")
selected=()
for pin in "${pins[@]}"; do
  read -r version _ <<<"$pin"
  if [ ${#wanted[@]} -eq 0 ] || printf '%s\n' "${wanted[@]}" | grep -qx "$version"; then
    selected+=("$pin")
  fi
done
if [ ${#selected[@]} -eq 0 ]; then
  echo "no pinned QEMU version matches: ${wanted[*]} (pinned: $(printf '%s ' "${pins[@]%% *}"))" >&2
  exit 2
fi

mirror="$(bash "$here/debian-mirror.sh")"
apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/parts" "$apt_dir/prefs"
{
  for pin in "${selected[@]}"; do
    read -r _ suite _ <<<"$pin"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"
    echo "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"
  done
} | sort -u >"$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/parts"
  -o "Dir::Etc::PreferencesParts=$apt_dir/prefs" -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::State::status=/dev/null" -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
  -o "APT::Architecture=amd64" -o "APT::Architectures::=amd64"
  -o "APT::Sandbox::User=$(id -un)" -o "Debug::NoLocking=true"
)
apt-get "${apt_opts[@]}" -qq update >&2

check_sha() { # FILE SHA256
  local got
  got="$(sha256sum "$1" | cut -d' ' -f1)"
  if [ "$got" != "$2" ]; then
    echo "$1: SHA-256 $got, expected $2; the archive changed under the pinned version" >&2
    rm -f "$1"
    return 1
  fi
}

for pin in "${selected[@]}"; do
  read -r version suite debver orig_sha data_sha <<<"$pin"
  out="$cache/qemu-$version"
  if $force_html; then
    out="$cache/qemu-$version-html"
  fi
  if [ -f "$out/qemu-qmp-ref.html" ]; then
    printf '%s\thtml\t%s\n' "$version" "$out/qemu-qmp-ref.html"
    continue
  fi
  if [ -f "$out/qapi/qapi-schema.json" ]; then
    printf '%s\tqapi\t%s\n' "$version" "$out/qapi"
    continue
  fi
  # apt tells the URI of the source package's files; the .orig tarball alone holds qapi/.
  uri="$(apt-get "${apt_opts[@]}" source --print-uris "qemu=$debver" 2>/dev/null \
    | awk -F"'" '/\.orig\.tar\.xz/ { print $2; exit }')"
  if [ -z "$uri" ]; then
    echo "qemu $debver is not in $suite any more; pin the version that is (apt-cache showsrc qemu)" >&2
    exit 1
  fi
  tarball="$cache/dl/$(basename "$uri" | sed 's/%2b/+/gi; s/%7e/~/gi')"
  mkdir -p "$cache/dl"
  if $force_html; then
    tarball=""
  elif [ ! -f "$tarball" ]; then
    echo "downloading $(basename "$tarball") (~39 MB)..." >&2
    if ! curl -fsS -o "$tarball.part" "$uri" 2>/dev/null; then
      rm -f "$tarball.part"
      tarball=""
    else
      mv "$tarball.part" "$tarball"
    fi
  fi
  if [ -n "$tarball" ]; then
    check_sha "$tarball" "$orig_sha"
    rm -rf "$out.tmp" && mkdir -p "$out.tmp/qapi"
    tar -xJf "$tarball" -C "$out.tmp/qapi" --strip-components=2 --wildcards '*/qapi/*.json'
    rm -rf "$out" && mv "$out.tmp" "$out"
    printf '%s\tqapi\t%s\n' "$version" "$out/qapi"
    continue
  fi
  # The mirror has the binary packages but not this source package: read the reference manual.
  $force_html || echo "the mirror has no qemu_*.orig.tar.xz for $debver; using the QMP" \
    "reference manual of qemu-system-data $debver instead" >&2
  deb="$cache/dl/qemu-system-data_${version}_all.deb"
  if [ ! -f "$deb" ]; then
    (cd "$apt_dir/archives/partial" && apt-get "${apt_opts[@]}" -qq download "qemu-system-data=$debver" >&2)
    mv "$apt_dir/archives/partial"/qemu-system-data_*.deb "$deb"
  fi
  check_sha "$deb" "$data_sha"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  dpkg-deb --fsys-tarfile "$deb" \
    | tar -x -C "$out.tmp" --strip-components=6 ./usr/share/doc/qemu-system-common/interop/qemu-qmp-ref.html
  rm -rf "$out" && mv "$out.tmp" "$out"
  printf '%s\thtml\t%s\n' "$version" "$out/qemu-qmp-ref.html"
done
