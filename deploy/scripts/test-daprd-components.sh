#!/usr/bin/env bash
# The Go tests of our daprd component code (deploy/dapr/daprd), against a real
# RabbitMQ started here on 127.0.0.1:5872 with a fresh data directory and
# stopped when the tests end. npm run test:matrix runs it with the RabbitMQ
# choice. Arguments go to `go test` (say -run TestEverySubscription -v).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export RABBITMQ_PORT=5872
RABBITMQ_DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/logistics-rabbitmq-XXXXXX")"
export RABBITMQ_DATA_DIR
rabbitmq_install

server_start rabbitmq "$RABBITMQ_DATA_DIR/broker.log"
broker=$SERVER_PID
stop_broker() {
  kill -TERM "$broker" 2>/dev/null && wait "$broker" 2>/dev/null
  rm -rf "$RABBITMQ_DATA_DIR"
}
trap stop_broker EXIT
server_wait rabbitmq "$broker" "$RABBITMQ_DATA_DIR/broker.log" 60

RABBITMQ_URL="amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT" bash "$ROOT_DIR/deploy/scripts/install-dapr.sh" test -count=1 "$@"
