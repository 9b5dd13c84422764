#!/usr/bin/env bash
# The Go tests of our daprd (deploy/dapr/daprd: those of the RabbitMQ, email
# and PostgreSQL state components, which deploy/dapr/patches/contrib changes,
# and the outbox relay's and trace context's, circuit breaker's and sentry's,
# which deploy/dapr/patches change; the breaker's needs no server of its own),
# against real servers started here on 127.0.0.1 with fresh data directories
# and stopped when the tests end: RabbitMQ on 5872, Redis on 6479, PostgreSQL
# on 5532, the development mail server (SMTP) on 2925 (not the ports a running
# system uses). DAPRD_TEST_SERVERS picks the servers (default: all four; a
# test whose server is not started fails, saying so). Arguments go to
# `go test` (say -run TestOutbox -v). npm run test:matrix runs it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

servers="${DAPRD_TEST_SERVERS:-rabbitmq redis postgres mailbox}"
export RABBITMQ_PORT=5872 REDIS_PORT=6479 POSTGRES_PORT=5532 MAILBOX_PORT=2925
data="$(mktemp -d "${TMPDIR:-/tmp}/logistics-daprd-tests-XXXXXX")"
chmod 711 "$data" # PostgreSQL runs as the postgres user when we are root
export RABBITMQ_DATA_DIR="$data/rabbitmq" REDIS_DATA_DIR="$data/redis" POSTGRES_DATA_DIR="$data/postgres"

pids=()
stop_servers() {
  local status=$? pid name
  for pid in "${pids[@]}"; do
    if kill -TERM "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
  done
  if [ "$status" != 0 ]; then
    for name in $servers; do
      if [ -s "$data/$name.log" ]; then say "$name's output:"; tail -n 20 "$data/$name.log" >&2; fi
    done
  fi
  rm -rf "$data"
}
trap stop_servers EXIT

for name in $servers; do
  case "$name" in
    rabbitmq) rabbitmq_install; export RABBITMQ_URL="amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT" ;;
    redis) redis_install; export REDIS_ADDR="127.0.0.1:$REDIS_PORT" ;;
    postgres) postgres_install; export POSTGRES_URL="postgres://postgres@127.0.0.1:$POSTGRES_PORT/postgres?sslmode=disable" ;;
    mailbox)
      export SMTP_ADDR="127.0.0.1:$MAILBOX_PORT" MAILBOX_DIR="$data/mailbox"
      SMTP_USER="$(node -p 'require(process.argv[1]).SMTP_USER' "$ROOT_DIR/components/secrets.dev.json")"
      SMTP_PASSWORD="$(node -p 'require(process.argv[1]).SMTP_PASSWORD' "$ROOT_DIR/components/secrets.dev.json")"
      export SMTP_USER SMTP_PASSWORD ;;
    *) die "no server $name for the daprd tests (DAPRD_TEST_SERVERS: rabbitmq, redis, postgres, mailbox)" ;;
  esac
done
for name in $servers; do
  server_start "$name" "$data/$name.log"
  pids+=("$SERVER_PID")
done
i=0
for name in $servers; do
  server_wait "$name" "${pids[i]}" "$data/$name.log" 60
  i=$((i + 1))
done

# Sentry's test starts an API server and etcd of its own on 127.0.0.1
# (controller-runtime's envtest): the test cluster's binaries, built once
# and cached (npm run test:k8s builds them too).
source "$ROOT_DIR/deploy/scripts/netns.sh"
source "$ROOT_DIR/deploy/scripts/k8s/cluster.sh"
cluster_build
export KUBE_ASSETS="$K8S_BIN"

bash "$ROOT_DIR/deploy/scripts/install-dapr.sh" test -count=1 "$@"
