#!/usr/bin/env bash
# npm start: provisions, builds, and runs every service with its sidecar in
# the foreground (`dapr run -f`), the gateway on 127.0.0.1:8000. Ctrl-C stops
# everything this script started.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export PATH="$DAPR_HOME/bin:$PATH"

bash "$ROOT_DIR/deploy/scripts/provision.sh"
say "building the services (tsc)"
(cd "$ROOT_DIR" && rm -rf dist && node_modules/.bin/tsc -p tsconfig.json) || die "the TypeScript build failed"

run_file="$(node "$ROOT_DIR/deploy/scripts/run-template.mjs" --out "$ROOT_DIR/.dapr/run")"

placement_pid=""
if ! (exec 3<>/dev/tcp/127.0.0.1/50005) 2>/dev/null; then
  bash "$ROOT_DIR/deploy/scripts/start-placement.sh" &
  placement_pid=$!
  wait_port 50005 20 "Dapr placement"
fi
stop_placement() { [ -z "$placement_pid" ] || kill "$placement_pid" 2>/dev/null || true; }
trap stop_placement EXIT

say "starting gateway, order, inventory, payment, tracking, notification (${RUNTIME:-node}); pub/sub: ${PUBSUB:-redis}, state: ${STATE:-redis}"
say "gateway: http://127.0.0.1:8000   health: http://127.0.0.1:8000/health   logs: services/<name>/.dapr/logs/"
cd "$ROOT_DIR"
dapr run -f "$run_file"
