# Shared helpers for the provisioning scripts. Source it; do not run it.
# Everything these scripts download or build is cached outside the checkout,
# so a second run takes seconds.

set -euo pipefail

CACHE_DIR="${DAPR_LOGISTICS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dapr-logistics}"
DAPR_HOME="${DAPR_RUNTIME_PATH:-$HOME}/.dapr"
DAPR_VERSION="1.18.3"
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

say() { printf '[provision] %s\n' "$*" >&2; }
die() { printf '[provision] error: %s\n' "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }

# Installs Debian packages when the named command is missing; explains what to
# do where apt-get is not usable (another distribution, or not root).
need_package() {
  local cmd="$1"; shift
  have "$cmd" && return 0
  if have apt-get && [ "$(id -u)" = 0 ]; then
    say "installing $* (for $cmd) from the distribution's packages"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>"$CACHE_DIR/apt.err"; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>"$CACHE_DIR/apt.err" \
        || die "could not install $* ($(tail -1 "$CACHE_DIR/apt.err")); install it and run again"
    fi
  else
    die "$cmd is missing: install the package '$*' (or put $cmd on PATH) and run again"
  fi
  have "$cmd" || die "$cmd still missing after installing $*"
}

# need_package for a server's package: Debian's postinst would start a
# system-wide server on the default port, while our scripts start their own.
# A policy-rc.d that denies starts is in place for the install only (an
# existing one is left as it is).
install_without_starting() {
  if [ -e /usr/sbin/policy-rc.d ] || [ "$(id -u)" != 0 ] || have "$1"; then need_package "$@"; return; fi
  ( trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    need_package "$@" ) || exit 1
}

mkdir -p "$CACHE_DIR"

# The server a pub/sub or state choice runs on (the folder names of
# components/pubsub/ and components/state/ to those of servers/).
server_for() {
  case "$1" in
    jetstream) echo nats ;;
    mqtt) echo mosquitto ;;
    *) echo "$1" ;;
  esac
}

# The servers the PUBSUB and STATE choices need, each once (Redis may serve both).
server_names() {
  printf '%s\n' "$(server_for "${PUBSUB:-redis}")" "$(server_for "${STATE:-redis}")" | sort -u
}

# Runs <name>_setup, when a server script has one, once the server is ready
# (creating JetStream's streams, say).
server_setup() {
  if declare -F "$1_setup" >/dev/null; then "$1_setup"; fi
}

# Starts server $1 in the background, its output in $2; its pid is left in
# SERVER_PID, so that the caller can stop it (by that pid) however it ends.
server_start() {
  ( "$1_run" ) >"$2" 2>&1 &
  SERVER_PID=$!
}

# Waits until server $1 (pid $2, output in $3) is ready, at most $4 seconds
# (30); dies if it exits or does not get ready in time.
server_wait() {
  local name="$1" pid="$2" log="$3" limit="${4:-30}"
  local deadline=$((SECONDS + limit))
  until "${name}_ready"; do
    kill -0 "$pid" 2>/dev/null || die "$name exited at start (see $log)"
    [ "$SECONDS" -lt "$deadline" ] || die "$name did not get ready within ${limit}s (see $log)"
    sleep 0.2
  done
}

# Defines <name>_install, <name>_ready and <name>_run (and optionally
# <name>_setup) for every server script.
for server_script in "$ROOT_DIR"/deploy/scripts/servers/*.sh; do
  # shellcheck source=/dev/null
  source "$server_script"
done
unset server_script
