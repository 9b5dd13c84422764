#!/usr/bin/env bash
# npm start: provisions, builds, and runs every service with its sidecar in
# the foreground (`dapr run -f`), the gateway on 127.0.0.1:8000. Servers that
# are not running yet (Redis, placement, sentry) are started here and stopped again:
# Ctrl-C stops everything this script started, and nothing else.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export PATH="$DAPR_HOME/bin:$PATH"

bash "$ROOT_DIR/deploy/scripts/provision.sh"
say "building the services (tsc)"
(cd "$ROOT_DIR" && rm -rf dist && node_modules/.bin/tsc -p tsconfig.json) || die "the TypeScript build failed"
# Every sidecar gets its mTLS certificate from sentry, and trusts its root.
run_file="$(node "$ROOT_DIR/deploy/scripts/run-template.mjs" --out "$ROOT_DIR/.dapr/run" \
  --sentry-port "$SENTRY_PORT" --trust-anchors "$SENTRY_DATA_DIR/ca.crt" --otlp-port "$JAEGER_OTLP_PORT")"

started=()
cli=""
stop_started() {
  trap - EXIT INT TERM
  # The CLI runs in a process group of its own with every sidecar and app it
  # starts (so Ctrl-C does not reach them): the services stop gracefully on
  # SIGTERM, which the CLI alone would not pass on (it SIGKILLs each app's
  # runner, leaving the app itself running).
  if [ -n "$cli" ]; then
    kill -TERM -- "-$cli" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 -- "-$cli" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$cli" 2>/dev/null || true
  fi
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_started EXIT
trap 'exit 130' INT TERM

# Starts server $1 in the background unless it already answers; waits for it.
# A server that exits at start is tried twice more: Dapr's ports (placement's
# 50005 and 58080, sentry's 50001, ...) lie in the range the kernel hands out
# for outgoing connections, and one may be taken for a moment.
ensure_running() {
  local name="$1" attempt
  if server_ready "$name"; then say "using the $name already running"; server_setup "$name"; return; fi
  for attempt in 1 2 3; do
    server_start "$name" "$ROOT_DIR/.dapr/$name.log"
    started+=("$SERVER_PID")
    # In a subshell: server_wait dies when the server does.
    if (server_wait "$name" "$SERVER_PID" ".dapr/$name.log"); then break; fi
    [ "$attempt" -lt 3 ] || die "$name did not start three times (see .dapr/$name.log)"
    say "trying $name again"
    sleep 2
  done
  say "started $name (pid $SERVER_PID)"
  server_setup "$name"
}

# FerretDB: the dashboard's MongoDB (MONGODB_URL in the secret store).
# Prometheus: scrapes every service and sidecar (.dapr/run/prometheus.yml);
# Jaeger: every service's and sidecar's spans.
for name in $(server_names) sentry placement mailbox ferretdb prometheus jaeger; do ensure_running "$name"; done

say "starting gateway, order, inventory, payment, tracking, notification, dashboard on ${RUNTIME:-node}; pub/sub: ${PUBSUB:-redis}, state: ${STATE:-redis}"
say "gateway: http://127.0.0.1:8000   health: http://127.0.0.1:8000/health   logs: services/<name>/.dapr/logs/"
say "metrics: Prometheus on http://127.0.0.1:${PROMETHEUS_PORT} (alerts: /alerts)   traces: Jaeger on http://127.0.0.1:${JAEGER_UI_PORT}"
# The development credentials (deploy/dev/credentials.json): development only.
say "development API keys (x-api-key header), and tokens: npm run token -- --sub <who> --role <role> [--email <email>]"
node -e '
  const { api_keys } = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  for (const k of api_keys) console.log(`  ${k.role.padEnd(8)} ${k.subject.padEnd(18)} ${(k.email ?? "").padEnd(18)} ${k.key}`);
' "$ROOT_DIR/deploy/dev/credentials.json"
# Locked-down sidecars, as the tests and production run them: every sidecar
# asks for DAPR_API_TOKEN on its API, every app but the gateway for
# APP_API_TOKEN from its sidecar. daprd reads both from the CLI's environment
# and the apps get the same variables. Made for each run unless given; kept in
# .dapr/tokens (readable by this user only) for tools that call a sidecar.
export DAPR_API_TOKEN="${DAPR_API_TOKEN:-$(node -e 'console.log(crypto.randomUUID())')}"
export APP_API_TOKEN="${APP_API_TOKEN:-$(node -e 'console.log(crypto.randomUUID())')}"
(umask 077 && printf 'DAPR_API_TOKEN=%s\nAPP_API_TOKEN=%s\n' "$DAPR_API_TOKEN" "$APP_API_TOKEN" >"$ROOT_DIR/.dapr/tokens")
say "sidecar API token in .dapr/tokens (source it to call a sidecar: curl -H \"dapr-api-token: \$DAPR_API_TOKEN\" ...)"
cd "$ROOT_DIR"
dapr run -f "$run_file" &
cli=$!
wait "$cli"
