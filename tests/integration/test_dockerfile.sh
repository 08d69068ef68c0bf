#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/integration/test_dockerfile.sh -- the Dockerfile stays in step with .ci/install-deps.sh
# and the Makefile (tests/integration/dockerfile_check.py, a static parse: no container runtime
# needed). The real files must pass, including the cross-check against this machine's installed
# packages and ./metrics-ai's linked libraries; copies with one drift each must fail, naming it.
# The image itself is not built here: a full build takes longer than a test's time limit, and
# most machines that run the tests have no container daemon; the test says which case it is.
# shellcheck disable=SC2016  # check takes expressions evaluated later, in single quotes
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"

CHECK="$IT_DIR/dockerfile_check.py"
DF=$IT_ROOT/Dockerfile DEPS=$IT_ROOT/.ci/install-deps.sh MK=$IT_ROOT/Makefile

check "the Dockerfile, install-deps.sh and Makefile agree (with the installed-package cross-check)" \
    'python3 "$CHECK" "$DF" "$DEPS" "$MK" --binary "$IT_MAI" >"$IT_TMP/real.out" 2>&1 ||
     { sed "s/^/  | /" "$IT_TMP/real.out"; false; }'
sed 's/^/  | /' "$IT_TMP/real.out"

# drift NAME EXPECTED_TEXT: run the check on the mutated copies in $IT_TMP/NAME/; it must fail and
# name the drift.
drift() {
    local d=$IT_TMP/$1
    python3 "$CHECK" "$d/Dockerfile" "$d/install-deps.sh" "$d/Makefile" >"$d/out" 2>&1 && return 1
    grep -qF -- "$2" "$d/out" || { sed "s/^/  | /" "$d/out"; return 1; }
}
mutate() {   # mutate NAME FILE SED_EXPR: copies of the three files, FILE edited by SED_EXPR
    local d=$IT_TMP/$1
    mkdir -p "$d"
    cp "$DF" "$d/Dockerfile" && cp "$DEPS" "$d/install-deps.sh" && cp "$MK" "$d/Makefile"
    sed -i "$3" "$d/$2"
    cmp -s "$d/$2" "$( case $2 in Dockerfile) echo "$DF" ;; install-deps.sh) echo "$DEPS" ;; *) echo "$MK" ;; esac)" &&
        { echo "  (mutation $1 changed nothing)"; return 1; }
    return 0
}

mutate no-snappy-build Dockerfile '0,/libsnappy-dev/s/ libsnappy-dev//'
check "fails when the build stage lacks libsnappy-dev" 'drift no-snappy-build "build stage lacks libsnappy-dev"'
mutate no-snappy-runtime Dockerfile 's/ libsnappy1v5//'
check "fails when the runtime stage lacks libsnappy1v5" \
    'drift no-snappy-runtime "runtime stage lacks libsnappy1v5 (the runtime library of libsnappy-dev)"'
mutate new-dev install-deps.sh 's/^BUILD_PKGS="build-essential/BUILD_PKGS="build-essential libyaml-dev/'
check "fails when BUILD_PKGS gains a -dev package the Dockerfile does not install" \
    'drift new-dev "build stage lacks libyaml-dev" && drift new-dev "libyaml-dev has no runtime package"'
mutate new-pc Makefile 's/^PKGS    := /PKGS    := yaml-0.1 /'
check "fails when the Makefile's PKGS gains a library without a -dev mapping" \
    'drift new-pc "Makefile PKGS has yaml-0.1"'
mutate test-pkg Dockerfile '0,/build-essential/s/build-essential/build-essential libcmocka-dev/'
check "fails when the build stage installs a test-only package" \
    'drift test-pkg "build stage installs libcmocka-dev, a test-only package"'
mutate root Dockerfile 's/^USER 10001:10001$/USER root/'
check "fails when the image runs as root" 'drift root "USER root: want a fixed non-zero numeric uid"'
mutate volume Dockerfile 's#^VOLUME .*#VOLUME ["/data"]#'
check "fails when MODEL_FILES_DIR is not under a VOLUME" 'drift volume "MODEL_FILES_DIR=/var/lib/metrics-ai/model_files is not under a VOLUME"'
mutate target Dockerfile 's/make -j"$(nproc)" all/make -j"$(nproc)" everything/'
check "fails when the build stage runs a make target the Makefile lacks" \
    'drift target "make everything"'
mutate base Dockerfile 's/^FROM debian:bookworm-slim AS runtime/FROM alpine:3.19 AS runtime/'
check "fails on a base image that is not Debian bookworm" 'drift base "is not Debian bookworm"'

if command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1; then
    log "a Docker daemon answers: build the image with: docker build -t metrics-ai $IT_ROOT"
else
    log "no container runtime daemon here (docker info fails or docker is absent): image not built"
fi
finish test_dockerfile
