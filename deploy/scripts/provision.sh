#!/usr/bin/env bash
# Obtains everything the system runs on, for the pub/sub and state choices in
# PUBSUB and STATE (default redis): the Node dependencies (and Deno with
# them), the Dapr runtime and CLI, and the brokers' and stores' packages.
# Starting them is start.sh's job (the tests start servers of their own).
# Idempotent: a second run takes seconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PUBSUB="${PUBSUB:-redis}"
STATE="${STATE:-redis}"
[ -d "$ROOT_DIR/components/pubsub/$PUBSUB" ] || die "PUBSUB=$PUBSUB: no components/pubsub/$PUBSUB (choices: $(ls "$ROOT_DIR/components/pubsub" | tr '\n' ' '))"
[ -d "$ROOT_DIR/components/secretstore/${SECRETS:-file}" ] || die "SECRETS=${SECRETS}: no components/secretstore/${SECRETS} (choices: $(ls "$ROOT_DIR/components/secretstore" | tr '\n' ' '))"
[ -d "$ROOT_DIR/components/state/$STATE" ] || die "STATE=$STATE: no components/state/$STATE (choices: $(ls "$ROOT_DIR/components/state" | tr '\n' ' '))"

if [ ! -x "$ROOT_DIR/node_modules/.bin/tsc" ] || [ "$ROOT_DIR/package-lock.json" -nt "$ROOT_DIR/node_modules/.package-lock.json" ]; then
  say "installing Node dependencies (npm ci)"
  (cd "$ROOT_DIR" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
fi

bash "$ROOT_DIR/deploy/scripts/install-dapr.sh"

# One server may serve both choices (Redis, say): install each once.
for name in $(server_names); do
  server_install "$name"
done
# The read side's MongoDB-compatible server (built once from its Go module).
server_install ferretdb
# Prometheus (and promtool, which checks and tests its rules), and Jaeger
# (the trace backend, built once from its Go module; JAEGER_LATER=1 leaves
# it to the caller, as npm test does to build it while its first steps run).
server_install prometheus
[ "${JAEGER_LATER:-}" = 1 ] || server_install jaeger
