#!/usr/bin/env bash
# Runs one service in the foreground on the runtime RUNTIME names: node (the
# compiled dist/, the default) or deno (the TypeScript sources as they are).
# dapr.yaml runs each app through this script.
#
# A service that crashes (killed, or exits with an error) is started again,
# as compose's `restart: unless-stopped` and Kubernetes would: after 1 s,
# doubling up to 30 s while it keeps crashing within 30 s of starting. A
# service that exits 0, or that this script was asked to stop (SIGINT or
# SIGTERM, which it passes on: Ctrl-C and `dapr stop` shut it down
# gracefully), is not. SERVICE_RESTART=no runs it once.
set -euo pipefail
service="${1:?usage: run-service.sh <service>}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
case "${RUNTIME:-node}" in
  node)
    command=(node --enable-source-maps "$root/dist/services/$service/main.js") ;;
  deno)
    deno="$root/node_modules/.bin/deno"
    [ -x "$deno" ] || deno="$(command -v deno || true)"
    [ -n "$deno" ] || { echo "RUNTIME=deno but Deno is missing: run npm ci (it installs Deno 2 from npm)" >&2; exit 1; }
    # Deno records the spans of @opentelemetry/api itself, when asked to.
    if [ -n "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ] && [ "${OTEL_TRACES_EXPORTER:-}" != none ]; then
      export OTEL_DENO=true OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-$service}"
    fi
    command=("$deno" run --quiet --no-prompt --allow-net --allow-env --allow-read --allow-sys \
      --config "$root/deno.json" "$root/services/$service/main.ts") ;;
  *)
    echo "RUNTIME must be node or deno, not '$RUNTIME'" >&2; exit 64 ;;
esac
[ "${SERVICE_RESTART:-yes}" = no ] && exec "${command[@]}"

child=""
stopping=""
stop() {
  stopping=1
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
}
trap stop INT TERM

pause=1
while :; do
  started=$SECONDS
  "${command[@]}" &
  child=$!
  wait "$child" && status=0 || status=$?
  # wait returns early when a trapped signal arrives: wait again for the exit.
  while kill -0 "$child" 2>/dev/null; do
    wait "$child" && status=0 || status=$?
  done
  child=""
  if [ -n "$stopping" ] || [ "$status" = 0 ]; then exit "$status"; fi
  if (( SECONDS - started >= 30 )); then pause=1; fi
  echo "run-service: $service exited with status $status; starting it again in ${pause}s" >&2
  sleep "$pause" &
  wait $! || true
  if [ -n "$stopping" ]; then exit "$status"; fi
  pause=$(( pause * 2 > 30 ? 30 : pause * 2 ))
done
