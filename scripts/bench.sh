#!/usr/bin/env bash
# The benchmarks, measured side by side in one run against real QEMU (TCG): the blackout of
# cpr-reboot cycles (SDK against a raw client), with cpr-transfer and, on a QEMU that has it (10.2
# or later, read from its schema), cpr-exec (SDK against a raw client) on the same VMs; RAM in
# place against RAM copied, QMP speed (with JMH's gc profiler for the allocation per command) and
# the cpr tool's start-up. Writes docs/benchmarks.md and docs/benchmarks-blackout.png (gnuplot).
#   scripts/bench.sh            the full run, under 20 minutes; writes into docs/
#   scripts/bench.sh --quick    a short run, under 3 minutes; writes into
#                               cpr-examples/target/bench-quick/ unless --out DIR says otherwise
# Options: --out DIR; --qemu-bin DIR puts DIR first on PATH, so that its qemu-system-x86_64 is the
# QEMU measured (QEMU 11.1 from the chroot: --qemu-bin "$(scripts/qemu-chroot.sh bin)", after
# `scripts/qemu-chroot.sh mount "$PWD"`); the QEMU on PATH is used otherwise. --parts LIST runs
# only some of blackout,size,qmp,startup,clients,cold (clients: threads and heap per idle QmpClient
# at 100 and 500 clients, against a fake monitor process, no QEMU; cold: the first cpr-reboot cycle
# of a fresh JVM, SDK against the raw client); --rounds N runs N blackout rounds per VM.
# The QMP part also runs two peers, each in a process of its own: a Go program on go-qemu
# (cpr-examples/src/main/go/qmppeer, built here into cpr-examples/target/qmppeer in GOPATH mode
# against Debian's golang-github-digitalocean-go-qemu-dev) and a raw Python client
# (cpr-examples/src/main/python/qmp_sequential.py).
# Installs what is missing (QEMU >= 10, the test guest, gnuplot-nox, and for the QMP part
# golang-go and golang-github-digitalocean-go-qemu-dev). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "bench.sh: $*" >&2; }

command_text="scripts/bench.sh${*:+ $*}"
quick=""
out=""
parts=()
props=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick="--quick" ;;
    --out) out="$2"; shift ;;
    --qemu-bin)
      [ -x "$2/qemu-system-x86_64" ] || { echo "bench.sh: no qemu-system-x86_64 in $2" >&2; exit 2; }
      PATH="$(cd "$2" && pwd):$PATH"; export PATH; shift ;;
    --parts) parts=(--parts "$2"); shift ;;
    --rounds) props+=("-Dbench.rounds=$2"); shift ;;
    *) echo "usage: scripts/bench.sh [--quick] [--out DIR] [--qemu-bin DIR] [--parts LIST] [--rounds N]" >&2
       exit 2 ;;
  esac
  shift
done
if [ -z "$out" ]; then
  if [ -n "$quick" ]; then out=cpr-examples/target/bench-quick; else out=docs; fi
fi
work=cpr-examples/target/bench
mkdir -p "$out" "$work"

want_qmp=yes
if [ ${#parts[@]} -gt 0 ] && [[ ",${parts[1]}," != *,qmp,* ]]; then want_qmp=""; fi

apt_updated=""
apt_install() { # PACKAGE...: installs them as root, with one apt-get update per run
  if [ "$(id -u)" -ne 0 ]; then
    log "missing: sudo apt-get install $*"
    exit 1
  fi
  log "installing $*"
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=yes; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

bash scripts/install-qemu.sh
log "QEMU: $(command -v qemu-system-x86_64): $(qemu-system-x86_64 --version | head -1)"
bash scripts/build-test-guest.sh >/dev/null
if ! command -v gnuplot >/dev/null 2>&1; then apt_install gnuplot-nox; fi

# go-qemu from Debian (bookworm: 0.0~git20221209.f035778, Go 1.19), used in GOPATH mode, no modules.
gopath=/usr/share/gocode
peer_args=()
if [ -n "$want_qmp" ]; then
  if ! command -v go >/dev/null 2>&1 || [ ! -d "$gopath/src/github.com/digitalocean/go-qemu/qmp" ]; then
    apt_install golang-go golang-github-digitalocean-go-qemu-dev
  fi
  log "building the go-qemu peer ($(go version))"
  GO111MODULE=off GOPATH="$gopath" GOCACHE="$PWD/cpr-examples/target/go-cache" GOFLAGS= \
    go build -o cpr-examples/target/qmppeer ./cpr-examples/src/main/go/qmppeer
  peer_args=(--go-peer cpr-examples/target/qmppeer --python-peer cpr-examples/src/main/python/qmp_sequential.py)
fi

log "building cpr-examples (cpr.jar, the JMH benchmark, its class path)"
mvn -B -q -ntp -Dstyle.color=never -DskipTests -pl cpr-examples -am package \
  org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath

rm -f "$work/blackout-vs-ram.gp" "$work/jmh.json"
if [ -z "$want_qmp" ]; then
  log "JMH skipped: --parts has no qmp"
else
  log "JMH: allocation per query-status (-prof gc)"
  if [ -n "$quick" ]; then jmh_times=(-wi 1 -w 1s -i 2 -r 1s); else jmh_times=(-wi 2 -w 2s -i 5 -r 2s); fi
  java -cp "cpr-examples/target/test-classes:cpr-examples/target/classes:$(cat cpr-examples/target/bench.classpath)" \
    org.openjdk.jmh.Main QmpAllocationBenchmark -prof gc -f 1 "${jmh_times[@]}" \
    -rf json -rff "$work/jmh.json" >"$work/jmh.log" 2>&1 \
    || { tail -40 "$work/jmh.log" >&2; exit 1; }
fi

log "benchmarks ${quick:+(quick) }into $out"
java "${props[@]}" "-Dbench.command=$command_text" -cp cpr-examples/target/cpr.jar io.github.qemucpr.examples.bench.Bench $quick \
  --out "$out" --work "$work" --jmh-json "$work/jmh.json" --cpr-jar cpr-examples/target/cpr.jar \
  "${parts[@]}" "${peer_args[@]}"

if [ -f "$work/blackout-vs-ram.gp" ]; then # written by the size part
  gnuplot "$work/blackout-vs-ram.gp"
  log "wrote $out/benchmarks.md and $out/benchmarks-blackout.png"
else
  log "wrote $out/benchmarks.md (no plot: the size part did not run)"
fi
