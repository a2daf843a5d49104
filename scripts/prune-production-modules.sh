#!/bin/sh
# Removes from a production node_modules what production never loads; run by both Dockerfiles after
# `npm ci --omit=dev` / `npm prune --omit=dev`. Each line names why it is safe.
set -eu
cd "${1:-.}/node_modules"
# onnxruntime-node ships every platform's binary; the images run linux/x64 only.
rm -rf onnxruntime-node/bin/napi-v*/darwin onnxruntime-node/bin/napi-v*/win32 onnxruntime-node/bin/napi-v*/linux/arm64
# @nestjs/swagger depends on typescript for its compiler plugin only (never imported at run time).
rm -rf typescript
# @nestjs/terminus loads gRPC only for its gRPC health indicator (checked with assertPackages), unused here.
rm -rf @grpc protobufjs @protobufjs
# The data jobs' engine (DuckDB, about 60 MB) is for the retraining image; the service image passes `service`, and
# the service never imports it (a dependency-cruiser rule in .dependency-cruiser.cjs).
if [ "${2:-}" = service ]; then rm -rf @duckdb; fi
# Type declarations, source maps and documents are for editors, debuggers and people, not for node.
rm -rf @types
find . -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' -o -name '*.markdown' \) -delete
