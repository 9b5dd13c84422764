#!/usr/bin/env bash
# Runs the Dapr placement service in the foreground on 127.0.0.1:50005, where
# the CLI points every sidecar. This system has no actors, but daprd reports
# itself healthy only once it reaches placement. Health and metrics go to
# ports of their own so they collide with nothing on one machine.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT="${PLACEMENT_PORT:-50005}"
exec "$DAPR_HOME/bin/placement" --port "$PORT" --listen-address 127.0.0.1 \
  --healthz-port "${PLACEMENT_HEALTHZ_PORT:-58080}" --healthz-listen-address 127.0.0.1 \
  --metrics-port "${PLACEMENT_METRICS_PORT:-59090}" --metrics-listen-address 127.0.0.1 \
  --log-level warn
