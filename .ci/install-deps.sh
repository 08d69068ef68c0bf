#!/usr/bin/env bash
# Installs the Debian packages metrics-ai builds, tests and benchmarks with; apt-gets only what is absent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
BUILD_PKGS="build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev libsnappy-dev
  libmicrohttpd-dev libcurl4-openssl-dev libcjson-dev libopenblas-dev liblapacke-dev libcairo2-dev
  libpng-dev zlib1g-dev libcmocka-dev curl clang libclang-rt-14-dev python3-pandas valgrind"
STACK_PKGS="prometheus prometheus-node-exporter victoria-metrics prometheus-pushgateway"
want="$BUILD_PKGS"
[ "${WITH_STACK:-1}" = 1 ] && want="$want $STACK_PKGS"
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages:$missing (run as root, or install them)" >&2
    exit 1
  fi
  echo "install-deps: apt-get install$missing"
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
