# Dapr's sentry, the certificate authority of mTLS between sidecars, on
# 127.0.0.1:50001 where the dapr CLI points every sidecar of a Configuration
# with mtls enabled (components/config.yaml). It makes its root and issuer
# certificates in SENTRY_DATA_DIR on its first start and keeps using them;
# every sidecar trusts that root (DAPR_TRUST_ANCHORS, ca.crt there). Sourced
# by lib.sh, whose server_ready and server_run call sentry_ready and
# sentry_run (install-dapr.sh builds it with daprd).

SENTRY_PORT="${SENTRY_PORT:-50001}"
SENTRY_HEALTHZ_PORT="${SENTRY_HEALTHZ_PORT:-58081}"
# off: no metrics server.
SENTRY_METRICS_PORT="${SENTRY_METRICS_PORT:-59091}"
SENTRY_DATA_DIR="${SENTRY_DATA_DIR:-$ROOT_DIR/.dapr/sentry}"

# Ready once it serves and has written the root certificate the sidecars need.
sentry_ready() {
  [ -s "$SENTRY_DATA_DIR/ca.crt" ] && (exec 3<>"/dev/tcp/127.0.0.1/$SENTRY_PORT") 2>/dev/null
}

sentry_run() {
  mkdir -p "$SENTRY_DATA_DIR" && chmod 700 "$SENTRY_DATA_DIR"
  local metrics=(--metrics-port "$SENTRY_METRICS_PORT" --metrics-listen-address 127.0.0.1)
  [ "$SENTRY_METRICS_PORT" = off ] && metrics=(--enable-metrics=false)
  # Its Configuration is the sidecars' own: the workload certificates' lifetime
  # and the clock skew allowed are in its mtls section.
  exec "$DAPR_HOME/bin/sentry" --config "$ROOT_DIR/components/config.yaml" --issuer-credentials "$SENTRY_DATA_DIR" \
    --port "$SENTRY_PORT" --listen-address 127.0.0.1 \
    --healthz-port "$SENTRY_HEALTHZ_PORT" --healthz-listen-address 127.0.0.1 "${metrics[@]}" \
    --log-level warn
}
