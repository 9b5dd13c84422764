# RabbitMQ on 127.0.0.1:${RABBITMQ_PORT:-5672}, from the distribution's packages.
# Sourced by lib.sh, whose server_install, server_ready and server_run call
# rabbitmq_install, rabbitmq_ready and rabbitmq_run.
# Node name, Erlang distribution port and epmd port all follow the AMQP port,
# so that two brokers (say 5672 and 5772) run side by side. No plugins: the
# management UI is not needed and every plugin slows the start.

RABBITMQ_PORT="${RABBITMQ_PORT:-5672}"
# SERVER_LISTEN_ADDRESS: an address to listen on besides loopback (the test
# cluster's node, whose pods connect as they would to a managed broker); the
# user is then logistics, with password RABBITMQ_PASSWORD, in place of guest.

rabbitmq_install() {
  # Not /usr/sbin/rabbitmq-server: that wrapper switches to the rabbitmq user,
  # whose home (and Erlang cookie) is not ours.
  install_without_starting /usr/lib/rabbitmq/bin/rabbitmq-server rabbitmq-server
}

# Also what rabbitmqctl and rabbitmq-diagnostics need to reach this node:
#   (rabbitmq_env; exec /usr/lib/rabbitmq/bin/rabbitmq-diagnostics ping)
rabbitmq_env() {
  local dir="${RABBITMQ_DATA_DIR:-$CACHE_DIR/rabbitmq-$RABBITMQ_PORT}"
  export HOME="$dir" # the Erlang cookie lives in $HOME/.erlang.cookie
  export RABBITMQ_NODENAME="rabbit-$RABBITMQ_PORT@localhost"
  export ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$((RABBITMQ_PORT - 1303))" # 4369 for 5672
  export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_DIST_PORT="$((RABBITMQ_PORT + 20000))" # the CLI's own range follows it
  export RABBITMQ_CTL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
}

# Ready means the AMQP listener answers the protocol header with
# Connection.Start (a method frame, type 1): the broker opens it last.
rabbitmq_ready() {
  local frame
  frame="$( { exec 3<>"/dev/tcp/127.0.0.1/$RABBITMQ_PORT" \
    && printf 'AMQP\0\0\11\1' >&3 && IFS= read -r -N 1 -t 2 frame <&3 && printf '%s' "$frame"; } 2>/dev/null )"
  [ "$frame" = $'\1' ]
}

# In the foreground, so that whoever started it stops it. Data survives
# restarts (mnesia under the data directory); guest/guest works from loopback.
rabbitmq_run() {
  local dir="${RABBITMQ_DATA_DIR:-$CACHE_DIR/rabbitmq-$RABBITMQ_PORT}"
  mkdir -p "$dir"
  rabbitmq_env
  [ -e "$dir/enabled_plugins" ] || echo '[].' >"$dir/enabled_plugins"
  if [ -n "${SERVER_LISTEN_ADDRESS:-}" ]; then
    [ -n "${RABBITMQ_PASSWORD:-}" ] || die "RABBITMQ_PASSWORD is needed with SERVER_LISTEN_ADDRESS"
    [ -e "$dir/rabbitmq.conf" ] || printf '%s\n' "listeners.tcp.1 = 127.0.0.1:$RABBITMQ_PORT" \
      "listeners.tcp.2 = $SERVER_LISTEN_ADDRESS:$RABBITMQ_PORT" "default_user = logistics" \
      "default_pass = $RABBITMQ_PASSWORD" "loopback_users = none" >"$dir/rabbitmq.conf"
  else
    [ -e "$dir/rabbitmq.conf" ] || echo 'loopback_users.guest = true' >"$dir/rabbitmq.conf"
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$RABBITMQ_PORT"
  fi
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
  export RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_LOGS=-
  # Its script stays as the parent of the Erlang VM (which ignores SIGINT) and
  # turns SIGTERM and SIGINT into a clean stop; the VM alone would halt at once
  # on SIGINT. It is a child here, not exec'd, so that the epmd it starts (which
  # detaches itself) is stopped with it.
  /usr/lib/rabbitmq/bin/rabbitmq-server &
  local broker=$!
  trap 'kill -TERM "$broker" 2>/dev/null' TERM INT
  wait "$broker" || true
  wait "$broker" 2>/dev/null || true
  epmd -kill >/dev/null 2>&1 || true
}

# Prints each queue's backlog, one line each: "<queue> <ready> <unacknowledged>".
# The queue of app $1 on topic $2 ({appID}-{topic}) loses its ready messages.
rabbitmq_drop() {
  (rabbitmq_env; exec /usr/lib/rabbitmq/bin/rabbitmqctl purge_queue -q "$1-$2")
}

rabbitmq_backlog() {
  (rabbitmq_env; exec /usr/lib/rabbitmq/bin/rabbitmqctl list_queues -q --no-table-headers name messages_ready messages_unacknowledged)
}
