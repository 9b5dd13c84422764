# Jaeger v2 on loopback: OTLP in on ${JAEGER_OTLP_PORT:-4318} (HTTP; gRPC one
# below it), the UI and its API on ${JAEGER_UI_PORT:-16686} (query gRPC one
# below), health on ${JAEGER_HEALTH_PORT:-13133}; traces kept in memory.
# Built from its Go module once and cached like Dapr (Jaeger publishes no
# Debian package), with deploy/observability/jaeger/config.yaml.
# Sourced by lib.sh, whose server_install, server_ready and server_run call
# jaeger_install, jaeger_ready and jaeger_run.

JAEGER_OTLP_PORT="${JAEGER_OTLP_PORT:-4318}"
JAEGER_UI_PORT="${JAEGER_UI_PORT:-16686}"
JAEGER_HEALTH_PORT="${JAEGER_HEALTH_PORT:-13133}"
JAEGER_VERSION=v1.76.0
JAEGER_BIN="$CACHE_DIR/jaeger-$JAEGER_VERSION/bin/jaeger"

jaeger_install() {
  [ -x "$JAEGER_BIN" ] && return 0
  need_package curl curl
  go_module_build Jaeger github.com/jaegertracing/jaeger "$JAEGER_VERSION" ./cmd/jaeger "$JAEGER_BIN"
}

jaeger_ready() {
  curl -fsS --max-time 2 "http://127.0.0.1:$JAEGER_HEALTH_PORT/status" >/dev/null 2>&1
}

# In the foreground, so that whoever started it stops it.
jaeger_run() {
  [ -x "$JAEGER_BIN" ] || die "Jaeger is not built (run provision.sh)"
  JAEGER_HOST=127.0.0.1 JAEGER_OTLP_HTTP_PORT="$JAEGER_OTLP_PORT" JAEGER_OTLP_GRPC_PORT="$((JAEGER_OTLP_PORT - 1))" \
    JAEGER_UI_PORT="$JAEGER_UI_PORT" JAEGER_QUERY_GRPC_PORT="$((JAEGER_UI_PORT - 1))" JAEGER_HEALTH_PORT="$JAEGER_HEALTH_PORT" \
    exec "$JAEGER_BIN" --config "file:$ROOT_DIR/deploy/observability/jaeger/config.yaml"
}
