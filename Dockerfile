# SPDX-License-Identifier: Apache-2.0
# Container image of metrics-ai: a Debian bookworm build stage that runs the Makefile's own
# `make all`, and a slim runtime stage with only the shared libraries the binary links, running
# as the non-root uid 10001 with its model files and plots under the volume /var/lib/metrics-ai.
# The apt lists here follow .ci/install-deps.sh (BUILD_PKGS); tests/integration/test_dockerfile.sh
# fails when they drift apart.

FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev libsnappy-dev \
      libmicrohttpd-dev libcurl4-openssl-dev libcjson-dev libopenblas-dev liblapacke-dev \
      libcairo2-dev libpng-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make clean && make -j"$(nproc)" all

FROM debian:bookworm-slim AS runtime
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libprotobuf-c1 libsnappy1v5 libmicrohttpd12 libcurl4 libcjson1 libopenblas0-pthread \
      liblapacke libcairo2 libpng16-16 zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 metrics-ai \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/metrics-ai --no-create-home \
      --shell /usr/sbin/nologin metrics-ai \
 && mkdir -p /var/lib/metrics-ai \
 && chown 10001:10001 /var/lib/metrics-ai
COPY --from=build /src/metrics-ai /usr/local/bin/metrics-ai
ENV MODEL_FILES_DIR=/var/lib/metrics-ai/model_files \
    FORECAST_PLOTS_DIR=/var/lib/metrics-ai/forecast_plots
WORKDIR /var/lib/metrics-ai
VOLUME ["/var/lib/metrics-ai"]
USER 10001:10001
EXPOSE 9201
# No curl in this image: probe GET /-/healthy and /-/ready from the orchestrator.
ENTRYPOINT ["/usr/local/bin/metrics-ai"]
CMD ["--listen", ":9201"]
