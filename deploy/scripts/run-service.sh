#!/usr/bin/env bash
# Runs one service in the foreground on the runtime RUNTIME names: node (the
# compiled dist/, the default) or deno (the TypeScript sources as they are).
# dapr.yaml runs each app through this script; exec hands signals straight to
# the runtime, so Ctrl-C and `dapr stop` shut services down gracefully.
set -euo pipefail
service="${1:?usage: run-service.sh <service>}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
case "${RUNTIME:-node}" in
  node)
    exec node --enable-source-maps "$root/dist/services/$service/main.js" ;;
  deno)
    deno="$root/node_modules/.bin/deno"
    [ -x "$deno" ] || deno="$(command -v deno || true)"
    [ -n "$deno" ] || { echo "RUNTIME=deno but Deno is missing: run npm ci (it installs Deno 2 from npm)" >&2; exit 1; }
    exec "$deno" run --quiet --no-prompt --allow-net --allow-env --allow-read --allow-sys \
      --config "$root/deno.json" "$root/services/$service/main.ts" ;;
  *)
    echo "RUNTIME must be node or deno, not '$RUNTIME'" >&2; exit 64 ;;
esac
