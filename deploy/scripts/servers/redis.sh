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

# Prints each consumer group's backlog, one line each: "<stream>/<group>
# <entries not yet delivered> <delivered, not acknowledged>".
# The consumer group of app $1 on stream $2 skips every entry it has not read.
redis_drop() {
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" xgroup setid "$2" "$1" '$' >/dev/null
}

redis_backlog() {
  local cli=(redis-cli -h 127.0.0.1 -p "$REDIS_PORT") key group pending last
  redis_ready || die "Redis on $REDIS_PORT does not answer"
  "${cli[@]}" --scan | while read -r key; do
    [ "$("${cli[@]}" type "$key")" = stream ] || continue
    # XINFO GROUPS, flattened: name, consumers, pending, last-delivered-id, ... for each group.
    "${cli[@]}" xinfo groups "$key" | paste -d' ' - - - - - - - - - - - - | while read -r _ group _ _ _ pending _ last _; do
      # Entries after the group's last delivered one (XINFO's lag is unknown after a trim or a restart).
      printf '%s/%s %s %s\n' "$key" "$group" "$("${cli[@]}" xrange "$key" "($last" + | grep -c '^[0-9]*-[0-9]*$')" "$pending"
    done
  done
}
