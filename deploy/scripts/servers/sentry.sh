# Dapr's sentry, the certificate authority of mTLS between sidecars, on
# 127.0.0.1:50001 where the dapr CLI points every sidecar of a Configuration
# with mtls enabled (components/config.yaml). It makes its root and issuer
# certificates in SENTRY_DATA_DIR before its first start (below) and keeps using them;
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
  sentry_make_credentials "$SENTRY_DATA_DIR"
  local metrics=(--metrics-port "$SENTRY_METRICS_PORT" --metrics-listen-address 127.0.0.1)
  [ "$SENTRY_METRICS_PORT" = off ] && metrics=(--enable-metrics=false)
  # Its Configuration is the sidecars' own: the workload certificates' lifetime
  # and the clock skew allowed are in its mtls section.
  exec "$DAPR_HOME/bin/sentry" --config "$ROOT_DIR/components/config.yaml" --issuer-credentials "$SENTRY_DATA_DIR" \
    --port "$SENTRY_PORT" --listen-address 127.0.0.1 \
    --healthz-port "$SENTRY_HEALTHZ_PORT" --healthz-listen-address 127.0.0.1 "${metrics[@]}" \
    --log-level warn
}

# Makes the root and issuer certificates in directory $1 unless it holds
# them: sentry itself, run once on free loopback ports until it has written
# them. Sentry started on an empty directory watches the files it writes
# there and restarts its server once for each (2 s apart), refusing
# connections meanwhile; a sidecar asking for its certificate then exits.
sentry_make_credentials() {
  local dir="$1" ports pid
  sentry_has_credentials "$dir" && return 0
  mkdir -p "$dir" && chmod 700 "$dir"
  read -r -a ports < <(node -e 'const net = require("node:net");
    const free = () => new Promise((ok) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => ok(port)); }); });
    Promise.all([free(), free()]).then((p) => console.log(p.join(" ")));')
  "$DAPR_HOME/bin/sentry" --config "$ROOT_DIR/components/config.yaml" --issuer-credentials "$dir" \
    --port "${ports[0]}" --listen-address 127.0.0.1 --healthz-port "${ports[1]}" --healthz-listen-address 127.0.0.1 \
    --enable-metrics=false --log-level warn &
  pid=$!
  local deadline=$((SECONDS + 30))
  until sentry_has_credentials "$dir"; do
    kill -0 "$pid" 2>/dev/null || die "sentry exited before it wrote its certificates in $dir"
    [ "$SECONDS" -lt "$deadline" ] || { kill "$pid"; die "sentry wrote no certificates in $dir within 30 s"; }
    sleep 0.1
  done
  kill "$pid" && wait "$pid" 2>/dev/null || true
}

sentry_has_credentials() {
  [ -s "$1/ca.crt" ] && [ -s "$1/issuer.crt" ] && [ -s "$1/issuer.key" ]
}
