#!/usr/bin/env bash
# npm run test:compose: docker-compose.yml for real, end to end.
#   1. the images (npm run images: the services on Node.js, our Dapr, Redis,
#      the mail catcher, FerretDB, Jaeger, Prometheus) on a Docker engine of its own in network namespace
#      logistics-docker, which has no route off this machine (docker-engine.sh),
#      unless DOCKER_HOST names one; COMPOSE_IMAGES=skip when they are built
#   2. compose-env.sh's certificates and tokens, then `docker compose up` of
#      docker-compose.yml with tests/compose/docker-compose.test.yml (the
#      suite's TTL and rate limit) as project logistics-test
#   3. the end-to-end suite, the read side's, one order's trace from Jaeger
#      and the business metrics from Prometheus, through the published ports, run inside
#      the engine's namespace (tests/support/compose.ts attaches to it)
#   4. every container's log in .dapr/compose-test/logs/, then `down -v`:
#      nothing stays running, and the engine stops if this script started it.
# RUNTIME_SUFFIX=-deno runs the services on Deno (their images are built then).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT_DIR/deploy/scripts/netns.sh"
source "$ROOT_DIR/deploy/scripts/docker-engine.sh"
cd "$ROOT_DIR"
export PATH="$ROOT_DIR/node_modules/.bin:$PATH"

PROJECT=logistics-test
OUT="$ROOT_DIR/.dapr/compose-test"
started=$SECONDS
rm -rf "$OUT" && mkdir -p "$OUT/logs"

# Compose v2 (the docker CLI plugin) where it is, else Debian's docker-compose.
compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi
}
compose_files=(-p "$PROJECT" -f docker-compose.yml -f tests/compose/docker-compose.test.yml)

cleanup() {
  local status=$?
  set +e # every step of the teardown, whatever fails
  if [ -n "${DOCKER_HOST:-}" ] && [ -s .dapr/compose/env ]; then
    local service
    for service in $(compose "${compose_files[@]}" config --services 2>/dev/null); do
      compose "${compose_files[@]}" logs --no-color "$service" >"$OUT/logs/$service.log" 2>&1
    done
    compose "${compose_files[@]}" ps >"$OUT/containers.txt" 2>&1
    compose "${compose_files[@]}" down -v --remove-orphans --timeout 10 >"$OUT/down.log" 2>&1
  fi
  engine_down
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

engine_up
need_package docker-compose docker-compose
if [ "${COMPOSE_IMAGES:-build}" != skip ]; then
  KEEP_ENGINE=1 IMAGES="$([ -n "${RUNTIME_SUFFIX:-}" ] && echo deno || echo node) dapr redis mailbox ferretdb jaeger prometheus" bash deploy/scripts/images.sh
elif [ ! -f dist/tests/e2e/saga.test.js ]; then
  npx tsc -p tsconfig.json
fi
images_done=$SECONDS

bash deploy/docker/compose-env.sh
set -a && source .dapr/compose/env && set +a
find .dapr/compose/mailbox -name '*.eml' -delete
# A run an interrupted test left.
compose "${compose_files[@]}" down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true
compose "${compose_files[@]}" up -d >"$OUT/up.log" 2>&1 || die "docker compose up failed: $(tail -5 "$OUT/up.log")"
say "compose project $PROJECT is up ($(compose "${compose_files[@]}" ps -q | wc -l) containers)"

# The suite, where the published port and the containers' addresses are.
# tests/support/compose.ts waits for every app to be ready before it starts.
prefix=()
if [ -n "$ENGINE_PID" ]; then netns_sealed "$ENGINE_NETNS"; netns_cmd "$ENGINE_NETNS"; prefix=("${NETNS_CMD[@]}"); fi
status=0
"${prefix[@]}" env COMPOSE_PROJECT="$PROJECT" COMPOSE_GATEWAY_URL=http://127.0.0.1:8000 \
  mocha --exit --timeout 240000 --require dist/tests/support/system-hooks.js dist/tests/e2e/saga.test.js dist/tests/integration/dashboard.test.js \
  dist/tests/integration/trace.test.js dist/tests/integration/metrics.test.js 2>&1 | tee "$OUT/e2e.log" || status=1
mocha_passed "$OUT/e2e.log" || status=1
say "compose: $(mocha_counts "$OUT/e2e.log")"
if [ -n "$ENGINE_PID" ]; then
  netns_sealed "$ENGINE_NETNS"
  say "no route off this machine in $ENGINE_NETNS: $(ip -n "$ENGINE_NETNS" route | wc -l) routes ($(ip -n "$ENGINE_NETNS" route | awk '{print $1" dev "$3}' | paste -sd, -)), none through a gateway, no default"
fi
say "test:compose took $((SECONDS - started))s (images $((images_done - started))s)"
exit "$status"
