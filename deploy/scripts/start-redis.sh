#!/usr/bin/env bash
# Makes Redis answer on 127.0.0.1:${REDIS_PORT:-6379}: installs it from the
# distribution's packages when missing and starts a server of our own (data
# under the cache directory) when none is running. A running Redis is used as
# it is.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT="${REDIS_PORT:-6379}"
DATA="$CACHE_DIR/redis-$PORT"

ping_redis() { redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; }

need_package redis-server redis-server
need_package redis-cli redis-tools
[ -z "${INSTALL_ONLY:-}" ] || exit 0

if ping_redis; then exit 0; fi
mkdir -p "$DATA"
say "starting Redis on 127.0.0.1:$PORT (data in $DATA)"
redis-server --bind 127.0.0.1 --port "$PORT" --dir "$DATA" --daemonize yes \
  --pidfile "$DATA/redis.pid" --logfile "$DATA/redis.log" \
  --appendonly yes --appendfsync everysec --save "" >/dev/null
deadline=$((SECONDS + 20))
until ping_redis; do
  [ "$SECONDS" -lt "$deadline" ] || die "Redis did not answer on 127.0.0.1:$PORT within 20s (see $DATA/redis.log)"
  sleep 0.1
done
