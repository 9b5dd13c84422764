# A Docker engine for building the images and running compose, when none is
# given. Sourced after lib.sh and netns.sh.
#
# With DOCKER_HOST set, that engine is used as it is. Otherwise Debian's
# dockerd (docker.io) is started in network namespace logistics-docker (no
# route off this machine, see netns.sh), with its data under the cache
# directory so that images survive between runs, and its socket at
# /run/logistics-docker.sock. Builds get no network at all (--bridge=none):
# the Dockerfiles copy what the build context holds and fetch nothing.
# Compose's networks are bridges inside the namespace, its published ports
# listen on the namespace's loopback (docker-proxy): reach them from there.

ENGINE_NETNS=logistics-docker
ENGINE_SOCKET=/run/logistics-docker.sock
ENGINE_PID=""

engine_up() {
  export DOCKER_BUILDKIT=0 # the legacy builder: Debian's engine has no buildx
  if [ -n "${DOCKER_HOST:-}" ]; then docker version >/dev/null || die "no engine answers at DOCKER_HOST=$DOCKER_HOST"; return; fi
  export DOCKER_HOST="unix://$ENGINE_SOCKET"
  if docker version >/dev/null 2>&1; then
    # One this script started and an interrupted run left: ours to stop.
    ENGINE_PID="$(cat /run/logistics-docker.pid 2>/dev/null || true)"
    return
  fi
  need_package dockerd docker.io
  [ "$(id -u)" = 0 ] || die "starting a Docker engine needs root; or set DOCKER_HOST to a running engine"
  netns_create "$ENGINE_NETNS"
  local data="$CACHE_DIR/docker" log="$CACHE_DIR/docker/dockerd.log"
  mkdir -p "$data"
  say "starting dockerd in network namespace $ENGINE_NETNS (data in $data)"
  netns_cmd "$ENGINE_NETNS"
  "${NETNS_CMD[@]}" dockerd --host "$DOCKER_HOST" --data-root "$data/root" \
    --exec-root /run/logistics-docker --pidfile /run/logistics-docker.pid \
    --bridge=none --ip-forward=false --ip-masq=false --log-level warn \
    --containerd-namespace logistics --containerd-plugins-namespace logistics-plugins \
    >"$log" 2>&1 </dev/null &
  ENGINE_PID=$!
  local tries=0
  until docker version >/dev/null 2>&1; do
    kill -0 "$ENGINE_PID" 2>/dev/null || die "dockerd stopped: $(tail -5 "$log")"
    tries=$((tries + 1)); [ "$tries" -lt 120 ] || die "dockerd did not answer within 60 s: $(tail -5 "$log")"
    sleep 0.5
  done
  netns_sealed "$ENGINE_NETNS"
}

# Stops the engine engine_up started (one given by DOCKER_HOST stays), and its namespace.
engine_down() {
  [ -n "$ENGINE_PID" ] || return 0
  kill "$ENGINE_PID" 2>/dev/null || true
  local tries=0
  while kill -0 "$ENGINE_PID" 2>/dev/null && [ "$tries" -lt 60 ]; do sleep 0.5; tries=$((tries + 1)); done
  kill -9 "$ENGINE_PID" 2>/dev/null || true
  ENGINE_PID=""
  # What dockerd leaves: its data root bound onto itself, its run directory.
  umount "$CACHE_DIR/docker/root" 2>/dev/null || true
  rm -rf /run/logistics-docker
  netns_delete "$ENGINE_NETNS"
}
