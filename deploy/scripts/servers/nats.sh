# NATS with JetStream on 127.0.0.1:${NATS_PORT:-4222}, from the distribution's
# packages; its monitoring endpoint (for readiness) on NATS_PORT + 4000, which
# is NATS' usual 8222 for 4222. Sourced by lib.sh, whose server_install,
# server_ready, server_run and server_setup call nats_install, nats_ready,
# nats_run and nats_setup.

NATS_PORT="${NATS_PORT:-4222}"

nats_install() {
  install_without_starting /usr/sbin/nats-server nats-server # in sbin: not on every user's PATH
}

# The response (status line, headers, body) to a GET on the monitoring port.
nats_monitor_get() (
  reply=""
  { exec 3<>"/dev/tcp/127.0.0.1/$((NATS_PORT + 4000))" \
    && printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3 \
    && IFS= read -r -d '' -t 2 reply <&3; } 2>/dev/null
  printf '%s' "$reply"
)

# Ready means JetStream is enabled and healthy, not just the port. Debian's
# 2.9 ignores js-enabled-only (newer servers honour it) and reports a server
# without JetStream healthy, so /jsz must not say "disabled" either.
nats_ready() {
  [[ "$(nats_monitor_get '/healthz?js-enabled-only=true')" == "HTTP/1."?" 200 "* ]] || return 1
  local jsz; jsz="$(nats_monitor_get /jsz)"
  [[ "$jsz" == "HTTP/1."?" 200 "* && "$jsz" != *'"disabled": true'* ]]
}

# In the foreground, so that whoever started it stops it. Streams survive
# restarts (JetStream's store in the data directory).
nats_run() {
  local dir="${NATS_DATA_DIR:-$CACHE_DIR/nats-$NATS_PORT}"
  mkdir -p "$dir"
  exec /usr/sbin/nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$dir" \
    -n "nats-$NATS_PORT" -m "$((NATS_PORT + 4000))" # monitoring binds to -a's address too
}

# Dapr's JetStream component needs a stream for every topic before it
# publishes or subscribes: make the missing ones (needs the build, dist/).
nats_setup() {
  node "$ROOT_DIR/deploy/scripts/jetstream-streams.mjs" --port "$NATS_PORT"
}
