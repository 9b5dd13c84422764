#!/usr/bin/env bash
# npm run test:matrix: the integration and end-to-end suites, unchanged, on
# every pub/sub choice × every state choice on Node.js (but the defaults,
# which npm test runs) and on Redis × Redis on Deno (below: MATRIX_DENO_ON),
# one system per combination (started and stopped by the tests), and once
# more with the secrets read from the environment (SECRETS=env) instead of
# the file. Prints a table of
# pass/fail and suite time, also written to .dapr/matrix/results.md; exits 1
# if any combination failed, after running them all.
#   MATRIX_PUBSUB="redis kafka" MATRIX_STATE=postgres MATRIX_RUNTIME=deno npm run test:matrix   (a subset)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT_DIR"
export PATH="$DAPR_HOME/bin:$ROOT_DIR/node_modules/.bin:$PATH"
say() { printf '[matrix] %s\n' "$*" >&2; }

pubsubs="${MATRIX_PUBSUB:-$(ls components/pubsub | tr '\n' ' ')}"
states="${MATRIX_STATE:-$(ls components/state | tr '\n' ' ')}"
runtimes="${MATRIX_RUNTIME:-node deno}"
# The runtime is independent of the broker and the store (the same sources,
# the same HTTP calls to the same sidecar): Node.js runs on every combination,
# Deno on Redis × Redis (npm run test:k8s runs it on RabbitMQ × PostgreSQL,
# its prod overlay). MATRIX_DENO_ON=all runs Deno on every one, as does
# naming the runtimes in MATRIX_RUNTIME.
deno_on="${MATRIX_DENO_ON:-$([ -n "${MATRIX_RUNTIME:-}" ] && echo all || echo "redis:redis")}"
secret_stores="${MATRIX_SECRETS:-file env}"
# npm test runs the same suites on the defaults (Redis × Redis, Node.js, the
# secrets file): left out unless a subset is asked for (MATRIX_PUBSUB,
# MATRIX_STATE or MATRIX_RUNTIME) or MATRIX_DEFAULTS=1.
run_defaults="${MATRIX_DEFAULTS:-$([ -n "${MATRIX_PUBSUB:-}${MATRIX_STATE:-}${MATRIX_RUNTIME:-}" ] && echo 1 || echo 0)}"

say "provisioning every server the matrix needs"
for pubsub in $pubsubs; do for state in $states; do PUBSUB="$pubsub" STATE="$state" bash deploy/scripts/provision.sh; done; done
for secrets in $secret_stores; do PUBSUB=redis STATE=redis SECRETS="$secrets" bash deploy/scripts/provision.sh; done
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

for pubsub in $pubsubs; do
  for state in $states; do
    for runtime in $runtimes; do
      if [ "$runtime" = deno ] && [ "$deno_on" != all ] && [[ " $deno_on " != *" $pubsub:$state "* ]]; then continue; fi
      if [ "$pubsub:$state:$runtime" = redis:redis:node ] && [ "$run_defaults" != 1 ]; then
        printf '| redis | redis | node | file | (npm test) | – | – |\n' >>"$results"
        continue
      fi
      run_one "$pubsub" "$state" "$runtime" file
    done
  done
done
# The secret store is independent of the broker and store: one run on the defaults.
for secrets in $secret_stores; do
  [ "$secrets" = file ] || run_one redis redis node "$secrets"
done
cat "$results"
exit "$failed"
