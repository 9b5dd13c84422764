# Redis on 127.0.0.1:${REDIS_PORT:-6379}, from the distribution's packages.
# Sourced by lib.sh, whose server_install, server_ready and server_run call
# redis_install, redis_ready and redis_run.

REDIS_PORT="${REDIS_PORT:-6379}"

redis_install() {
  need_package redis-server redis-server
  need_package redis-cli redis-tools
}

redis_ready() {
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG
}

# In the foreground, so that whoever started it stops it. Data survives
# restarts (append-only file under the cache directory).
redis_run() {
  local dir="${REDIS_DATA_DIR:-$CACHE_DIR/redis-$REDIS_PORT}"
  mkdir -p "$dir"
  exec redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$dir" \
    --appendonly yes --appendfsync everysec --save "" --loglevel warning
}
