# The Dapr placement service on 127.0.0.1:50005, where the CLI points every
# sidecar. This system has no actors, but daprd reports itself healthy only
# once it reaches placement. Health and metrics get ports of their own so that
# nothing collides on one machine. The sidecars reach it over mTLS, so it
# takes its certificate from sentry (started first) and trusts sentry's root.
# Sourced by lib.sh, whose server_ready and server_run call placement_ready and
# placement_run (install-dapr.sh builds it).

PLACEMENT_PORT="${PLACEMENT_PORT:-50005}"

placement_ready() {
  (exec 3<>"/dev/tcp/127.0.0.1/$PLACEMENT_PORT") 2>/dev/null
}

placement_run() {
  exec "$DAPR_HOME/bin/placement" --port "$PLACEMENT_PORT" --listen-address 127.0.0.1 \
    --healthz-port "$((PLACEMENT_PORT + 8075))" --healthz-listen-address 127.0.0.1 \
    --metrics-port "$((PLACEMENT_PORT + 9085))" --metrics-listen-address 127.0.0.1 \
    --tls-enabled --trust-anchors-file "$SENTRY_DATA_DIR/ca.crt" --sentry-address "127.0.0.1:$SENTRY_PORT" \
    --log-level error
}
