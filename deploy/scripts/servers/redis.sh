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

# The consumer group of app $1 on stream $2 skips every entry it has not read.
redis_drop() {
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" xgroup setid "$2" "$1" '$' >/dev/null
}

# Prints each consumer group's backlog, one line each: "<stream>/<group>
# <entries not yet delivered> <delivered, not acknowledged> [<the first
# unacknowledged ones>]", each of those as
# "<entry id>,<consumer>,<ms since delivered>,<deliveries>,<event type>,<event id>".
redis_backlog() {
  local cli=(redis-cli -h 127.0.0.1 -p "$REDIS_PORT") key group pending last
  redis_ready || die "Redis on $REDIS_PORT does not answer"
  "${cli[@]}" --scan | while read -r key; do
    [ "$("${cli[@]}" type "$key")" = stream ] || continue
    # XINFO GROUPS, flattened: name, consumers, pending, last-delivered-id, ... for each group.
    "${cli[@]}" xinfo groups "$key" | paste -d' ' - - - - - - - - - - - - | while read -r _ group _ _ _ pending _ last _; do
      # Entries after the group's last delivered one (XINFO's lag is unknown after a trim or a restart).
      printf '%s/%s %s %s' "$key" "$group" "$("${cli[@]}" xrange "$key" "($last" + | grep -c '^[0-9]*-[0-9]*$')" "$pending"
      [ "$pending" = 0 ] || printf ' %s' "$(redis_pending "$key" "$group")"
      printf '\n'
    done
  done
}

# The first three entries group $2 holds unacknowledged on stream $1, as redis_backlog prints them.
redis_pending() {
  local cli=(redis-cli -h 127.0.0.1 -p "$REDIS_PORT") id consumer idle count event
  "${cli[@]}" xpending "$1" "$2" - + 3 | paste -d' ' - - - - | while read -r id consumer idle count; do
    # The entry's fields, flattened (Dapr keeps the CloudEvent in "data").
    event="$("${cli[@]}" xrange "$1" "$id" "$id")"
    printf '%s,%s,%s,%s,%s,%s;' "$id" "$consumer" "$idle" "$count" \
      "$(grep -o '"type":"[^"]*"' <<<"$event" | head -1 | cut -d'"' -f4)" "$(grep -o '"id":"[^"]*"' <<<"$event" | head -1 | cut -d'"' -f4)"
  done
}
