#!/usr/bin/env bash
# npm run test:matrix: the integration and end-to-end suites, unchanged, on
# the pub/sub, state, runtime and secret store choices, one system per
# combination (started and stopped by the tests). Prints a table of pass/fail
# and suite time, also written to .dapr/matrix/results.md; exits 1 if any
# combination failed, after running them all.
#
# By default, a covering set rather than every product: each broker once,
# each store under two brokers or more, Deno once and the secrets from the
# environment once (MATRIX_COVER below). The choices are independent of one
# another (one HTTP API to the sidecar; the store and the broker meet only in
# Dapr's outbox, which runs under every broker here); npm test runs the
# defaults (Redis × Redis, Node.js, the secrets file), npm run test:k8s
# RabbitMQ × PostgreSQL on Deno, and npm run test:faults Redis × PostgreSQL
# and RabbitMQ × Redis. The whole product:
#   MATRIX_FULL=1 npm run test:matrix           (every pub/sub × state on Node.js, Deno on MATRIX_DENO_ON)
#   MATRIX_PUBSUB="redis kafka" MATRIX_STATE=postgres MATRIX_RUNTIME=deno npm run test:matrix   (a product of some)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT_DIR"
reserve_test_ports
export PATH="$DAPR_HOME/bin:$ROOT_DIR/node_modules/.bin:$PATH"
say() { printf '[matrix] %s\n' "$*" >&2; }

# pubsub:state:runtime:secrets, each row one run.
MATRIX_COVER="kafka:postgres:node:file jetstream:redis:node:env mqtt:postgres:node:file rabbitmq:redis:node:file redis:postgres:deno:file"
full="${MATRIX_FULL:-$([ -n "${MATRIX_PUBSUB:-}${MATRIX_STATE:-}${MATRIX_RUNTIME:-}" ] && echo 1 || echo 0)}"
pubsubs="${MATRIX_PUBSUB:-$(ls components/pubsub | tr '\n' ' ')}"
states="${MATRIX_STATE:-$(ls components/state | tr '\n' ' ')}"
runtimes="${MATRIX_RUNTIME:-node deno}"
# In the product, Node.js runs on every combination, Deno on Redis × Redis:
# MATRIX_DENO_ON=all runs Deno on every one, as does naming the runtimes in
# MATRIX_RUNTIME.
deno_on="${MATRIX_DENO_ON:-$([ -n "${MATRIX_RUNTIME:-}" ] && echo all || echo "redis:redis")}"
secret_stores="${MATRIX_SECRETS:-file env}"
combos=()
if [ "$full" = 1 ]; then
  for pubsub in $pubsubs; do
    for state in $states; do
      for runtime in $runtimes; do
        if [ "$runtime" = deno ] && [ "$deno_on" != all ] && [[ " $deno_on " != *" $pubsub:$state "* ]]; then continue; fi
        combos+=("$pubsub:$state:$runtime:file")
      done
    done
  done
  # The secret store is independent of the broker and store: once, on the defaults.
  for secrets in $secret_stores; do [ "$secrets" = file ] || combos+=("redis:redis:node:$secrets"); done
else
  read -ra combos <<<"$MATRIX_COVER"
  pubsubs="$(printf '%s\n' "${combos[@]}" | cut -d: -f1 | sort -u | tr '\n' ' ')"
  states="$(printf '%s\n' "${combos[@]}" | cut -d: -f2 | sort -u | tr '\n' ' ')"
fi

say "provisioning every server the matrix needs"
for combo in "${combos[@]}"; do
  IFS=: read -r pubsub state _ secrets <<<"$combo"
  PUBSUB="$pubsub" STATE="$state" SECRETS="$secrets" bash deploy/scripts/provision.sh
done
# The browser test's Chromium: Debian's package (CHROMIUM_PATH names another).
[ -n "${CHROMIUM_PATH:-}" ] || need_package chromium chromium
say "building (tsc)"
rm -rf dist && tsc -p tsconfig.json

