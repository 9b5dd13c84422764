#!/usr/bin/env bash
# Obtains and starts everything the system runs on, for the pub/sub and state
# choices in PUBSUB and STATE (default redis): the Node dependencies (and Deno
# with them), the Dapr runtime and CLI, and the brokers and stores on
# 127.0.0.1. With --install-only, installs the brokers without starting them
# (the tests start servers of their own). Idempotent: a second run takes
# seconds.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INSTALL_ONLY=""
[ "${1:-}" = "--install-only" ] && INSTALL_ONLY=1
PUBSUB="${PUBSUB:-redis}"
STATE="${STATE:-redis}"

[ -d "$ROOT_DIR/components/pubsub/$PUBSUB" ] || die "PUBSUB=$PUBSUB: no components/pubsub/$PUBSUB (choices: $(ls "$ROOT_DIR/components/pubsub" | tr '\n' ' '))"
[ -d "$ROOT_DIR/components/state/$STATE" ] || die "STATE=$STATE: no components/state/$STATE (choices: $(ls "$ROOT_DIR/components/state" | tr '\n' ' '))"

if [ ! -d "$ROOT_DIR/node_modules" ] || [ "$ROOT_DIR/package-lock.json" -nt "$ROOT_DIR/node_modules/.package-lock.json" ]; then
  say "installing Node dependencies (npm ci)"
  (cd "$ROOT_DIR" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
fi

bash "$ROOT_DIR/deploy/scripts/install-dapr.sh"

for choice in "pubsub/$PUBSUB" "state/$STATE"; do
  name="${choice#*/}"
  script="$ROOT_DIR/deploy/scripts/start-$name.sh"
  [ -f "$script" ] || die "no deploy/scripts/start-$name.sh to start $choice"
done
# One server may serve both choices (Redis, say): start each name once.
for name in $(printf '%s\n' "$PUBSUB" "$STATE" | sort -u); do
  INSTALL_ONLY="$INSTALL_ONLY" bash "$ROOT_DIR/deploy/scripts/start-$name.sh"
done
