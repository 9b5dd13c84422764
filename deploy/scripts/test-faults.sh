#!/usr/bin/env bash
# npm run test:faults: the fault suite (tests/faults) on real sidecars and
# servers, one system per choice, started and stopped by the suite on ports
# of its own (apps 8400-8405, servers at their port + 400; FAULTS_PORT_OFFSET
# moves them). Choices in FAULT_CHOICES, each "pubsub:state[:scenarios]"
# (scenarios comma-separated, from services sidecars servers-5s servers-60s
# lost restart swap wedge; all when left out, or FAULTS for every choice). By
# default: Redis × Redis with every scenario but the swap and with the
# wedged-Redis fixture, Redis × PostgreSQL with the scenarios that depend on
# the store (the services' and sidecars' crashes do not), and RabbitMQ ×
# Redis with those that depend on the broker (all but the services' crashes,
# which leave every sidecar and its subscriptions up).
# Prints each choice's table, also written to .dapr/faults/; exits 1 if any
# choice failed, after all ran.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT_DIR"
reserve_test_ports
export PATH="$DAPR_HOME/bin:$ROOT_DIR/node_modules/.bin:$PATH"
say() { printf '[faults] %s\n' "$*" >&2; }

# Kafka is left out: with its broker SIGKILLed, orders stalled; so is the swap
# on Redis × Redis, which does not always drain in time (README, "What the
# suite found that is not fixed yet"). FAULT_CHOICES runs them.
choices="${FAULT_CHOICES:-redis:redis:services,sidecars,servers-5s,servers-60s,lost,restart,wedge redis:postgres:servers-5s,servers-60s,restart,swap rabbitmq:redis:sidecars,servers-5s,servers-60s,lost,restart,swap}"
say "provisioning every server the choices need (each also swaps to the other store)"
for choice in $choices; do
  for state in redis postgres; do PUBSUB="${choice%%:*}" STATE="$state" bash deploy/scripts/provision.sh; done
done
say "building (tsc)"
rm -rf dist && tsc -p tsconfig.json

out="$ROOT_DIR/.dapr/faults"
rm -rf "$out" && mkdir -p "$out"
failed=0
for choice in $choices; do
  IFS=: read -r pubsub state scenarios <<<"$choice"
  scenarios="${scenarios:-${FAULTS:-}}" start=$SECONDS
  say "== $pubsub × $state${scenarios:+ ($scenarios)}"
  # --exit: once the after hook has stopped the system, nothing a failed
  # scenario left behind (a client's timer, a socket) may keep CI waiting.
  if PUBSUB="$pubsub" STATE="$state" FAULTS="${scenarios//,/ }" mocha --timeout 900000 --exit dist/tests/faults/faults.test.js 2>&1 | tee "$out/$pubsub-$state.log"; then
    say "$pubsub × $state: pass in $((SECONDS - start))s"
  else
    failed=1
    say "$pubsub × $state: FAIL in $((SECONDS - start))s"
    mkdir -p "$out/$pubsub-$state-logs"
    offset="${FAULTS_PORT_OFFSET:-400}"
    cp -r ".dapr/test-$offset/logs"* ".dapr/test-$((offset + 50))/logs"* "$out/$pubsub-$state-logs/" 2>/dev/null || true
  fi
done
cat "$out"/results-*.md 2>/dev/null || true
exit "$failed"