out="$ROOT_DIR/.dapr/matrix"
rm -rf "$out" && mkdir -p "$out"
results="$out/results.md"
printf '| pub/sub | state | runtime | secrets | result | tests | suite time |\n|---|---|---|---|---|---|---|\n' >"$results"
failed=0

# Runs the suites on one combination and adds its row to the table.
run_one() {
  local pubsub="$1" state="$2" runtime="$3" secrets="$4"
  local name="$pubsub-$state-$runtime-$secrets" result start=$SECONDS
  say "== $name"
  touch "$out/$name.start"
  # Who may invoke whom (components/config.yaml's accessControl, checked by
  # the called sidecar) does not depend on the broker or the store, and its
  # refusals take about 15 s a run: npm test checks it.
  if PUBSUB="$pubsub" STATE="$state" RUNTIME="$runtime" SECRETS="$secrets" mocha --timeout 240000 --require dist/tests/support/system-hooks.js \
    --grep 'accessControl: who may invoke whom' --invert \
    'dist/tests/integration/**/*.test.js' dist/tests/e2e/saga.test.js 'dist/tests/browser/**/*.test.js' >"$out/$name.log" 2>&1; then
    result=pass
  else
    result=FAIL
    failed=1
    # Keep what the system wrote (servers, dapr run, each app and sidecar),
    # for the CI log and for reading later.
    mkdir -p "$out/$name-logs"
    cp -r .dapr/test-100/logs/. "$out/$name-logs/" 2>/dev/null || true
    find services/*/.dapr/logs -type f -newer "$out/$name.start" -exec cp {} "$out/$name-logs/" \; 2>/dev/null || true
  fi
  local took=$((SECONDS - start))
  local passing failing
  passing="$(grep -Eo '[0-9]+ passing' "$out/$name.log" | tail -1 || true)"
  failing="$(grep -Eo '[0-9]+ failing' "$out/$name.log" | tail -1 || true)"
  printf '| %s | %s | %s | %s | %s | %s | %d min %02d s |\n' "$pubsub" "$state" "$runtime" "$secrets" "$result" \
    "${passing:-0 passing}${failing:+, $failing}" $((took / 60)) $((took % 60)) >>"$results"
  say "$name: $result in ${took}s (${passing:-no tests}${failing:+, $failing})"
  if [ "$result" = FAIL ]; then grep -E '^\s+[0-9]+\) |Error|expected' "$out/$name.log" | head -20 >&2 || true; fi
}

# Our daprd's own Go tests, on their own, before the suites run on it: its
# outbox relay (no fixed 1 s wait), its circuit breakers and sentry's read
# through its cache always, on a Redis, a PostgreSQL and an API server of
# their own; its RabbitMQ component (a connection per subscription) with
# RabbitMQ among the choices.
daprd_servers="redis postgres mailbox" daprd_tests=(-run '^(TestOutbox|TestBreaker|TestSentry|TestConcurrentEmails|TestPostgres)')
if [[ " $pubsubs " == *" rabbitmq "* ]]; then daprd_servers="rabbitmq redis postgres mailbox" daprd_tests=(); fi
say "== daprd (Go tests: $daprd_servers)"
start=$SECONDS
if DAPRD_TEST_SERVERS="$daprd_servers" bash deploy/scripts/test-daprd-components.sh -v "${daprd_tests[@]}" \
  >"$out/daprd-components.log" 2>&1; then result=pass; else result=FAIL; failed=1; tail -20 "$out/daprd-components.log" >&2; fi
printf '| – | – | daprd Go tests (%s) | – | %s | %s | %d s |\n' "${daprd_servers// /, }" "$result" \
  "$(grep -c '^--- PASS' "$out/daprd-components.log") passing" $((SECONDS - start)) >>"$results"

for combo in "${combos[@]}"; do
  IFS=: read -r pubsub state runtime secrets <<<"$combo"
  run_one "$pubsub" "$state" "$runtime" "$secrets"
done
cat "$results"
exit "$failed"
