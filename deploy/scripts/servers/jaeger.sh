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

# Built from a copy of its module's source (go mod download), so that its
# go.mod (and its replace directives) apply; the module cache stays as it was.
jaeger_install() {
  [ -x "$JAEGER_BIN" ] && return 0
  have go || die "Go is needed to build Jaeger (the trace backend): install Go"
  need_package curl curl
  make_cache_dir
  local dir="${JAEGER_BIN%/bin/jaeger}" started=$SECONDS module
  mkdir -p "$dir"
  say "building Jaeger $JAEGER_VERSION from its Go module (once; cached in $dir)"
  module="$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_VERSION" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir||""))')"
  [ -d "$module" ] || die "could not download the Jaeger $JAEGER_VERSION module"
  rm -rf "$dir/src" && cp -R "$module" "$dir/src" && chmod -R u+w "$dir/src"
  (cd "$dir/src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$dir/bin/jaeger" ./cmd/jaeger) >"$dir/build.log" 2>&1 \
    || die "building Jaeger failed: $(tail -5 "$dir/build.log")"
  rm -rf "$dir/src"
  say "built Jaeger in $((SECONDS - started))s"
}

jaeger_ready() {
  curl -fsS --max-time 2 "http://127.0.0.1:$JAEGER_HEALTH_PORT/status" >/dev/null 2>&1
}

# In the foreground, so that whoever started it stops it.
jaeger_run() {
  [ -x "$JAEGER_BIN" ] || die "Jaeger is not built (run provision.sh)"
  JAEGER_OTLP_HTTP_PORT="$JAEGER_OTLP_PORT" JAEGER_OTLP_GRPC_PORT="$((JAEGER_OTLP_PORT - 1))" \
    JAEGER_UI_PORT="$JAEGER_UI_PORT" JAEGER_QUERY_GRPC_PORT="$((JAEGER_UI_PORT - 1))" JAEGER_HEALTH_PORT="$JAEGER_HEALTH_PORT" \
    exec "$JAEGER_BIN" --config "file:$ROOT_DIR/deploy/observability/jaeger/config.yaml"
}
