#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Validates every document of rendered Kubernetes YAML (file argument or stdin) against the
// kubernetes-models / prometheus-operator schemas (ajv, generated from the OpenAPI specs).
// Resolved through NODE_PATH (.ci/.tools/k8sval/node_modules). Kinds without a schema fail.
"use strict";
const fs = require("fs");
const YAML = require("yaml");
const src = process.argv[2] ? fs.readFileSync(process.argv[2], "utf8") : fs.readFileSync(0, "utf8");
const roots = ["kubernetes-models", "@kubernetes-models/prometheus-operator"];
function modelFor(apiVersion, kind) {
  const gv = apiVersion.includes("/") ? apiVersion : "v1";
  for (const r of roots) {
    try {
      const m = require(`${r}/${gv}`);
      if (m[kind]) return m[kind];
    } catch (_) { /* not in this root */ }
  }
  return null;
}
let ok = 0, bad = 0, unknown = 0;
for (const doc of YAML.parseAllDocuments(src)) {
  if (doc.errors.length) { console.log(`FAIL yaml: ${doc.errors[0].message}`); bad++; continue; }
  const obj = doc.toJS();
  if (!obj) continue;
  const id = `${obj.kind}/${obj.metadata && obj.metadata.name}`;
  const M = obj.apiVersion && obj.kind ? modelFor(obj.apiVersion, obj.kind) : null;
  if (!M) { console.log(`FAIL ${id}: no schema for ${obj.apiVersion} ${obj.kind}`); unknown++; continue; }
  try { new M(obj).validate(); ok++; }
  catch (e) { console.log(`FAIL ${id}: ${e.message.split("\n").slice(0, 3).join(" | ")}`); bad++; }
}
console.log(`kubernetes-models: ${ok} documents valid, ${bad + unknown} invalid`);
process.exit(bad || unknown || !ok ? 1 : 0);
